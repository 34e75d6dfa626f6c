// The one schema of every record in a run directory (ARCHITECTURE.md, "Trust boundaries"). The trainer
// writes these records, and the CLI, the extension host and the dashboard webview read them back through
// the same checks, so they can never disagree on what a valid run is. A check returns either a clean copy
// holding only the known fields (unknown fields are accepted and dropped: readers of format 1 ignore
// them) or the first problem found, as one line a person can act on. Imports nothing but the guards.
import type {
  AveragedMetrics,
  BatchMetrics,
  ClassMetrics,
  EpochMetrics,
  Evaluation,
  MetricsLine,
  Misclassified,
  ModelMetadata,
  RunBase,
  RunDataset,
  RunFold,
  RunRecord,
  RunStatus,
  RunThreads,
  SkippedFile,
  SplitCounts,
  SplitEntry,
  SplitRecord,
} from './runRecord';
import type { DetectionClassAp, DetectionEvaluation, PrecisionRecallCurve } from './detection';
import { THREAD_DECIDERS } from './runRecord';
import { isRecord } from './guards';

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Longest class name, run id or host name accepted (file systems allow 255 bytes per name). */
export const MAX_NAME_CHARS = 1024;
/** Longest path accepted in a record. */
export const MAX_PATH_CHARS = 4096;
/** Longest free text (an error message, a skip reason). */
export const MAX_TEXT_CHARS = 65_536;

/** Statuses a trainer writes. `interrupted` and `damaged` are derived by readers, never written. */
export const WRITTEN_RUN_STATUSES = ['running', 'completed', 'failed', 'stopped'] as const;
/** Every status a reader may report. */
export const RUN_STATUSES: readonly RunStatus[] = [...WRITTEN_RUN_STATUSES, 'interrupted', 'damaged'];

class SchemaProblem extends Error {}

/** Runs a check that throws SchemaProblem on the first bad field. */
function checked<T>(read: () => T): Checked<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof SchemaProblem) return { ok: false, problem: error.message };
    // Deeply nested input can exhaust the stack: that is a bad record, not a crash.
    if (error instanceof RangeError) return { ok: false, problem: 'nested too deeply' };
    throw error;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
    return `the text ${text}`;
  }
  return String(value);
}

function problem(field: string, expected: string, got: unknown): never {
  throw new SchemaProblem(`${field} must be ${expected}, got ${describe(got)}`);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) problem(field, 'an object', value);
  return value;
}

function text(value: unknown, field: string, max = MAX_TEXT_CHARS): string {
  if (typeof value !== 'string' || value.length > max)
    problem(field, `a text of at most ${max} characters`, value);
  return value;
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_CHARS)
    problem(field, `a non-empty name of at most ${MAX_NAME_CHARS} characters`, value);
  return value;
}

/**
 * Another run's id (a folder name under the same runs root): a name that cannot leave the folder it is
 * looked up in. Only ever compared with listed ids, never joined to a path unchecked.
 */
export function isRunIdReference(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_NAME_CHARS &&
    value !== '.' &&
    value !== '..' &&
    !/[\\/\u0000-\u001f]/.test(value)
  );
}

function runIdReference(value: unknown, field: string): string {
  if (!isRunIdReference(value)) problem(field, 'a run id (a folder name, without / or \\)', value);
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) problem(field, 'a finite number', value);
  return value;
}

function count(value: unknown, field: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    problem(field, `a whole number of at least ${min}`, value);
  return value;
}

function fraction(value: unknown, field: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) problem(field, 'a number from 0 to 1', value);
  return value;
}

function nullable<T>(value: unknown, field: string, read: (v: unknown, f: string) => T): T | null {
  return value === null ? null : read(value, field);
}

function list<T>(value: unknown, field: string, read: (item: unknown, field: string) => T): T[] {
  if (!Array.isArray(value)) problem(field, 'a list', value);
  return value.map((item, i) => read(item, `${field}[${i}]`));
}

function oneOf<T extends string | number>(value: unknown, field: string, values: readonly T[]): T {
  if (!(values as readonly unknown[]).includes(value)) problem(field, `one of ${values.join(', ')}`, value);
  return value as T;
}

