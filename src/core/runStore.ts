// Reads run directories (the source of truth) into summaries and details. Tolerates runs that are being
// written: a torn last line of metrics.jsonl is ignored, an unreadable run.json skips the run.
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
import { isRecord } from '../protocol/guards';
import { isEpochMetrics } from '../protocol/trainerMessages';

/** Is a process with this pid alive on this machine? Injected in tests. */
export type ProcessProbe = (pid: number) => boolean;

export const probeProcess: ProcessProbe = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

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

export function isRunRecord(value: unknown): value is RunRecord {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.status === 'string' &&
    typeof value.createdAt === 'string' &&
    isRecord(value.config) &&
    isRecord(value.dataset)
  );
}

/** Parses metrics.jsonl text: complete lines only; a torn or invalid line is dropped. */
export function parseMetricsLines(text: string): MetricsLine[] {
  const lines = text.split('\n');
  // The last element is either '' (text ended with a newline) or a line still being written.
  lines.pop();
  const out: MetricsLine[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isRecord(value)) continue;
    if (value.kind === 'batch') {
      if (
        typeof value.epoch === 'number' &&
        typeof value.batch === 'number' &&
        typeof value.loss === 'number'
      ) {
        out.push(value as unknown as BatchMetrics);
      }
    } else if (isEpochMetrics(value)) {
      out.push(value);
    }
  }
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

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

async function readTextIfExists(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

export async function readRunRecord(runDir: string): Promise<RunRecord | null> {
  try {
    const value = await readJson(path.join(runDir, RUN_FILES.run));
    return isRunRecord(value) ? value : null;
  } catch {
    return null;
  }
}

export async function readEvaluation(runDir: string): Promise<Evaluation | null> {
  try {
    const value = await readJson(path.join(runDir, RUN_FILES.evaluation));
    return isRecord(value) && Array.isArray(value.labels) && Array.isArray(value.confusion)
      ? (value as unknown as Evaluation)
      : null;
  } catch {
    return null;
  }
}

export function summarize(
  runDir: string,
  record: RunRecord,
  epochs: EpochMetrics[],
  evaluation: Evaluation | null,
  status: RunStatus,
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
    config: record.config,
    error: record.error?.message ?? null,
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
}

const readCache = new Map<string, CachedRead>();

async function fileStamp(file: string): Promise<string> {
  try {
    const stat = await fs.stat(file);
    // A replaced run.json is a new inode: the stamp changes even within one clock tick.
    return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return '-';
  }
}

export async function readRunDetails(runDir: string, options: ReadOptions = {}): Promise<RunDetails | null> {
  const stamp = (
    await Promise.all(
      [RUN_FILES.run, RUN_FILES.metrics, RUN_FILES.evaluation].map((name) =>
        fileStamp(path.join(runDir, name)),
      ),
    )
  ).join('|');
  let read = readCache.get(runDir);
  if (!read || read.stamp !== stamp) {
    const record = await readRunRecord(runDir);
    if (!record) {
      readCache.delete(runDir);
      return null;
    }
    const [metricsText, evaluation] = await Promise.all([
      readTextIfExists(path.join(runDir, RUN_FILES.metrics)).catch(() => ''),
      readEvaluation(runDir),
    ]);
    read = { stamp, record, evaluation, ...splitMetrics(parseMetricsLines(metricsText)) };
    readCache.set(runDir, read);
  }
  const { record, epochs, batches, evaluation } = read;
  // Derived on every read: a trainer can vanish without touching its files.
  const status = effectiveStatus(
    record,
    options.probe ?? probeProcess,
    options.hostname ?? currentHostname(),
  );
  return {
    summary: summarize(runDir, record, epochs, evaluation, status),
    record: { ...record, status },
    epochs,
    batches,
    evaluation,
  };
}

/** Every run under the runs root, newest first. Directories without a readable run.json are skipped. */
export async function listRuns(runsRoot: string, options: ReadOptions = {}): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = await fs.readdir(runsRoot);
  } catch {
    return [];
  }
  const dirs = names.filter((n) => !n.startsWith('.')).map((n) => path.join(runsRoot, n));
  // Forget runs deleted since the last listing.
  const present = new Set(dirs);
  for (const dir of readCache.keys())
    if (path.dirname(dir) === runsRoot && !present.has(dir)) readCache.delete(dir);
  const details = await Promise.all(dirs.map((dir) => readRunDetails(dir, options)));
  return details
    .filter((d): d is RunDetails => d !== null)
    .map((d) => d.summary)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
}

function currentHostname(): string {
  return os.hostname();
}
