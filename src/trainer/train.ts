// The training run: scan → split → decode → fit → evaluate → write the run directory. Reports through an
// injected `emit` (tfjs-examples' pattern); the CLI prints the events, the extension receives them over IPC.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendName, TrainingConfig } from '../protocol/config';
import type {
  Evaluation,
  ModelMetadata,
  RunBase,
  RunFold,
  RunDataset,
  RunRecord,
  SkippedFile,
  SplitEntry,
  SplitRecord,
} from '../protocol/runRecord';
import { RUN_FILES, RUN_FORMAT_VERSION } from '../protocol/runRecord';
import type { TrainerPhase, TrainerToHost } from '../protocol/trainerMessages';
import { classCounts, stratifiedSplit } from '../core/split';
import { classWeights, confusionMatrix, evaluationFromPredictions } from '../core/metrics';
import { parseMetricsLines, probeProcess, readRunRecordChecked, splitMetrics } from '../core/runStore';
import { checkSplitRecord } from '../protocol/runSchema';
import { ConfigError } from '../core/config';
import {
  assertEntriesInside,
  findLinks,
  makeDirectoryInside,
  READ_LIMITS,
  readJsonInside,
  readTextInside,
  realRoot,
  RunFileError,
} from '../core/runFiles';
import { acquireRunLock, RunLockedError, type RunLock } from '../core/runLock';
import {
  afterEpoch,
  initialScheduleState,
  learningRateForEpoch,
  NO_BEST,
  shouldStopEarly,
  trackBest,
  checkCheckpointState,
  type BestTracker,
  type CheckpointState,
  type ScheduleState,
} from '../core/trainingControl';
import { selectBackend } from './backend';
import {
  assembleBatch,
  chunk,
  decodeEntries,
  epochOrder,
  batchTensorShape,
  isFeatureShape,
  type BatchPlan,
  type InputShape,
  type DecodedSet,
} from './dataPipeline';
import { UsageError } from './errors';
import { predictIndices } from './inference';
import { batchObjective, type ObjectiveOptions } from './loss';
import { createModel, trainingForward, type TrainingForward } from './presets/training';
import {
  featureExtractorModel,
  headModel,
  normalisationOf,
  transferPhase,
  usesCachedFeatures,
} from './presets/transfer';
import { defaultCacheDir } from './bases/cache';
import { baseContentSha256 } from './features/baseIdentity';
import { ContentHasher } from './features/contentHash';
import { FeatureCache } from './features/featureCache';
import { buildFeatureSet, type FeatureExtractor } from './features/featureSet';
import { assertTrainingFits } from './memoryEstimate';
import {
  checkLayersModelFolder,
  loadModelFromDir,
  loadOptimizerState,
  replaceDirectory,
  resolveDirectory,
  saveModelFiles,
  saveOptimizerState,
} from './modelIO';
import {
  createRunDirectory,
  removeLeftovers,
  RunWriteError,
  RunWriter,
  runningRecordFields,
  truncateMetricsAfter,
} from './runWriter';
import { scanDataset } from './scan';
import { withSeededMathRandom } from './seededMathRandom';
import {
  createParallelTrainStep,
  defaultWorkerCount,
  type ParallelTrainStep,
  type StepResult,
} from './parallel';

export type Emit = (event: TrainerToHost) => void;

/** Set by SIGINT or a `stop` message; the loop ends the epoch after the current batch. */
export interface StopSignal {
  requested: boolean;
}

