// Host ↔ trainer channel. The trainer sends TrainerToHost over IPC (process.send) when it has one, and
// prints the same objects one per line with `--json`. The host sends HostToTrainer over IPC.
import type { BackendName, TrainingConfig } from './config';
import type { EpochMetrics, SplitCounts } from './runRecord';
import { isArrayOf, isFiniteNumber, isNonNegativeInteger, isOneOf, isRecord, isString } from './guards';
import { checkEpochMetrics } from './runSchema';

export type HostToTrainer = { type: 'stop'; immediately?: boolean };

export function isHostToTrainer(value: unknown): value is HostToTrainer {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'stop':
      return value.immediately === undefined || typeof value.immediately === 'boolean';
    default:
      return false;
  }
}

export const TRAINER_PHASES = [
  'scanning',
  'splitting',
  'decoding',
  'extracting',
  'training',
  'evaluating',
  'saving',
] as const;
export type TrainerPhase = (typeof TRAINER_PHASES)[number];

export interface RunStartedDataset {
  root: string;
  classNames: string[];
  counts: SplitCounts;
  skipped: number;
}

export type TrainerToHost =
  | {
      type: 'runStarted';
      runId: string;
      runDir: string;
      backend: BackendName;
      backendNotes: string[];
      config: TrainingConfig;
      dataset: RunStartedDataset;
      startEpoch: number;
      totalEpochs: number;
    }
  | { type: 'phaseChanged'; phase: TrainerPhase; message: string }
  | { type: 'progress'; phase: TrainerPhase; done: number; total: number }
  | { type: 'epochStarted'; epoch: number; totalEpochs: number; totalBatches: number }
  | {
      type: 'batchEnded';
      epoch: number;
      batch: number;
      totalBatches: number;
      loss: number;
      accuracy: number;
      etaMs: number;
    }
  | { type: 'epochEnded'; metrics: EpochMetrics; etaMs: number; bestEpoch: number; improved: boolean }
  | { type: 'checkpointSaved'; kind: 'best' | 'last'; epoch: number; path: string }
  | { type: 'evaluationWritten'; accuracy: number; path: string }
  | {
      type: 'runCompleted';
      runId: string;
      runDir: string;
      epochsCompleted: number;
      bestEpoch: number | null;
      bestValAccuracy: number | null;
    }
  | { type: 'runStopped'; runId: string; runDir: string; epochsCompleted: number }
  | { type: 'runFailed'; runId: string | null; runDir: string | null; message: string; path?: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type TrainerToHostType = TrainerToHost['type'];

const isLevel = isOneOf(['info', 'warn', 'error'] as const);
const isPhase = isOneOf(TRAINER_PHASES);
const isNullableNumber = (v: unknown): v is number | null => v === null || isFiniteNumber(v);
const isNullableString = (v: unknown): v is string | null => v === null || isString(v);

/** An epoch's figures, by the same schema as metrics.jsonl lines (runSchema.ts). */
export function isEpochMetrics(value: unknown): value is EpochMetrics {
  return checkEpochMetrics(value).ok;
}

export function isSplitCounts(value: unknown): value is SplitCounts {
  return (
    isRecord(value) &&
    isNonNegativeInteger(value.train) &&
    isNonNegativeInteger(value.validation) &&
    isNonNegativeInteger(value.test)
  );
}

function isRunStartedDataset(value: unknown): value is RunStartedDataset {
  return (
    isRecord(value) &&
    isString(value.root) &&
    isArrayOf(value.classNames, isString) &&
    isSplitCounts(value.counts) &&
    isNonNegativeInteger(value.skipped)
  );
}

/** Accepts a TrainerToHost message; the config inside runStarted is checked for being an object only. */
export function isTrainerToHost(value: unknown): value is TrainerToHost {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'runStarted':
      return (
        isString(v.runId) &&
        isString(v.runDir) &&
        isString(v.backend) &&
        isArrayOf(v.backendNotes, isString) &&
        isRecord(v.config) &&
        isRunStartedDataset(v.dataset) &&
        isNonNegativeInteger(v.startEpoch) &&
        isNonNegativeInteger(v.totalEpochs)
      );
    case 'phaseChanged':
      return isPhase(v.phase) && isString(v.message);
    case 'progress':
      return isPhase(v.phase) && isNonNegativeInteger(v.done) && isNonNegativeInteger(v.total);
    case 'epochStarted':
      return (
        isNonNegativeInteger(v.epoch) &&
        isNonNegativeInteger(v.totalEpochs) &&
        isNonNegativeInteger(v.totalBatches)
      );
    case 'batchEnded':
      return (
        isNonNegativeInteger(v.epoch) &&
        isNonNegativeInteger(v.batch) &&
        isNonNegativeInteger(v.totalBatches) &&
        isFiniteNumber(v.loss) &&
        isFiniteNumber(v.accuracy) &&
        isFiniteNumber(v.etaMs)
      );
    case 'epochEnded':
      return (
        isEpochMetrics(v.metrics) &&
        isFiniteNumber(v.etaMs) &&
        isNonNegativeInteger(v.bestEpoch) &&
        typeof v.improved === 'boolean'
      );
    case 'checkpointSaved':
      return (v.kind === 'best' || v.kind === 'last') && isNonNegativeInteger(v.epoch) && isString(v.path);
    case 'evaluationWritten':
      return isFiniteNumber(v.accuracy) && isString(v.path);
    case 'runCompleted':
      return (
        isString(v.runId) &&
        isString(v.runDir) &&
        isNonNegativeInteger(v.epochsCompleted) &&
        (v.bestEpoch === null || isNonNegativeInteger(v.bestEpoch)) &&
        isNullableNumber(v.bestValAccuracy)
      );
    case 'runStopped':
      return isString(v.runId) && isString(v.runDir) && isNonNegativeInteger(v.epochsCompleted);
    case 'runFailed':
      return (
        isNullableString(v.runId) &&
        isNullableString(v.runDir) &&
        isString(v.message) &&
        (v.path === undefined || isString(v.path))
      );
    case 'log':
      return isLevel(v.level) && isString(v.message);
    default:
      return false;
  }
}
