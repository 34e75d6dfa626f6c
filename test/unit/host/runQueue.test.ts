// The training queue: reorder and cancel in the controller, kept in queue.json across a reload, and
// queue.json read back as untrusted input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrainingController } from '../../../src/host/training/trainingController';
import { TrainingSession } from '../../../src/host/training/trainingSession';
import { trainArgs, type TrainRequest } from '../../../src/host/training/trainRequest';
import { QueueKeeper, queueViews } from '../../../src/host/training/queueKeeper';
import {
  isQueueId,
  newQueueId,
  QUEUE_FILE,
  queuedConfigPath,
  queuedConfigProblem,
  readQueue,
  writeQueuedConfig,
} from '../../../src/core/runQueue';
import { fakeDeps } from './fakes';
import { presentRunNode, RunsModel } from '../../../src/host/runs/runsModel';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-queue-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const tick = () => new Promise((resolve) => setImmediate(resolve));

const formReq = (id: string, extra: Partial<TrainRequest> = {}): TrainRequest => ({
  datasetDir: `/ws/${id}`,
  runsRoot: '/ws/runs',
  configFile: `/ws/runs/queue/${id}.imagetrainer.json`,
  queueId: id,
  label: `run ${id}`,
  ...extra,
});

test('queued runs can be moved and cancelled; the next to start follows the new order', async () => {
  const deps = fakeDeps();
  const changes: string[][] = [];
  const controller = new TrainingController((request) => new TrainingSession(request, deps), {
    onQueueChanged: (q) => changes.push(q.map((r) => r.queueId ?? '')),
  });
  controller.enqueue(formReq('q-a'));
  controller.enqueue(formReq('q-b'));
  controller.enqueue(formReq('q-c'));
  controller.enqueue(formReq('q-d'));
  assert.equal(controller.moveQueued('q-d', -1), true);
  assert.equal(controller.moveQueued('q-b', -1), false, 'the first cannot move up');
  assert.equal(controller.moveQueued('q-x', 1), false);
  assert.equal(controller.cancelQueued('q-b')?.queueId, 'q-b');
  assert.equal(controller.cancelQueued('q-b'), undefined);
  assert.deepEqual(changes.at(-1), ['q-d', 'q-c']);
  assert.deepEqual(
    queueViews(controller.queued).map((v) => [v.id, v.position]),
    [
      ['q-d', 1],
      ['q-c', 2],
    ],
  );
  deps.children[0].exit(1);
  await tick();
  assert.equal(controller.active?.request.queueId, 'q-d', 'the moved run starts next');
});

test('a queued form run passes its config file and --parent to the trainer', () => {
  const args = trainArgs(formReq('q-a', { parentId: '20260101-abc' }));
  assert.deepEqual(args.slice(0, 2), ['train', '/ws/q-a']);
  assert.deepEqual(args.slice(args.indexOf('--config'), args.indexOf('--config') + 2), [
    '--config',
    '/ws/runs/queue/q-a.imagetrainer.json',
  ]);
  assert.deepEqual(args.slice(args.indexOf('--parent'), args.indexOf('--parent') + 2), [
    '--parent',
    '20260101-abc',
  ]);
  assert.equal(
    trainArgs({ ...formReq('q-a', { parentId: 'p' }), resumeRunDir: '/ws/runs/r' }).includes('--parent'),
    false,
  );
});

