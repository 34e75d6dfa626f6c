// Reads run directories (the source of truth) into summaries and details, through the confined reads of
// runFiles.ts and the shared schema of protocol/runSchema.ts. Tolerates runs that are being written: a
// torn last line of metrics.jsonl is ignored. A run whose records fail their schema, or whose folder or
// files lead outside the runs root, reads as `damaged` with the reason: it never disappears silently and
// never reaches a view half-valid.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type {
  BatchMetrics,
  EpochMetrics,
  Evaluation,
  MetricsLine,
  RunDetails,
  RunRecord,
  RunStatus,
  RunSummary,
} from '../protocol/runRecord';
import { RUN_FILES } from '../protocol/runRecord';
import type { DetectionEvaluation } from '../protocol/detection';
import {
  checkEvaluation,
  checkMetricsLine,
  checkRunEvaluation,
  checkRunRecord,
  isDetectionEvaluationShape,
} from '../protocol/runSchema';
import { ConfigError, resolveStoredConfig } from './config';
import { probeProcess, type ProcessProbe } from './processProbe';
import { isInside, READ_LIMITS, readJsonIfPresent, readTextInside, RunFileError } from './runFiles';

export { probeProcess, type ProcessProbe } from './processProbe';

/** A `running` run whose trainer is gone (crash, SIGKILL, reboot) reads as `interrupted`. */
export function effectiveStatus(
  record: Pick<RunRecord, 'status' | 'pid' | 'hostname'>,
  probe: ProcessProbe,
  hostname: string,
): RunStatus {
  if (record.status !== 'running') return record.status;
  if (record.pid === undefined) return 'interrupted';
  if (record.hostname !== undefined && record.hostname !== hostname) return 'running';
  return probe(record.pid) ? 'running' : 'interrupted';
}

/** Structurally a run.json (the shared schema; the config's fields are checked by readRunRecordChecked). */
export function isRunRecord(value: unknown): value is RunRecord {
  return checkRunRecord(value).ok;
}

/** One line of metrics.jsonl that failed the schema. */
export interface MetricsProblem {
  line: number;
  problem: string;
}

/**
 * Parses metrics.jsonl text: complete lines only (the last, unterminated one may still be being written).
 * Lines that fail the schema are left out and reported through `problems`.
 */
export function parseMetricsLines(
  text: string,
  problems?: MetricsProblem[],
  classes?: number,
): MetricsLine[] {
  const lines = text.split('\n');
  // The last element is either '' (text ended with a newline) or a line still being written.
  lines.pop();
  const out: MetricsLine[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems?.push({ line: index + 1, problem: 'not valid JSON' });
      return;
    }
    const checked = checkMetricsLine(value, classes);
    if (checked.ok) out.push(checked.value);
    else problems?.push({ line: index + 1, problem: checked.problem });
  });
  return out;
}

/** Splits metrics into epoch and batch lines; a later line for the same epoch replaces an earlier one. */
export function splitMetrics(lines: MetricsLine[]): { epochs: EpochMetrics[]; batches: BatchMetrics[] } {
  const byEpoch = new Map<number, EpochMetrics>();
  const batches: BatchMetrics[] = [];
  for (const line of lines) {
    if (line.kind === 'batch') batches.push(line);
    else byEpoch.set(line.epoch, line);
  }
  return { epochs: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch), batches };
}

export type RecordRead = { ok: true; record: RunRecord } | { ok: false; reason: string; missing: boolean };

/**
 * run.json through the shared schema, its config through the trainer's field table; or the reason it
 * cannot be used (one line naming the file). `missing` tells a folder without a run.json.
 */
export async function readRunRecordChecked(runDir: string): Promise<RecordRead> {
  try {
    const record = await readJsonIfPresent(runDir, RUN_FILES.run, checkRunRecord);
    if (!record)
      return { ok: false, missing: true, reason: `${path.join(runDir, RUN_FILES.run)}: no such file` };
    const config = resolveStoredConfig(record.config, path.join(runDir, RUN_FILES.run));
    return { ok: true, record: { ...record, config } };
  } catch (error) {
    if (error instanceof RunFileError || error instanceof ConfigError)
      return { ok: false, missing: false, reason: error.message };
    return { ok: false, missing: false, reason: `${path.join(runDir, RUN_FILES.run)}: ${messageOf(error)}` };
  }
}

export async function readRunRecord(runDir: string): Promise<RunRecord | null> {
  const read = await readRunRecordChecked(runDir);
  return read.ok ? read.record : null;
}

/** evaluation.json, or null when there is none; a RunFileError when it fails its schema. */
export async function readEvaluationChecked(runDir: string): Promise<Evaluation | null> {
  return readJsonIfPresent(runDir, RUN_FILES.evaluation, checkEvaluation);
}

/**
 * evaluation.json of a classification or a detection run (told apart by `task: "detect"`), or null when
 * there is none; a RunFileError naming the file and the first problem when it fits neither schema.
 */
export async function readRunEvaluationChecked(
  runDir: string,
): Promise<Evaluation | DetectionEvaluation | null> {
  return readJsonIfPresent(runDir, RUN_FILES.evaluation, checkRunEvaluation);
}

