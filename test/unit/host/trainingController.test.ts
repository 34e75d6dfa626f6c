import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingController } from '../../../src/host/training/trainingController';
import { TrainingSession, type SessionOutcome } from '../../../src/host/training/trainingSession';
import type { TrainRequest } from '../../../src/host/training/trainRequest';
import { fakeDeps } from './fakes';

const req = (name: string): TrainRequest => ({ datasetDir: `/ws/${name}`, runsRoot: '/ws/runs' });
const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const deps = fakeDeps();
  const started: string[] = [];
  const ended: SessionOutcome['kind'][] = [];
  const queueSizes: number[] = [];
  const controller = new TrainingController((request) => new TrainingSession(request, deps), {
    onStarted: (s) => started.push(s.request.datasetDir),
    onEnded: (_s, outcome) => ended.push(outcome.kind),
    onQueueChanged: (q) => queueSizes.push(q.length),
  });
  return { deps, controller, started, ended, queueSizes };
}

test('queued requests start one after another, whatever the previous outcome', async () => {
  const { deps, controller, started, ended, queueSizes } = setup();
  assert.equal(controller.enqueue(req('a')), 'started');
  assert.equal(controller.enqueue(req('b')), 'queued');
  assert.equal(controller.enqueue(req('c')), 'queued');
  assert.deepEqual(started, ['/ws/a']);
  assert.deepEqual(
    controller.queued.map((r) => r.datasetDir),
    ['/ws/b', '/ws/c'],
  );
  assert.equal(deps.spawned.length, 1, 'only one trainer runs at a time');

  deps.children[0].exit(null, 'SIGSEGV');
  await tick();
  assert.deepEqual(started, ['/ws/a', '/ws/b']);
  assert.equal(controller.active?.request.datasetDir, '/ws/b');
  deps.children[1].emitEvent({
    type: 'runCompleted',
    runId: 'b',
    runDir: '/ws/runs/b',
    epochsCompleted: 1,
    bestEpoch: null,
    bestValAccuracy: null,
  });
  deps.children[1].exit(0);
  await tick();
  deps.children[2].exit(1);
  await tick();
  assert.deepEqual(ended, ['crashed', 'completed', 'crashed']);
  assert.equal(controller.busy, false);
  assert.deepEqual(queueSizes, [1, 2, 1, 0]);
});

test('start refuses while busy; stop goes to the active session; the queue can be cleared', async () => {
  const { deps, controller } = setup();
  assert.equal(controller.stopActive(), 'idle');
  controller.start(req('a'));
  assert.throws(() => controller.start(req('b')), /already active/);
  controller.enqueue(req('b'));
  assert.equal(controller.stopActive(), 'requested');
  assert.deepEqual(deps.children[0].sent, [{ type: 'stop' }]);
  assert.equal(controller.clearQueue(), 1);
  deps.children[0].emitEvent({ type: 'runStopped', runId: 'a', runDir: '/ws/runs/a', epochsCompleted: 0 });
  deps.children[0].exit(130);
  await tick();
  assert.equal(deps.spawned.length, 1, 'the cleared request never starts');
});

test('dispose kills the active trainer and starts nothing queued', async () => {
  const { deps, controller } = setup();
  controller.start(req('a'));
  controller.enqueue(req('b'));
  controller.dispose();
  assert.deepEqual(deps.killed, [deps.children[0]]);
  deps.children[0].exit(null, 'SIGKILL');
  await tick();
  assert.equal(deps.spawned.length, 1);
  assert.throws(() => controller.start(req('c')), /disposed/);
});