/** Adds `key: read(value)` to `out` when the value is present. */
function optional<T>(
  out: Record<string, unknown>,
  key: string,
  value: unknown,
  field: string,
  read: (v: unknown, f: string) => T,
): void {
  if (value !== undefined) out[key] = read(value, field);
}

/** Distinct, non-empty names (class names, labels). */
function names(value: unknown, field: string): string[] {
  const out = list(value, field, name);
  const seen = new Set<string>();
  for (const item of out) {
    if (seen.has(item)) throw new SchemaProblem(`${field} names ${JSON.stringify(item)} twice`);
    seen.add(item);
  }
  return out;
}

/** Is `value` an absolute path (POSIX, a Windows drive, or a UNC share)? */
export function isAbsolutePathText(value: string): boolean {
  return value.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(value) || value.startsWith('\\\\');
}

/**
 * Splits a path that must stay below a root (a split entry, a misclassified image, a webview request)
 * into its segments, or says why it is refused: absolute, `..`, `.`, empty segments, NUL, too long.
 */
export function relativeSegments(relativePath: string): string[] | string {
  if (relativePath.length === 0 || relativePath.length > MAX_PATH_CHARS) return 'path is empty or too long';
  if (relativePath.includes('\0')) return 'path contains a NUL character';
  if (isAbsolutePathText(relativePath) || /^[a-zA-Z]:/.test(relativePath))
    return 'path must be relative, not absolute';
  const segments = relativePath.split(/[\\/]/);
  if (segments.some((s) => s === '..' || s === '.' || s === ''))
    return 'path may not contain "..", "." or empty segments';
  return segments;
}

function relativePath(value: unknown, field: string): string {
  const path = text(value, field, MAX_PATH_CHARS);
  const segments = relativeSegments(path);
  if (typeof segments === 'string') throw new SchemaProblem(`${field}: ${segments} (${describe(path)})`);
  return path;
}

function absolutePath(value: unknown, field: string): string {
  const path = text(value, field, MAX_PATH_CHARS);
  if (!isAbsolutePathText(path) || path.includes('\0')) problem(field, 'an absolute path', path);
  return path;
}

// ---- run.json ----------------------------------------------------------------------------------

export function readSplitCounts(value: unknown, field: string): SplitCounts {
  const v = object(value, field);
  return {
    train: count(v.train, `${field}.train`),
    validation: count(v.validation, `${field}.validation`),
    test: count(v.test, `${field}.test`),
  };
}

function readSkipped(value: unknown, field: string): SkippedFile {
  const v = object(value, field);
  return { path: text(v.path, `${field}.path`, MAX_PATH_CHARS), reason: text(v.reason, `${field}.reason`) };
}

function readDataset(value: unknown, field: string): RunDataset {
  const v = object(value, field);
  const classCountsIn = object(v.classCounts, `${field}.classCounts`);
  // Keyed by class names, which may be "__proto__" or "constructor": built with fromEntries (own data
  // properties, never the prototype's setter) and read with Object.hasOwn.
  const classCounts: Record<string, SplitCounts> = Object.fromEntries(
    Object.entries(classCountsIn).map(([key, counts]) => [
      key,
      readSplitCounts(counts, `${field}.classCounts[${JSON.stringify(key)}]`),
    ]),
  );
  return {
    root: absolutePath(v.root, `${field}.root`),
    layout: oneOf(v.layout, `${field}.layout`, ['class-folders', 'split-folders'] as const),
    classNames: names(v.classNames, `${field}.classNames`),
    counts: readSplitCounts(v.counts, `${field}.counts`),
    classCounts,
    skipped: list(v.skipped, `${field}.skipped`, readSkipped),
  };
}

function readFold(value: unknown, field: string): RunFold {
  const v = object(value, field);
  const index = count(v.index, `${field}.index`, 1);
  const total = count(v.count, `${field}.count`, 1);
  if (index > total) throw new SchemaProblem(`${field}.index ${index} is above ${field}.count ${total}`);
  return { index, count: total };
}

