// Issue 8 §5, trainer channel: seeded random and mutated messages of every type through the protocol
// guards, checked against an independent oracle written from the declared types; then garbage sent over
// IPC to a real training process, which must ignore it and finish. (The host's session handler, the
// dashboard controller and the webview reducer have their own 10,000-message fuzz tests beside their code.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  isHostToTrainer,
  isTrainerToHost,
  TRAINER_PHASES,
  type TrainerToHost,
  type TrainerToHostType,
} from '../../../src/protocol/trainerMessages';
import { resolveConfig } from '../../../src/core/config';
import { makeTempDir, removeDir, seededRandom } from '../../fixtures/imageFactory';
import { buildCli, cliEnv, runCli } from '../../fixtures/trainerHarness';

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === 'string';
const nnInt: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const finite: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);
const optional =
  (c: Check): Check =>
  (v) =>
    v === undefined || c(v);
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v);
const shape =
  (spec: Record<string, Check>): Check =>
  (v) =>
    isObj(v) && Object.entries(spec).every(([k, c]) => c(v[k]));
const arrayOf =
  (c: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(c);

const epochMetrics = shape({
  epoch: nnInt,
  loss: finite,
  accuracy: finite,
  valLoss: orNull(finite),
  valAccuracy: orNull(finite),
  learningRate: finite,
  durationMs: finite,
  samplesPerSecond: finite,
});
/** What each TrainerToHost type declares (the `config` inside runStarted is only required to be an object; `backend` any name). */
const ORACLE: Record<TrainerToHostType, Record<string, Check>> = {
  runStarted: {
    runId: str,
    runDir: str,
    backend: str,
    backendNotes: arrayOf(str),
    config: isObj,
    dataset: shape({
      root: str,
      classNames: arrayOf(str),
      counts: shape({ train: nnInt, validation: nnInt, test: nnInt }),
      skipped: nnInt,
    }),
    startEpoch: nnInt,
    totalEpochs: nnInt,
  },
  phaseChanged: { phase: oneOf(TRAINER_PHASES), message: str },
  progress: { phase: oneOf(TRAINER_PHASES), done: nnInt, total: nnInt },
  epochStarted: { epoch: nnInt, totalEpochs: nnInt, totalBatches: nnInt },
  batchEnded: {
    epoch: nnInt,
    batch: nnInt,
    totalBatches: nnInt,
    loss: finite,
    accuracy: finite,
    etaMs: finite,
  },
  epochEnded: {
    metrics: epochMetrics,
    etaMs: finite,
    bestEpoch: nnInt,
    improved: (v) => typeof v === 'boolean',
  },
  checkpointSaved: { kind: oneOf(['best', 'last']), epoch: nnInt, path: str },
  evaluationWritten: { accuracy: finite, path: str },
  runCompleted: {
    runId: str,
    runDir: str,
    epochsCompleted: nnInt,
    bestEpoch: orNull(nnInt),
    bestValAccuracy: orNull(finite),
  },
  runStopped: { runId: str, runDir: str, epochsCompleted: nnInt },
  runFailed: { runId: orNull(str), runDir: orNull(str), message: str, path: optional(str) },
  log: { level: oneOf(['info', 'warn', 'error']), message: str },
};

function oracleTrainerToHost(value: unknown): boolean {
  if (!isObj(value) || typeof value.type !== 'string' || !Object.hasOwn(ORACLE, value.type)) return false;
  return shape(ORACLE[value.type as TrainerToHostType])(value);
}

function oracleHostToTrainer(value: unknown): boolean {
  return isObj(value) && value.type === 'stop' && optional((v) => typeof v === 'boolean')(value.immediately);
}

const runDir = '/runs/r1';
const metrics = {
  epoch: 2,
  loss: 0.5,
  accuracy: 0.8,
  valLoss: null,
  valAccuracy: 0.7,
  learningRate: 0.001,
  durationMs: 10,
  samplesPerSecond: 100,
};
const VALID: Record<TrainerToHostType, TrainerToHost> = {
  runStarted: {
    type: 'runStarted',
    runId: 'r1',
    runDir,
    backend: 'wasm',
    backendNotes: [],
    config: resolveConfig(undefined, {}),
    dataset: { root: '/d', classNames: ['a', 'b'], counts: { train: 8, validation: 2, test: 0 }, skipped: 0 },
    startEpoch: 1,
    totalEpochs: 3,
  },
  phaseChanged: { type: 'phaseChanged', phase: 'training', message: 'go' },
  progress: { type: 'progress', phase: 'decoding', done: 1, total: 2 },
  epochStarted: { type: 'epochStarted', epoch: 1, totalEpochs: 3, totalBatches: 4 },
  batchEnded: { type: 'batchEnded', epoch: 1, batch: 1, totalBatches: 4, loss: 1, accuracy: 0.5, etaMs: 100 },
  epochEnded: { type: 'epochEnded', metrics, etaMs: 5, bestEpoch: 2, improved: true },
  checkpointSaved: { type: 'checkpointSaved', kind: 'last', epoch: 2, path: `${runDir}/checkpoints/last` },
  evaluationWritten: { type: 'evaluationWritten', accuracy: 0.9, path: `${runDir}/evaluation.json` },
  runCompleted: {
    type: 'runCompleted',
    runId: 'r1',
    runDir,
    epochsCompleted: 3,
    bestEpoch: null,
    bestValAccuracy: null,
  },
  runStopped: { type: 'runStopped', runId: 'r1', runDir, epochsCompleted: 1 },
  runFailed: {
    type: 'runFailed',
    runId: null,
    runDir: null,
    message: 'cannot write /runs/r1/run.json: the disk is full',
    path: '/runs/r1/run.json',
  },
  log: { type: 'log', level: 'warn', message: 'hm' },
};

const JUNK: unknown[] = [
  null,
  undefined,
  NaN,
  Infinity,
  -Infinity,
  -1,
  0,
  0.5,
  1e308,
  -0,
  '',
  'x',
  'stop',
  'a\u0000b',
  '../../etc/passwd',
  '/etc/passwd',
  'x'.repeat(5000),
  [],
  [1],
  {},
  { type: 'stop' },
  true,
  false,
  JSON.parse('{"__proto__":{"polluted":true}}'),
  Object.create(null),
];

function makeMutator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const types = [...Object.keys(VALID), 'stop', 'Stop', 'runstarted', ''];
  const mutate = (value: unknown, depth: number): unknown => {
    if (depth > 4 || random() < 0.1) return pick(JUNK);
    if (Array.isArray(value)) {
      const copy = value.map((v) => (random() < 0.2 ? mutate(v, depth + 1) : v));
      if (random() < 0.2) copy.push(pick(JUNK));
      return random() < 0.1 ? copy.slice(1) : copy;
    }
    if (isObj(value)) {
      const copy: Record<string, unknown> = { ...value };
      const keys = Object.keys(copy);
      const edits = 1 + Math.floor(random() * 2);
      for (let e = 0; e < edits; e++) {
        const key = pick(keys);
        const r = random();
        if (r < 0.25) delete copy[key];
        else if (r < 0.35) copy.type = pick(types);
        else if (r < 0.45) copy[pick(['extra', '__proto__', 'constructor', 'toString'])] = pick(JUNK);
        else copy[key] = mutate(copy[key], depth + 1);
      }
      return copy;
    }
    return random() < 0.5 ? pick(JUNK) : value;
  };
  return { mutate, pick };
}