test('the queue survives a reload: written on every change, restored in order, refused folders dropped', async () => {
  const runsRoot = path.join(work, 'runs-reload');
  mkdirSync(runsRoot, { recursive: true });
  const logs: string[] = [];
  const first = new QueueKeeper({
    runsRoot: () => runsRoot,
    mayTrain: () => true,
    datasetAllowed: async () => null,
    enqueue: () => undefined,
    log: (l) => logs.push(l),
    warn: (l) => logs.push(l),
  });
  const a = formReq(newQueueId(new Date('2026-01-02T03:04:05Z'), 'aa11'), {
    datasetDir: '/data/a',
    parentId: 'run-1',
  });
  const b = formReq(newQueueId(new Date('2026-01-02T03:04:06Z'), 'bb22'), { datasetDir: '/data/b' });
  assert.ok(isQueueId(a.queueId) && isQueueId(b.queueId));
  await writeQueuedConfig(runsRoot, a.queueId!, { epochs: 4 });
  await first.persist([a, b, { datasetDir: '/data/palette', runsRoot }]);
  const onDisk = JSON.parse(readFileSync(path.join(runsRoot, QUEUE_FILE), 'utf8')) as {
    entries: { id: string }[];
  };
  assert.deepEqual(
    onDisk.entries.map((e) => e.id),
    [a.queueId, b.queueId],
    'only the form’s runs are kept on disk',
  );
  const restored: TrainRequest[] = [];
  const second = new QueueKeeper({
    runsRoot: () => runsRoot,
    mayTrain: () => true,
    datasetAllowed: async (dir) => (dir === '/data/b' ? 'outside the folders you chose' : null),
    enqueue: (r) => restored.push(r),
    log: (l) => logs.push(l),
    warn: (l) => logs.push(l),
  });
  assert.equal(await second.restore(), 1);
  assert.deepEqual(restored, [
    {
      datasetDir: '/data/a',
      runsRoot,
      configFile: path.join(runsRoot, queuedConfigPath(a.queueId!)),
      queueId: a.queueId,
      label: a.label,
      parentId: 'run-1',
    },
  ]);
  assert.ok(logs.some((l) => l.includes(`${b.queueId} dropped: outside the folders you chose`)));
  const untrusted = new QueueKeeper({
    runsRoot: () => runsRoot,
    mayTrain: () => false,
    datasetAllowed: async () => null,
    enqueue: () => assert.fail('nothing is queued in Restricted Mode'),
    log: () => undefined,
    warn: () => undefined,
  });
  assert.equal(await untrusted.restore(), 0);
  await second.ended(a);
  assert.equal(
    existsSync(path.join(runsRoot, queuedConfigPath(a.queueId!))),
    false,
    'the config goes with the run',
  );
});

test('queue.json is untrusted: bad entries are dropped with the reason, a linked file is not read', async () => {
  const runsRoot = path.join(work, 'runs-hostile');
  mkdirSync(runsRoot, { recursive: true });
  const good = { id: 'q-1', createdAt: 'now', datasetDir: '/data/a', label: 'a' };
  writeFileSync(
    path.join(runsRoot, QUEUE_FILE),
    JSON.stringify({
      formatVersion: 1,
      entries: [
        good,
        { ...good, id: '../../etc/passwd' },
        { ...good, id: 'q-2', datasetDir: 'relative/dir' },
        { ...good, id: 'q-3', parentId: '../x' },
        good,
        'junk',
      ],
    }),
  );
  const read = await readQueue(runsRoot);
  assert.deepEqual(
    read.entries.map((e) => e.id),
    ['q-1'],
  );
  assert.equal(read.problems.length, 5);
  writeFileSync(path.join(runsRoot, QUEUE_FILE), '{"formatVersion": 1, "entries": [');
  assert.match((await readQueue(runsRoot)).problems[0] ?? '', /not valid JSON/);
  rmSync(path.join(runsRoot, QUEUE_FILE));
  const victim = path.join(work, 'victim.json');
  writeFileSync(victim, JSON.stringify({ formatVersion: 1, entries: [good] }));
  symlinkSync(victim, path.join(runsRoot, QUEUE_FILE));
  const linked = await readQueue(runsRoot);
  assert.deepEqual(linked.entries, []);
  assert.equal(linked.problems.length, 1);
  // A linked queue folder is never written through.
  const other = path.join(work, 'runs-linked');
  mkdirSync(other);
  symlinkSync(work, path.join(other, 'queue'));
  await assert.rejects(writeQueuedConfig(other, 'q-9', {}), /symbolic link/);
  assert.equal(existsSync(path.join(work, 'q-9.imagetrainer.json')), false);
});

