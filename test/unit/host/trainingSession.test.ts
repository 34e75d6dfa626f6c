import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { isInside } from '../../../src/core/runFiles';
import {
  crashMessage,
  fractionOf,
  TrainingSession,
  type LogLevel,
  type SessionSnapshot,
} from '../../../src/host/training/trainingSession';
import { statusBarText } from '../../../src/host/training/progressDisplay';
import { trainArgs, type TrainRequest } from '../../../src/host/training/trainRequest';
import { isTrainerToHost, type TrainerToHost, type TrainerToHostType } from '../../../src/protocol';
import { FakeChild, fakeDeps, ManualClock } from './fakes';

const request: TrainRequest = {
  datasetDir: '/ws/shapes',
  runsRoot: '/ws/.image-trainer/runs',
  model: 'simple-cnn',
};
const runDir = '/ws/.image-trainer/runs/r1';
const metrics = (epoch: number, valAccuracy: number) => ({
  epoch,
  loss: 1 / epoch,
  accuracy: 0.5 + epoch / 100,
  valLoss: 1.2 / epoch,
  valAccuracy,
  learningRate: 0.001,
  durationMs: 2000,
  samplesPerSecond: 250,
});

/** One valid sample of every TrainerToHost type: the Record type fails to compile when a type is added. */
const SAMPLES: Record<TrainerToHostType, TrainerToHost> = {
  runStarted: {
    type: 'runStarted',
    runId: 'r1',
    runDir,
    backend: 'wasm',
    backendNotes: ['tensorflow: module not installed'],
    config: resolveConfig(undefined, { epochs: 3 }),
    dataset: {
      root: '/ws/shapes',
      classNames: ['a', 'b'],
      counts: { train: 80, validation: 20, test: 0 },
      skipped: 1,
    },
    startEpoch: 1,
    totalEpochs: 3,
  },
  phaseChanged: { type: 'phaseChanged', phase: 'decoding', message: 'Decoding 100 images' },
  progress: { type: 'progress', phase: 'decoding', done: 50, total: 100 },
  epochStarted: { type: 'epochStarted', epoch: 1, totalEpochs: 3, totalBatches: 4 },
  batchEnded: {
    type: 'batchEnded',
    epoch: 1,
    batch: 2,
    totalBatches: 4,
    loss: 0.9,
    accuracy: 0.6,
    etaMs: 20_000,
  },
  epochEnded: { type: 'epochEnded', metrics: metrics(1, 0.7), etaMs: 16_000, bestEpoch: 1, improved: true },
  checkpointSaved: { type: 'checkpointSaved', kind: 'best', epoch: 1, path: `${runDir}/checkpoints/best` },
  evaluationWritten: { type: 'evaluationWritten', accuracy: 0.9, path: `${runDir}/evaluation.json` },
  runCompleted: {
    type: 'runCompleted',
    runId: 'r1',
    runDir,
    epochsCompleted: 3,
    bestEpoch: 3,
    bestValAccuracy: 0.9,
  },
  runStopped: { type: 'runStopped', runId: 'r1', runDir, epochsCompleted: 1 },
  runFailed: {
    type: 'runFailed',
    runId: 'r1',
    runDir,
    message: `ENOSPC: no space left writing ${runDir}/metrics.jsonl`,
    path: `${runDir}/metrics.jsonl`,
  },
  log: { type: 'log', level: 'warn', message: 'class b has 3 images' },
};

function startSession(deps = fakeDeps()) {
  const logs: { level: LogLevel; message: string }[] = [];
  const updates: SessionSnapshot[] = [];
  const events: TrainerToHost[] = [];
  const stderr: string[] = [];
  const session = new TrainingSession(request, deps, {
    onLog: (level, message) => logs.push({ level, message }),
    onUpdate: (s) => updates.push(s),
    onEvent: (e) => events.push(e),
    onStderr: (t) => stderr.push(t),
  });
  session.start();
  return { session, deps, child: deps.children[0], logs, updates, events, stderr };
}

test('the samples are valid messages, one per type', () => {
  for (const [type, sample] of Object.entries(SAMPLES)) {
    assert.equal(sample.type, type);
    assert.ok(isTrainerToHost(sample), type);
  }
});

