// The Runs view model over the real run store (src/core/runStore.ts) on run directories in a temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { listRuns } from '../../../src/core/runStore';
import {
  describeRun,
  presentRunNode,
  runContextValue,
  RunsModel,
  viewSignature,
} from '../../../src/host/runs/runsModel';
import { COMMANDS } from '../../../src/host/ids';
import { makeRunRecord, makeRunSummary } from '../../fixtures/runRecords';

function writeRun(
  root: string,
  id: string,
  fields: Record<string, unknown>,
  epochs: { epoch: number; valAccuracy: number }[],
): void {
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  const record = {
    ...makeRunRecord(
      id,
      {
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        config: resolveConfig(undefined, { epochs: 10 }),
        epochsCompleted: epochs.length,
      },
      { root: '/ws/shapes', counts: { train: 8, validation: 2, test: 0 } },
    ),
    ...fields,
  };
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(record));
  const lines = epochs.map((e) =>
    JSON.stringify({
      epoch: e.epoch,
      loss: 1,
      accuracy: 0.5,
      valLoss: 1,
      valAccuracy: e.valAccuracy,
      learningRate: 0.001,
      durationMs: 1,
      samplesPerSecond: 1,
    }),
  );
  writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => l + '\n').join(''));
}

const epochs = (n: number, acc: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({ epoch: i + 1, valAccuracy: acc(i + 1) }));

test('runs are listed newest first with status icon, epoch progress and best validation accuracy', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'it-runs-'));
  try {
    writeRun(
      root,
      'old',
      { createdAt: '2026-01-01T10:00:00.000Z' },
      epochs(10, (e) => e / 10),
    );
    writeRun(
      root,
      'new',
      { createdAt: '2026-01-03T10:00:00.000Z', status: 'running', pid: process.pid, hostname: undefined },
      epochs(7, (e) => [0.5, 0.6, 0.912, 0.8, 0.85, 0.9, 0.91][e - 1]),
    );
    writeRun(
      root,
      'crashed',
      { createdAt: '2026-01-02T10:00:00.000Z', status: 'running', pid: 2 ** 22 + 12345 },
      epochs(3, () => 0.4),
    );
    writeRun(
      root,
      'broken',
      {
        createdAt: '2026-01-04T10:00:00.000Z',
        status: 'failed',
        error: { message: 'ENOSPC writing metrics.jsonl' },
      },
      [],
    );
    mkdirSync(path.join(root, 'not-a-run'));

    const model = new RunsModel({ listRuns: (r) => listRuns(r) }, () => root);
    await model.refresh();
    const nodes = model.getChildren();
    const shown = nodes.map(presentRunNode);
    assert.deepEqual(
      shown.map((n) => n.label),
      ['broken', 'new', 'crashed', 'old'],
    );
    assert.deepEqual(
      shown.map((n) => n.icon?.id),
      ['error', 'sync~spin', 'warning', 'pass'],
    );
    assert.deepEqual(
      shown.map((n) => n.contextValue),
      ['run.failed', 'run.running', 'run.interrupted', 'run.completed'],
    );
    assert.deepEqual(
      shown.map((n) => n.description),
      ['0/10 · failed', 'epoch 7/10 · best 91.2%', '3/10 · best 40.0% · interrupted', '10/10 · best 100.0%'],
    );
    assert.match(shown[0].tooltip ?? '', /ENOSPC writing metrics\\\.jsonl/);
    assert.equal(shown[1].command?.command, COMMANDS.openDashboard);
    assert.deepEqual(shown[1].command?.args, ['new']);
    assert.equal(model.find('crashed')?.status, 'interrupted');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a missing runs root has no nodes (the welcome view shows); a failing reader is shown, not thrown', async () => {
  const empty = new RunsModel({ listRuns: (r) => listRuns(r) }, () =>
    path.join(tmpdir(), 'it-no-such-runs-root'),
  );
  await empty.refresh();
  assert.deepEqual(empty.getChildren(), []);
  const failing = new RunsModel(
    {
      listRuns: async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    },
    () => '/runs',
  );
  await failing.refresh();
  const [node] = failing.getChildren();
  assert.equal(node.kind, 'error');
  assert.match(presentRunNode(node).label, /Cannot read runs in \/runs: EACCES/);
});

