// How many threads share each training batch, and starting them: the thread choice (measured when
// `threads` is 0, parallel/threadChoice.ts) and the data-parallel start live here together, so the rule
// for "how many" has one home.
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../protocol/config';
import type { RunThreads } from '../../protocol/runRecord';
import type { TrainerToHost } from '../../protocol/trainerMessages';
import type { ObjectiveOptions } from '../loss';
import type { TrainStep } from '../training/trainStep';
import { createParallelTrainStep, defaultWorkerCount, type ParallelTrainStep } from './index';
import { fixedThreads, probeThreads, type ThreadedStep } from './threadChoice';

type Emit = (event: TrainerToHost) => void;

/** Fewest images per thread and step worth splitting a batch for. */
const MIN_SHARD = 8;

/** Threads that could share each batch: the configured count, or one per core; capped by the batch. */
export function trainingThreads(
  config: Pick<TrainingConfig, 'threads' | 'batchSize'>,
  cores: number = defaultWorkerCount() + 1,
): number {
  const wanted = config.threads > 0 ? config.threads : cores;
  return Math.max(1, Math.min(wanted, Math.floor(config.batchSize / MIN_SHARD)));
}

export interface StepChoiceInput {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  config: TrainingConfig;
  objective: ObjectiveOptions;
  single: TrainStep;
  /** True when the model has its own forward or loss (those train on one thread). */
  ownStep: boolean;
  stepsLeft: number;
  /** The choice a resumed run recorded, kept so that it goes on as it began. */
  resumed: RunThreads | undefined;
  emit: Emit;
  record: (decision: RunThreads) => Promise<void>;
}

/**
 * The training step and how many threads share it (parallel/threadChoice.ts): data parallelism over
 * worker threads applies to the WASM backend's standard step; `threads: 0` measures whether it pays.
 */
export async function chooseTrainStep(input: StepChoiceInput): Promise<ThreadedStep> {
  const { config, emit } = input;
  const onDecision = async (decision: RunThreads): Promise<void> => {
    emit({ type: 'log', level: 'info', message: `Threads: ${decision.reason}` });
    await input.record(decision);
  };
  const threads = trainingThreads(config);
  const applies = tf.getBackend() === 'wasm' && !input.ownStep && config.transfer === null;
  const oneThread = (decidedBy: RunThreads['decidedBy'], reason: string): Promise<ThreadedStep> =>
    fixedThreads(input.single, null, { chosen: 1, decidedBy, timings: [], reason }, onDecision);
  if (!applies) {
    return oneThread(
      'only-option',
      tf.getBackend() === 'wasm'
        ? 'one thread: this model trains with its own step'
        : `one thread: the ${tf.getBackend()} backend uses its own thread pool`,
    );
  }
  const start = () => startParallelStep(input.model, input.optimizer, config, input.objective, threads, emit);
  const startFixed = async (
    decidedBy: RunThreads['decidedBy'],
    timings: RunThreads['timings'],
    as: string,
  ) => {
    const parallel = await start();
    const chosen = parallel?.threads ?? 1;
    return fixedThreads(
      input.single,
      parallel,
      {
        chosen,
        decidedBy,
        timings,
        reason: parallel ? `${chosen} threads, ${as}` : 'one thread: the worker threads could not start',
      },
      onDecision,
    );
  };
  if (config.threads === 1) return oneThread('setting', 'one thread, as set (--threads 1)');
  if (config.threads > 1) {
    if (threads < 2)
      return oneThread('setting', `one thread: batches of ${config.batchSize} are too small to split`);
    return startFixed('setting', [], 'as set (--threads)');
  }
  if (threads < 2) return oneThread('only-option', 'one thread: one core, or batches too small to split');
  if (input.resumed) {
    if (input.resumed.chosen < 2)
      return fixedThreads(
        input.single,
        null,
        { ...input.resumed, decidedBy: 'resumed', reason: 'one thread, as the run began' },
        onDecision,
      );
    return startFixed('resumed', input.resumed.timings, 'as the run began');
  }
  return probeThreads({
    single: input.single,
    startParallel: start,
    parallelThreads: threads,
    stepsLeft: input.stepsLeft,
    batchSize: config.batchSize,
    onDecision,
  });
}

/** Starts the data-parallel step over `threads` threads; null (with a warning) when workers fail to start. */
async function startParallelStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  config: TrainingConfig,
  objective: ObjectiveOptions,
  threads: number,
  emit: Emit,
): Promise<ParallelTrainStep | null> {
  try {
    const parallel = await createParallelTrainStep({
      model,
      optimizer,
      imageSize: config.imageSize,
      channels: config.channels,
      numClasses: objective.numClasses,
      classWeights: objective.classWeights,
      labelSmoothing: objective.labelSmoothing,
      maxBatchSize: config.batchSize,
      workers: threads - 1,
      backend: 'wasm',
      seed: config.seed,
    });
    emit({
      type: 'log',
      level: 'info',
      message: `Each batch can be split over ${parallel.threads} threads (data parallelism; --threads 1 turns it off)`,
    });
    return parallel;
  } catch (error) {
    emit({
      type: 'log',
      level: 'warn',
      message: `training on one thread: ${error instanceof Error ? error.message : String(error)}`,
    });
    return null;
  }
}