test('spawns `train DIR --json --out RUNSROOT --model X` and drains stdout', () => {
  const { deps, child } = startSession();
  assert.deepEqual(deps.spawned, [
    ['train', '/ws/shapes', '--json', '--out', '/ws/.image-trainer/runs', '--model', 'simple-cnn'],
  ]);
  assert.equal(child.stdout.isPaused(), false);
});

test('every TrainerToHost event is handled and forwarded', () => {
  for (const sample of Object.values(SAMPLES)) {
    const { session, events, updates } = startSession();
    const before = updates.length;
    session.handleMessage(sample);
    assert.deepEqual(events, [sample], sample.type);
    assert.equal(updates.length, before + 1, `${sample.type} updates the snapshot`);
  }
});

test('a full run: the snapshot follows epochs, batches, ETA and best accuracy, and completes', async () => {
  const { session, child, logs } = startSession();
  child.emitEvent(SAMPLES.runStarted);
  assert.equal(session.snapshot.runId, 'r1');
  assert.equal(session.snapshot.totalEpochs, 3);
  assert.ok(
    logs.some((l) =>
      /^Run r1 started: 2 classes, 80 train \/ 20 validation \/ 0 test images, 1 skipped; backend wasm$/.test(
        l.message,
      ),
    ),
  );
  child.emitEvent(SAMPLES.phaseChanged);
  assert.equal(session.snapshot.phase, 'decoding');
  child.emitEvent(SAMPLES.progress);
  assert.equal(session.snapshot.message, 'Decoding 50/100');
  child.emitEvent(SAMPLES.epochStarted);
  child.emitEvent(SAMPLES.batchEnded);
  let s = session.snapshot;
  assert.equal(s.epoch, 1);
  assert.equal(s.batch, 2);
  assert.equal(s.etaMs, 20_000);
  assert.equal(s.fraction, (0 + 2 / 4) / 3);
  assert.match(s.message, /^Epoch 1\/3 · batch 2\/4 · ETA 20s$/);
  child.emitEvent(SAMPLES.epochEnded);
  child.emitEvent({
    type: 'epochEnded',
    metrics: metrics(2, 0.65),
    etaMs: 8000,
    bestEpoch: 1,
    improved: false,
  });
  s = session.snapshot;
  assert.equal(s.lastValAccuracy, 0.65);
  assert.equal(s.bestValAccuracy, 0.7, 'a worse epoch does not replace the best');
  assert.equal(s.fraction, 2 / 3);
  child.emitEvent({ type: 'epochEnded', metrics: metrics(3, 0.9), etaMs: 0, bestEpoch: 3, improved: true });
  assert.equal(session.snapshot.bestValAccuracy, 0.9);
  child.emitEvent(SAMPLES.checkpointSaved);
  child.emitEvent(SAMPLES.evaluationWritten);
  child.emitEvent(SAMPLES.log);
  assert.ok(logs.some((l) => l.level === 'warn' && l.message === 'class b has 3 images'));
  assert.ok(
    logs.some((l) =>
      /^Epoch 3\/3: loss 0\.3333 · acc 53\.0% · val loss 0\.4000 · val acc 90\.0%/.test(l.message),
    ),
  );
  child.emitEvent(SAMPLES.runCompleted);
  assert.equal(session.ended, false, 'the outcome waits for the process to end');
  child.exit(0);
  const outcome = await session.done;
  assert.deepEqual(outcome, {
    kind: 'completed',
    runId: 'r1',
    runDir,
    epochsCompleted: 3,
    bestValAccuracy: 0.9,
  });
  assert.equal(session.snapshot.fraction, 1);
});

test('a child that exits mid-run without a final message marks the run failed', async () => {
  const { session, child, deps, logs } = startSession();
  child.emitEvent(SAMPLES.runStarted);
  child.emitEvent(SAMPLES.epochStarted);
  child.emitEvent(SAMPLES.epochEnded);
  child.exit(null, 'SIGSEGV');
  const outcome = await session.done;
  const message = 'trainer exited unexpectedly (code none, signal SIGSEGV)';
  assert.equal(crashMessage(null, 'SIGSEGV'), message);
  assert.deepEqual(outcome, { kind: 'crashed', runId: 'r1', runDir, message, code: null, signal: 'SIGSEGV' });
  assert.deepEqual(deps.marked, [{ runDir, status: 'failed', message }]);
  assert.ok(logs.some((l) => l.level === 'error' && l.message.includes(message)));
});

