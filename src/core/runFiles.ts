// The one module that opens run and model files (ARCHITECTURE.md, "Trust boundaries"). A run directory,
// a model folder or a data-set root is a root; every file is named relative to its root, its real path
// (symbolic links resolved) must stay inside the root's real path, only regular files of bounded size
// are read (a FIFO or /dev/zero cannot hang or exhaust a reader), JSON goes through the record's schema,
// and writes never go through a link: every folder on the way must be a real folder inside the root,
// and files are replaced by rename or appended to through a handle that refuses links.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Checked } from '../protocol/runSchema';
import { InputError } from './inputError';

/** What went wrong with a file, for callers that react differently (a missing file is often fine). */
export type RunFileProblem = 'missing' | 'outside' | 'link' | 'notFile' | 'tooLarge' | 'invalid';

/** A file that cannot be used, as one line naming the file, the problem and, where there is one, the fix. */
export class RunFileError extends InputError {
  constructor(
    readonly file: string,
    readonly problem: RunFileProblem,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RunFileError';
  }
}

const MiB = 1024 * 1024;

/** Largest files read: a record's JSON, metrics.jsonl, and a model's weight files. */
export const READ_LIMITS = {
  json: 64 * MiB,
  metrics: 128 * MiB,
  weights: 1024 * MiB,
} as const;

/** Is `candidate` strictly below `root` (both absolute and resolved)? */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative !== '' &&
    !relative.startsWith(`..${path.sep}`) &&
    relative !== '..' &&
    !path.isAbsolute(relative)
  );
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** The real path of a root folder; a RunFileError when it is missing or not a folder. */
export async function realRoot(root: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(root);
  } catch (error) {
    throw new RunFileError(
      root,
      'missing',
      codeOf(error) === 'ENOENT' ? 'no such folder' : `cannot open (${codeOf(error)})`,
    );
  }
  const stat = await fs.stat(real);
  if (!stat.isDirectory()) throw new RunFileError(root, 'notFile', 'not a folder');
  return real;
}

/** Segments of a relative name below a root, or a RunFileError when it is absolute or climbs out. */
function segmentsOf(root: string, relative: string): string[] {
  const segments = relative.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (
    path.isAbsolute(relative) ||
    segments.length === 0 ||
    segments.includes('..') ||
    relative.includes('\0')
  ) {
    throw new RunFileError(path.join(root, relative), 'outside', `must be a path inside ${root}`);
  }
  return segments;
}