function readRunError(value: unknown, field: string): { message: string; path?: string } {
  const v = object(value, field);
  const out: { message: string; path?: string } = { message: text(v.message, `${field}.message`) };
  if (v.path !== undefined) out.path = text(v.path, `${field}.path`, MAX_PATH_CHARS);
  return out;
}

function readRunBase(value: unknown, field: string): RunBase {
  const v = object(value, field);
  const sha256 = text(v.sha256, `${field}.sha256`, 64);
  if (!/^[0-9a-f]{64}$/.test(sha256)) problem(`${field}.sha256`, '64 hexadecimal digits', sha256);
  return {
    name: name(v.name, `${field}.name`),
    format: oneOf(v.format, `${field}.format`, ['layers', 'graph'] as const),
    source: text(v.source, `${field}.source`, MAX_PATH_CHARS),
    sha256,
  };
}

/**
 * run.json. The config is required to be an object here; readers on the host and in the CLI also check
 * each of its fields with the trainer's field table (core/config.ts `resolveStoredConfig`).
 */
function readRunThreads(value: unknown, field: string): RunThreads {
  const v = object(value, field);
  return {
    chosen: count(v.chosen, `${field}.chosen`, 1),
    decidedBy: oneOf(v.decidedBy, `${field}.decidedBy`, THREAD_DECIDERS),
    timings: list(v.timings, `${field}.timings`, (t, f) => {
      const timing = object(t, f);
      return { threads: count(timing.threads, `${f}.threads`, 1), msPerStep: finite(timing.msPerStep, `${f}.msPerStep`) };
    }),
    reason: text(v.reason, `${field}.reason`),
  };
}

export function checkRunRecord(value: unknown): Checked<RunRecord> {
  return checked(() => {
    const v = object(value, 'run.json');
    const out: Record<string, unknown> = {
      formatVersion: count(v.formatVersion, 'formatVersion', 1),
      id: name(v.id, 'id'),
      status: oneOf(v.status, 'status', [...WRITTEN_RUN_STATUSES, 'interrupted'] as const),
      createdAt: text(v.createdAt, 'createdAt', 64),
      updatedAt: text(v.updatedAt, 'updatedAt', 64),
      config: object(v.config, 'config'),
      dataset: readDataset(v.dataset, 'dataset'),
      backend: name(v.backend, 'backend'),
      backendNotes: list(v.backendNotes, 'backendNotes', (n, f) => text(n, f)),
      epochsCompleted: count(v.epochsCompleted, 'epochsCompleted'),
    };
    optional(out, 'endedAt', v.endedAt, 'endedAt', (x, f) => text(x, f, 64));
    optional(out, 'pid', v.pid, 'pid', (x, f) => count(x, f, 1));
    optional(out, 'hostname', v.hostname, 'hostname', name);
    optional(out, 'bestEpoch', v.bestEpoch, 'bestEpoch', (x, f) => count(x, f));
    optional(out, 'bestValAccuracy', v.bestValAccuracy, 'bestValAccuracy', fraction);
    optional(out, 'bestValLoss', v.bestValLoss, 'bestValLoss', finite);
    optional(out, 'group', v.group, 'group', name);
    optional(out, 'parentId', v.parentId, 'parentId', runIdReference);
    optional(out, 'fold', v.fold, 'fold', readFold);
    optional(out, 'error', v.error, 'error', readRunError);
    optional(out, 'resumedFrom', v.resumedFrom, 'resumedFrom', (x, f) => list(x, f, (e, g) => count(e, g)));
    optional(out, 'testAccuracy', v.testAccuracy, 'testAccuracy', fraction);
    optional(out, 'base', v.base, 'base', readRunBase);
    optional(out, 'threads', v.threads, 'threads', readRunThreads);
    return out as unknown as RunRecord;
  });
}

// ---- metrics.jsonl -----------------------------------------------------------------------------

/** A square matrix of non-negative whole counts; `size` when the number of classes is known. */
function countMatrix(value: unknown, field: string, size?: number): number[][] {
  const rows = list(value, field, (row, f) => list(row, f, (c, g) => count(c, g)));
  const n = size ?? rows.length;
  if (rows.length !== n || rows.some((row) => row.length !== n))
    throw new SchemaProblem(`${field} must be a ${n}×${n} matrix of counts`);
  return rows;
}

