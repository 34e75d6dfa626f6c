// The on-disk run format, version 1 (ARCHITECTURE.md). Readers accept unknown fields.
import type { BackendName, ResizeMode, TrainingConfig } from './config';
import type { DetectionEvaluation } from './detection';

export const RUN_FORMAT_VERSION = 1;

/**
 * `interrupted` and `damaged` are never written by a trainer: readers derive `interrupted` for a `running`
 * run whose process is gone, and `damaged` for a run directory whose records fail their schema
 * (protocol/runSchema.ts); a damaged run's `error` says why.
 */
export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped' | 'interrupted' | 'damaged';

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface SplitCounts {
  train: number;
  validation: number;
  test: number;
}

export interface RunDataset {
  root: string;
  layout: DatasetLayout;
  classNames: string[];
  counts: SplitCounts;
  /** Per class, per split. */
  classCounts: Record<string, SplitCounts>;
  skipped: SkippedFile[];
}

export type DatasetLayout = 'class-folders' | 'split-folders';

export interface RunError {
  message: string;
  /** A path the error is about (a file that failed to write, a corrupt image), when there is one. */
  path?: string;
}

export interface RunRecord {
  formatVersion: number;
  id: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  /** PID of the trainer while running; readers use it to tell a crashed run (`interrupted`). */
  pid?: number;
  hostname?: string;
  config: TrainingConfig;
  dataset: RunDataset;
  backend: BackendName;
  /** Why faster backends were not used (`tensorflow-gpu: module not installed`, ...). */
  backendNotes: string[];
  epochsCompleted: number;
  bestEpoch?: number;
  bestValAccuracy?: number;
  bestValLoss?: number;
  /** Group of runs this one belongs to (sweep, k-fold), if any. */
  group?: string;
  /** The fold of a k-fold group (`group` names the group). */
  fold?: RunFold;
  /** The run this one was re-run from with changes (New Training's "Re-run with Changes…"); a claim of
   * the file: only ever matched against the ids of listed runs. */
  parentId?: string;
  error?: RunError;
  /** Epochs at which the run was resumed. */
  resumedFrom?: number[];
  /** Accuracy on the held-out test split, when one was asked for. */
  testAccuracy?: number;
  /** The pretrained base of a transfer run: its name, format, where it came from and its digest. */
  base?: RunBase;
  /** How many threads shared each batch, and why (the timings when it was measured). */
  threads?: RunThreads;
}

export const THREAD_DECIDERS = ['setting', 'probe', 'resumed', 'only-option'] as const;

export interface RunThreads {
  /** Threads that shared each batch (1: no data parallelism). */
  chosen: number;
  /**
   * `setting`: the `threads` field; `probe`: timed at the start of training; `resumed`: the choice the
   * run recorded before it was resumed; `only-option`: a backend or model without data parallelism.
   */
  decidedBy: (typeof THREAD_DECIDERS)[number];
  /** Measured milliseconds per step of `config.batchSize` images, per thread count (median). */
  timings: { threads: number; msPerStep: number }[];
  /** One line for people. */
  reason: string;
}

export interface RunBase {
  name: string;
  format: 'layers' | 'graph';
  /** The URL it was downloaded from, or the local model.json path. */
  source: string;
  /** sha256 digest of the base's files (see `bases list --json`). */
  sha256: string;
}

export interface EpochMetrics {
  kind?: 'epoch';
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  learningRate: number;
  durationMs: number;
  samplesPerSecond: number;
  /** Milliseconds of the epoch's training loop spent waiting for a batch from the data pipeline. */
  dataWaitMs?: number;
  /** Validation confusion matrix of this epoch (rows = true class), for the dashboard's scrubber. */
  valConfusion?: number[][];
  /** The epoch was cut short by a stop request. */
  partial?: boolean;
  /** A detection run's extra fields (DetectionEpochFields, issue 18); absent on classification runs. */
  task?: 'detect';
  classLoss?: number;
  boxLoss?: number;
  valClassLoss?: number | null;
  valBoxLoss?: number | null;
  map50?: number | null;
  map50_95?: number | null;
}

export interface BatchMetrics {
  kind: 'batch';
  epoch: number;
  batch: number;
  loss: number;
  accuracy: number;
}

export type MetricsLine = EpochMetrics | BatchMetrics;