export interface TrainRequest {
  /** The data set folder; ignored when resuming (the run records its own). */
  dataDir?: string;
  runsRoot: string;
  config: TrainingConfig;
  /** Continue this run from its last complete checkpoint. */
  resumeRunDir?: string;
  /** With resume: train up to this many epochs instead of the recorded number. */
  epochsOverride?: number;
  group?: string;
  /** The id of the run this one re-runs with changes; recorded in run.json as `parentId`. */
  parentId?: string;
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

export interface TrainOutcome {
  status: 'completed' | 'stopped' | 'failed';
  runId: string | null;
  runDir: string | null;
  message?: string;
}

interface PreparedRun {
  writer: RunWriter;
  config: TrainingConfig;
  split: SplitRecord;
  classNames: string[];
  datasetRoot: string;
  backend: BackendName;
  resume: { dir: string; state: CheckpointState } | null;
}

const BATCH_EVENT_INTERVAL_MS = 200;
const BATCH_LINES_PER_EPOCH = 20;

export async function trainRun(request: TrainRequest): Promise<TrainOutcome> {
  const { emit } = request;
  let prepared: PreparedRun | null = null;
  let decoded: DecodedSplit | null = null;
  // The run directory's writer lock, held from before the first write until the run ends.
  const held: LockHolder = { lock: null };
  try {
    prepared = request.resumeRunDir ? await prepareResume(request, held) : await prepareNewRun(request, held);
    const { writer, config } = prepared;
    emit({
      type: 'runStarted',
      runId: writer.current.id,
      runDir: writer.runDir,
      backend: prepared.backend,
      backendNotes: writer.current.backendNotes,
      config,
      dataset: {
        root: prepared.datasetRoot,
        classNames: prepared.classNames,
        counts: writer.current.dataset.counts,
        skipped: writer.current.dataset.skipped.length,
      },
      startEpoch: (prepared.resume?.state.epoch ?? 0) + 1,
      totalEpochs: config.epochs,
    });
    decoded = await loadSamples(prepared, request);
    const parts = decoded;
    const run = prepared;
    // The seed fixes the initial weights and dropout masks too (tfjs seeds them from Math.random).
    return await withSeededMathRandom(config.seed, () => fit(run, parts, request));
  } catch (err) {
    return await fail(err, prepared, emit);
  } finally {
    await decoded?.decoded.store.close().catch(() => undefined);
    decoded?.transferModel?.dispose();
    await held.lock?.release().catch(() => undefined);
  }
}

interface LockHolder {
  lock: RunLock | null;
}

/** What a trainer writes in a run directory (with the `.old` copies that replaceDirectory leaves). */
const TRAINER_ENTRIES = new Set<string>([
  RUN_FILES.run,
  RUN_FILES.metrics,
  RUN_FILES.split,
  RUN_FILES.evaluation,
  'test-evaluation.json',
  RUN_FILES.model,
  `${RUN_FILES.model}.old`,
  RUN_FILES.checkpoints,
]);

/** Takes the run's writer lock; another live writer is a usage error (exit 2), nothing written. */
async function lockRun(runDir: string, purpose: string, held: LockHolder): Promise<void> {
  try {
    held.lock = await acquireRunLock(runDir, { purpose });
  } catch (err) {
    if (err instanceof RunLockedError) throw new UsageError(err.message);
    throw err;
  }
}

/** Errors of records read back from disk become usage errors: one line, exit 2, the run left as it was. */
function asUsageError(err: unknown, fix: string): unknown {
  if (err instanceof RunFileError || err instanceof ConfigError)
    return new UsageError(`${err.message} — ${fix}`);
  return err;
}

async function prepareNewRun(request: TrainRequest, held: LockHolder): Promise<PreparedRun> {
  const { emit, config } = request;
  if (!request.dataDir) throw new UsageError('train needs a data set folder: image-trainer train DIR');
  const root = path.resolve(request.dataDir);
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory()) {
    throw new UsageError(
      `${root}: no such folder — pass the folder that holds one sub-folder of images per class`,
    );
  }
  const { backend, notes } = await selectEngine(config);
  emit({ type: 'phaseChanged', phase: 'scanning', message: `Scanning ${root}` });
  // Header checks suffice here: the pipeline decodes every image anyway and reports any that fail.
  const scan = await scanDataset(root, {
    verify: 'header',
    onProgress: (done, total) => emit({ type: 'progress', phase: 'scanning', done, total }),
  });
  const classNames = [...new Set(scan.entries.map((e) => e.label))].sort(compareCodeUnits);
  if (classNames.length < 2) {
    throw new UsageError(
      `${root}: found ${classNames.length} class folder(s) with images; training needs at least two (one sub-folder per class)`,
    );
  }
  for (const warning of scan.report.warnings) emit({ type: 'log', level: 'warn', message: warning.message });
  emit({ type: 'phaseChanged', phase: 'splitting', message: 'Splitting into train, validation and test' });
  const split = request.split ?? stratifiedSplit(scan.entries, config);
  // Before the run directory exists: a batch that cannot fit is a usage error (exit 2), not a failed run.
  await assertTrainingFits(config, backend, () => createModel(config, classNames.length, split.train.length));
  const { runId, runDir } = await createRunDirectory(request.runsRoot);
  await lockRun(runDir, 'training', held);
  const counts = classCounts(split, classNames);
  const now = new Date().toISOString();
  const dataset: RunDataset = {
    root,
    layout: scan.report.layout,
    classNames,
    counts: counts.counts,
    classCounts: counts.classCounts,
    skipped: scan.report.skipped,
  };
  const record: RunRecord = {
    formatVersion: RUN_FORMAT_VERSION,
    id: runId,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    ...runningRecordFields(),
    config,
    dataset,
    backend,
    backendNotes: notes,
    epochsCompleted: 0,
    ...(request.group ? { group: request.group } : {}),
    ...(request.parentId ? { parentId: request.parentId } : {}),
    ...(request.fold ? { fold: request.fold } : {}),
    ...(request.base ? { base: request.base } : {}),
  };
  const writer = new RunWriter(runDir, record);
  await writer.writeJson(RUN_FILES.split, split);
  await writer.update({});
  return { writer, config, split, classNames, datasetRoot: root, backend, resume: null };
}

