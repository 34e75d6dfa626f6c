// The real child-process path, with small stand-in trainer scripts (not the CLI): IPC both ways,
// a crash mid-run that marks run.json failed, kill of the process group, and JSON results of short commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { markRunEnded } from '../../../src/host/training/runRecordRepair';
import {
  CliError,
  killProcessTree,
  parseJsonOutput,
  resolveRuntime,
  runCliJson,
  spawnTrainer,
  type CliLocation,
} from '../../../src/host/training/trainerProcess';
import { TrainingSession } from '../../../src/host/training/trainingSession';
import { isRecord } from '../../../src/protocol';
import { lastLine } from '../../../src/host/util/errors';

function withScript(body: string): { location: CliLocation; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'it-proc-'));
  const cliPath = path.join(dir, 'cli.js');
  writeFileSync(cliPath, body);
  return { dir, location: { runtime: resolveRuntime(undefined), cliPath, cwd: dir } };
}

test('runtime: the editor runtime runs as Node; a configured executable is used as is', () => {
  const editor = resolveRuntime(undefined, { PATH: '/bin' });
  assert.equal(editor.executable, process.execPath);
  assert.equal(editor.env.ELECTRON_RUN_AS_NODE, '1');
  const node = resolveRuntime('  /opt/node/bin/node ', { PATH: '/bin' });
  assert.equal(node.executable, '/opt/node/bin/node');
  assert.equal(node.env.ELECTRON_RUN_AS_NODE, undefined);
});

test('a real trainer child: events arrive over IPC, a crash mid-run marks run.json failed', async () => {
  const { dir, location } = withScript(`
    const runDir = process.argv[process.argv.indexOf('--out') + 1] + '/r1';
    require('fs').mkdirSync(runDir, { recursive: true });
    require('fs').writeFileSync(runDir + '/run.json', JSON.stringify({ id: 'r1', status: 'running', epochsCompleted: 1, pid: process.pid }));
    process.send({ type: 'runStarted', runId: 'r1', runDir, backend: 'cpu', backendNotes: [], config: {}, dataset: { root: '/d', classNames: ['a','b'], counts: { train: 1, validation: 1, test: 0 }, skipped: 0 }, startEpoch: 0, totalEpochs: 2 });
    process.send({ type: 'epochStarted', epoch: 1, totalEpochs: 2, totalBatches: 1 }, () => {
      process.stderr.write('native crash\\n');
      process.exit(3);
    });
  `);
  try {
    const stderr: string[] = [];
    const session = new TrainingSession(
      { datasetDir: '/d', runsRoot: path.join(dir, 'runs') },
      {
        spawn: (args) => spawnTrainer(location, args),
        killTree: killProcessTree,
        markRunEnded: (d, s, m) => markRunEnded(d, s, m),
      },
      { onStderr: (t) => stderr.push(t) },
    );
    session.start();
    const outcome = await session.done;
    assert.equal(outcome.kind, 'crashed');
    assert.equal(outcome.runId, 'r1');
    assert.equal(session.snapshot.epoch, 1, 'the events before the crash were received');
    assert.match(stderr.join(''), /native crash/);
    const record = JSON.parse(readFileSync(path.join(dir, 'runs', 'r1', 'run.json'), 'utf8'));
    assert.equal(record.status, 'failed');
    assert.deepEqual(record.error, { message: 'trainer exited unexpectedly (code 3, signal none)' });
    assert.equal(record.epochsCompleted, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a real trainer child receives {type:"stop"} and a second stop kills its process group', async () => {
  const { dir, location } = withScript(`
    const runDir = process.argv[process.argv.indexOf('--out') + 1] + '/r2';
    require('fs').mkdirSync(runDir, { recursive: true });
    require('fs').writeFileSync(runDir + '/run.json', JSON.stringify({ id: 'r2', status: 'running' }));
    process.on('message', (m) => process.send({ type: 'log', level: 'info', message: 'got ' + m.type }));
    process.send({ type: 'runStarted', runId: 'r2', runDir, backend: 'cpu', backendNotes: [], config: {}, dataset: { root: '/d', classNames: [], counts: { train: 0, validation: 0, test: 0 }, skipped: 0 }, startEpoch: 0, totalEpochs: 1 });
    setInterval(() => {}, 1000); // ignores the stop: only a kill ends it
  `);
  try {
    const logs: string[] = [];
    let started!: () => void;
    const runStarted = new Promise<void>((resolve) => (started = resolve));
    let gotStop!: () => void;
    const stopSeen = new Promise<void>((resolve) => (gotStop = resolve));
    const session = new TrainingSession(
      { datasetDir: '/d', runsRoot: path.join(dir, 'runs') },
      {
        spawn: (args) => spawnTrainer(location, args),
        killTree: killProcessTree,
        markRunEnded: (d, s, m) => markRunEnded(d, s, m),
      },
      {
        onLog: (_l, m) => {
          logs.push(m);
          if (m === 'got stop') gotStop();
        },
        onEvent: (e) => e.type === 'runStarted' && started(),
      },
    );
    session.start();
    await runStarted;
    assert.equal(session.requestStop(), 'requested');
    await stopSeen;
    assert.equal(session.requestStop(), 'killed');
    const outcome = await session.done;
    assert.equal(outcome.kind, 'stopped');
    const record = JSON.parse(readFileSync(path.join(dir, 'runs', 'r2', 'run.json'), 'utf8'));
    assert.equal(record.status, 'stopped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("short commands: JSON results pass the guard; errors carry the CLI's last stderr line", async () => {
  const { dir, location } = withScript(`
    const [cmd] = process.argv.slice(2);
    if (cmd === 'ok') { console.log('progress line'); console.log(JSON.stringify({ total: 3 })); }
    else if (cmd === 'bad') console.log(JSON.stringify([1]));
    else { process.stderr.write('warning: x\\nimage-trainer: /data: no such folder\\n'); process.exit(2); }
  `);
  try {
    const guard = (v: unknown): v is { total: number } => isRecord(v) && typeof v.total === 'number';
    assert.deepEqual(await runCliJson(location, ['ok'], guard), { total: 3 });
    await assert.rejects(runCliJson(location, ['bad'], guard), /printed an unexpected result/);
    await assert.rejects(runCliJson(location, ['fail'], guard), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message, 'image-trainer: /data: no such folder');
      assert.equal(error.exitCode, 2);
      return true;
    });
    const missing = { ...location, runtime: { executable: path.join(dir, 'no-node'), env: {} } };
    await assert.rejects(runCliJson(missing, ['ok'], guard), /cannot start/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSON output parsing takes the whole text, else its last JSON line', () => {
  assert.deepEqual(parseJsonOutput('[\n{"a":1},\n{"a":2}\n]\n'), [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(parseJsonOutput('loading\n{"x":1}\n'), { x: 1 });
  assert.equal(parseJsonOutput('  \n'), undefined);
  assert.equal(lastLine('a\nb\n\n'), 'b');
  assert.equal(lastLine(''), undefined);
});