export interface SplitRecord {
  seed: number;
  /** Relative to the data set root, with forward slashes. */
  train: SplitEntry[];
  validation: SplitEntry[];
  test: SplitEntry[];
}

export interface SplitEntry {
  path: string;
  label: string;
}

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface Misclassified {
  path: string;
  label: string;
  predicted: string;
  confidence: number;
}

export interface Evaluation {
  labels: string[];
  /** rows = true class, columns = predicted class */
  confusion: number[][];
  accuracy: number;
  macro: AveragedMetrics;
  weighted: AveragedMetrics;
  perClass: ClassMetrics[];
  misclassified: Misclassified[];
  /** Where the evaluated images came from (`validation`, `test`, `train`, or a folder). */
  source?: string;
  /** Absolute folder that `misclassified[].path` is relative to. */
  root?: string;
  /** Per-epoch validation confusion matrices, when recorded, for the dashboard's scrubber. */
  confusionByEpoch?: { epoch: number; confusion: number[][] }[];
}

export interface Preprocessing {
  imageSize: number;
  channels: 1 | 3;
  /**
   * How images are fitted into the square, as in training. Metadata written before resize modes existed
   * says `fill` or nothing: both mean `stretch` (read it with recordedResizeMode).
   */
  resize?: ResizeMode | 'fill';
  /** pixel value v in 0..255 becomes v * scale + offset */
  scale: number;
  offset: number;
}

/** Fold `index` (from 1) of `count` stratified folds. */
export interface RunFold {
  index: number;
  count: number;
}

export interface ModelMetadata {
  formatVersion: number;
  labels: string[];
  preprocessing: Preprocessing;
  model: string;
  createdAt: string;
}

export interface Prediction {
  path: string;
  label: string;
  confidence: number;
  top: { label: string; confidence: number }[];
}

export const RUN_FILES = {
  run: 'run.json',
  metrics: 'metrics.jsonl',
  split: 'split.json',
  evaluation: 'evaluation.json',
  model: 'model',
  checkpoints: 'checkpoints',
  modelMetadata: 'metadata.json',
} as const;

/** One row of the Runs view and the compare table: what a reader derives from a run directory. */
export interface RunSummary {
  id: string;
  runDir: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  model: string;
  epochsCompleted: number;
  totalEpochs: number;
  bestEpoch: number | null;
  bestValAccuracy: number | null;
  lastValAccuracy: number | null;
  lastValLoss: number | null;
  testAccuracy: number | null;
  datasetRoot: string;
  classNames: string[];
  backend: string;
  group: string | null;
  /** The run this one re-runs with changes (run.json's parentId), when it has one. */
  parentId?: string;
  /** What the run learns (run.json's config.task); absent on classification runs and damaged ones. A
   * detection run's accuracy fields hold its validation (test) mAP@0.5. */
  task?: 'classify' | 'detect';
  /** A detection run's mAP@0.5 and mAP@0.5:0.95: of its evaluation.json, or of its best epoch before it has
   * one; null when neither is known. Absent on classification runs. */
  map50?: number | null;
  map50_95?: number | null;
  config: TrainingConfig;
  error: string | null;
}

/** Everything the dashboard's run page shows about one run. */
export interface RunDetails {
  summary: RunSummary;
  record: RunRecord;
  epochs: EpochMetrics[];
  batches: BatchMetrics[];
  /** A classification run's evaluation.json; null for a detection run (see detectionEvaluation). */
  evaluation: Evaluation | null;
  /** A detection run's evaluation.json (`task: "detect"`); absent or null otherwise. */
  detectionEvaluation?: DetectionEvaluation | null;
}

/** A metric over several runs (k-fold folds): mean and population standard deviation. */
export interface MeanStd {
  mean: number;
  std: number;
}

/** k-fold cross-validation result: every metric as mean ± std over the folds, plus the summed confusion. */
export interface FoldSummary {
  folds: number;
  labels: string[];
  accuracy: MeanStd;
  macro: { precision: MeanStd; recall: MeanStd; f1: MeanStd };
  weighted: { precision: MeanStd; recall: MeanStd; f1: MeanStd };
  perClass: { label: string; precision: MeanStd; recall: MeanStd; f1: MeanStd; support: number }[];
  /** Element-wise sum of the folds' confusion matrices (rows = true class). */
  confusion: number[][];
}
