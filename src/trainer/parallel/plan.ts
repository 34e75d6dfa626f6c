// How many threads share each training batch, and starting them: the thread choice and the data-parallel
// start live here together, so the rule for "how many" has one home.
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../protocol/config';
import type { TrainerToHost } from '../../protocol/trainerMessages';
import type { ObjectiveOptions } from '../loss';
import { createParallelTrainStep, defaultWorkerCount, type ParallelTrainStep } from './index';

/** Smallest training set for which `threads: 0` (auto) starts worker threads: below it their start-up
 * (a second or two each) outweighs the time they save, and runs stay single-threaded and bit-exact. */
export const AUTO_PARALLEL_MIN_IMAGES = 2048;
/** Fewest images per thread and step worth splitting a batch for. */
const MIN_SHARD = 8;

/** Threads that should share each batch: the configured count, or one per core for large sets. */
export function trainingThreads(
  config: Pick<TrainingConfig, 'threads' | 'batchSize'>,
  trainImages: number,
  cores: number = defaultWorkerCount() + 1,
): number {
  const wanted = config.threads > 0 ? config.threads : trainImages >= AUTO_PARALLEL_MIN_IMAGES ? cores : 1;
  return Math.max(1, Math.min(wanted, Math.floor(config.batchSize / MIN_SHARD)));
}

/**
 * Data-parallel step over worker threads where it applies: the WASM backend (native backends have their
 * own thread pools), the standard loss (presets with their own forward or loss train on one thread) and
 * more than one thread. Null otherwise, or when the workers fail to start (a warning says why).
 */
export async function startParallelStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  config: TrainingConfig,
  objective: ObjectiveOptions,
  trainImages: number,
  emit: (event: TrainerToHost) => void,
): Promise<ParallelTrainStep | null> {
  const threads = trainingThreads(config, trainImages);
  if (threads < 2 || tf.getBackend() !== 'wasm' || config.transfer !== null) return null;
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
      message: `Each batch is split over ${parallel.threads} threads (data parallelism; --threads 1 turns it off)`,
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
