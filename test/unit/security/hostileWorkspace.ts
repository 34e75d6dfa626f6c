// Shared pieces of the hostile-workspace suite (issue 13): a crafted workspace in a temp folder with a
// victim tree beside it (the user's files, which nothing may read, write, move or delete), a hash of a
// tree to compare before and after, a wrapped `fs` that records every file opened for reading, the CLI
// run in-process exactly as `image-trainer` runs it, and one small trained run to copy into each case.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { main, type CliIo } from '../../../src/trainer/cli';
import { selectBackend } from '../../../src/trainer/backend';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';
import { trainRun } from '../../../src/trainer/train';

export interface HostileWorkspace {
  /** The temp folder holding everything below. */
  base: string;
  /** The workspace the user opened (an attacker's repository). */
  workspace: string;
  /** `<workspace>/.image-trainer/runs`. */
  runsRoot: string;
  /** A data set inside the workspace. */
  data: string;
  /** The user's own files, outside every root. */
  victim: string;
  /** A file in the victim tree that crafted files point at. */
  secret: string;
  dispose(): Promise<void>;
}

/**
 * For one test file: a function that makes hostile workspaces, each removed after the file's tests (call
 * it at the top level of the file).
 */
export function workspacesForThisFile(): () => Promise<HostileWorkspace> {
  const made: HostileWorkspace[] = [];
  after(async () => {
    for (const ws of made) await ws.dispose();
  });
  return async () => {
    const ws = await hostileWorkspace();
    made.push(ws);
    return ws;
  };
}

/** A workspace with a runs folder and a data set, and a victim tree outside it. */
export async function hostileWorkspace(): Promise<HostileWorkspace> {
  const base = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'it-hostile-')));
  const workspace = path.join(base, 'workspace');
  const runsRoot = path.join(workspace, '.image-trainer', 'runs');
  const data = path.join(workspace, 'data');
  const victim = path.join(base, 'victim');
  await fsp.mkdir(runsRoot, { recursive: true });
  await fsp.mkdir(path.join(victim, 'photos', 'cat'), { recursive: true });
  await fsp.mkdir(path.join(victim, 'photos', 'dog'), { recursive: true });
  await fsp.mkdir(path.join(victim, 'last'), { recursive: true });
  const secret = path.join(victim, 'secret.txt');
  await fsp.writeFile(secret, 'the user\u2019s private text\n'.repeat(40));
  await fsp.writeFile(path.join(victim, 'notes.json'), '{"keep": true}\n');
  await fsp.writeFile(path.join(victim, 'last', 'model.json'), '{"victim": true}');
  await fsp.copyFile(await sampleImage(), path.join(victim, 'photos', 'cat', 'a.png'));
  await fsp.copyFile(await sampleImage(), path.join(victim, 'photos', 'dog', 'b.png'));
  return {
    base,
    workspace,
    runsRoot,
    data,
    victim,
    secret,
    dispose: () => fsp.rm(base, { recursive: true, force: true }),
  };
}

let sampleImagePath: Promise<string> | null = null;

/** One small PNG from the sample data set, written once per process. */
function sampleImage(): Promise<string> {
  sampleImagePath ??= (async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'it-sample-'));
    await writeSampleDataset(dir, { perClass: 1, size: 12, seed: 1 });
    const cls = (await fsp.readdir(dir)).sort()[0];
    const file = (await fsp.readdir(path.join(dir, cls)))[0];
    return path.join(dir, cls, file);
  })();
  return sampleImagePath;
}

/** Every entry below `dir` with its kind and content hash (or link target): compare before and after. */
export async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (relative: string): Promise<void> => {
    const entries = await fsp.readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const rel = path.join(relative, entry.name);
      const full = path.join(dir, rel);
      if (entry.isSymbolicLink()) out[rel] = `link ${await fsp.readlink(full)}`;
      else if (entry.isDirectory()) {
        out[rel] = 'dir';
        await walk(rel);
      } else
        out[rel] = `file ${createHash('sha256')
          .update(await fsp.readFile(full))
          .digest('hex')}`;
    }
  };
  await walk('');
  return out;
}

/** Asserts that `action` leaves the tree at `dir` exactly as it was (nothing written, moved or deleted). */
export async function assertUntouched<T>(dir: string, action: () => Promise<T>): Promise<T> {
  const before = await treeDigest(dir);
  const result = await action();
  assert.deepEqual(await treeDigest(dir), before, `${dir} changed`);
  return result;
}

