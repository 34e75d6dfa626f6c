// The epoch loop: for each epoch choose the learning rate, train on the shuffled batches, validate, and
// hand the figures to the observers (observers.ts), which record, report and decide when to stop.
import type { TrainingConfig } from '../../protocol/config';
import type { EpochMetrics } from '../../protocol/runRecord';
import { confusionMatrix } from '../../core/metrics';
import { afterEpoch, learningRateForEpoch, type ScheduleState } from '../../core/trainingControl';
import { assembleBatch, chunk, epochOrder, type BatchPlan } from '../dataPipeline';
import { predictIndices } from '../inference';
import type { StepResult } from '../parallel';
import { transferPhase } from '../presets/transfer';
import { evalBatchSize } from './artefacts';
import type { DecodedSplit } from './loadSamples';
import type { EpochObserver, LoopControl, Trainee } from './observers';
import type { Emit } from './runContext';
import { createOptimizer, setLearningRate } from './trainStep';

/** One thread's step returns at once; the data-parallel one waits for its workers. */
export type AnyTrainStep = (pixels: Float32Array, labels: Int32Array) => StepResult | Promise<StepResult>;

export interface EpochLoop {
  config: TrainingConfig;
  parts: DecodedSplit;
  plan: BatchPlan;
  numClasses: number;
  trainee: Trainee;
  step: AnyTrainStep;
  /** A single-thread step for the trainee's current optimizer (after fine-tuning swaps it). */
  makeStep: () => AnyTrainStep;
  /** The first epoch to train (1, or the one after a resumed checkpoint). */
  startEpoch: number;
  schedule: ScheduleState;
  observers: readonly EpochObserver[];
  control: LoopControl;
  emit: Emit;
}

/** Trains epochs startEpoch..config.epochs until an observer stops the loop; returns the last epoch done. */
export async function runEpochs(loop: EpochLoop): Promise<number> {
  const { config, trainee, observers, control } = loop;
  let { step, schedule } = loop;
  let lastEpoch = loop.startEpoch - 1;
  for (let epoch = loop.startEpoch; epoch <= config.epochs; epoch++) {
    const phase = transferPhase(trainee.model, config, epoch);
    if (phase.trainableChanged) {
      // Fine-tuning unfroze base layers: optimizer slots are per variable, so it starts afresh.
      trainee.optimizer.dispose();
      trainee.optimizer = createOptimizer(config);
      step = loop.makeStep();
    }
    const learningRate =
      phase.learningRate ??
      learningRateForEpoch(config.schedule, config.learningRate, epoch, config.epochs, schedule);
    setLearningRate(trainee.optimizer, learningRate);
    const started = Date.now();
    const trained = await trainEpoch(loop, step, epoch, learningRate);
    const trainSeconds = (Date.now() - started) / 1000;

    loop.emit({ type: 'phaseChanged', phase: 'evaluating', message: `Validating epoch ${epoch}` });
    const validation = await validate(loop);
    const metrics: EpochMetrics = {
      epoch,
      loss: trained.lossSum / Math.max(1, trained.seen),
      accuracy: trained.correctSum / Math.max(1, trained.seen),
      valLoss: validation ? validation.loss : null,
      valAccuracy: validation ? validation.accuracy : null,
      learningRate,
      durationMs: Date.now() - started,
      samplesPerSecond: trained.seen / Math.max(1e-3, trainSeconds),
      dataWaitMs: Math.round(trained.dataWaitMs),
      ...(validation ? { valConfusion: validation.confusion } : {}),
      ...(trained.seen < loop.parts.train.length ? { partial: true } : {}),
    };
    schedule = afterEpoch(config.schedule, schedule, metrics);
    loop.emit({ type: 'phaseChanged', phase: 'saving', message: `Saving checkpoints of epoch ${epoch}` });
    for (const observer of observers) await observer.onEpochEnd?.({ metrics, schedule });
    lastEpoch = epoch;
    if (control.stopTraining) break;
  }
  return lastEpoch;
}

interface TrainedEpoch {
  lossSum: number;
  correctSum: number;
  seen: number;
  /** Time the step loop stood waiting for a batch: the pipeline's share of the epoch. */
  dataWaitMs: number;
}

async function trainEpoch(
  loop: EpochLoop,
  step: AnyTrainStep,
  epoch: number,
  learningRate: number,
): Promise<TrainedEpoch> {
  const { config, parts, plan, observers, control } = loop;
  const order = epochOrder(parts.train.length, config.seed, epoch).map((k) => parts.train[k]);
  const batchList = chunk(order, config.batchSize);
  const totalBatches = batchList.length;
  for (const observer of observers) await observer.onEpochBegin?.({ epoch, totalBatches, learningRate });
  const sums: TrainedEpoch = { lossSum: 0, correctSum: 0, seen: 0, dataWaitMs: 0 };
  let next = assembleBatch(plan, batchList[0], epoch);
  for (let b = 0; b < totalBatches; b++) {
    const waitStarted = performance.now();
    const batch = await next;
    sums.dataWaitMs += performance.now() - waitStarted;
    // Prefetch: the next batch's reads run on the thread pool while this step computes.
    if (b + 1 < totalBatches) next = assembleBatch(plan, batchList[b + 1], epoch);
    const result = await step(batch.pixels, batch.labels);
    if (!Number.isFinite(result.loss)) {
      throw new Error(
        `the loss became ${result.loss} at epoch ${epoch}, batch ${b + 1} — lower --learning-rate`,
      );
    }
    const n = batch.labels.length;
    sums.lossSum += result.loss * n;
    sums.correctSum += result.correct;
    sums.seen += n;
    const end = {
      epoch,
      batch: b + 1,
      totalBatches,
      loss: sums.lossSum / sums.seen,
      accuracy: sums.correctSum / sums.seen,
      batchLoss: result.loss,
      batchAccuracy: result.correct / n,
    };
    for (const observer of observers) await observer.onBatchEnd?.(end);
    if (control.stopTraining) break;
  }
  await next.catch(() => undefined);
  return sums;
}

/** Loss, accuracy and confusion matrix on the validation split; null without validation images. */
async function validate(
  loop: EpochLoop,
): Promise<{ loss: number; accuracy: number; confusion: number[][] } | null> {
  const { parts, plan, config } = loop;
  if (parts.validation.length === 0) return null;
  const result = await predictIndices(loop.trainee.model, plan, parts.validation, evalBatchSize(config));
  const truth = parts.validation.map((i) => parts.labels[i]);
  const correct = result.predicted.filter((p, k) => p === truth[k]).length;
  return {
    loss: result.loss,
    accuracy: correct / parts.validation.length,
    confusion: confusionMatrix(truth, result.predicted, loop.numClasses),
  };
}