test('a child that dies before runStarted fails without touching any run record', async () => {
  const { session, child, deps, stderr } = startSession();
  child.stderr.write('image-trainer: /ws/shapes: no such folder\n');
  await new Promise((resolve) => setImmediate(resolve));
  child.exit(2);
  const outcome = await session.done;
  assert.equal(outcome.kind, 'crashed');
  assert.equal(outcome.runDir, null);
  assert.equal(
    outcome.kind === 'crashed' && outcome.message,
    'trainer exited unexpectedly (code 2, signal none): image-trainer: /ws/shapes: no such folder',
  );
  assert.deepEqual(deps.marked, []);
  assert.deepEqual(stderr, ['image-trainer: /ws/shapes: no such folder\n']);
});

test('runFailed and runStopped end the session as the trainer said, without rewriting run.json', async () => {
  for (const [sample, code, kind] of [
    [SAMPLES.runFailed, 1, 'failed'],
    [SAMPLES.runStopped, 130, 'stopped'],
  ] as const) {
    const { session, child, deps } = startSession();
    child.emitEvent(SAMPLES.runStarted);
    child.emitEvent(sample);
    child.exit(code);
    const outcome = await session.done;
    assert.equal(outcome.kind, kind);
    assert.equal(outcome.runDir, runDir);
    assert.deepEqual(deps.marked, []);
    if (outcome.kind === 'failed') assert.equal(outcome.path, `${runDir}/metrics.jsonl`);
  }
});

test('malformed messages are dropped and never change the state', () => {
  const { session, events, logs } = startSession();
  const bad: unknown[] = [
    null,
    'epochEnded',
    { type: 'epochEnded' },
    { type: 'runStarted', runId: 5 },
    { type: 'batchEnded', epoch: -1, batch: 0, totalBatches: 1, loss: 0, accuracy: 0, etaMs: 0 },
    {
      type: 'epochEnded',
      metrics: { ...metrics(1, 0.5), loss: Number.NaN },
      etaMs: 0,
      bestEpoch: 1,
      improved: true,
    },
    {
      type: 'runCompleted',
      runId: 'x',
      runDir: '/x',
      epochsCompleted: 1,
      bestEpoch: 1,
      bestValAccuracy: '0.9',
    },
    { type: 'nope' },
  ];
  const before = session.snapshot;
  for (const message of bad) session.handleMessage(message);
  assert.deepEqual(events, []);
  assert.deepEqual(session.snapshot, before);
  assert.equal(logs.filter((l) => l.message.includes('malformed')).length, 1, 'noted once, not per message');
});

test('stop: the first request sends {type:"stop"}, a second kills the process tree', async () => {
  const { session, child, deps } = startSession();
  child.emitEvent(SAMPLES.runStarted);
  assert.equal(session.requestStop(), 'requested');
  assert.deepEqual(child.sent, [{ type: 'stop' }]);
  assert.equal(session.snapshot.stopping, true);
  assert.equal(deps.killed.length, 0);
  assert.equal(session.requestStop(), 'killed');
  assert.deepEqual(deps.killed, [child]);
  child.exit(null, 'SIGKILL');
  const outcome = await session.done;
  assert.equal(outcome.kind, 'stopped');
  assert.deepEqual(
    deps.marked.map((m) => [m.runDir, m.status]),
    [[runDir, 'stopped']],
  );
});

test('stop: a trainer that does not stop in time is killed by the timeout', async () => {
  const clock = new ManualClock();
  const { session, child, deps } = startSession(fakeDeps(clock));
  child.emitEvent(SAMPLES.runStarted);
  session.requestStop();
  clock.advance(999);
  assert.equal(deps.killed.length, 0);
  clock.advance(1);
  assert.deepEqual(deps.killed, [child]);
  child.exit(null, 'SIGKILL');
  assert.equal((await session.done).kind, 'stopped');
});

