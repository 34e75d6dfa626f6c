// Learning-rate schedules and early stopping: pure, with state that a checkpoint saves so a resumed run
// continues exactly where it left off.
import type { EarlyStoppingConfig, MonitoredMetric, ScheduleConfig } from '../protocol/config';
import { isRecord } from '../protocol/guards';
import { checkStoredField, ConfigError } from './config';

export interface EpochOutcome {
  epoch: number;
  valLoss: number | null;
  valAccuracy: number | null;
  loss: number;
  accuracy: number;
}

export interface ScheduleState {
  learningRate: number;
  plateauBest: number | null;
  plateauWait: number;
}

export function initialScheduleState(baseLearningRate: number): ScheduleState {
  return { learningRate: baseLearningRate, plateauBest: null, plateauWait: 0 };
}

/** The learning rate to use during `epoch` (1-based), given the state left by the epochs before it. */
export function learningRateForEpoch(
  schedule: ScheduleConfig,
  baseLearningRate: number,
  epoch: number,
  totalEpochs: number,
  state: ScheduleState,
): number {
  switch (schedule.type) {
    case 'constant':
      return baseLearningRate;
    case 'step':
      return baseLearningRate * schedule.gamma ** Math.floor((epoch - 1) / schedule.stepSize);
    case 'cosine': {
      const progress = totalEpochs <= 1 ? 0 : (epoch - 1) / (totalEpochs - 1);
      return (
        schedule.minLearningRate +
        0.5 * (baseLearningRate - schedule.minLearningRate) * (1 + Math.cos(Math.PI * progress))
      );
    }
    case 'reduceOnPlateau':
      return state.learningRate;
  }
}

/** Keras' ReduceLROnPlateau on validation loss (training loss when there is no validation split). */
export function afterEpoch(
  schedule: ScheduleConfig,
  state: ScheduleState,
  outcome: EpochOutcome,
): ScheduleState {
  if (schedule.type !== 'reduceOnPlateau') return state;
  const value = outcome.valLoss ?? outcome.loss;
  if (state.plateauBest === null || value < state.plateauBest - 1e-4) {
    return { ...state, plateauBest: value, plateauWait: 0 };
  }
  const wait = state.plateauWait + 1;
  if (wait >= schedule.patience) {
    return {
      learningRate: Math.max(schedule.minLearningRate, state.learningRate * schedule.factor),
      plateauBest: state.plateauBest,
      plateauWait: 0,
    };
  }
  return { ...state, plateauWait: wait };
}

export interface BestTracker {
  bestEpoch: number | null;
  bestValue: number | null;
  /** Epochs since the best one. */
  wait: number;
}

export const NO_BEST: BestTracker = { bestEpoch: null, bestValue: null, wait: 0 };

/** Reads the monitored value; without a validation split, the training figure stands in for it. */
export function monitoredValue(monitor: MonitoredMetric, outcome: EpochOutcome): number {
  return monitor === 'valAccuracy'
    ? (outcome.valAccuracy ?? outcome.accuracy)
    : (outcome.valLoss ?? outcome.loss);
}

function isImprovement(monitor: MonitoredMetric, value: number, best: number | null): boolean {
  if (best === null) return true;
  return monitor === 'valAccuracy' ? value > best : value < best;
}

/** Tracks the best epoch (what `checkpoints/best` holds) and decides when early stopping ends the run. */
export function trackBest(
  tracker: BestTracker,
  monitor: MonitoredMetric,
  outcome: EpochOutcome,
): { tracker: BestTracker; improved: boolean } {
  const value = monitoredValue(monitor, outcome);
  if (isImprovement(monitor, value, tracker.bestValue)) {
    return { tracker: { bestEpoch: outcome.epoch, bestValue: value, wait: 0 }, improved: true };
  }
  return { tracker: { ...tracker, wait: tracker.wait + 1 }, improved: false };
}

export function shouldStopEarly(config: EarlyStoppingConfig | null, tracker: BestTracker): boolean {
  return config !== null && tracker.wait >= config.patience;
}

/** What checkpoints/<kind>/state.json holds besides the model and optimizer. */
export interface CheckpointState {
  epoch: number;
  tracker: BestTracker;
  schedule: ScheduleState;
}

function nullableFinite(value: unknown, file: string, name: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ConfigError(
      `${file}: ${name} must be a finite number or null, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  return value;
}

function wholeNumber(value: unknown, file: string, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new ConfigError(
      `${file}: ${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  return value;
}

/**
 * A checkpoint's state.json read back from disk: the epoch checked as the `epochs` field of the config
 * table is, the learning rate as `learningRate`, the tracker's epochs within the checkpoint's. A bad value
 * is a ConfigError naming the file and the field.
 */
export function checkCheckpointState(value: unknown, file: string): CheckpointState {
  if (!isRecord(value)) throw new ConfigError(`${file}: must be a JSON object`);
  const epoch = checkStoredField('epochs', value.epoch, file, 'epoch');
  const tracker = isRecord(value.tracker) ? value.tracker : null;
  const schedule = isRecord(value.schedule) ? value.schedule : null;
  if (!tracker) throw new ConfigError(`${file}: tracker must be an object`);
  if (!schedule) throw new ConfigError(`${file}: schedule must be an object`);
  const bestEpoch =
    tracker.bestEpoch === null ? null : wholeNumber(tracker.bestEpoch, file, 'tracker.bestEpoch', epoch);
  return {
    epoch,
    tracker: {
      bestEpoch,
      bestValue: nullableFinite(tracker.bestValue, file, 'tracker.bestValue'),
      wait: wholeNumber(tracker.wait, file, 'tracker.wait', epoch),
    },
    schedule: {
      learningRate: checkStoredField('learningRate', schedule.learningRate, file, 'schedule.learningRate'),
      plateauBest: nullableFinite(schedule.plateauBest, file, 'schedule.plateauBest'),
      plateauWait: wholeNumber(schedule.plateauWait, file, 'schedule.plateauWait', epoch),
    },
  };
}