test('fuzz: 12,000 TrainerToHost and 10,000 HostToTrainer candidates; the guards agree with the declared types', () => {
  const random = seededRandom(8);
  const { mutate, pick } = makeMutator(random);
  const bases = Object.values(VALID);
  for (const base of bases) assert.ok(isTrainerToHost(base), `valid ${base.type} accepted`);
  // Each required field, removed, makes its message invalid.
  for (const [type, spec] of Object.entries(ORACLE)) {
    for (const key of Object.keys(spec)) {
      const copy: Record<string, unknown> = { ...VALID[type as TrainerToHostType] };
      delete copy[key];
      assert.equal(isTrainerToHost(copy), oracleTrainerToHost(copy), `${type} without ${key}`);
    }
  }
  const tally = { accepted: 0, rejected: 0 };
  const acceptedTypes = new Set<string>();
  for (let i = 0; i < 12_000; i++) {
    // Mostly mutations of valid messages; some JSON round trips (what IPC delivers); some pure junk.
    let candidate: unknown = i % 12 === 0 ? pick(bases) : i % 25 === 1 ? pick(JUNK) : mutate(pick(bases), 0);
    if (i % 7 === 0)
      candidate = candidate === undefined ? undefined : JSON.parse(JSON.stringify(candidate) ?? 'null');
    let verdict: boolean;
    assert.doesNotThrow(() => (verdict = isTrainerToHost(candidate)), `message ${i}`);
    assert.equal(
      verdict!,
      oracleTrainerToHost(candidate),
      `message ${i}: ${JSON.stringify(candidate)?.slice(0, 300)}`,
    );
    if (verdict!) {
      tally.accepted++;
      acceptedTypes.add((candidate as { type: string }).type);
    } else tally.rejected++;
  }
  assert.deepEqual(
    [...acceptedTypes].sort(),
    Object.keys(VALID).sort(),
    'every type was accepted at least once',
  );
  assert.ok(tally.rejected > 1000 && tally.accepted > 1000, JSON.stringify(tally));

  const stops: unknown[] = [
    { type: 'stop' },
    { type: 'stop', immediately: true },
    { type: 'stop', immediately: false },
  ];
  let stopAccepted = 0;
  for (let i = 0; i < 10_000; i++) {
    const candidate =
      i % 10 === 0 ? pick(stops) : i % 3 === 0 ? mutate(pick(bases), 0) : mutate(pick(stops), 0);
    let verdict: boolean;
    assert.doesNotThrow(() => (verdict = isHostToTrainer(candidate)));
    assert.equal(verdict!, oracleHostToTrainer(candidate), `stop ${i}: ${JSON.stringify(candidate)}`);
    if (verdict!) stopAccepted++;
  }
  assert.ok(stopAccepted > 1000 && stopAccepted < 10_000, `${stopAccepted} stop messages accepted`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

test(
  'a real trainer ignores thousands of malformed IPC messages and trains to the end',
  { timeout: 300_000 },
  async () => {
    const built = await buildCli();
    const work = await makeTempDir('it-ipcfuzz-');
    let child: ChildProcess | undefined;
    try {
      const data = path.join(work, 'data');
      assert.equal((await runCli(built.cli, ['sample', data, '--per-class', '10', '--size', '16'])).code, 0);
      const trainer = fork(
        built.cli,
        [
          'train',
          data,
          '--out',
          path.join(work, 'runs'),
          '--image-size',
          '12',
          '--channels',
          '1',
          '--model',
          'simple-cnn',
          '--epochs',
          '2',
          '--json',
        ],
        {
          env: cliEnv(),
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        },
      );
      child = trainer;
      let stderr = '';
      trainer.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      // A send racing the trainer's exit fails with the channel closed; that is not the trainer's fault.
      trainer.on('error', (err) => (stderr += `\n[ipc] ${err.message}`));
      const events: unknown[] = [];
      const random = seededRandom(31);
      const { mutate, pick } = makeMutator(random);
      let sent = 0;
      const stops: unknown[] = [{ type: 'stop' }, { type: 'stop', immediately: true }];
      trainer.on('message', (event: unknown) => {
        events.push(event);
        // Every event from the trainer answers with a burst of garbage, never a valid stop.
        for (let k = 0; k < 40 && sent < 3000 && trainer.connected; k++) {
          let message = mutate(pick<unknown>(random() < 0.5 ? stops : Object.values(VALID)), 0);
          if (oracleHostToTrainer(message)) message = { ...(message as object), type: 'stop ' };
          if (message === undefined) message = null;
          trainer.send(message as object);
          sent++;
        }
      });
      const code = await new Promise<number | null>((resolve) => trainer.on('close', (c) => resolve(c)));
      assert.equal(code, 0, stderr);
      assert.ok(sent >= 1000, `${sent} malformed messages were sent`);
      const done = events.find((e) => isTrainerToHost(e) && e.type === 'runCompleted') as
        Extract<TrainerToHost, { type: 'runCompleted' }> | undefined;
      assert.ok(done, 'the run completed');
      assert.equal(done.epochsCompleted, 2);
      assert.ok(
        events.every((e) => isTrainerToHost(e)),
        'every IPC event passes the guard',
      );
      const record = JSON.parse(await readFile(path.join(done.runDir, 'run.json'), 'utf8')) as {
        status: string;
      };
      assert.equal(record.status, 'completed');
      console.log(`IPC fuzz: ${sent} malformed messages sent to a training process; it completed`);
    } finally {
      child?.kill('SIGKILL');
      await removeDir(work);
      await built.dispose();
    }
  },
);
