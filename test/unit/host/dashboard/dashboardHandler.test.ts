// The dashboard host's message handling against a real temporary data set: what it sends, and that no
// message from the webview can read, open or move a file outside the data set root.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Evaluation, RunDetails } from '../../../../src/protocol/runRecord';
import type { HostToWebview, LrFindCurve } from '../../../../src/protocol/webviewMessages';
import type { Clock } from '../../../../src/host/util/clock';
import {
  DashboardController,
  type DashboardEffects,
  relativeSegments,
  resolveInsideRoot,
} from '../../../../src/host/dashboard/dashboardController';
import { datasetRootAccess } from '../../../../src/host/dashboard/resourceRoots';
import { makeRunSummary, recordOfSummary } from '../../../fixtures/runRecords';

interface World {
  dir: string;
  root: string;
  outside: string;
  run: RunDetails;
  controller: DashboardController;
  posted: HostToWebview[];
  logs: string[];
  opened: string[];
  saved: { text: string; name: string }[];
  exported: string[];
  confirmAnswer: { value: boolean };
  confirms: string[];
  details: { current: RunDetails };
  lrFinds: { current: LrFindCurve[] };
}

const manualClock: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };

function evaluation(paths: string[]): Evaluation {
  return {
    labels: ['cat', 'dog'],
    confusion: [
      [5, paths.length],
      [0, 5],
    ],
    accuracy: 0.9,
    macro: { precision: 0.9, recall: 0.9, f1: 0.9 },
    weighted: { precision: 0.9, recall: 0.9, f1: 0.9 },
    perClass: [
      { label: 'cat', precision: 1, recall: 0.8, f1: 0.9, support: 5 + paths.length },
      { label: 'dog', precision: 0.8, recall: 1, f1: 0.9, support: 5 },
    ],
    misclassified: paths.map((p) => ({ path: p, label: 'cat', predicted: 'dog', confidence: 0.9 })),
  };
}

const tempDirs: string[] = [];
after(async () => {
  for (const dir of tempDirs) await fsp.rm(dir, { recursive: true, force: true });
});

async function world(listed: string[] = ['cat/a.png']): Promise<World> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'dashboard-'));
  tempDirs.push(dir);
  const root = path.join(dir, 'data');
  const outside = path.join(dir, 'outside');
  await fsp.mkdir(path.join(root, 'cat'), { recursive: true });
  await fsp.mkdir(path.join(root, 'dog'), { recursive: true });
  await fsp.mkdir(outside, { recursive: true });
  await fsp.writeFile(path.join(root, 'cat', 'a.png'), 'A');
  await fsp.writeFile(path.join(root, 'cat', 'b.png'), 'B');
  await fsp.writeFile(path.join(outside, 'secret.png'), 'SECRET');
  const summary = makeRunSummary('run-1', {
    runDir: path.join(dir, 'runs', 'run-1'),
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    bestValAccuracy: 0.9,
    lastValAccuracy: 0.9,
    lastValLoss: 0.3,
    testAccuracy: 0.9,
    datasetRoot: root,
  });
  const run: RunDetails = {
    summary,
    record: recordOfSummary(summary),
    epochs: [],
    batches: [],
    evaluation: evaluation(listed),
  };
  const details = { current: run };
  const lrFinds = { current: [] as LrFindCurve[] };
  const posted: HostToWebview[] = [];
  const logs: string[] = [];
  const opened: string[] = [];
  const saved: { text: string; name: string }[] = [];
  const exported: string[] = [];
  const confirms: string[] = [];
  const confirmAnswer = { value: true };
  const effects: DashboardEffects = {
    post: (m) => posted.push(m),
    confirm: async (message) => {
      confirms.push(message);
      return confirmAnswer.value;
    },
    log: (line) => logs.push(line),
    openFile: async (file) => {
      opened.push(file);
    },
    saveText: async (text, name) => {
      saved.push({ text, name });
      return `/somewhere/${name}`;
    },
    thumbnailBase: (r) => `vscode-resource:${r}`,
    exportModel: async (runId) => {
      exported.push(runId);
    },
    inspectPredictions: async (runId) => {
      exported.push(`inspect:${runId}`);
    },
  };
  const controller = new DashboardController(
    fsp,
    {
      listRuns: async () => [details.current.summary],
      readRunDetails: async () => details.current,
      listLrFinds: async () => lrFinds.current,
    },
    effects,
    manualClock,
    {},
    // The user chose `dir` (it stands for the workspace): data sets inside it may be opened and moved.
    {
      check: (datasetRoot) =>
        datasetRootAccess(datasetRoot, {
          workspaceFolders: [dir],
          configuredRoots: [],
          homeDir: os.homedir(),
        }),
      mayModify: () => true,
    },
  );
  await controller.handle({ type: 'ready' });
  return {
    dir,
    root,
    outside,
    run,
    controller,
    posted,
    logs,
    opened,
    saved,
    exported,
    confirmAnswer,
    confirms,
    details,
    lrFinds,
  };
}