export function checkEpochMetrics(value: unknown, classes?: number): Checked<EpochMetrics> {
  return checked(() => {
    const v = object(value, 'epoch line');
    if (v.kind !== undefined && v.kind !== 'epoch') problem('kind', '"epoch" or absent', v.kind);
    const out: Record<string, unknown> = {
      epoch: count(v.epoch, 'epoch'),
      loss: finite(v.loss, 'loss'),
      accuracy: finite(v.accuracy, 'accuracy'),
      valLoss: nullable(v.valLoss, 'valLoss', finite),
      valAccuracy: nullable(v.valAccuracy, 'valAccuracy', finite),
      learningRate: finite(v.learningRate, 'learningRate'),
      durationMs: finite(v.durationMs, 'durationMs'),
      samplesPerSecond: finite(v.samplesPerSecond, 'samplesPerSecond'),
    };
    if (v.kind !== undefined) out.kind = 'epoch';
    optional(out, 'dataWaitMs', v.dataWaitMs, 'dataWaitMs', finite);
    optional(out, 'valConfusion', v.valConfusion, 'valConfusion', (m, f) => countMatrix(m, f, classes));
    optional(out, 'partial', v.partial, 'partial', (b, f) => {
      if (typeof b !== 'boolean') problem(f, 'true or false', b);
      return b;
    });
    // A detection run's epoch line (DetectionEpochFields): its losses and mAP, kept for the run page.
    optional(out, 'task', v.task, 'task', (t, f) => oneOf(t, f, ['detect'] as const));
    optional(out, 'classLoss', v.classLoss, 'classLoss', finite);
    optional(out, 'boxLoss', v.boxLoss, 'boxLoss', finite);
    for (const key of ['valClassLoss', 'valBoxLoss', 'map50', 'map50_95'] as const) {
      optional(out, key, v[key], key, (x, f) => nullable(x, f, finite));
    }
    return out as unknown as EpochMetrics;
  });
}

export function checkBatchMetrics(value: unknown): Checked<BatchMetrics> {
  return checked(() => {
    const v = object(value, 'batch line');
    if (v.kind !== 'batch') problem('kind', '"batch"', v.kind);
    return {
      kind: 'batch',
      epoch: count(v.epoch, 'epoch'),
      batch: count(v.batch, 'batch'),
      loss: finite(v.loss, 'loss'),
      accuracy: finite(v.accuracy, 'accuracy'),
    };
  });
}

/** One line of metrics.jsonl: a batch line or an epoch line. */
export function checkMetricsLine(value: unknown, classes?: number): Checked<MetricsLine> {
  return isRecord(value) && value.kind === 'batch'
    ? checkBatchMetrics(value)
    : checkEpochMetrics(value, classes);
}

// ---- split.json --------------------------------------------------------------------------------

function readSplitEntry(value: unknown, field: string): SplitEntry {
  const v = object(value, field);
  return { path: relativePath(v.path, `${field}.path`), label: name(v.label, `${field}.label`) };
}

/** split.json; every path relative to the data set root without `..`, every label one of `classNames`. */
export function checkSplitRecord(value: unknown, classNames?: readonly string[]): Checked<SplitRecord> {
  return checked(() => {
    const v = object(value, 'split.json');
    const split: SplitRecord = {
      seed: count(v.seed, 'seed'),
      train: list(v.train, 'train', readSplitEntry),
      validation: list(v.validation, 'validation', readSplitEntry),
      test: list(v.test, 'test', readSplitEntry),
    };
    if (classNames) {
      const known = new Set(classNames);
      for (const part of ['train', 'validation', 'test'] as const) {
        const stranger = split[part].find((e) => !known.has(e.label));
        if (stranger)
          throw new SchemaProblem(
            `${part} labels ${stranger.path} ${JSON.stringify(stranger.label)}, which is not a class of the run`,
          );
      }
    }
    return split;
  });
}