test('the Runs view lists queued runs first, with their position, as "queued"', async () => {
  const model = new RunsModel(
    { listRuns: async () => [] },
    () => '/ws/runs',
    () => queueViews([formReq('q-a'), formReq('q-b', { parentId: 'run-1' })]),
  );
  await model.refresh();
  const shown = model.getChildren().map(presentRunNode);
  assert.deepEqual(
    shown.map((n) => [n.label, n.description, n.contextValue]),
    [
      ['run q-a', 'queued · next', 'queued'],
      ['run q-b', 'queued · position 2', 'queued'],
    ],
  );
  assert.match(String(shown[1].tooltip), /Re-runs run\\-1 with changes/, 'the id is Markdown-escaped');
});

test('with maxConcurrentRuns 2, two runs train at once and the queue fills each freed place in order', async () => {
  const deps = fakeDeps();
  let max = 2;
  const started: string[] = [];
  const controller = new TrainingController(
    (request) => new TrainingSession(request, deps),
    { onStarted: (s) => started.push(s.request.queueId ?? '') },
    () => max,
  );
  assert.equal(controller.enqueue(formReq('q-a')), 'started');
  assert.equal(controller.enqueue(formReq('q-b')), 'started');
  assert.equal(controller.enqueue(formReq('q-c')), 'queued');
  assert.equal(controller.enqueue(formReq('q-d')), 'queued');
  assert.equal(controller.running.length, 2);
  assert.equal(controller.atCapacity, true);
  assert.equal(controller.active?.request.queueId, 'q-b', 'Stop follows the newest run');
  deps.children[0].exit(1);
  await tick();
  assert.deepEqual(started, ['q-a', 'q-b', 'q-c']);
  // Lowering the setting lets the running ones finish and starts nothing until there is room.
  max = 1;
  deps.children[1].exit(1);
  await tick();
  assert.deepEqual(started, ['q-a', 'q-b', 'q-c'], 'q-c still trains: no room for q-d');
  deps.children[2].exit(1);
  await tick();
  assert.deepEqual(started, ['q-a', 'q-b', 'q-c', 'q-d']);
  assert.equal(controller.busy, true);
});

test('a queued run’s config is checked before it starts: missing, damaged, invalid or linked, with the file named', async () => {
  const runsRoot = path.join(work, 'runs-configs');
  mkdirSync(runsRoot, { recursive: true });
  const file = (id: string) => path.join(runsRoot, queuedConfigPath(id));
  await writeQueuedConfig(runsRoot, 'q-good', { $comment: 'from the form', epochs: 4, model: 'simple-cnn' });
  assert.equal(await queuedConfigProblem(runsRoot, { id: 'q-good' }), null);
  assert.equal(await queuedConfigProblem(runsRoot, { id: 'q-gone' }), `${file('q-gone')}: no such file`);
  await writeQueuedConfig(runsRoot, 'q-cut', {});
  writeFileSync(file('q-cut'), '{"epochs": 4,');
  assert.match(
    (await queuedConfigProblem(runsRoot, { id: 'q-cut' })) ?? '',
    new RegExp(`^${file('q-cut')}:1:\\d+: invalid JSON`),
  );
  await writeQueuedConfig(runsRoot, 'q-bad', { epochs: 0 });
  const bad = (await queuedConfigProblem(runsRoot, { id: 'q-bad' })) ?? '';
  assert.ok(bad.startsWith(file('q-bad')), bad);
  assert.match(bad, /epochs/);
  assert.equal(bad.split('\n').length, 1, 'one line');
  const outside = path.join(work, 'outside.imagetrainer.json');
  writeFileSync(outside, '{}');
  symlinkSync(outside, file('q-link'));
  assert.match((await queuedConfigProblem(runsRoot, { id: 'q-link' })) ?? '', /outside .* remove the link/);
  assert.match((await queuedConfigProblem(runsRoot, { id: '../x' })) ?? '', /not a queue id/);
});

