// Issue 8 §1, the pieces the SIGKILL test can only hit by chance: the checkpoint swap's crash windows,
// `image-trainer runs` showing a vanished trainer as interrupted, and a resume that would make a second
// writer of a run whose trainer is still alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main, type CliIo } from '../../../src/trainer/cli';
import { DEFAULT_CONFIG } from '../../../src/core/config';
import type { RunRecord, RunSummary } from '../../../src/protocol/runRecord';
import { replaceDirectory, resolveDirectory } from '../../../src/trainer/modelIO';
import { trainRun } from '../../../src/trainer/train';
import { UsageError } from '../../../src/trainer/errors';
import { makeTempDir, removeDir } from '../../fixtures/imageFactory';
import { makeRunRecord } from '../../fixtures/runRecords';

async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd };
  return { code: await main(argv, io), stdout, stderr };
}

function record(id: string, overrides: Partial<RunRecord>): RunRecord {
  return makeRunRecord(
    id,
    { config: { ...DEFAULT_CONFIG, epochs: 5 }, epochsCompleted: 2, ...overrides },
    { counts: { train: 4, validation: 2, test: 0 } },
  );
}

/** A pid that belonged to a process which has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

async function writeRun(root: string, rec: RunRecord): Promise<string> {
  const dir = path.join(root, rec.id);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'run.json'), JSON.stringify(rec));
  return dir;
}

test('image-trainer runs: a run whose trainer vanished shows as interrupted, in text and JSON', async () => {
  const work = await makeTempDir('it-runs-cli-');
  try {
    const root = path.join(work, '.image-trainer', 'runs');
    const host = os.hostname();
    await writeRun(root, record('2026-01-01-a', { status: 'completed', bestValAccuracy: 0.875 }));
    await writeRun(root, record('2026-01-02-b', { status: 'running', pid: await deadPid(), hostname: host }));
    await writeRun(root, record('2026-01-03-c', { status: 'running', pid: process.pid, hostname: host }));
    await fsp.mkdir(path.join(root, 'not-a-run'));

    const json = await cli(['runs', '--json'], work);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as RunSummary[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.status]),
      [
        ['2026-01-03-c', 'running'],
        ['2026-01-02-b', 'interrupted'],
        ['2026-01-01-a', 'completed'],
      ],
    );
    const text = await cli(['runs', root], '/');
    assert.equal(text.code, 0);
    const lines = text.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1], /^2026-01-02-b {2}interrupted {2}epoch 2\/5 /);
    assert.match(lines[2], /^2026-01-01-a {2}completed {4}epoch 2\/5 {2}best val acc 87\.5% /);
    const empty = await cli(['runs', path.join(work, 'nothing')], '/');
    assert.match(empty.stdout, /^No runs under /);
    assert.equal((await cli(['runs', 'a', 'b'], '/')).code, 2);
  } finally {
    await removeDir(work);
  }
});

test('checkpoint swap: a crash between the renames leaves dir.old, and the next save keeps it until the new dir is in', async () => {
  const work = await makeTempDir('it-swap-');
  try {
    const dir = path.join(work, 'last');
    const fill = (epoch: number) => async (temp: string) => {
      await fsp.writeFile(path.join(temp, 'model.json'), JSON.stringify({ epoch }));
    };
    await replaceDirectory(dir, fill(1));
    // The state a kill leaves between `rename(dir, dir.old)` and `rename(temp, dir)`, plus a killed writer's temp.
    await fsp.rename(dir, `${dir}.old`);
    await fsp.mkdir(`${dir}.tmp-999999`);
    assert.equal(await resolveDirectory(dir), `${dir}.old`);

    // The next save fails at its final rename (disk full): dir.old must still be there, complete.
    const rename = fsp.rename;
    fsp.rename = async (from, to) => {
      if (String(to) === dir) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      return rename(from, to);
    };
    try {
      await assert.rejects(replaceDirectory(dir, fill(2)), /the disk is full/);
    } finally {
      fsp.rename = rename;
    }
    assert.equal(await resolveDirectory(dir), `${dir}.old`);
    assert.deepEqual(JSON.parse(await fsp.readFile(path.join(`${dir}.old`, 'model.json'), 'utf8')), {
      epoch: 1,
    });

    await replaceDirectory(dir, fill(3));
    assert.equal(await resolveDirectory(dir), dir);
    assert.deepEqual(JSON.parse(await fsp.readFile(path.join(dir, 'model.json'), 'utf8')), { epoch: 3 });
    assert.deepEqual(await fsp.readdir(work), ['last'], 'no dir.old and no temporary folders left');
  } finally {
    await removeDir(work);
  }
});

test('resume refuses a run whose trainer is still alive on this machine', async () => {
  const work = await makeTempDir('it-live-');
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    const runDir = await writeRun(
      work,
      record('live', { status: 'running', pid: sleeper.pid, hostname: os.hostname() }),
    );
    await fsp.writeFile(
      path.join(runDir, 'split.json'),
      JSON.stringify({ seed: 1, train: [], validation: [], test: [] }),
    );
    await assert.rejects(
      trainRun({
        resumeRunDir: runDir,
        runsRoot: work,
        config: DEFAULT_CONFIG,
        emit: () => undefined,
        stop: { requested: false },
      }),
      (err: Error) =>
        err instanceof UsageError &&
        err.message ===
          `${runDir}: its trainer is still running (pid ${sleeper.pid}); stop it before resuming`,
    );
    const after = JSON.parse(await fsp.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
    assert.equal(after.status, 'running', 'the live run record is untouched');
    assert.equal(after.pid, sleeper.pid);
  } finally {
    sleeper.kill('SIGKILL');
    await removeDir(work);
  }
});

test('restore-best after a crash between the best and last checkpoints: a best checkpoint of another epoch is not restored', async () => {
  const { resolveConfig } = await import('../../../src/core/config');
  const { selectBackend } = await import('../../../src/trainer/backend');
  const { writeSampleDataset } = await import('../../../src/trainer/sampleWriter');
  await selectBackend('wasm');
  const work = await makeTempDir('it-best-');
  try {
    const data = path.join(work, 'data');
    await writeSampleDataset(data, { perClass: 8, size: 12, seed: 2 });
    const config = resolveConfig({
      model: 'simple-cnn',
      imageSize: 12,
      channels: 1,
      epochs: 2,
      batchSize: 16,
      earlyStopping: { monitor: 'valLoss', patience: 50, restoreBest: true },
    });
    const first = await trainRun({
      dataDir: data,
      runsRoot: work,
      config,
      emit: () => undefined,
      stop: { requested: false },
    });
    assert.equal(first.status, 'completed', first.message);
    const runDir = first.runDir!;
    // The tracker says epoch 1 is best, and nothing can beat it; the best checkpoint on disk says otherwise.
    const lastState = path.join(runDir, 'checkpoints', 'last', 'state.json');
    const state = JSON.parse(await fsp.readFile(lastState, 'utf8')) as {
      tracker: { bestEpoch: number; bestValue: number; wait: number };
    };
    state.tracker = { bestEpoch: 1, bestValue: -1e9, wait: 1 };
    await fsp.writeFile(lastState, JSON.stringify(state));
    const bestState = path.join(runDir, 'checkpoints', 'best', 'state.json');
    for (const [bestEpoch, expected] of [
      [2, /the best checkpoint holds epoch 2, not the best epoch 1; keeping the final weights/],
      [1, /Restored the weights of epoch 1/],
    ] as const) {
      const best = JSON.parse(await fsp.readFile(bestState, 'utf8')) as { epoch: number };
      await fsp.writeFile(bestState, JSON.stringify({ ...best, epoch: bestEpoch }));
      await fsp.writeFile(lastState, JSON.stringify(state));
      const logs: string[] = [];
      const resumed = await trainRun({
        resumeRunDir: runDir,
        runsRoot: work,
        config,
        epochsOverride: 3,
        emit: (e) => {
          if (e.type === 'log') logs.push(e.message);
        },
        stop: { requested: false },
      });
      assert.equal(resumed.status, 'completed', resumed.message);
      assert.ok(
        logs.some((m) => expected.test(m)),
        `${expected}: ${logs.join(' | ')}`,
      );
    }
  } finally {
    await removeDir(work);
  }
});

test('a resume removes what a killed trainer left: temporary record copies and the decoded-sample cache', async () => {
  const { removeLeftovers } = await import('../../../src/trainer/runWriter');
  const work = await makeTempDir('it-leftovers-');
  try {
    const keep = ['run.json', 'metrics.jsonl', 'split.json', 'notes.tmp-draft', 'decoded-notes.bin'];
    const litter = ['run.json.tmp-1234-ab12cd', 'metrics.jsonl.tmp-99-zz0000', 'decoded-4321-lq3x9k.bin'];
    for (const name of [...keep, ...litter]) await fsp.writeFile(path.join(work, name), 'x');
    assert.deepEqual((await removeLeftovers(work)).sort(), [...litter].sort());
    assert.deepEqual((await fsp.readdir(work)).sort(), [...keep].sort());
    assert.deepEqual(await removeLeftovers(path.join(work, 'missing')), []);
  } finally {
    await removeDir(work);
  }
});