// ---- evaluation.json ---------------------------------------------------------------------------

function readAveraged(value: unknown, field: string): AveragedMetrics {
  const v = object(value, field);
  return {
    precision: finite(v.precision, `${field}.precision`),
    recall: finite(v.recall, `${field}.recall`),
    f1: finite(v.f1, `${field}.f1`),
  };
}

function readClassMetrics(value: unknown, field: string): ClassMetrics {
  const v = object(value, field);
  return {
    label: name(v.label, `${field}.label`),
    precision: finite(v.precision, `${field}.precision`),
    recall: finite(v.recall, `${field}.recall`),
    f1: finite(v.f1, `${field}.f1`),
    support: count(v.support, `${field}.support`),
  };
}

function readMisclassified(value: unknown, field: string): Misclassified {
  const v = object(value, field);
  return {
    path: relativePath(v.path, `${field}.path`),
    label: name(v.label, `${field}.label`),
    predicted: name(v.predicted, `${field}.predicted`),
    confidence: finite(v.confidence, `${field}.confidence`),
  };
}

/** evaluation.json (and `evaluate --json`): the matrices are square in the number of labels. */
export function checkEvaluation(value: unknown): Checked<Evaluation> {
  return checked(() => {
    const v = object(value, 'evaluation');
    const labels = names(v.labels, 'labels');
    const n = labels.length;
    const out: Record<string, unknown> = {
      labels,
      confusion: countMatrix(v.confusion, 'confusion', n),
      accuracy: finite(v.accuracy, 'accuracy'),
      macro: readAveraged(v.macro, 'macro'),
      weighted: readAveraged(v.weighted, 'weighted'),
      perClass: list(v.perClass, 'perClass', readClassMetrics),
      misclassified: list(v.misclassified, 'misclassified', readMisclassified),
    };
    optional(out, 'source', v.source, 'source', (x, f) => text(x, f, MAX_PATH_CHARS));
    optional(out, 'root', v.root, 'root', (x, f) => text(x, f, MAX_PATH_CHARS));
    optional(out, 'confusionByEpoch', v.confusionByEpoch, 'confusionByEpoch', (x, f) =>
      list(x, f, (e, g) => {
        const item = object(e, g);
        return {
          epoch: count(item.epoch, `${g}.epoch`),
          confusion: countMatrix(item.confusion, `${g}.confusion`, n),
        };
      }),
    );
    return out as unknown as Evaluation;
  });
}

/**
 * An average precision: a number from 0 to 1, or -1 for a class without ground truth (pycocotools' value
 * for "absent", which the means leave out).
 */
function averagePrecision(value: unknown, field: string): number {
  if (value === -1) return -1;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    problem(field, 'a number from 0 to 1, or -1 for a class without ground truth', value);
  return value;
}

/** Longest PR curve accepted (the evaluator writes 101 points). */
export const MAX_CURVE_POINTS = 10_001;

function readDetectionClassAp(value: unknown, field: string, known: ReadonlySet<string>): DetectionClassAp {
  const v = object(value, field);
  const label = name(v.label, `${field}.label`);
  if (!known.has(label))
    throw new SchemaProblem(`${field}.label ${JSON.stringify(label)} is not one of labels`);
  return {
    label,
    ap50: averagePrecision(v.ap50, `${field}.ap50`),
    ap50_95: averagePrecision(v.ap50_95, `${field}.ap50_95`),
    support: count(v.support, `${field}.support`),
  };
}

function readCurve(value: unknown, field: string, known: ReadonlySet<string>): PrecisionRecallCurve {
  const v = object(value, field);
  const label = name(v.label, `${field}.label`);
  if (!known.has(label))
    throw new SchemaProblem(`${field}.label ${JSON.stringify(label)} is not one of labels`);
  const recall = list(v.recall, `${field}.recall`, fraction);
  const precision = list(v.precision, `${field}.precision`, fraction);
  if (recall.length !== precision.length || recall.length > MAX_CURVE_POINTS)
    throw new SchemaProblem(
      `${field} must have as many recall as precision values (at most ${MAX_CURVE_POINTS}), got ${recall.length} and ${precision.length}`,
    );
  return { label, recall, precision };
}