async function prepareResume(request: TrainRequest, held: LockHolder): Promise<PreparedRun> {
  const runDir = path.resolve(request.resumeRunDir!);
  const read = await readRunRecordChecked(runDir);
  if (!read.ok) {
    throw new UsageError(
      read.missing
        ? `${path.join(runDir, RUN_FILES.run)}: not a run directory (no readable run.json)`
        : `${read.reason} — the run cannot be resumed`,
    );
  }
  const record = read.record;
  if (isTrainerAlive(record)) {
    throw new UsageError(
      `${runDir}: its trainer is still running (pid ${record.pid}); stop it before resuming`,
    );
  }
  // Everything below is read or checked before the first write, under the lock: a tampered run is refused
  // with one line (exit 2) and left exactly as it was.
  await lockRun(runDir, 'resume', held);
  // The entries a resume reads, rewrites, replaces or removes must be real files and folders; links the
  // user keeps elsewhere in the run (an export folder on another disk) are not the trainer's business.
  const links = (await findLinks(runDir)).filter((link) => TRAINER_ENTRIES.has(link.split(path.sep)[0]));
  if (links.length > 0) {
    throw new UsageError(
      `${path.join(runDir, links[0])}: is a symbolic link; a run's files must be inside its folder — remove the link, then resume`,
    );
  }
  // The stored config passed the field table (readRunRecordChecked): a run recorded before resize modes
  // reads as stretch, an unknown mode was refused there.
  const config: TrainingConfig = { ...record.config, epochs: request.epochsOverride ?? record.config.epochs };
  let checkpointDir: string | null;
  let state: CheckpointState | null;
  try {
    checkpointDir = await resolveDirectory(path.join(runDir, RUN_FILES.checkpoints, 'last'), runDir);
    state = checkpointDir ? await readCheckpointState(checkpointDir) : null;
    if (checkpointDir) await checkLayersModelFolder(checkpointDir);
  } catch (err) {
    throw asUsageError(err, 'delete the checkpoints folder to train the run again from its start');
  }
  const done = state?.epoch ?? 0;
  // A run killed after its last epoch but before its model and evaluation were written resumes to finish them.
  if (done >= config.epochs && record.status === 'completed') {
    throw new UsageError(
      `${runDir}: already trained ${done} of ${config.epochs} epochs — pass --epochs N with N > ${done} to train further`,
    );
  }
  const classNames = record.dataset.classNames;
  let split: SplitRecord;
  try {
    split = await readJsonInside(runDir, RUN_FILES.split, (value) => checkSplitRecord(value, classNames));
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing')
      throw new UsageError(
        `${path.join(runDir, RUN_FILES.split)}: missing or unreadable; the run cannot be resumed`,
      );
    throw asUsageError(err, 'the run cannot be resumed');
  }
  // The data set root is a claim of run.json: every image the split names must really be inside it.
  const datasetRoot = record.dataset.root;
  try {
    await realRoot(datasetRoot);
    for (const part of ['train', 'validation', 'test'] as const) {
      await assertEntriesInside(
        datasetRoot,
        split[part].map((e) => e.path),
        (i) => `${RUN_FILES.split} ${part}[${i}]`,
      );
    }
  } catch (err) {
    throw asUsageError(err, 'the run cannot be resumed');
  }
  const { backend, notes } = await selectEngine(config);
  await truncateMetricsAfter(runDir, done);
  await removeLeftovers(runDir);
  const writer = new RunWriter(runDir, record);
  await writer.update({
    status: 'running',
    ...runningRecordFields(),
    config,
    backend,
    backendNotes: notes,
    epochsCompleted: done,
    error: undefined,
    endedAt: undefined,
    resumedFrom: [...(record.resumedFrom ?? []), done],
  });
  request.emit({ type: 'log', level: 'info', message: `Resuming ${record.id} after epoch ${done}` });
  return {
    writer,
    config,
    split,
    classNames,
    datasetRoot,
    backend,
    resume: checkpointDir && state ? { dir: checkpointDir, state } : null,
  };
}

/** Another live process on this machine still writes the run: resuming it would make two writers. */
function isTrainerAlive(record: RunRecord): boolean {
  return (
    record.status === 'running' &&
    record.pid !== undefined &&
    record.pid !== process.pid &&
    (record.hostname ?? os.hostname()) === os.hostname() &&
    probeProcess(record.pid)
  );
}

async function selectEngine(config: TrainingConfig): Promise<{ backend: BackendName; notes: string[] }> {
  try {
    return await selectBackend(config.backend);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A checkpoint's state.json through the field table; a RunFileError or ConfigError says what is wrong. */
async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const file = path.join(dir, 'state.json');
  const text = await readTextInside(dir, 'state.json', READ_LIMITS.json);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RunFileError(file, 'invalid', 'not valid JSON');
  }
  return checkCheckpointState(value, file);
}

/** Split entries in store order, with the index range of each split. */
interface DecodedSplit {
  decoded: DecodedSet;
  /** Pixels, or feature vectors of a frozen base (then `transferModel` is the model they came from). */
  shape: InputShape;
  train: number[];
  validation: number[];
  test: number[];
  labels: Int32Array;
  transferModel?: tf.LayersModel;
}

type SplitPart = 'train' | 'validation' | 'test';