async function exists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(
    () => true,
    () => false,
  );
}

function lastNotice(w: World): string {
  const notice = [...w.posted].reverse().find((m) => m.type === 'notice');
  return notice && notice.type === 'notice' ? notice.message : '';
}

test('ready is answered with one snapshot of the runs, the selected run and thumbnail bases', async () => {
  const w = await world();
  assert.equal(w.posted.length, 1);
  const first = w.posted[0];
  assert.ok(first.type === 'snapshot');
  assert.equal(first.snapshot.runs.length, 1);
  assert.equal(first.snapshot.selectedRunId, 'run-1');
  assert.equal(first.snapshot.details?.summary.id, 'run-1');
  assert.equal(first.snapshot.thumbnailBases['run-1'], `vscode-resource:${await fsp.realpath(w.root)}`);
});

test('relative paths: absolute, drive letters, "..", "." and empty segments are refused', () => {
  for (const bad of [
    '/etc/passwd',
    'C:\\Windows\\x.png',
    'c:x.png',
    '\\\\server\\share\\x',
    '../x.png',
    'cat/../../x.png',
    'cat\\..\\..\\x',
    './cat/a.png',
    'cat//a.png',
    '',
    'a\0b',
  ]) {
    assert.equal(typeof relativeSegments(bad), 'string', `${JSON.stringify(bad)} refused`);
  }
  assert.deepEqual(relativeSegments('cat/a.png'), ['cat', 'a.png']);
});

test('resolveInsideRoot follows symlinks and refuses what resolves outside the root', async () => {
  const w = await world();
  await fsp.symlink(path.join(w.outside, 'secret.png'), path.join(w.root, 'cat', 'link.png'));
  await fsp.symlink(w.outside, path.join(w.root, 'cat', 'dirlink'));
  const inside = await resolveInsideRoot(fsp, w.root, 'cat/a.png');
  assert.ok(inside.ok);
  for (const p of ['cat/link.png', 'cat/dirlink/secret.png', 'cat/missing.png', 'cat']) {
    const result = await resolveInsideRoot(fsp, w.root, p);
    assert.equal(result.ok, false, `${p} refused`);
  }
});

test('openImage opens only listed images inside the root', async () => {
  const w = await world(['cat/a.png']);
  await w.controller.handle({ type: 'openImage', runId: 'run-1', path: 'cat/a.png' });
  assert.deepEqual(w.opened, [path.join(await fsp.realpath(w.root), 'cat', 'a.png')]);
  await w.controller.handle({ type: 'openImage', runId: 'run-1', path: '../outside/secret.png' });
  await w.controller.handle({ type: 'openImage', runId: 'run-1', path: '/etc/passwd' });
  await w.controller.handle({ type: 'openImage', runId: 'run-1', path: 'cat/b.png' });
  await w.controller.handle({ type: 'openImage', runId: 'other-run', path: 'cat/a.png' });
  assert.equal(w.opened.length, 1, 'nothing else was opened');
  assert.match(lastNotice(w), /unknown run other-run/);
  // An evaluation that lists paths leading out of the data set fails the shared schema: the run's
  // details are not shown and none of its images can be opened.
  const hostile = await world(['cat/a.png', '../outside/secret.png', '/etc/passwd']);
  for (const p of ['cat/a.png', '../outside/secret.png', '/etc/passwd'])
    await hostile.controller.handle({ type: 'openImage', runId: 'run-1', path: p });
  assert.deepEqual(hostile.opened, []);
  assert.match(lastNotice(hostile), /run run-1 can no longer be read/);
});