/**
 * A detection run's evaluation.json (`task: "detect"`): per-class AP and PR curves name only known labels,
 * each label at most once in perClass, and the confusion matrix is (labels + 1)² (the last row and column
 * are background).
 */
export function checkDetectionEvaluation(value: unknown): Checked<DetectionEvaluation> {
  return checked(() => {
    const v = object(value, 'evaluation');
    if (v.task !== 'detect') problem('task', '"detect"', v.task);
    const labels = names(v.labels, 'labels');
    const known = new Set(labels);
    const perClass = list(v.perClass, 'perClass', (c, f) => readDetectionClassAp(c, f, known));
    const seen = new Set<string>();
    for (const c of perClass) {
      if (seen.has(c.label)) throw new SchemaProblem(`perClass names ${JSON.stringify(c.label)} twice`);
      seen.add(c.label);
    }
    const out: Record<string, unknown> = {
      task: 'detect',
      labels,
      map50: averagePrecision(v.map50, 'map50'),
      map50_95: averagePrecision(v.map50_95, 'map50_95'),
      perClass,
      curves: list(v.curves, 'curves', (c, f) => readCurve(c, f, known)),
      confusion: countMatrix(v.confusion, 'confusion', labels.length + 1),
      confidenceThreshold: fraction(v.confidenceThreshold, 'confidenceThreshold'),
      iouThreshold: fraction(v.iouThreshold, 'iouThreshold'),
      images: count(v.images, 'images'),
    };
    optional(out, 'source', v.source, 'source', (x, f) => text(x, f, MAX_PATH_CHARS));
    optional(out, 'root', v.root, 'root', (x, f) => text(x, f, MAX_PATH_CHARS));
    return out as unknown as DetectionEvaluation;
  });
}

/**
 * evaluation.json of any run: a detection evaluation when it says `task: "detect"`, a classification one
 * when it has no task (or `task: "classify"`); anything else is refused with the first problem found.
 */
export function checkRunEvaluation(value: unknown): Checked<Evaluation | DetectionEvaluation> {
  if (isRecord(value) && value.task === 'detect') return checkDetectionEvaluation(value);
  if (isRecord(value) && value.task !== undefined && value.task !== 'classify')
    return { ok: false, problem: `task must be "detect", "classify" or absent, got ${describe(value.task)}` };
  return checkEvaluation(value);
}

/** Is this evaluation a detection run's? */
export function isDetectionEvaluationShape(
  value: Evaluation | DetectionEvaluation,
): value is DetectionEvaluation {
  return (value as DetectionEvaluation).task === 'detect';
}

// ---- model/metadata.json -------------------------------------------------------------------------

/**
 * A model's metadata.json: its labels and the preprocessing it was trained with. The trainer checks the
 * numbers further with the config field table (imageSize, channels) before it uses them.
 */
export function checkModelMetadata(value: unknown): Checked<ModelMetadata> {
  return checked(() => {
    const v = object(value, 'metadata.json');
    const p = object(v.preprocessing, 'preprocessing');
    const labels = names(v.labels, 'labels');
    if (labels.length === 0) problem('labels', 'a list of at least one class', v.labels);
    const scale = finite(p.scale, 'preprocessing.scale');
    if (scale === 0) problem('preprocessing.scale', 'a non-zero number', scale);
    return {
      formatVersion: v.formatVersion === undefined ? 1 : count(v.formatVersion, 'formatVersion', 1),
      labels,
      preprocessing: {
        imageSize: count(p.imageSize, 'preprocessing.imageSize', 1),
        channels: oneOf(p.channels, 'preprocessing.channels', [1, 3] as const),
        resize: (p.resize === undefined ? 'fill' : name(p.resize, 'preprocessing.resize')) as 'fill',
        scale,
        offset: finite(p.offset, 'preprocessing.offset'),
      },
      model: v.model === undefined ? '' : text(v.model, 'model', MAX_NAME_CHARS),
      createdAt: v.createdAt === undefined ? '' : text(v.createdAt, 'createdAt', 64),
    };
  });
}