test('describeRun shows the epoch progress as done/total, and the group of a sweep', () => {
  const summary = {
    status: 'stopped',
    epochsCompleted: 3,
    totalEpochs: 20,
    bestValAccuracy: null,
  } as Parameters<typeof describeRun>[0];
  assert.equal(describeRun(summary), '3/20 · stopped');
  assert.equal(
    describeRun({ ...summary, status: 'completed', bestValAccuracy: 0.5, group: 'sweep-lr' }),
    '3/20 · best 50.0% · sweep-lr',
  );
});

test('overlapping refreshes: a slow earlier read never overwrites a newer one (a finished run stays finished)', async () => {
  const summary = (status: 'running' | 'completed') =>
    ({ id: 'r1', status, epochsCompleted: status === 'running' ? 3 : 6, totalEpochs: 6 }) as never;
  const pending: ((runs: never[]) => void)[] = [];
  const model = new RunsModel(
    { listRuns: () => new Promise((resolve) => pending.push(resolve)) },
    () => '/runs',
  );
  const first = model.refresh();
  const second = model.refresh();
  // The newer read (after the run completed) answers first, the older one (mid-run) last.
  pending[1]([summary('completed')]);
  await second;
  pending[0]([summary('running')]);
  await first;
  assert.equal(model.find('r1')?.status, 'completed');
  assert.equal(model.find('r1')?.epochsCompleted, 6);
});

test('the view signature changes only when a row would look different', async () => {
  const listing = { current: [makeRunSummary('r1', { status: 'running' }), makeRunSummary('r2')] };
  const model = new RunsModel({ listRuns: async () => listing.current }, () => '/runs');
  await model.refresh();
  const first = viewSignature(model.getChildren());
  // The same runs read again (a metrics line was appended): nothing to redraw.
  listing.current = [makeRunSummary('r1', { status: 'running' }), makeRunSummary('r2')];
  await model.refresh();
  assert.equal(viewSignature(model.getChildren()), first);
  // A status change is a redraw.
  listing.current = [makeRunSummary('r1', { status: 'completed' }), makeRunSummary('r2')];
  await model.refresh();
  assert.notEqual(viewSignature(model.getChildren()), first);
});

test('a detection run is marked as one: its row says mAP@0.5, its context value ends in .detect', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'it-runs-detect-'));
  try {
    writeRun(
      root,
      'classifier',
      { createdAt: '2026-01-01T10:00:00.000Z' },
      epochs(2, (e) => e / 4),
    );
    writeRun(
      root,
      'detector',
      {
        createdAt: '2026-01-02T10:00:00.000Z',
        config: resolveConfig(undefined, { epochs: 10, task: 'detect' }),
        testAccuracy: 0.5,
      },
      // A detector writes its validation mAP@0.5 as valAccuracy.
      epochs(2, (e) => [0.4123, 0.6124][e - 1]),
    );
    const model = new RunsModel({ listRuns: (r) => listRuns(r) }, () => root);
    await model.refresh();
    assert.equal(model.find('detector')?.task, 'detect');
    assert.equal(model.find('classifier')?.task, undefined);
    const shown = model.getChildren().map(presentRunNode);
    assert.deepEqual(
      shown.map((n) => [n.label, n.contextValue, n.description]),
      [
        ['detector', 'run.completed.detect', '2/10 · best mAP@0.5 0.612'],
        ['classifier', 'run.completed', '2/10 · best 50.0%'],
      ],
    );
    assert.match(shown[0].tooltip ?? '', /Validation mAP@0\.5: best 0\.612, last 0\.612/);
    assert.match(shown[0].tooltip ?? '', /Test mAP@0\.5: 0\.500/);
    assert.doesNotMatch(shown[0].tooltip ?? '', /accuracy/i);
    assert.match(shown[1].tooltip ?? '', /Validation accuracy: best 50\.0%/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('runContextValue: the status, then .detect for a detection run only', () => {
  assert.equal(runContextValue(makeRunSummary('a', { status: 'stopped' })), 'run.stopped');
  assert.equal(
    runContextValue(makeRunSummary('b', { status: 'running', task: 'detect' })),
    'run.running.detect',
  );
  assert.equal(runContextValue(makeRunSummary('c', { status: 'failed', task: 'classify' })), 'run.failed');
});