/**
 * The real path of `relative` below `root`, required to stay inside the root's real path with every
 * link resolved. Missing: RunFileError 'missing'. Leaving the root: RunFileError 'outside'.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  const segments = segmentsOf(root, relative);
  const base = await realRoot(root);
  const shown = path.join(root, ...segments);
  let real: string;
  try {
    real = await fs.realpath(path.join(base, ...segments));
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') throw new RunFileError(shown, 'missing', 'no such file');
    if (code === 'ELOOP') throw new RunFileError(shown, 'link', 'is a loop of symbolic links');
    throw new RunFileError(shown, 'invalid', `cannot open (${code})`);
  }
  if (!isInside(base, real)) {
    throw new RunFileError(shown, 'outside', `resolves to ${real}, outside ${root} — remove the link`);
  }
  return real;
}

/** Reads a regular file of at most `maxBytes` below `root`. */
export async function readFileInside(root: string, relative: string, maxBytes: number): Promise<Buffer> {
  const real = await resolveInside(root, relative);
  const shown = path.join(root, relative);
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer that never comes.
  const handle = await fs.open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
    throw new RunFileError(shown, 'invalid', `cannot open (${codeOf(error)})`);
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new RunFileError(shown, 'notFile', 'not a regular file');
    if (stat.size > maxBytes)
      throw new RunFileError(
        shown,
        'tooLarge',
        `${formatBytes(stat.size)}, over the ${formatBytes(maxBytes)} a reader accepts`,
      );
    const data = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < data.length) {
      const { bytesRead } = await handle.read(data, offset, data.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return data.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

export async function readTextInside(root: string, relative: string, maxBytes: number): Promise<string> {
  return (await readFileInside(root, relative, maxBytes)).toString('utf8');
}

/** Parses a JSON record below `root` and checks it with its schema; RunFileError 'invalid' says why not. */
export async function readJsonInside<T>(
  root: string,
  relative: string,
  check: (value: unknown) => Checked<T>,
  maxBytes: number = READ_LIMITS.json,
): Promise<T> {
  const text = await readTextInside(root, relative, maxBytes);
  return parseJsonRecord(path.join(root, relative), text, check);
}

/** Like readJsonInside, but null when the file does not exist. */
export async function readJsonIfPresent<T>(
  root: string,
  relative: string,
  check: (value: unknown) => Checked<T>,
  maxBytes: number = READ_LIMITS.json,
): Promise<T | null> {
  try {
    return await readJsonInside(root, relative, check, maxBytes);
  } catch (error) {
    if (error instanceof RunFileError && error.problem === 'missing') return null;
    throw error;
  }
}

/** JSON text through a schema check; the error names the file and the first bad field. */
export function parseJsonRecord<T>(file: string, text: string, check: (value: unknown) => Checked<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const reason = error instanceof RangeError ? 'nested too deeply' : 'not valid JSON';
    throw new RunFileError(file, 'invalid', reason);
  }
  const result = check(value);
  if (!result.ok) throw new RunFileError(file, 'invalid', result.problem);
  return result.value;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

// ---- writing -----------------------------------------------------------------------------------

/**
 * The path to write `relative` below `root`, after checking that every folder on the way is a real
 * folder (no symbolic link) and that the entry itself, when it exists, is not a link. With `create`,
 * missing folders are made. The root itself may be reached through links (a runs folder on another disk).
 */
export async function writablePath(
  root: string,
  relative: string,
  options: { create?: boolean } = {},
): Promise<string> {
  const segments = segmentsOf(root, relative);
  const base = await realRoot(root);
  let current = base;
  for (let i = 0; i < segments.length; i++) {
    current = path.join(current, segments[i]);
    const last = i === segments.length - 1;
    const shown = path.join(root, ...segments.slice(0, i + 1));
    let stat;
    try {
      stat = await fs.lstat(current);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw error;
      if (last) return current;
      if (!options.create) return path.join(current, ...segments.slice(i + 1));
      try {
        await fs.mkdir(current);
      } catch (mkdirError) {
        if (codeOf(mkdirError) !== 'EEXIST') throw mkdirError;
      }
      stat = await fs.lstat(current);
    }
    if (stat.isSymbolicLink())
      throw new RunFileError(
        shown,
        'link',
        'is a symbolic link; files are never written through a link — remove it',
      );
    if (!last && !stat.isDirectory()) throw new RunFileError(shown, 'notFile', 'is not a folder');
  }
  return current;
}

/** Makes a folder (and the folders on the way) below `root` without following any link. */
export async function makeDirectoryInside(root: string, relative: string): Promise<string> {
  const dir = await writablePath(root, relative, { create: true });
  try {
    await fs.mkdir(dir);
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') throw error;
  }
  const stat = await fs.lstat(dir);
  if (stat.isSymbolicLink())
    throw new RunFileError(path.join(root, relative), 'link', 'is a symbolic link — remove it');
  if (!stat.isDirectory()) throw new RunFileError(path.join(root, relative), 'notFile', 'is not a folder');
  return dir;
}

/** Writes a file below `root` through a temporary sibling and a rename: never through a link, never torn. */
export async function writeFileInside(
  root: string,
  relative: string,
  data: string | Uint8Array,
): Promise<string> {
  const file = await writablePath(root, relative, { create: true });
  await writeReplacing(file, data);
  return file;
}

/** Temp file + fsync + rename over `file`; the temp name is random so nothing can be planted there. */
export async function writeReplacing(file: string, data: string | Uint8Array): Promise<void> {
  // crypto, not Math.random: training replaces Math.random with a seeded generator.
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | noFollow(),
    0o644,
  );
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

function noFollow(): number {
  return constants.O_NOFOLLOW ?? 0;
}

/**
 * Appends text to a file below `root` (created when missing) and syncs it. The handle refuses a link;
 * a file with other hard links is first replaced by a copy of its own, so the append cannot reach them.
 */
export async function appendFileInside(root: string, relative: string, text: string): Promise<void> {
  const file = await writablePath(root, relative, { create: true });
  let handle;
  try {
    handle = await fs.open(
      file,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | noFollow(),
      0o644,
    );
  } catch (error) {
    if (codeOf(error) === 'ELOOP')
      throw new RunFileError(
        path.join(root, relative),
        'link',
        'is a symbolic link; files are never written through a link — remove it',
      );
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new RunFileError(path.join(root, relative), 'notFile', 'not a regular file');
    if (stat.nlink > 1) {
      await handle.close();
      handle = undefined;
      const current = await fs.readFile(file);
      await writeReplacing(file, Buffer.concat([current, Buffer.from(text, 'utf8')]));
      return;
    }
    await handle.appendFile(text);
    await handle.sync();
  } finally {
    await handle?.close();
  }
}

/**
 * Every symbolic link below a folder (not followed), as paths relative to it: a run directory must hold
 * none. `limit` bounds the walk on a folder that is not what it claims to be.
 */
export async function findLinks(dir: string, limit = 100_000): Promise<string[]> {
  const links: string[] = [];
  let seen = 0;
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++seen > limit) return;
      const child = relative ? path.join(relative, entry.name) : entry.name;
      if (entry.isSymbolicLink()) links.push(child);
      else if (entry.isDirectory()) await walk(child);
    }
  };
  await walk('');
  return links.sort();
}

/**
 * Checks that each of `relatives` (a split's image paths) stays inside `root` once links are resolved.
 * Missing files pass (the decoder reports them as skipped); the first one that leads outside is a
 * RunFileError 'outside'. `label(i)` names entry i in the message (`train[3]`).
 */
export async function assertEntriesInside(
  root: string,
  relatives: readonly string[],
  label: (index: number) => string,
  concurrency = 32,
): Promise<void> {
  const base = await realRoot(root);
  let next = 0;
  let failure: RunFileError | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < relatives.length) {
      const index = next++;
      const relative = relatives[index];
      let segments: string[];
      try {
        segments = segmentsOf(root, relative);
      } catch (error) {
        failure = error as RunFileError;
        return;
      }
      const real = await fs.realpath(path.join(base, ...segments)).catch(() => null);
      if (real !== null && !isInside(base, real)) {
        failure = new RunFileError(
          path.join(root, relative),
          'outside',
          `${label(index)} resolves to ${real}, outside the data set folder ${root}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failure) throw failure;
}
