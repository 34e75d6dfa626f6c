// Learning-rate schedules and early stopping: pure, with state that a checkpoint saves so a resumed run
// continues exactly where it left off.
import type { EarlyStoppingConfig, MonitoredMetric, ScheduleConfig } from '../protocol/config';

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
