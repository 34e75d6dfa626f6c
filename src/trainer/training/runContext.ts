// What the stages of a training run hand each other: the request, the prepared run directory, and the
// two ways the run talks to the outside (events out, a stop request in).
import type { BackendName, TrainingConfig } from '../../protocol/config';
import type { RunBase, RunFold, SplitRecord } from '../../protocol/runRecord';
import type { TrainerToHost } from '../../protocol/trainerMessages';
import type { CheckpointState } from '../../core/trainingControl';
import type { RunWriter } from '../runWriter';

export type Emit = (event: TrainerToHost) => void;

/** Set by SIGINT or a `stop` message; the loop ends the epoch after the current batch. */
export interface StopSignal {
  requested: boolean;
}

/** One training run as trainRun takes it: a new run on a data set folder, or the resume of a run. */
export interface TrainRunRequest {
  /** The data set folder; ignored when resuming (the run records its own). */
  dataDir?: string;
  runsRoot: string;
  config: TrainingConfig;
  /** Continue this run from its last complete checkpoint. */
  resumeRunDir?: string;
  /** With resume: train up to this many epochs instead of the recorded number. */
  epochsOverride?: number;
  /** The id of the run this one re-runs with changes; recorded in run.json as `parentId`. */
  parentId?: string;
  group?: string;
  /** A split made by the caller (k-fold) instead of the seeded stratified split. */
  split?: SplitRecord;
  /** Which fold of a k-fold group this run is; recorded in run.json. */
  fold?: RunFold;
  emit: Emit;
  stop: StopSignal;
  /** Decoded-pixel memory budget before the cache spills to a file. */
  memoryBudget?: number;
  /** The cache folder of pretrained bases and their features (default: defaultCacheDir()). */
  cacheDir?: string;
  /** The pretrained base the config's transfer.base resolved to; run.json records it. */
  base?: RunBase;
}

/** How a training run ended, as trainRun returns it. */
export interface TrainOutcome {
  status: 'completed' | 'stopped' | 'failed';
  runId: string | null;
  runDir: string | null;
  message?: string;
}

/** A run directory ready to train into: its record written, its lock held, its split fixed. */
export interface PreparedRun {
  writer: RunWriter;
  config: TrainingConfig;
  split: SplitRecord;
  classNames: string[];
  datasetRoot: string;
  backend: BackendName;
  /** The checkpoint a resumed run continues from (null: a new run, or a resume before any checkpoint). */
  resume: { dir: string; state: CheckpointState } | null;
}

/** Progress events of one phase are sent at most this often (and the last one always). */
export const EVENT_INTERVAL_MS = 200;