test('moveImage asks, renames into the target class folder and logs it', async () => {
  const w = await world();
  await w.controller.handle({ type: 'moveImage', runId: 'run-1', path: 'cat/a.png', toClass: 'dog' });
  assert.equal(w.confirms.length, 1);
  assert.equal(await exists(path.join(w.root, 'cat', 'a.png')), false);
  assert.equal(await fsp.readFile(path.join(w.root, 'dog', 'a.png'), 'utf8'), 'A');
  assert.ok(w.logs.some((l) => l.includes('moved') && l.includes(path.join('dog', 'a.png'))));
  assert.deepEqual(w.posted.at(-1), {
    type: 'imageMoved',
    runId: 'run-1',
    path: 'cat/a.png',
    toClass: 'dog',
  });
});

test('moveImage does nothing when the user declines', async () => {
  const w = await world();
  w.confirmAnswer.value = false;
  await w.controller.handle({ type: 'moveImage', runId: 'run-1', path: 'cat/a.png', toClass: 'dog' });
  assert.equal(await exists(path.join(w.root, 'cat', 'a.png')), true);
  assert.equal(await exists(path.join(w.root, 'dog', 'a.png')), false);
});

test('moveImage never overwrites an existing file', async () => {
  const w = await world();
  await fsp.writeFile(path.join(w.root, 'dog', 'a.png'), 'DOG');
  await w.controller.handle({ type: 'moveImage', runId: 'run-1', path: 'cat/a.png', toClass: 'dog' });
  assert.equal(await fsp.readFile(path.join(w.root, 'dog', 'a.png'), 'utf8'), 'DOG');
  assert.equal(await fsp.readFile(path.join(w.root, 'cat', 'a.png'), 'utf8'), 'A');
  assert.match(lastNotice(w), /already exists/);
  assert.equal(w.confirms.length, 0, 'no confirmation for a move that cannot happen');
});

test('moveImage refuses unknown or path-like classes and class folders that leave the root', async () => {
  const w = await world();
  for (const toClass of ['horse', '../outside', '..', 'dog/../../outside', '/tmp']) {
    await w.controller.handle({ type: 'moveImage', runId: 'run-1', path: 'cat/a.png', toClass });
  }
  assert.equal(await exists(path.join(w.root, 'cat', 'a.png')), true);
  assert.deepEqual(await fsp.readdir(w.outside), ['secret.png']);
  // A class folder that is a symlink to outside the data set.
  await fsp.rm(path.join(w.root, 'dog'), { recursive: true });
  await fsp.symlink(w.outside, path.join(w.root, 'dog'));
  await w.controller.handle({ type: 'moveImage', runId: 'run-1', path: 'cat/a.png', toClass: 'dog' });
  assert.equal(await exists(path.join(w.root, 'cat', 'a.png')), true);
  assert.deepEqual(await fsp.readdir(w.outside), ['secret.png']);
  assert.match(lastNotice(w), /outside the data set/);
});

test('moveImage refuses traversal even when the evaluation lists the path', async () => {
  const hostile = ['../outside/secret.png', 'cat/../../outside/secret.png', path.join('/', 'etc', 'hosts')];
  const w = await world(hostile);
  for (const p of hostile)
    await w.controller.handle({ type: 'moveImage', runId: 'run-1', path: p, toClass: 'dog' });
  assert.deepEqual(await fsp.readdir(w.outside), ['secret.png']);
  assert.deepEqual(await fsp.readdir(path.join(w.root, 'dog')), []);
  assert.equal(w.confirms.length, 0);
});

