// The run queue on disk: <runsRoot>/queue.json lists the runs waiting to start, in order, and each one's
// config lies in <runsRoot>/queue/<id>.imagetrainer.json (written by the New Training form). Both are
// written with write-then-rename and never through a link; queue.json is read back as untrusted input:
// a bad entry is dropped with its reason, never trusted, and a config path can only name a file of the
// queue folder.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Checked } from '../protocol/runSchema';
import { isRunIdReference } from '../protocol/runSchema';
import { isRecord } from '../protocol/guards';
import { ConfigError, parseConfigFileText, resolveConfig } from './config';
import {
  makeDirectoryInside,
  readJsonIfPresent,
  readTextInside,
  RunFileError,
  writablePath,
  writeFileInside,
} from './runFiles';

export const QUEUE_FILE = 'queue.json';
export const QUEUE_CONFIG_DIR = 'queue';
export const QUEUE_FORMAT_VERSION = 1;
/** More than anyone queues by hand; a file claiming more is cut here. */
export const MAX_QUEUED = 1000;
const MAX_TEXT = 4096;

export interface QueuedRun {
  /** Also the config file's name: `queue/<id>.imagetrainer.json`. */
  id: string;
  createdAt: string;
  datasetDir: string;
  /** A pretrained base by name (`--base`), when the form chose one. */
  base?: string;
  /** The run this one re-runs with changes (`--parent`). */
  parentId?: string;
  /** One line for the Runs view and the form: data set, model, what changed. */
  label: string;
}

const QUEUE_ID = /^q-[0-9a-z-]{1,64}$/;

export function isQueueId(value: unknown): value is string {
  return typeof value === 'string' && QUEUE_ID.test(value);
}

/** A fresh id; `now` and `random` are passed in so tests (and Math.random's seeding in training) are safe. */
export function newQueueId(now: Date, random: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .toLowerCase();
  return `q-${stamp}-${
    random
      .toLowerCase()
      .replace(/[^0-9a-z]/g, '')
      .slice(0, 8) || '0'
  }`;
}

/** The config file of a queued run, relative to the runs root. */
export function queuedConfigPath(id: string): string {
  return path.join(QUEUE_CONFIG_DIR, `${id}.imagetrainer.json`);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT;
}

function readEntry(value: unknown): QueuedRun | string {
  if (!isRecord(value)) return 'an entry is not an object';
  if (!isQueueId(value.id)) return `entry id ${JSON.stringify(value.id)} is not a queue id`;
  if (!isText(value.createdAt) || !isText(value.datasetDir) || !path.isAbsolute(value.datasetDir))
    return `entry ${value.id} lacks createdAt or an absolute datasetDir`;
  if (!isText(value.label)) return `entry ${value.id} lacks a label`;
  if (value.base !== undefined && !isText(value.base)) return `entry ${value.id} has a bad base`;
  if (value.parentId !== undefined && !isRunIdReference(value.parentId))
    return `entry ${value.id} has a bad parentId`;
  return {
    id: value.id,
    createdAt: value.createdAt,
    datasetDir: value.datasetDir,
    label: value.label,
    ...(value.base !== undefined ? { base: value.base as string } : {}),
    ...(value.parentId !== undefined ? { parentId: value.parentId as string } : {}),
  };
}

export interface QueueRead {
  entries: QueuedRun[];
  /** Why entries (or the whole file) were dropped; empty when none were. */
  problems: string[];
}

/** The whole file's shape; entries are checked one by one so one bad entry does not lose the others. */
export function checkQueueFile(value: unknown): Checked<QueueRead> {
  if (!isRecord(value) || value.formatVersion !== QUEUE_FORMAT_VERSION || !Array.isArray(value.entries))
    return { ok: false, problem: `expected {"formatVersion": ${QUEUE_FORMAT_VERSION}, "entries": [...]}` };
  const entries: QueuedRun[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const raw of value.entries.slice(0, MAX_QUEUED)) {
    const entry = readEntry(raw);
    if (typeof entry === 'string') problems.push(entry);
    else if (seen.has(entry.id)) problems.push(`entry ${entry.id} is listed twice`);
    else {
      seen.add(entry.id);
      entries.push(entry);
    }
  }
  if (value.entries.length > MAX_QUEUED) problems.push(`only the first ${MAX_QUEUED} entries are kept`);
  return { ok: true, value: { entries, problems } };
}

/** The queue under `runsRoot`: empty when there is none; a damaged file is reported, not thrown. */
export async function readQueue(runsRoot: string): Promise<QueueRead> {
  try {
    return (await readJsonIfPresent(runsRoot, QUEUE_FILE, checkQueueFile)) ?? { entries: [], problems: [] };
  } catch (error) {
    if (error instanceof RunFileError) return { entries: [], problems: [error.message] };
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw error;
  }
}

export async function writeQueue(runsRoot: string, entries: readonly QueuedRun[]): Promise<void> {
  await fs.mkdir(runsRoot, { recursive: true });
  const body = { formatVersion: QUEUE_FORMAT_VERSION, entries };
  await writeFileInside(runsRoot, QUEUE_FILE, JSON.stringify(body, null, 2) + '\n');
}

/** Writes a queued run's config where only the queue looks; returns its absolute path. */
export async function writeQueuedConfig(runsRoot: string, id: string, config: unknown): Promise<string> {
  if (!isQueueId(id)) throw new Error(`not a queue id: ${id}`);
  await fs.mkdir(runsRoot, { recursive: true });
  await makeDirectoryInside(runsRoot, QUEUE_CONFIG_DIR);
  return writeFileInside(runsRoot, queuedConfigPath(id), JSON.stringify(config, null, 2) + '\n');
}

/** Removes a queued run's config (after it started, or when it is cancelled); absent is fine. */
export async function removeQueuedConfig(runsRoot: string, id: string): Promise<void> {
  if (!isQueueId(id)) return;
  // writablePath refuses a linked queue folder, so the removal cannot reach outside the runs root.
  await fs.rm(await writablePath(runsRoot, queuedConfigPath(id)), { force: true });
}

/** A queued run's config is a few hundred bytes; more than this is not one the form wrote. */
export const MAX_QUEUED_CONFIG_BYTES = 1024 * 1024;

/**
 * Why a queued run cannot start from its config file, or null when it can: the file must still be a
 * regular file of the queue folder (no link out of it), and its JSON must pass the config validator as
 * the CLI's `train --config FILE [--base NAME]` would apply it. The reason is one line naming the file.
 */
export async function queuedConfigProblem(
  runsRoot: string,
  entry: { id: string; base?: string },
): Promise<string | null> {
  if (!isQueueId(entry.id)) return `${JSON.stringify(entry.id)} is not a queue id`;
  const relative = queuedConfigPath(entry.id);
  const file = path.join(runsRoot, relative);
  try {
    const text = await readTextInside(runsRoot, relative, MAX_QUEUED_CONFIG_BYTES);
    const overrides = entry.base ? { 'transfer.base': entry.base } : {};
    resolveConfig(parseConfigFileText(text, file), overrides, file);
    return null;
  } catch (error) {
    if (error instanceof RunFileError) return error.message;
    if (error instanceof ConfigError)
      return error.message.startsWith(file) ? error.message : `${file}: ${error.message}`;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${file}: no such file`;
    return `${file}: cannot be read (${code ?? String(error)})`;
  }
}
