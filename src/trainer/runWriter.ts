// Writes a run directory. run.json is replaced atomically; metrics.jsonl is appended line by line and
// fsynced so that a crash keeps every complete epoch. Every failed write names its path.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MetricsLine, RunRecord } from '../protocol/runRecord';
import { RUN_FILES } from '../protocol/runRecord';
import {
  checkEvaluation,
  checkMetricsLine,
  checkRunRecord,
  checkSplitRecord,
  type Checked,
} from '../protocol/runSchema';
import { parseMetricsLines } from '../core/runStore';
import {
  appendFileInside,
  READ_LIMITS,
  readTextInside,
  RunFileError,
  writeFileInside,
  writeReplacing,
} from '../core/runFiles';

/** A write that failed, with the path and a hint users can act on (disk full, read-only folder). */
export class RunWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(`cannot write ${path}: ${describeWriteFailure(code)}`);
    this.name = 'RunWriteError';
  }
}

function describeWriteFailure(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full (free some space, then resume the run)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (choose a writable --out folder)';
    case 'EROFS':
      return 'the file system is read-only (choose a writable --out folder)';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    default:
      return code ?? 'write failed';
  }
}

export async function guardWrite<T>(target: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    // A refused path (a link, a file outside the run) says so itself.
    if (err instanceof RunWriteError || err instanceof RunFileError) throw err;
    throw new RunWriteError(target, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
}

/** Writes a file through a temporary sibling and a rename, so readers never see a partial file. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await guardWrite(file, () => writeReplacing(file, data));
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function cryptoRandom(): number {
  return randomBytes(4).readUInt32BE(0) / 2 ** 32;
}

/** A sortable id that says when the run started: 2026-11-26T21-49-56-123Z-k3f9. */
export function newRunId(now: Date = new Date(), random: () => number = cryptoRandom): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
}

/**
 * Creates `<runsRoot>/<runId>/`. mkdir without `recursive` fails when the directory exists, so two trainers
 * started at the same moment on the same runs root can never share a run directory.
 */
export async function createRunDirectory(
  runsRoot: string,
  prefix?: string,
): Promise<{ runId: string; runDir: string }> {
  await guardWrite(runsRoot, () => fs.mkdir(runsRoot, { recursive: true }));
  for (let attempt = 0; attempt < 20; attempt++) {
    const runId = (prefix ? `${prefix}-` : '') + newRunId();
    const runDir = path.join(runsRoot, runId);
    try {
      await fs.mkdir(runDir);
      return { runId, runDir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new RunWriteError(runDir, (err as NodeJS.ErrnoException).code);
    }
  }
  throw new Error(`could not create a unique run directory under ${runsRoot}`);
}

/** The schema each record is read back with: the writer checks it too, so it never writes what readers refuse. */
const RECORD_SCHEMAS: Readonly<Record<string, (value: unknown) => Checked<unknown>>> = {
  [RUN_FILES.run]: checkRunRecord,
  [RUN_FILES.split]: (value) => checkSplitRecord(value),
  [RUN_FILES.evaluation]: checkEvaluation,
  'test-evaluation.json': checkEvaluation,
};

function assertWritable(file: string, checked: Checked<unknown>): void {
  if (!checked.ok)
    throw new Error(`${file}: the trainer would write a record that fails its schema (${checked.problem})`);
}

/**
 * Writes one run directory. Every file goes through core/runFiles.ts: never through a symbolic link, never
 * outside the run directory, and every record through the schema its readers use (protocol/runSchema.ts).
 * The caller holds the run's lock (core/runLock.ts) while it writes.
 */
export class RunWriter {
  private record: RunRecord;

  constructor(
    readonly runDir: string,
    record: RunRecord,
  ) {
    this.record = record;
  }

  get current(): RunRecord {
    return this.record;
  }

  path(name: string): string {
    return path.join(this.runDir, name);
  }

  async update(patch: Partial<RunRecord>): Promise<void> {
    this.record = { ...this.record, ...patch, updatedAt: new Date().toISOString() };
    await this.writeJson(RUN_FILES.run, this.record);
  }

  async appendMetrics(line: MetricsLine): Promise<void> {
    const text = JSON.stringify(line);
    assertWritable(this.path(RUN_FILES.metrics), checkMetricsLine(JSON.parse(text)));
    await guardWrite(this.path(RUN_FILES.metrics), () =>
      appendFileInside(this.runDir, RUN_FILES.metrics, text + '\n'),
    );
  }

  /** `schema` replaces the record's own (a detection run's evaluation.json is not a classification one). */
  async writeJson(
    name: string,
    value: unknown,
    schemaOverride?: (value: unknown) => Checked<unknown>,
  ): Promise<void> {
    const text = JSON.stringify(value, null, 2) + '\n';
    const schema = schemaOverride ?? (Object.hasOwn(RECORD_SCHEMAS, name) ? RECORD_SCHEMAS[name] : undefined);
    // Checked as readers will see it: after JSON (NaN becomes null, undefined fields vanish).
    if (schema) assertWritable(this.path(name), schema(JSON.parse(text)));
    await guardWrite(this.path(name), () => writeFileInside(this.runDir, name, text));
  }
}

export function runningRecordFields(): Pick<RunRecord, 'pid' | 'hostname'> {
  const hostname = os.hostname();
  return { pid: process.pid, ...(hostname ? { hostname } : {}) };
}

/**
 * Makes metrics.jsonl agree with a checkpoint before a resume: drops a torn last line and every line of an
 * epoch after the checkpoint's, so the file never holds a duplicated or partial epoch.
 */
export async function truncateMetricsAfter(runDir: string, lastCompleteEpoch: number): Promise<void> {
  let text: string;
  try {
    text = await readTextInside(runDir, RUN_FILES.metrics, READ_LIMITS.metrics);
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing') return;
    throw err;
  }
  // Kept as written: fields the shared reader does not know (a detection run's losses and mAP) stay.
  const lines = text.split('\n');
  lines.pop();
  const kept = lines.filter((line) => {
    const [checked] = parseMetricsLines(line + '\n');
    return checked !== undefined && checked.epoch <= lastCompleteEpoch;
  });
  await guardWrite(path.join(runDir, RUN_FILES.metrics), () =>
    writeFileInside(runDir, RUN_FILES.metrics, kept.map((line) => line + '\n').join('')),
  );
}

/** Temporary record copies (writeFileAtomic) and decoded-sample caches (dataPipeline) of a killed trainer. */
const LEFTOVER = /(\.tmp-\d+-[a-z0-9]+|^decoded-\d+-[a-z0-9]+\.bin)$/;

/**
 * Removes what a killed trainer left in its run directory before a resume writes there: the decoded cache
 * alone can be as large as the data set, and every crash would leave another. Returns the names removed.
 */
export async function removeLeftovers(runDir: string): Promise<string[]> {
  const names = await fs.readdir(runDir).catch(() => [] as string[]);
  const removed = names.filter((name) => LEFTOVER.test(name));
  for (const name of removed) await fs.rm(path.join(runDir, name), { force: true });
  return removed;
}