test('malformed messages are ignored and logged', async () => {
  const w = await world();
  const before = w.posted.length;
  for (const m of [
    null,
    'ready',
    { type: 'moveImage', runId: 'run-1', path: 'cat/a.png' },
    { type: 'nope' },
    { type: 'exportCsv', csv: 1 },
  ]) {
    await w.controller.handle(m);
  }
  assert.equal(w.posted.length, before);
  assert.equal(w.logs.filter((l) => l.includes('malformed')).length, 5);
});

test('exportCsv saves through the dialog effect with a sanitised name', async () => {
  const w = await world();
  await w.controller.handle({
    type: 'exportCsv',
    csv: 'a,b\r\n1,2\r\n',
    suggestedName: '../../evil name.csv',
  });
  assert.deepEqual(w.saved, [{ text: 'a,b\r\n1,2\r\n', name: 'evil_name.csv' }]);
  assert.match(lastNotice(w), /Exported/);
});

test('exportModel runs the export command for a listed run only', async () => {
  const w = await world();
  await w.controller.handle({ type: 'exportModel', runId: 'not-listed' });
  await w.controller.handle({ type: 'exportModel', runId: '' });
  assert.deepEqual(w.exported, []);
  await w.controller.handle({ type: 'exportModel', runId: 'run-1' });
  assert.deepEqual(w.exported, ['run-1']);
});

test('inspectPredictions opens the inspector for a listed run only', async () => {
  const w = await world();
  await w.controller.handle({ type: 'inspectPredictions', runId: 'not-listed' });
  await w.controller.handle({ type: 'inspectPredictions', runId: '' });
  assert.deepEqual(w.exported, []);
  await w.controller.handle({ type: 'inspectPredictions', runId: 'run-1' });
  assert.deepEqual(w.exported, ['inspect:run-1']);
});

test('refresh sends epochsAppended for new epochs and nothing when nothing changed', async () => {
  const w = await world();
  const epoch = {
    epoch: 1,
    loss: 1,
    accuracy: 0.5,
    valLoss: 1,
    valAccuracy: 0.5,
    learningRate: 0.001,
    durationMs: 10,
    samplesPerSecond: 5,
  };
  w.details.current = { ...w.run, epochs: [epoch], summary: { ...w.run.summary, updatedAt: 'later' } };
  await w.controller.refresh();
  const kinds = w.posted.slice(1).map((m) => m.type);
  assert.deepEqual(kinds, ['runsChanged', 'epochsAppended']);
  const appended = w.posted.at(-1);
  assert.ok(appended?.type === 'epochsAppended' && appended.epochs.length === 1);
  const count = w.posted.length;
  await w.controller.refresh();
  assert.equal(w.posted.length, count, 'an unchanged disk sends nothing');
});