export async function readEvaluation(runDir: string): Promise<Evaluation | null> {
  try {
    return await readEvaluationChecked(runDir);
  } catch {
    return null;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function summarize(
  runDir: string,
  record: RunRecord,
  epochs: EpochMetrics[],
  evaluation: Evaluation | null,
  status: RunStatus,
  detectionEvaluation: DetectionEvaluation | null = null,
): RunSummary {
  const last = epochs.at(-1);
  const bestFromMetrics = epochs.reduce<EpochMetrics | null>(
    (best, e) =>
      e.valAccuracy !== null && (best === null || (best.valAccuracy ?? -1) < e.valAccuracy) ? e : best,
    null,
  );
  return {
    id: record.id,
    runDir,
    status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    model: record.config.model,
    epochsCompleted: Math.max(record.epochsCompleted ?? 0, last?.epoch ?? 0),
    totalEpochs: record.config.epochs,
    bestEpoch: record.bestEpoch ?? bestFromMetrics?.epoch ?? null,
    bestValAccuracy: record.bestValAccuracy ?? bestFromMetrics?.valAccuracy ?? null,
    lastValAccuracy: last?.valAccuracy ?? null,
    lastValLoss: last?.valLoss ?? null,
    testAccuracy: record.testAccuracy ?? null,
    datasetRoot: record.dataset.root,
    classNames: record.dataset.classNames ?? [],
    backend: record.backend,
    group: record.group ?? null,
    ...(record.parentId !== undefined ? { parentId: record.parentId } : {}),
    // Only `detect` is said: a config without the field (older runs) is a classification run.
    ...(record.config.task === 'detect'
      ? { task: 'detect' as const, ...detectionFigures(record, epochs, bestFromMetrics, detectionEvaluation) }
      : {}),
    config: record.config,
    error: record.error?.message ?? null,
  };
}

/**
 * A detection run's mAP@0.5 and mAP@0.5:0.95: its evaluation.json's when it has one, else those of its best
 * epoch (a running or stopped detector), else null.
 */
function detectionFigures(
  record: RunRecord,
  epochs: EpochMetrics[],
  bestFromMetrics: EpochMetrics | null,
  evaluation: DetectionEvaluation | null,
): Pick<RunSummary, 'map50' | 'map50_95'> {
  if (evaluation) return { map50: evaluation.map50, map50_95: evaluation.map50_95 };
  const best =
    (record.bestEpoch !== undefined ? epochs.find((e) => e.epoch === record.bestEpoch) : undefined) ??
    bestFromMetrics;
  return {
    map50: finiteOrNull(best?.map50 ?? best?.valAccuracy),
    map50_95: finiteOrNull(best?.map50_95),
  };
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The summary of a run directory that cannot be read as a run: status `damaged`, `error` the reason,
 * the folder name as id, and nothing else claimed. Damaged runs have no config to compare.
 */
export function damagedSummary(runDir: string, reason: string, when: string): RunSummary {
  return {
    id: path.basename(runDir),
    runDir,
    status: 'damaged',
    createdAt: when,
    updatedAt: when,
    model: '',
    epochsCompleted: 0,
    totalEpochs: 0,
    bestEpoch: null,
    bestValAccuracy: null,
    lastValAccuracy: null,
    lastValLoss: null,
    testAccuracy: null,
    datasetRoot: '',
    classNames: [],
    backend: '',
    group: null,
    // An empty object: the compare views flatten configs generically and find nothing to compare.
    config: {} as RunSummary['config'],
    error: reason,
  };
}

export interface ReadOptions {
  probe?: ProcessProbe;
  hostname?: string;
}

/** What a run directory's files looked like when last read: a refresh of hundreds of runs reads only what changed. */
interface CachedRead {
  stamp: string;
  record: RunRecord;
  epochs: EpochMetrics[];
  batches: BatchMetrics[];
  evaluation: Evaluation | null;
  detectionEvaluation: DetectionEvaluation | null;
  /** Why a record other than run.json failed its schema; the run then reads as damaged. */
  damage: string | null;
}

const readCache = new Map<string, CachedRead>();

async function fileStamp(file: string): Promise<string> {
  try {
    const stat = await fs.lstat(file);
    // A replaced run.json is a new inode: the stamp changes even within one clock tick.
    return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return '-';
  }
}

async function readMetrics(
  runDir: string,
  classes: number,
): Promise<{ lines: MetricsLine[]; damage: string | null }> {
  let text: string;
  try {
    text = await readTextInside(runDir, RUN_FILES.metrics, READ_LIMITS.metrics);
  } catch (error) {
    if (error instanceof RunFileError && error.problem === 'missing') return { lines: [], damage: null };
    return { lines: [], damage: error instanceof RunFileError ? error.message : messageOf(error) };
  }
  const problems: MetricsProblem[] = [];
  const lines = parseMetricsLines(text, problems, classes);
  const first = problems[0];
  const damage = first
    ? `${path.join(runDir, RUN_FILES.metrics)}: line ${first.line}: ${first.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more bad lines)` : ''}`
    : null;
  return { lines, damage };
}

async function readOtherRecords(
  runDir: string,
  record: RunRecord,
): Promise<Omit<CachedRead, 'stamp' | 'record'>> {
  const classes = record.dataset.classNames.length;
  const [metrics, evaluation] = await Promise.all([
    readMetrics(runDir, classes),
    readRunEvaluationChecked(runDir).then(
      (value) => {
        if (value && value.labels.length !== classes)
          return {
            value: null,
            damage: `${path.join(runDir, RUN_FILES.evaluation)}: has ${value.labels.length} labels, the run ${classes} classes`,
          };
        return { value, damage: null };
      },
      (error: unknown) => ({ value: null, damage: messageOf(error) }),
    ),
  ]);
  const value = evaluation.value;
  const detection = value !== null && isDetectionEvaluationShape(value) ? value : null;
  return {
    ...splitMetrics(metrics.lines),
    evaluation: value !== null && !isDetectionEvaluationShape(value) ? value : null,
    detectionEvaluation: detection,
    damage: metrics.damage ?? evaluation.damage,
  };
}

/** A run's details; null when its folder holds no readable run.json (see readRunSummary for why). */
export async function readRunDetails(runDir: string, options: ReadOptions = {}): Promise<RunDetails | null> {
  const read = await readRunDirectory(runDir, options);
  return 'details' in read ? read.details : null;
}

type DirectoryRead = { details: RunDetails } | { damaged: string; missing: boolean };

async function readRunDirectory(runDir: string, options: ReadOptions): Promise<DirectoryRead> {
  const stamp = (
    await Promise.all(
      [RUN_FILES.run, RUN_FILES.metrics, RUN_FILES.evaluation].map((name) =>
        fileStamp(path.join(runDir, name)),
      ),
    )
  ).join('|');
  let read = readCache.get(runDir);
  if (!read || read.stamp !== stamp) {
    const recordRead = await readRunRecordChecked(runDir);
    if (!recordRead.ok) {
      readCache.delete(runDir);
      return { damaged: recordRead.reason, missing: recordRead.missing };
    }
    read = { stamp, record: recordRead.record, ...(await readOtherRecords(runDir, recordRead.record)) };
    readCache.set(runDir, read);
  }
  const { record, epochs, batches, evaluation, detectionEvaluation, damage } = read;
  // Derived on every read: a trainer can vanish without touching its files.
  const status = damage
    ? 'damaged'
    : effectiveStatus(record, options.probe ?? probeProcess, options.hostname ?? currentHostname());
  // The folder is the run's identity: a run.json naming another id cannot pass for that run.
  const id = path.basename(runDir);
  const summary = summarize(runDir, { ...record, id }, epochs, evaluation, status, detectionEvaluation);
  return {
    details: {
      summary: damage ? { ...summary, error: damage } : summary,
      record: { ...record, id, status: damage ? record.status : status },
      epochs,
      batches,
      evaluation,
      ...(detectionEvaluation ? { detectionEvaluation } : {}),
    },
  };
}

/**
 * The summary of one entry of a runs root: a run, a damaged run, or null when the entry is not a run
 * (no run.json: the `groups` and `lr-find` folders, a run directory being created).
 */
export async function readRunSummary(
  runsRoot: string,
  realRunsRoot: string,
  name: string,
  options: ReadOptions = {},
): Promise<RunSummary | null> {
  const runDir = path.join(runsRoot, name);
  let stat;
  try {
    stat = await fs.lstat(runDir);
  } catch {
    return null;
  }
  const when = new Date(stat.mtimeMs).toISOString();
  if (stat.isSymbolicLink()) {
    const real = await fs.realpath(runDir).catch(() => null);
    if (real === null) return null;
    if (!isInside(realRunsRoot, real))
      return damagedSummary(
        runDir,
        `${runDir}: the run folder is a link to ${real}, outside the runs folder — remove the link`,
        when,
      );
    stat = await fs.stat(real).catch(() => null);
  }
  if (!stat?.isDirectory()) return null;
  const read = await readRunDirectory(runDir, options);
  if ('details' in read) return read.details.summary;
  return read.missing ? null : damagedSummary(runDir, read.damaged, when);
}

/** Every run under the runs root, newest first; damaged runs are listed with the reason. */
export async function listRuns(runsRoot: string, options: ReadOptions = {}): Promise<RunSummary[]> {
  let names: string[];
  let realRunsRoot: string;
  try {
    realRunsRoot = await fs.realpath(runsRoot);
    names = await fs.readdir(runsRoot);
  } catch {
    return [];
  }
  const visible = names.filter((n) => !n.startsWith('.'));
  // Forget runs deleted since the last listing.
  const present = new Set(visible.map((n) => path.join(runsRoot, n)));
  for (const dir of readCache.keys())
    if (path.dirname(dir) === runsRoot && !present.has(dir)) readCache.delete(dir);
  const summaries = await Promise.all(
    visible.map((name) => readRunSummary(runsRoot, realRunsRoot, name, options)),
  );
  return summaries
    .filter((s): s is RunSummary => s !== null)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
}

function currentHostname(): string {
  return os.hostname();
}