/** Decodes the split's images, or turns them into cached base features; records images that fail. */
async function loadSamples(prepared: PreparedRun, request: TrainRequest): Promise<DecodedSplit> {
  const { split, writer } = prepared;
  const all: (SplitEntry & { part: SplitPart })[] = [
    ...split.train.map((e) => ({ ...e, part: 'train' as const })),
    ...split.validation.map((e) => ({ ...e, part: 'validation' as const })),
    ...split.test.map((e) => ({ ...e, part: 'test' as const })),
  ];
  const loaded = usesCachedFeatures(prepared.config)
    ? await loadFeatures(all, prepared, request)
    : { ...(await decodePixels(all, prepared, request)), shape: pixelShape(prepared.config) };
  const { decoded } = loaded;
  if (decoded.failed.length > 0) {
    for (const f of decoded.failed)
      request.emit({ type: 'log', level: 'warn', message: `skipped ${f.path}: ${f.reason}` });
    const known = new Set(writer.current.dataset.skipped.map((s) => s.path));
    const skipped: SkippedFile[] = [
      ...writer.current.dataset.skipped,
      ...decoded.failed.filter((f) => !known.has(f.path)),
    ];
    // split.json lists what is trained on: an image that cannot be decoded leaves it, and the counts follow.
    const failed = new Set(decoded.failed.map((f) => f.path));
    const usable = (entries: SplitEntry[]) => entries.filter((e) => !failed.has(e.path));
    const kept: SplitRecord = {
      ...split,
      train: usable(split.train),
      validation: usable(split.validation),
      test: usable(split.test),
    };
    await writer.writeJson(RUN_FILES.split, kept);
    const counts = classCounts(kept, prepared.classNames);
    await writer.update({
      dataset: { ...writer.current.dataset, skipped, counts: counts.counts, classCounts: counts.classCounts },
    });
  }
  const classIndex = new Map(prepared.classNames.map((name, i) => [name, i]));
  const parts: DecodedSplit = {
    ...loaded,
    train: [],
    validation: [],
    test: [],
    labels: new Int32Array(decoded.entries.length),
  };
  const partOf = new Map(all.map((e) => [e.path, e.part]));
  decoded.entries.forEach((entry, i) => {
    parts.labels[i] = classIndex.get(entry.label) ?? -1;
    parts[partOf.get(entry.path)!].push(i);
  });
  if (parts.train.length === 0) {
    parts.transferModel?.dispose();
    await decoded.store.close();
    throw new UsageError(`${prepared.datasetRoot}: no training image could be decoded`);
  }
  return parts;
}

function pixelShape(config: TrainingConfig): InputShape {
  return { imageSize: config.imageSize, channels: config.channels };
}

/** Throttles `progress` events of one phase to one per BATCH_EVENT_INTERVAL_MS (and the last). */
function progressEmitter(emit: Emit): (phase: TrainerPhase, done: number, total: number) => void {
  let last = 0;
  return (phase, done, total) => {
    const now = Date.now();
    if (done === total || now - last > BATCH_EVENT_INTERVAL_MS) {
      last = now;
      emit({ type: 'progress', phase, done, total });
    }
  };
}

async function decodePixels(
  all: SplitEntry[],
  prepared: PreparedRun,
  request: TrainRequest,
): Promise<{ decoded: DecodedSet }> {
  const { config, writer } = prepared;
  request.emit({ type: 'phaseChanged', phase: 'decoding', message: `Decoding ${all.length} images` });
  const progress = progressEmitter(request.emit);
  const decoded = await decodeEntries(all, {
    root: prepared.datasetRoot,
    imageSize: config.imageSize,
    channels: config.channels,
    resize: config.resize,
    memoryBudget: request.memoryBudget,
    cacheDir: writer.runDir,
    onProgress: (done, total) => progress('decoding', done, total),
  });
  return { decoded };
}

/**
 * The frozen-base path: each image's features come from the feature cache or are computed once by the
 * base (the original, plus augmented views of training images), and the head trains on them.
 */