test('stop: a clean stop clears the timeout', async () => {
  const clock = new ManualClock();
  const { session, child, deps } = startSession(fakeDeps(clock));
  child.emitEvent(SAMPLES.runStarted);
  session.requestStop();
  child.emitEvent(SAMPLES.runStopped);
  child.exit(130);
  await session.done;
  assert.equal(clock.pendingTimers, 0);
  clock.advance(10_000);
  assert.equal(deps.killed.length, 0);
  assert.equal(session.requestStop(), 'idle');
});

test('stop: a closed IPC channel means the trainer is killed at once', () => {
  const { session, child, deps } = startSession();
  child.acceptsMessages = false;
  assert.equal(session.requestStop(), 'killed');
  assert.deepEqual(deps.killed, [child]);
});

test('a trainer that cannot start fails the session with the reason', async () => {
  const { session, child } = startSession(fakeDeps(new ManualClock(), () => new FakeChild(null)));
  child.emit('error', Object.assign(new Error('spawn /opt/node ENOENT'), { code: 'ENOENT' }));
  const outcome = await session.done;
  assert.deepEqual(outcome, {
    kind: 'failed',
    runId: null,
    runDir: null,
    message: 'cannot start the trainer: spawn /opt/node ENOENT',
  });
  const throwing = fakeDeps();
  throwing.spawn = () => {
    throw new Error('EACCES');
  };
  const s2 = new TrainingSession(request, throwing);
  s2.start();
  assert.equal((await s2.done).kind, 'failed');
});

test('dispose kills the process tree; the run record is left for the reader to call interrupted', async () => {
  const { session, child, deps } = startSession();
  child.emitEvent(SAMPLES.runStarted);
  session.dispose();
  session.dispose();
  assert.deepEqual(deps.killed, [child]);
  child.exit(null, 'SIGKILL');
  const outcome = await session.done;
  assert.equal(outcome.kind, 'stopped');
  assert.deepEqual(deps.marked, []);
});

test('resume requests pass --resume and no data set or model', () => {
  assert.deepEqual(
    trainArgs({
      datasetDir: '/ws/d',
      runsRoot: '/r',
      resumeRunDir: '/r/run1',
      model: 'cnn',
      backend: 'wasm',
    }),
    ['train', '--resume', '/r/run1', '--json', '--out', '/r', '--backend', 'wasm'],
  );
  assert.deepEqual(
    trainArgs({
      datasetDir: '/ws/d',
      runsRoot: '/r',
      configFile: '/ws/a.imagetrainer.json',
      backend: 'auto',
    }),
    ['train', '/ws/d', '--json', '--out', '/r', '--config', '/ws/a.imagetrainer.json'],
  );
});

test('a detection run: the progress text, the evaluation and the end say mAP@0.5, never accuracy', async () => {
  const { session, child, logs } = startSession();
  child.emitEvent({ ...SAMPLES.runStarted, config: resolveConfig(undefined, { epochs: 3, task: 'detect' }) });
  assert.equal(session.snapshot.task, 'detect');
  child.emitEvent(SAMPLES.epochStarted);
  child.emitEvent({
    type: 'epochEnded',
    metrics: { ...metrics(1, 0.6124), task: 'detect', map50: 0.6124, map50_95: 0.3 } as never,
    etaMs: 16_000,
    bestEpoch: 1,
    improved: true,
  });
  const s = session.snapshot;
  assert.match(s.message, /^Epoch 1\/3 · val mAP@0\.5 0\.612 · ETA 16s$/);
  assert.equal(statusBarText(s, 0), '$(sync~spin) 1/3 · mAP 0.612 · ETA 16s');
  child.emitEvent({ ...SAMPLES.evaluationWritten, accuracy: 0.7 });
  child.emitEvent({ ...SAMPLES.runCompleted, bestValAccuracy: 0.6124 });
  const texts = logs.map((l) => l.message);
  assert.ok(texts.includes(`Evaluation: mAP@0.5 0.700 (${runDir}/evaluation.json)`), texts.join('\n'));
  assert.ok(texts.includes('Run r1 completed: 3 epochs, best validation mAP@0.5 0.612'), texts.join('\n'));
  assert.ok(!texts.some((t) => /accuracy|val acc/.test(t)), texts.join('\n'));
  child.exit(0);
  const outcome = await session.done;
  assert.equal(outcome.kind === 'completed' ? outcome.task : null, 'detect');
});