test('restored entries whose config went missing or is damaged are dropped with a warning naming the file', async () => {
  const runsRoot = path.join(work, 'runs-restore-check');
  mkdirSync(runsRoot, { recursive: true });
  const ok = formReq('q-ok', { runsRoot, datasetDir: '/data/ok' });
  const gone = formReq('q-gone', { runsRoot, datasetDir: '/data/gone' });
  const broken = formReq('q-broken', { runsRoot, datasetDir: '/data/broken' });
  await writeQueuedConfig(runsRoot, 'q-ok', { epochs: 2 });
  await writeQueuedConfig(runsRoot, 'q-broken', {});
  writeFileSync(path.join(runsRoot, queuedConfigPath('q-broken')), 'garbage');
  const keeperDeps = (restored: TrainRequest[], warnings: string[]) => ({
    runsRoot: () => runsRoot,
    mayTrain: () => true,
    datasetAllowed: async () => null,
    enqueue: (r: TrainRequest) => restored.push(r),
    log: () => undefined,
    warn: (l: string) => warnings.push(l),
  });
  await new QueueKeeper(keeperDeps([], [])).persist([ok, gone, broken]);
  const restored: TrainRequest[] = [];
  const warnings: string[] = [];
  assert.equal(await new QueueKeeper(keeperDeps(restored, warnings)).restore(), 1);
  assert.deepEqual(
    restored.map((r) => r.queueId),
    ['q-ok'],
  );
  assert.equal(warnings.length, 2);
  assert.equal(
    warnings[0],
    `Queued run "run q-gone" was dropped, not started: ${path.join(runsRoot, queuedConfigPath('q-gone'))}: no such file`,
  );
  assert.match(
    warnings[1],
    new RegExp(
      `dropped, not started: ${path.join(runsRoot, queuedConfigPath('q-broken'))}:1:\\d+: invalid JSON`,
    ),
  );
  assert.ok(
    existsSync(path.join(runsRoot, queuedConfigPath('q-broken'))),
    'the damaged file is left to look at',
  );
});

test('at its turn, a queued run whose config is gone is dropped (never started), and the next one starts', async () => {
  const runsRoot = path.join(work, 'runs-turn');
  mkdirSync(runsRoot, { recursive: true });
  const warnings: string[] = [];
  const keeper = new QueueKeeper({
    runsRoot: () => runsRoot,
    mayTrain: () => true,
    datasetAllowed: async () => null,
    enqueue: () => undefined,
    log: () => undefined,
    warn: (l) => warnings.push(l),
  });
  const deps = fakeDeps();
  const started: string[] = [];
  const controller = new TrainingController(
    (request) => new TrainingSession(request, deps),
    {
      onStarted: (s) => started.push(s.request.queueId ?? s.request.datasetDir),
      onDropped: (request, reason) => keeper.dropped(request, reason),
    },
    () => 1,
    (request) => keeper.check(request),
  );
  for (const id of ['q-first', 'q-second', 'q-third']) await writeQueuedConfig(runsRoot, id, { epochs: 1 });
  controller.enqueue(formReq('q-first', { runsRoot }));
  controller.enqueue(formReq('q-second', { runsRoot }));
  controller.enqueue(formReq('q-third', { runsRoot }));
  rmSync(path.join(runsRoot, queuedConfigPath('q-second')));
  deps.children[0].exit(1);
  // The checks read files: wait for them (bounded), not for a fixed number of turns.
  for (let i = 0; i < 2000 && started.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(started, ['q-first', 'q-third']);
  assert.equal(deps.spawned.length, 2, 'no trainer for the dropped run: no failed run either');
  assert.deepEqual(controller.queued, []);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /"run q-second" was dropped, not started: .*q-second\.imagetrainer\.json: no such file/,
  );
});