async function loadFeatures(
  all: (SplitEntry & { part: SplitPart })[],
  prepared: PreparedRun,
  request: TrainRequest,
): Promise<{ decoded: DecodedSet; shape: InputShape; transferModel: tf.LayersModel }> {
  const { config, writer, classNames } = prepared;
  const transfer = config.transfer!;
  const { emit } = request;
  const transferModel = await createModel(config, classNames.length, prepared.split.train.length);
  try {
    const extractorModel = featureExtractorModel(transferModel, transfer.cutLayer);
    const cacheRoot = request.cacheDir ?? defaultCacheDir();
    const normalisation = normalisationOf(config);
    const identity = {
      baseSha256: await baseContentSha256(transfer.base),
      cutLayer: transfer.cutLayer,
      pooling: transfer.pooling,
      imageSize: config.imageSize,
      channels: config.channels,
      resize: config.resize,
      scale: normalisation.scale,
      offset: normalisation.offset,
    };
    const dim = extractorModel.outputs[0].shape.at(-1) as number;
    const cache = new FeatureCache(path.join(cacheRoot, 'features'), identity, dim);
    emit({
      type: 'phaseChanged',
      phase: 'extracting',
      message: `Features of ${all.length} images from the frozen base (cache ${cache.dir})`,
    });
    const progress = progressEmitter(emit);
    const set = await buildFeatureSet(
      all.map((e) => ({ path: e.path, label: e.label, augmented: e.part === 'train' })),
      {
        root: prepared.datasetRoot,
        imageSize: config.imageSize,
        channels: config.channels,
        normalisation,
        extractor: layersExtractor(extractorModel, config),
        cache,
        hasher: await ContentHasher.open(path.join(cacheRoot, 'features', 'file-hashes.json')),
        augment: config.augment,
        augmentedViews: transfer.augmentedViews,
        seed: config.seed,
        decode: { resize: config.resize, memoryBudget: request.memoryBudget, cacheDir: writer.runDir },
        onProgress: (phase, done, total) =>
          progress(phase === 'extracting' ? 'extracting' : 'decoding', done, total),
      },
    );
    const { stats } = set;
    emit({
      type: 'log',
      level: 'info',
      message:
        stats.extracted === 0
          ? `Features of all ${stats.images} images read from the cache: extraction skipped (${formatSeconds(stats.hashMs)} to check the files)`
          : `Features: ${stats.fromCache} of ${stats.images} images from the cache, ${stats.extracted} computed ` +
            `(decode ${formatSeconds(stats.decodeMs)}, extraction ${formatSeconds(stats.extractMs)}; ` +
            `${set.shape.views} row(s) of ${set.shape.features} values per image)`,
    });
    return { decoded: set, shape: set.shape, transferModel };
  } catch (err) {
    transferModel.dispose();
    throw err;
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A layers extractor run in inference mode, one batch at a time. */
function layersExtractor(model: tf.LayersModel, config: TrainingConfig): FeatureExtractor {
  const dim = model.outputs[0].shape.at(-1) as number;
  return {
    dim,
    extract: async (input, n) => {
      const out = tf.tidy(
        () =>
          model.predict(
            tf.tensor4d(input, [n, config.imageSize, config.imageSize, config.channels]),
          ) as tf.Tensor,
      );
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
  };
}

export function createOptimizer(config: TrainingConfig): tf.Optimizer {
  switch (config.optimizer) {
    case 'adam':
      return tf.train.adam(config.learningRate);
    case 'sgd':
      return config.momentum > 0
        ? tf.train.momentum(config.learningRate, config.momentum)
        : tf.train.sgd(config.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate);
  }
}

/** SGD caches its rate in a scalar (setLearningRate); Adam and RMSprop read the field on every step. */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const withSetter = optimizer as tf.Optimizer & { setLearningRate?: (lr: number) => void };
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(learningRate);
  else (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

export interface TrainStep {
  (pixels: Float32Array, labels: Int32Array): StepResult;
}

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
async function startParallelStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  config: TrainingConfig,
  objective: ObjectiveOptions,
  trainImages: number,
  emit: Emit,
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

/**
 * One optimisation step: weighted categorical cross-entropy on the softmax output plus regularisation,
 * or the loss and forward pass the model declares (presets/training.ts: svm, heads on a base).
 */
export function makeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  shape: InputShape,
  objective: ObjectiveOptions,
  forward: TrainingForward | null = null,
): TrainStep {
  if (forward?.step) return forward.step;
  return (pixels, labels) => {
    const n = labels.length;
    let correct: tf.Tensor | null = null;
    const loss = tf.tidy(
      () =>
        optimizer.minimize(() => {
          const x = tf.tensor(pixels, batchTensorShape(shape, n));
          const y = tf.tensor1d(labels, 'int32');
          const outputs = forward ? forward.apply(x) : (model.apply(x, { training: true }) as tf.Tensor2D);
          const scored = batchObjective(model, outputs, y, { ...objective, loss: forward?.loss });
          correct = scored.correct;
          return scored.total;
        }, true) as tf.Scalar,
    );
    const value = loss.dataSync()[0];
    const hits = (correct as tf.Tensor | null)?.dataSync()[0] ?? 0;
    loss.dispose();
    (correct as tf.Tensor | null)?.dispose();
    return { loss: value, correct: hits };
  };
}

async function fit(prepared: PreparedRun, parts: DecodedSplit, request: TrainRequest): Promise<TrainOutcome> {
  const { writer, config, classNames } = prepared;
  const { emit, stop } = request;
  const numClasses = classNames.length;
  const shape = parts.shape;
  const plan: BatchPlan = {
    store: parts.decoded.store,
    shape,
    normalisation: normalisationOf(config),
    labels: parts.labels,
    augment: config.augment,
    seed: config.seed,
  };

  const model = await modelToTrain(prepared, parts, numClasses);
  let optimizer = createOptimizer(config);
  if (prepared.resume) {
    const restored = await loadOptimizerState(optimizer, prepared.resume.dir);
    if (!restored)
      emit({
        type: 'log',
        level: 'warn',
        message: 'optimizer state not found in the checkpoint; it starts afresh',
      });
  }
  const trainCounts = new Array<number>(numClasses).fill(0);
  for (const i of parts.train) trainCounts[parts.labels[i]]++;
  const weights = config.classWeight === 'balanced' ? classWeights(trainCounts) : null;
  const objective: ObjectiveOptions = {
    numClasses,
    classWeights: weights,
    labelSmoothing: config.labelSmoothing,
  };
  const forward = trainingForward(model, config);
  const parallel =
    forward === null
      ? await startParallelStep(model, optimizer, config, objective, parts.train.length, emit)
      : null;
  try {
    return await fitEpochs();
  } finally {
    await parallel?.dispose();
  }

  async function fitEpochs(): Promise<TrainOutcome> {
    // One thread's step returns at once; the data-parallel one waits for its workers.
    let step: (pixels: Float32Array, labels: Int32Array) => StepResult | Promise<StepResult> =
      parallel ?? makeTrainStep(model, optimizer, shape, objective, forward);

    let tracker: BestTracker = prepared.resume?.state.tracker ?? NO_BEST;
    let schedule: ScheduleState =
      prepared.resume?.state.schedule ?? initialScheduleState(config.learningRate);
    const monitor = config.earlyStopping?.monitor ?? 'valLoss';
    const startEpoch = (prepared.resume?.state.epoch ?? 0) + 1;
    const epochDurations: number[] = [];
    const batches = Math.ceil(parts.train.length / config.batchSize);
    let stoppedEarly = false;
    let lastEpoch = startEpoch - 1;

    if (
      parts.validation.length === 0 &&
      (config.earlyStopping || config.schedule.type === 'reduceOnPlateau')
    ) {
      emit({
        type: 'log',
        level: 'warn',
        message:
          'no validation images: early stopping and reduce-on-plateau watch the training figures instead',
      });
    }
    emit({
      type: 'phaseChanged',
      phase: 'training',
      message: `Training on ${parts.train.length} images, validating on ${parts.validation.length}`,
    });
    for (let epoch = startEpoch; epoch <= config.epochs; epoch++) {
      const phase = transferPhase(model, config, epoch);
      if (phase.trainableChanged) {
        // Fine-tuning unfroze base layers: optimizer slots are per variable, so it starts afresh.
        optimizer.dispose();
        optimizer = createOptimizer(config);
        step = makeTrainStep(model, optimizer, shape, objective, forward);
      }
      const learningRate =
        phase.learningRate ??
        learningRateForEpoch(config.schedule, config.learningRate, epoch, config.epochs, schedule);
      setLearningRate(optimizer, learningRate);
      emit({ type: 'epochStarted', epoch, totalEpochs: config.epochs, totalBatches: batches });
      const started = Date.now();
      const order = epochOrder(parts.train.length, config.seed, epoch).map((k) => parts.train[k]);
      const batchList = chunk(order, config.batchSize);
      const lineEvery = Math.max(1, Math.floor(batchList.length / BATCH_LINES_PER_EPOCH));
      let lossSum = 0;
      let correctSum = 0;
      let seen = 0;
      let lastBatchEmit = 0;
      let dataWaitMs = 0; // time the step loop stood waiting for a batch: the pipeline's share of the epoch
      let next = assembleBatch(plan, batchList[0], epoch);
      for (let b = 0; b < batchList.length; b++) {
        const waitStarted = performance.now();
        const batch = await next;
        dataWaitMs += performance.now() - waitStarted;
        // Prefetch: the next batch's reads run on the thread pool while this step computes.
        if (b + 1 < batchList.length) next = assembleBatch(plan, batchList[b + 1], epoch);
        const result = await step(batch.pixels, batch.labels);
        if (!Number.isFinite(result.loss)) {
          throw new Error(
            `the loss became ${result.loss} at epoch ${epoch}, batch ${b + 1} — lower --learning-rate`,
          );
        }
        lossSum += result.loss * batch.labels.length;
        correctSum += result.correct;
        seen += batch.labels.length;
        const now = Date.now();
        const elapsed = now - started;
        const etaMs = estimateEta(epochDurations, elapsed, (b + 1) / batchList.length, config.epochs - epoch);
        if (b === batchList.length - 1 || now - lastBatchEmit >= BATCH_EVENT_INTERVAL_MS) {
          lastBatchEmit = now;
          emit({
            type: 'batchEnded',
            epoch,
            batch: b + 1,
            totalBatches: batchList.length,
            loss: lossSum / seen,
            accuracy: correctSum / seen,
            etaMs,
          });
        }
        if ((b + 1) % lineEvery === 0) {
          await writer.appendMetrics({
            kind: 'batch',
            epoch,
            batch: b + 1,
            loss: result.loss,
            accuracy: result.correct / batch.labels.length,
          });
        }
        if (stop.requested) break;
      }
      await next.catch(() => undefined);
      const partial = seen < parts.train.length;
      const trainSeconds = (Date.now() - started) / 1000;

      emit({ type: 'phaseChanged', phase: 'evaluating', message: `Validating epoch ${epoch}` });
      const validation =
        parts.validation.length > 0
          ? await predictIndices(model, plan, parts.validation, evalBatchSize(config))
          : null;
      const valTrue = parts.validation.map((i) => parts.labels[i]);
      const valAccuracy = validation
        ? validation.predicted.filter((p, k) => p === valTrue[k]).length / parts.validation.length
        : null;
      const durationMs = Date.now() - started;
      epochDurations.push(durationMs);
      const metrics = {
        epoch,
        loss: lossSum / Math.max(1, seen),
        accuracy: correctSum / Math.max(1, seen),
        valLoss: validation ? validation.loss : null,
        valAccuracy,
        learningRate,
        durationMs,
        samplesPerSecond: seen / Math.max(1e-3, trainSeconds),
        dataWaitMs: Math.round(dataWaitMs),
        ...(validation ? { valConfusion: confusionMatrix(valTrue, validation.predicted, numClasses) } : {}),
        ...(partial ? { partial: true } : {}),
      };
      const outcome = {
        epoch,
        loss: metrics.loss,
        accuracy: metrics.accuracy,
        valLoss: metrics.valLoss,
        valAccuracy: metrics.valAccuracy,
      };
      const best = trackBest(tracker, monitor, outcome);
      tracker = best.tracker;
      schedule = afterEpoch(config.schedule, schedule, outcome);
      const state: CheckpointState = { epoch, tracker, schedule };
      emit({ type: 'phaseChanged', phase: 'saving', message: `Saving checkpoints of epoch ${epoch}` });
      // Metrics before checkpoints: a crash in between leaves a line for an epoch the checkpoint lacks, which
      // the resume drops and trains again; the other order would leave the resumed run without that line.
      await writer.appendMetrics(metrics);
      if (best.improved) await saveCheckpoint(writer, 'best', model, optimizer, state, emit);
      await saveCheckpoint(writer, 'last', model, optimizer, state, emit);
      await writer.update({
        epochsCompleted: epoch,
        bestEpoch: tracker.bestEpoch ?? undefined,
        ...(best.improved
          ? { bestValAccuracy: metrics.valAccuracy ?? undefined, bestValLoss: metrics.valLoss ?? undefined }
          : {}),
      });
      emit({
        type: 'epochEnded',
        metrics,
        etaMs: estimateEta(epochDurations, 0, 0, config.epochs - epoch),
        bestEpoch: tracker.bestEpoch ?? epoch,
        improved: best.improved,
      });
      lastEpoch = epoch;
      if (stop.requested) break;
      if (shouldStopEarly(config.earlyStopping, tracker)) {
        stoppedEarly = true;
        emit({
          type: 'log',
          level: 'info',
          message: `Early stopping: no improvement of ${monitor} for ${tracker.wait} epochs`,
        });
        break;
      }
    }

    if (config.earlyStopping?.restoreBest && tracker.bestEpoch !== null && tracker.bestEpoch !== lastEpoch) {
      const bestDir = await resolveDirectory(
        writer.path(path.join(RUN_FILES.checkpoints, 'best')),
        writer.runDir,
      );
      // A crash between saving `best` and `last` can leave a best checkpoint the resumed tracker never chose.
      const bestState = bestDir ? await readCheckpointState(bestDir).catch(() => null) : null;
      if (bestDir && bestState?.epoch !== tracker.bestEpoch) {
        emit({
          type: 'log',
          level: 'warn',
          message: `the best checkpoint holds epoch ${bestState?.epoch ?? '?'}, not the best epoch ${tracker.bestEpoch}; keeping the final weights`,
        });
      } else if (bestDir) {
        const best = await loadModelFromDir(bestDir);
        model.setWeights(best.getWeights());
        best.dispose();
        emit({
          type: 'log',
          level: 'info',
          message: `Restored the weights of epoch ${tracker.bestEpoch} (best ${monitor})`,
        });
      }
    }
    // On cached features the head trained alone; model/ holds the base and that head as one model.
    await finish(prepared, parts.transferModel ?? model, model, plan, parts, emit);
    model.dispose();
    optimizer.dispose();

    const stopped = stop.requested && !stoppedEarly && lastEpoch < config.epochs;
    await writer.update({
      status: stopped ? 'stopped' : 'completed',
      endedAt: new Date().toISOString(),
      pid: undefined,
    });
    if (stopped) {
      emit({
        type: 'runStopped',
        runId: writer.current.id,
        runDir: writer.runDir,
        epochsCompleted: lastEpoch,
      });
      return { status: 'stopped', runId: writer.current.id, runDir: writer.runDir };
    }
    emit({
      type: 'runCompleted',
      runId: writer.current.id,
      runDir: writer.runDir,
      epochsCompleted: lastEpoch,
      bestEpoch: tracker.bestEpoch,
      bestValAccuracy: writer.current.bestValAccuracy ?? null,
    });
    return { status: 'completed', runId: writer.current.id, runDir: writer.runDir };
  }
}

function evalBatchSize(config: TrainingConfig): number {
  return Math.max(config.batchSize, 128);
}

/** Time left: the mean epoch so far times the epochs to go, plus the rest of the current epoch. */
function estimateEta(
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

async function saveCheckpoint(
  writer: RunWriter,
  kind: 'best' | 'last',
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
  emit: Emit,
): Promise<void> {
  const dir = writer.path(path.join(RUN_FILES.checkpoints, kind));
  await makeDirectoryInside(writer.runDir, RUN_FILES.checkpoints).catch((err: NodeJS.ErrnoException) => {
    if (err instanceof RunFileError) throw err;
    throw new RunWriteError(path.dirname(dir), err.code);
  });
  await replaceDirectory(
    dir,
    async (temp) => {
      await saveModelFiles(model, temp);
      await saveOptimizerState(optimizer, temp);
      await fs
        .writeFile(path.join(temp, 'state.json'), JSON.stringify(state))
        .catch((err: NodeJS.ErrnoException) => {
          throw new RunWriteError(path.join(temp, 'state.json'), err.code);
        });
    },
    { root: writer.runDir },
  );
  emit({ type: 'checkpointSaved', kind, epoch: state.epoch, path: dir });
}

/**
 * The model the epochs train: a new or resumed model on pixels, or, on cached features, the head of the
 * transfer model built for extraction (sharing its layers), with a resumed run's head weights.
 */
async function modelToTrain(
  prepared: PreparedRun,
  parts: DecodedSplit,
  numClasses: number,
): Promise<tf.LayersModel> {
  const { config, resume } = prepared;
  if (parts.transferModel && isFeatureShape(parts.shape)) {
    const head = headModel(parts.transferModel, parts.shape.features);
    if (resume) {
      const saved = await loadModelFromDir(resume.dir);
      try {
        head.setWeights(saved.getWeights());
      } catch (err) {
        throw new UsageError(
          `${resume.dir}: the checkpoint does not fit this run's head (${(err as Error).message.split('\n')[0]})`,
        );
      } finally {
        saved.dispose();
      }
    }
    return head;
  }
  return resume
    ? await loadModelFromDir(resume.dir)
    : await createModel(config, numClasses, parts.train.length);
}

/**
 * Writes model/ (`deployed`, with its metadata), evaluation.json (validation) and the test-split evaluation,
 * both computed by `model` on the plan's samples: the same model, or on cached features its head.
 */
async function finish(
  prepared: PreparedRun,
  deployed: tf.LayersModel,
  model: tf.LayersModel,
  plan: BatchPlan,
  parts: DecodedSplit,
  emit: Emit,
): Promise<void> {
  const { writer, config, classNames } = prepared;
  emit({ type: 'phaseChanged', phase: 'saving', message: 'Saving the model' });
  const metadata: ModelMetadata = {
    formatVersion: RUN_FORMAT_VERSION,
    labels: classNames,
    preprocessing: {
      imageSize: config.imageSize,
      channels: config.channels,
      resize: config.resize,
      scale: plan.normalisation.scale,
      offset: plan.normalisation.offset,
    },
    model: config.model,
    createdAt: new Date().toISOString(),
  };
  await replaceDirectory(
    writer.path(RUN_FILES.model),
    async (temp) => {
      await saveModelFiles(deployed, temp);
      await fs
        .writeFile(path.join(temp, RUN_FILES.modelMetadata), JSON.stringify(metadata, null, 2))
        .catch((err: NodeJS.ErrnoException) => {
          throw new RunWriteError(path.join(temp, RUN_FILES.modelMetadata), err.code);
        });
    },
    { root: writer.runDir },
  );

  emit({ type: 'phaseChanged', phase: 'evaluating', message: 'Evaluating' });
  const [source, indices] =
    parts.validation.length > 0
      ? (['validation', parts.validation] as const)
      : (['train', parts.train] as const);
  const paths = parts.decoded.entries.map((e) => e.path);
  const evaluation = await evaluateIndices(
    model,
    plan,
    indices,
    classNames,
    paths,
    prepared.datasetRoot,
    source,
    evalBatchSize(config),
  );
  const metricsText = await readTextInside(writer.runDir, RUN_FILES.metrics, READ_LIMITS.metrics).catch(
    () => '',
  );
  const confusionByEpoch = splitMetrics(parseMetricsLines(metricsText))
    .epochs.filter((e) => e.valConfusion)
    .map((e) => ({ epoch: e.epoch, confusion: e.valConfusion! }));
  await writer.writeJson(RUN_FILES.evaluation, {
    ...evaluation,
    ...(confusionByEpoch.length ? { confusionByEpoch } : {}),
  });
  emit({ type: 'evaluationWritten', accuracy: evaluation.accuracy, path: writer.path(RUN_FILES.evaluation) });
  if (parts.test.length > 0) {
    const test = await evaluateIndices(
      model,
      plan,
      parts.test,
      classNames,
      paths,
      prepared.datasetRoot,
      'test',
      evalBatchSize(config),
    );
    await writer.writeJson('test-evaluation.json', test);
    await writer.update({ testAccuracy: test.accuracy });
    emit({
      type: 'log',
      level: 'info',
      message: `Test accuracy ${(test.accuracy * 100).toFixed(2)}% on ${parts.test.length} held-out images`,
    });
  }
}

export async function evaluateIndices(
  model: tf.LayersModel,
  plan: BatchPlan,
  indices: readonly number[],
  labels: readonly string[],
  paths: readonly string[],
  root: string,
  source: string,
  batchSize: number,
): Promise<Evaluation> {
  const result = await predictIndices(model, plan, indices, batchSize);
  const evaluation = evaluationFromPredictions({
    labels,
    trueIdx: indices.map((i) => plan.labels[i]),
    predIdx: result.predicted,
    confidences: result.confidences,
    paths: indices.map((i) => paths[i]),
    source,
  });
  return { ...evaluation, root };
}

async function fail(err: unknown, prepared: PreparedRun | null, emit: Emit): Promise<TrainOutcome> {
  if (err instanceof UsageError && !prepared) throw err;
  // Bounded: run.json's schema takes error texts of up to 64 KiB, and a stack-sized message helps nobody.
  const message = ((err as Error).message ?? String(err)).slice(0, 4000);
  const errorPath = err instanceof RunWriteError ? err.path : undefined;
  if (prepared) {
    // Best effort: when the disk is full this write may fail too; the reader then shows `interrupted`.
    await prepared.writer
      .update({
        status: 'failed',
        endedAt: new Date().toISOString(),
        pid: undefined,
        error: { message, ...(errorPath ? { path: errorPath } : {}) },
      })
      .catch(() => undefined);
  }
  emit({
    type: 'runFailed',
    runId: prepared?.writer.current.id ?? null,
    runDir: prepared?.writer.runDir ?? null,
    message,
    ...(errorPath ? { path: errorPath } : {}),
  });
  return {
    status: 'failed',
    runId: prepared?.writer.current.id ?? null,
    runDir: prepared?.writer.runDir ?? null,
    message,
  };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
