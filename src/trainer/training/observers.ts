// The epoch loop's observers, after tfjs-layers' callbacks (onEpochBegin / onBatchEnd / onEpochEnd): the
// loop trains and validates; everything that records, reports or decides to stop happens here. They are
// called in the order fit.ts lists them, and later ones read what earlier ones decided (the best epoch).
import * as tf from '@tensorflow/tfjs';
import type { EarlyStoppingConfig, MonitoredMetric, TrainingConfig } from '../../protocol/config';
import type { EpochMetrics } from '../../protocol/runRecord';
import { shouldStopEarly, trackBest, type BestTracker, type ScheduleState } from '../../core/trainingControl';
import type { RunWriter } from '../runWriter';
import { saveCheckpoint } from './checkpoints';
import { EVENT_INTERVAL_MS, type Emit, type StopSignal } from './runContext';

export interface EpochBegin {
  epoch: number;
  totalBatches: number;
  learningRate: number;
}

export interface BatchEnd {
  epoch: number;
  /** 1-based. */
  batch: number;
  totalBatches: number;
  /** Means over the epoch's batches so far. */
  loss: number;
  accuracy: number;
  /** This batch alone. */
  batchLoss: number;
  batchAccuracy: number;
}

export interface EpochEnd {
  metrics: EpochMetrics;
  /** The learning-rate schedule's state after this epoch (a checkpoint holds it). */
  schedule: ScheduleState;
}

/** tfjs' `model.stopTraining`: an observer sets it, the loop ends after the batch or epoch in progress. */
export interface LoopControl {
  stopTraining: boolean;
}

export interface EpochObserver {
  onEpochBegin?(begin: EpochBegin): void | Promise<void>;
  onBatchEnd?(end: BatchEnd): void | Promise<void>;
  onEpochEnd?(end: EpochEnd): void | Promise<void>;
}

/** What the checkpoints save: the loop swaps the optimizer when fine-tuning unfreezes base layers. */
export interface Trainee {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
}

/** Which epoch was best so far by the monitored metric (what `checkpoints/best` holds). */
export class BestEpochTracker implements EpochObserver {
  /** Whether the epoch just ended is the new best. */
  improved = false;

  constructor(
    public tracker: BestTracker,
    readonly monitor: MonitoredMetric,
  ) {}

  onEpochEnd({ metrics }: EpochEnd): void {
    const best = trackBest(this.tracker, this.monitor, metrics);
    this.tracker = best.tracker;
    this.improved = best.improved;
  }
}

/** metrics.jsonl: about BATCH_LINES_PER_EPOCH batch lines per epoch, then the epoch's line. */
export class MetricsWriter implements EpochObserver {
  static readonly BATCH_LINES_PER_EPOCH = 20;
  private lineEvery = 1;

  constructor(private readonly writer: RunWriter) {}

  onEpochBegin({ totalBatches }: EpochBegin): void {
    this.lineEvery = Math.max(1, Math.floor(totalBatches / MetricsWriter.BATCH_LINES_PER_EPOCH));
  }

  async onBatchEnd(end: BatchEnd): Promise<void> {
    if (end.batch % this.lineEvery !== 0) return;
    await this.writer.appendMetrics({
      kind: 'batch',
      epoch: end.epoch,
      batch: end.batch,
      loss: end.batchLoss,
      accuracy: end.batchAccuracy,
    });
  }

  // Metrics before checkpoints: a crash in between leaves a line for an epoch the checkpoint lacks, which
  // the resume drops and trains again; the other order would leave the resumed run without that line.
  async onEpochEnd({ metrics }: EpochEnd): Promise<void> {
    await this.writer.appendMetrics(metrics);
  }
}

/** checkpoints/best (when the epoch improved) and checkpoints/last, then run.json says the epoch is done. */
export class CheckpointWriter implements EpochObserver {
  constructor(
    private readonly writer: RunWriter,
    private readonly trainee: Trainee,
    private readonly best: BestEpochTracker,
    private readonly emit: Emit,
  ) {}

  async onEpochEnd({ metrics, schedule }: EpochEnd): Promise<void> {
    const { writer, trainee, best, emit } = this;
    const state = { epoch: metrics.epoch, tracker: best.tracker, schedule };
    if (best.improved) await saveCheckpoint(writer, 'best', trainee.model, trainee.optimizer, state, emit);
    await saveCheckpoint(writer, 'last', trainee.model, trainee.optimizer, state, emit);
    await writer.update({
      epochsCompleted: metrics.epoch,
      bestEpoch: best.tracker.bestEpoch ?? undefined,
      ...(best.improved
        ? { bestValAccuracy: metrics.valAccuracy ?? undefined, bestValLoss: metrics.valLoss ?? undefined }
        : {}),
    });
  }
}