/**
 * Runs `action` with node's fs wrapped so that every file opened or read (promises, callbacks and sync,
 * by path) is recorded with its real path; returns what it read. Reads through a link are recorded as the
 * file the link reaches.
 */
export async function traceReads<T>(action: () => Promise<T>): Promise<{ result: T; read: string[] }> {
  const read: string[] = [];
  const record = (target: unknown): void => {
    if (typeof target !== 'string' && !(target instanceof URL) && !Buffer.isBuffer(target)) return;
    const p = target instanceof URL ? target.pathname : target.toString();
    let real = path.resolve(p);
    try {
      real = fs.realpathSync(p);
    } catch {
      // Missing: the name as given.
    }
    read.push(real);
  };
  type Fn = (...args: unknown[]) => unknown;
  const patches: [Record<string, Fn>, string, Fn][] = [];
  const wrap = (owner: object, name: string): void => {
    const target = owner as Record<string, Fn>;
    const original = target[name];
    patches.push([target, name, original]);
    target[name] = function (this: unknown, ...args: unknown[]) {
      record(args[0]);
      return original.apply(this, args);
    };
  };
  for (const name of ['open', 'readFile']) wrap(fsp, name);
  for (const name of ['open', 'openSync', 'readFile', 'readFileSync', 'createReadStream']) wrap(fs, name);
  try {
    const result = await action();
    return { result, read };
  } finally {
    for (const [target, name, original] of patches.reverse()) target[name] = original;
  }
}

/** Asserts that none of `read` lies inside `dir` (its real path). */
export function assertNothingReadIn(read: readonly string[], dir: string): void {
  const real = fs.realpathSync(dir);
  const inside = read.filter((p) => p === real || p.startsWith(real + path.sep));
  assert.deepEqual(inside, [], `files read inside ${dir}`);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `image-trainer ARGV` in-process: the function the CLI process runs, with its exit status and output. */
export async function cli(argv: string[], cwd: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The user saw one line saying why: exit 2, a single stderr line matching `pattern`, no stack trace. */
export function assertRefused(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit 2, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

export const TINY_CONFIG = resolveConfig({
  model: 'simple-cnn',
  imageSize: 16,
  channels: 1,
  epochs: 2,
  batchSize: 8,
  seed: 5,
  augment: 'none',
});

let trained: Promise<{ runDir: string; data: string }> | null = null;

/** One trained run (2 epochs, checkpoints, model, evaluation) and its data set, made once per process. */
export function trainedRun(): Promise<{ runDir: string; data: string }> {
  trained ??= (async () => {
    await selectBackend('wasm');
    const dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'it-hostile-trained-')));
    const data = path.join(dir, 'data');
    await writeSampleDataset(data, { perClass: 8, size: 12, seed: 2 });
    const outcome = await trainRun({
      dataDir: data,
      runsRoot: path.join(dir, 'runs'),
      config: TINY_CONFIG,
      emit: () => undefined,
      stop: { requested: false },
    });
    assert.equal(outcome.status, 'completed', outcome.message);
    return { runDir: outcome.runDir!, data };
  })();
  return trained;
}

/**
 * A copy of the trained run (and of its data set) inside `ws`, with run.json's data root pointing at the
 * copied data set: a realistic run to tamper with.
 */
export async function copyTrainedRun(
  ws: HostileWorkspace,
  name = '2026-01-01T00-00-00-000Z-aaaa',
): Promise<string> {
  const source = await trainedRun();
  const runDir = path.join(ws.runsRoot, name);
  await fsp.cp(source.runDir, runDir, { recursive: true });
  await fsp.cp(source.data, ws.data, { recursive: true, force: false, errorOnExist: false });
  await editJson(path.join(runDir, 'run.json'), (record) => {
    const dataset = record.dataset as Record<string, unknown>;
    return { ...record, id: name, dataset: { ...dataset, root: ws.data } };
  });
  return runDir;
}

export async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
}

export async function editJson(
  file: string,
  edit: (value: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  await fsp.writeFile(file, JSON.stringify(edit(await readJson(file)), null, 2));
}

/** Runs `action` and returns how long the tests may wait on it: a hung reader fails instead of stalling. */
export async function withinSeconds<T>(seconds: number, action: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not finish within ${seconds} s (a reader hung)`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([action(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