test('a detection run whose runStarted config lacks the task is known by its epoch lines', () => {
  const { session, child } = startSession();
  child.emitEvent(SAMPLES.runStarted);
  assert.equal(session.snapshot.task, 'classify');
  child.emitEvent({
    type: 'epochEnded',
    metrics: { ...metrics(1, 0.5), task: 'detect', map50: 0.5 } as never,
    etaMs: 0,
    bestEpoch: 1,
    improved: true,
  });
  assert.equal(session.snapshot.task, 'detect');
  assert.match(session.snapshot.message, /val mAP@0\.5 0\.500/);
});

test('progress of a resumed run counts only the epochs left', () => {
  const base: SessionSnapshot = {
    runId: 'r',
    runDir: 'd',
    phase: 'training',
    message: '',
    epoch: 7,
    startEpoch: 6,
    totalEpochs: 10,
    batch: 5,
    totalBatches: 10,
    etaMs: null,
    task: 'classify',
    lastValAccuracy: null,
    bestValAccuracy: null,
    fraction: 0,
    stopping: false,
  };
  assert.equal(fractionOf(base), 1.5 / 5, 'epochs 1-5 were done before; 1.5 of 6-10 now');
  assert.equal(fractionOf({ ...base, epoch: 5, batch: 0 }), 0);
  assert.equal(fractionOf({ ...base, epoch: 10, batch: 10 }), 1);
});

test('a run directory outside the runs root is never rewritten, whatever the child claims', async () => {
  const { session, child, deps, logs } = startSession();
  child.emitEvent({ ...SAMPLES.runStarted, runDir: '/etc' });
  child.exit(1);
  assert.equal((await session.done).kind, 'crashed');
  assert.deepEqual(deps.marked, []);
  assert.ok(logs.some((l) => l.message.startsWith('not updating /etc')));
  assert.equal(isInside('/ws/runs', '/ws/runs/../secrets'), false);
  assert.equal(isInside('/ws/runs', '/ws/runs'), false);
  assert.equal(isInside('/ws/runs', '/ws/runs/r1'), true);
});

test('fuzz: 12,000 random and mutated messages never throw and keep the snapshot sane', () => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const weird: unknown[] = [
    null,
    undefined,
    -1,
    0,
    1e12,
    Number.NaN,
    Infinity,
    '',
    '../../etc/passwd',
    '/abs',
    [],
    {},
    true,
    'x'.repeat(1000),
    2.5,
  ];
  const mutate = (value: unknown, depth: number): unknown => {
    if (depth > 3 || random() < 0.1) return pick(weird);
    if (Array.isArray(value)) return value.map((v) => mutate(v, depth + 1));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const r = random();
        if (r < 0.08) continue;
        out[k] = r < 0.35 ? mutate(v, depth + 1) : v;
      }
      if (random() < 0.05) out[pick(['extra', '__proto__', 'constructor'])] = pick(weird);
      return out;
    }
    return random() < 0.3 ? pick(weird) : value;
  };
  const samples = Object.values(SAMPLES);
  const { session, deps } = startSession();
  let accepted = 0;
  for (let i = 0; i < 12_000; i++) {
    const message = i % 4 === 0 ? pick(weird) : mutate(pick(samples), 0);
    assert.doesNotThrow(() => session.handleMessage(message));
    if (isTrainerToHost(message)) accepted++;
    const s = session.snapshot;
    for (const n of [s.epoch, s.totalEpochs, s.batch, s.totalBatches, s.fraction])
      assert.ok(Number.isFinite(n), JSON.stringify(s));
    assert.ok(s.fraction >= 0 && s.fraction <= 1);
  }
  assert.ok(accepted > 1000 && accepted < 12_000, `accepted ${accepted}`);
  assert.equal(deps.marked.length, 0, 'no message alone writes a file');
});