/** epochStarted, batchEnded (at most every EVENT_INTERVAL_MS, and the last batch) and epochEnded, with ETAs. */
export class EventReporter implements EpochObserver {
  private readonly durations: number[] = [];
  private epochStarted = 0;
  private lastBatchEvent = 0;

  constructor(
    private readonly emit: Emit,
    private readonly totalEpochs: number,
    private readonly best: BestEpochTracker,
  ) {}

  onEpochBegin({ epoch, totalBatches }: EpochBegin): void {
    this.emit({ type: 'epochStarted', epoch, totalEpochs: this.totalEpochs, totalBatches });
    this.epochStarted = Date.now();
    this.lastBatchEvent = 0;
  }

  onBatchEnd(end: BatchEnd): void {
    const now = Date.now();
    if (end.batch < end.totalBatches && now - this.lastBatchEvent < EVENT_INTERVAL_MS) return;
    this.lastBatchEvent = now;
    const elapsed = now - this.epochStarted;
    this.emit({
      type: 'batchEnded',
      epoch: end.epoch,
      batch: end.batch,
      totalBatches: end.totalBatches,
      loss: end.loss,
      accuracy: end.accuracy,
      etaMs: estimateEta(this.durations, elapsed, end.batch / end.totalBatches, this.totalEpochs - end.epoch),
    });
  }

  onEpochEnd({ metrics }: EpochEnd): void {
    this.durations.push(metrics.durationMs);
    this.emit({
      type: 'epochEnded',
      metrics,
      etaMs: estimateEta(this.durations, 0, 0, this.totalEpochs - metrics.epoch),
      bestEpoch: this.best.tracker.bestEpoch ?? metrics.epoch,
      improved: this.best.improved,
    });
  }
}

/** Ctrl-C or the extension's Stop: the epoch ends after the batch in progress, and the run after it. */
export class StopRequest implements EpochObserver {
  constructor(
    private readonly stop: StopSignal,
    private readonly control: LoopControl,
  ) {}

  onBatchEnd(): void {
    if (this.stop.requested) this.control.stopTraining = true;
  }

  onEpochEnd(): void {
    if (this.stop.requested) this.control.stopTraining = true;
  }
}

/** Ends the run when the monitored metric has not improved for `patience` epochs. */
export class EarlyStopping implements EpochObserver {
  /** The run ended early (rather than by a stop request or its last epoch). */
  stopped = false;

  constructor(
    private readonly config: EarlyStoppingConfig | null,
    private readonly best: BestEpochTracker,
    private readonly control: LoopControl,
    private readonly emit: Emit,
  ) {}

  onEpochEnd(): void {
    // A stop request already ends the run: it is then stopped, not stopped early.
    if (this.control.stopTraining || !shouldStopEarly(this.config, this.best.tracker)) return;
    this.stopped = true;
    this.control.stopTraining = true;
    this.emit({
      type: 'log',
      level: 'info',
      message: `Early stopping: no improvement of ${this.best.monitor} for ${this.best.tracker.wait} epochs`,
    });
  }
}

/** The metric early stopping and the best checkpoint watch. */
/**
 * The observers of a run's epochs, in this order: the tracker decides the best epoch; metrics go to disk
 * before the checkpoints that a resume trusts; events report what is saved; then stop requests and early
 * stopping end the loop. `earlyStopping.stopped` later tells a run that ended early from a stopped one.
 */
export function epochObservers(run: {
  writer: RunWriter;
  trainee: Trainee;
  best: BestEpochTracker;
  control: LoopControl;
  config: TrainingConfig;
  emit: Emit;
  stop: StopSignal;
}): { observers: EpochObserver[]; earlyStopping: EarlyStopping } {
  const { writer, trainee, best, control, config, emit, stop } = run;
  const earlyStopping = new EarlyStopping(config.earlyStopping, best, control, emit);
  const observers: EpochObserver[] = [
    best,
    new MetricsWriter(writer),
    new CheckpointWriter(writer, trainee, best, emit),
    new EventReporter(emit, config.epochs, best),
    new StopRequest(stop, control),
    earlyStopping,
  ];
  return { observers, earlyStopping };
}

export function monitoredMetric(config: TrainingConfig): MonitoredMetric {
  return config.earlyStopping?.monitor ?? 'valLoss';
}

/** Time left: the mean epoch so far times the epochs to go, plus the rest of the current epoch. */
export function estimateEta(
  durations: readonly number[],
  elapsedInEpoch: number,
  fractionDone: number,
  epochsAfter: number,
): number {
  const mean = durations.length
    ? durations.reduce((a, b) => a + b, 0) / durations.length
    : fractionDone > 0
      ? elapsedInEpoch / fractionDone
      : 0;
  const restOfEpoch = fractionDone > 0 ? Math.max(0, elapsedInEpoch / fractionDone - elapsedInEpoch) : 0;
  return Math.round(restOfEpoch + mean * epochsAfter);
}
