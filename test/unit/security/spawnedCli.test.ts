// Issue 13, end to end through a real `image-trainer` process (the CLI bundled afresh, as the extension
// spawns it): a crafted model folder and a crafted run, with every file the process opens traced by a
// preloaded wrapper of node's fs. The process exits 2 with one line, and opens nothing in the victim tree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { buildCli, cliEnv, type BuiltCli } from '../../fixtures/trainerHarness';
import {
  assertUntouched,
  copyTrainedRun,
  editJson,
  hostileWorkspace,
  type HostileWorkspace,
} from './hostileWorkspace';

/** Preloaded into the CLI process: appends the real path of every file opened or read to $FS_TRACE. */
const TRACE_PRELOAD = `
const fs = require('node:fs');
const path = require('node:path');
const out = process.env.FS_TRACE;
const append = fs.appendFileSync.bind(fs);
const realpath = fs.realpathSync.bind(fs);
function note(p) {
  if (typeof p !== 'string' && !Buffer.isBuffer(p) && !(p instanceof URL)) return;
  const name = p instanceof URL ? p.pathname : p.toString();
  let real = path.resolve(name);
  try { real = realpath(name); } catch {}
  append(out, real + '\\n');
}
for (const name of ['open', 'openSync', 'readFile', 'readFileSync', 'createReadStream']) {
  const original = fs[name];
  fs[name] = function (...args) { note(args[0]); return original.apply(this, args); };
}
for (const name of ['open', 'readFile']) {
  const original = fs.promises[name];
  fs.promises[name] = function (...args) { note(args[0]); return original.apply(this, args); };
}
`;

let built: BuiltCli;
let ws: HostileWorkspace;
before(async () => {
  built = await buildCli();
  ws = await hostileWorkspace();
});
after(async () => {
  await built?.dispose();
  await ws?.dispose();
});

async function traced(argv: string[]): Promise<{ code: number | null; stderr: string; opened: string[] }> {
  const preload = path.join(ws.base, 'trace-preload.cjs');
  const trace = path.join(ws.base, `trace-${Date.now()}.txt`);
  await fsp.writeFile(preload, TRACE_PRELOAD);
  await fsp.writeFile(trace, '');
  const child = spawn(process.execPath, ['--require', preload, built.cli, ...argv], {
    cwd: ws.workspace,
    env: { ...cliEnv(), FS_TRACE: trace },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const opened = (await fsp.readFile(trace, 'utf8')).split('\n').filter(Boolean);
  return { code, stderr, opened };
}

function assertOneLineRefusal(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], pattern);
}

test('image-trainer evaluate: a weight path to a file of the user is refused, and the file is never opened', async () => {
  const runDir = await copyTrainedRun(ws, '2026-05-01T00-00-00-000Z-weights');
  await editJson(path.join(runDir, 'model', 'model.json'), (json) => ({
    ...json,
    weightsManifest: (json.weightsManifest as { paths: string[] }[]).map((g) => ({
      ...g,
      paths: [ws.secret],
    })),
  }));
  const result = await assertUntouched(ws.victim, () => traced(['evaluate', runDir, ws.data]));
  assertOneLineRefusal(
    result,
    /image-trainer: .*model\.json: weightsManifest\[0\]\.paths\[0\] .* is refused/,
  );
  assert.ok(
    result.opened.some((p) => p.endsWith(path.join('model', 'model.json'))),
    'the trace saw the model read',
  );
  assert.deepEqual(
    result.opened.filter((p) => p.startsWith(ws.victim)),
    [],
  );
});

test('image-trainer train --resume: a checkpoints/ link to the user\u2019s folder is refused and nothing there is touched', async () => {
  const runDir = await copyTrainedRun(ws, '2026-05-02T00-00-00-000Z-checkpoints');
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
  await fsp.rm(path.join(runDir, 'checkpoints'), { recursive: true });
  await fsp.symlink(ws.victim, path.join(runDir, 'checkpoints'));
  const result = await assertUntouched(ws.victim, () =>
    traced(['train', '--resume', runDir, '--epochs', '3']),
  );
  assertOneLineRefusal(result, /checkpoints: is a symbolic link; a run's files must be inside its folder/);
  assert.deepEqual(
    result.opened.filter((p) => p.startsWith(ws.victim)),
    [],
  );
});

test('two image-trainer train --resume of one run at once: one trains, the other is refused; no epoch twice', async () => {
  const runDir = await copyTrainedRun(ws, '2026-05-03T00-00-00-000Z-twice');
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
  const [a, b] = await Promise.all([
    traced(['train', '--resume', runDir, '--epochs', '3', '--json']),
    traced(['train', '--resume', runDir, '--epochs', '3', '--json']),
  ]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 2], `${a.stderr}\n${b.stderr}`);
  const refused = a.code === 2 ? a : b;
  // Started together, the second finds the lock (or the first's pid already in run.json); started late, it
  // finds the run already trained.
  assertOneLineRefusal(
    refused,
    /is writing this run|its trainer is still running|already trained 3 of 3 epochs/,
  );
  const epochs = (await fsp.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { kind?: string; epoch: number })
    .filter((line) => line.kind !== 'batch')
    .map((line) => line.epoch);
  assert.deepEqual(epochs, [1, 2, 3], 'every epoch exactly once');
});