test('fuzz: 10,000 random and mutated webview messages touch nothing outside the data set', async () => {
  const w = await world(['cat/a.png', 'cat/b.png', '../outside/secret.png']);
  await fsp.symlink(path.join(w.outside, 'secret.png'), path.join(w.root, 'cat', 'link.png'));
  w.confirmAnswer.value = true;
  const paths = [
    'cat/a.png',
    'cat/b.png',
    'dog/a.png',
    'dog/b.png',
    '../outside/secret.png',
    'cat/link.png',
    '/etc/passwd',
    'cat/../../outside/secret.png',
    '',
    'cat',
    'cat\\..\\..\\outside\\secret.png',
  ];
  const classes = ['cat', 'dog', '..', '../outside', 'outside', '', 'dog/..'];
  const types = [
    'ready',
    'selectRun',
    'showPage',
    'requestCompare',
    'openImage',
    'moveImage',
    'exportCsv',
    'bogus',
  ];
  let seed = 99;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const junk: unknown[] = [null, 1, -1, '', [], {}, true, 'run-1', '../run-1'];
  for (let i = 0; i < 10_000; i++) {
    const message: Record<string, unknown> = {
      type: pick(types),
      runId: random() < 0.8 ? 'run-1' : pick(junk),
      path: random() < 0.9 ? pick(paths) : pick(junk),
      toClass: random() < 0.9 ? pick(classes) : pick(junk),
      page: random() < 0.5 ? 'compare' : pick(junk),
      runIds: random() < 0.5 ? ['run-1'] : pick(junk),
      csv: random() < 0.5 ? 'x' : pick(junk),
      suggestedName: random() < 0.5 ? '../x.csv' : pick(junk),
    };
    if (random() < 0.2) delete message[pick(Object.keys(message))];
    await w.controller.handle(random() < 0.05 ? pick(junk) : message);
  }
  assert.deepEqual(await fsp.readdir(w.outside), ['secret.png']);
  assert.equal(await fsp.readFile(path.join(w.outside, 'secret.png'), 'utf8'), 'SECRET');
  const real = await fsp.realpath(w.root);
  for (const file of w.opened) assert.ok(file.startsWith(real + path.sep), `${file} is inside the data set`);
  // Every image is still somewhere inside the data set, none duplicated or lost.
  const names = [
    ...(await fsp.readdir(path.join(w.root, 'cat'))),
    ...(await fsp.readdir(path.join(w.root, 'dog'))),
  ].filter((n) => n !== 'link.png');
  assert.deepEqual(names.sort(), ['a.png', 'b.png']);
});

test('requestCompare sends each run once until its files change; navigate retargets an open panel', async () => {
  const w = await world();
  await w.controller.handle({ type: 'requestCompare', runIds: ['run-1', 'ghost'] });
  const data = w.posted.at(-1);
  assert.ok(data?.type === 'compareData');
  assert.deepEqual(
    data.runs.map((r) => r.runId),
    ['run-1'],
    'unknown ids are dropped',
  );
  assert.deepEqual(w.controller.state.compareRunIds, ['run-1']);
  const count = w.posted.length;
  await w.controller.handle({ type: 'requestCompare', runIds: ['run-1'] });
  assert.equal(w.posted.length, count, 'already sent and unchanged');
  await w.controller.navigate({ runId: 'run-1' });
  const navigate = w.posted.find((m) => m.type === 'navigate');
  assert.deepEqual(navigate, {
    type: 'navigate',
    page: 'run',
    selectedRunId: 'run-1',
    compareRunIds: ['run-1'],
  });
});

test('a new learning-rate test on disk reaches the webview as lrFindsChanged', async () => {
  const w = await world();
  const first = w.posted[0];
  assert.ok(first.type === 'snapshot' && first.snapshot.lrFinds.length === 0);
  w.lrFinds.current = [
    {
      id: 'lr',
      createdAt: 'now',
      dataset: w.root,
      suggested: 0.01,
      diverged: false,
      points: [{ learningRate: 0.01, loss: 1, smoothedLoss: 1 }],
    },
  ];
  await w.controller.refresh();
  const last = w.posted.at(-1);
  assert.ok(last?.type === 'lrFindsChanged' && last.lrFinds[0].id === 'lr');
  const count = w.posted.length;
  await w.controller.refresh();
  assert.equal(w.posted.length, count);
});

test('readies repeated while a snapshot is being read share one more snapshot', async () => {
  const w = await world();
  w.posted.length = 0;
  // Three readies in the same tick: the first reads a snapshot, the other two ask for one more after it.
  await Promise.all([
    w.controller.handle({ type: 'ready' }),
    w.controller.handle({ type: 'ready' }),
    w.controller.handle({ type: 'ready' }),
  ]);
  assert.deepEqual(
    w.posted.map((m) => m.type),
    ['snapshot', 'snapshot'],
  );
  // Once idle, a later ready (a reloaded document) gets its own snapshot.
  await w.controller.handle({ type: 'ready' });
  assert.equal(w.posted.filter((m) => m.type === 'snapshot').length, 3);
});
