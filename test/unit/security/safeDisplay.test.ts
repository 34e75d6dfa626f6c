// Issue 13 §6: names from disk are shown safely. Class folders named "__proto__", "constructor" and
// "toString" train, evaluate, predict and list like any other; bidirectional overrides and control
// characters in class and file names are shown escaped in the CLI and the trees; tooltips built from run
// fields cannot carry Markdown, HTML or entities. (The dashboard's DOM is checked in
// test/webview/hostileText.test.ts, which needs the webview's DOM types.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from '../../../src/protocol/runRecord';
import { visibleText } from '../../../src/protocol/displayText';
import { listRuns, readRunDetails } from '../../../src/core/runStore';
import { presentDatasetNode } from '../../../src/host/datasets/datasetsModel';
import { presentRunNode } from '../../../src/host/runs/runsModel';
import { escapeMarkdown, visibleNode } from '../../../src/host/treePresentation';
import { initialState, ownValue, reduce } from '../../../webview/src/state';
import { cli, hostileWorkspace, readJson, type HostileWorkspace } from './hostileWorkspace';

const PROTO_CLASSES = ['__proto__', 'constructor', 'toString'];
const BIDI_CLASSES = ['cat\u202Egnp.exe', 'dog\u0007bell'];
const FLAGS = [
  '--model',
  'simple-cnn',
  '--image-size',
  '16',
  '--channels',
  '1',
  '--epochs',
  '1',
  '--batch-size',
  '8',
];

let ws: HostileWorkspace;
before(async () => {
  ws = await hostileWorkspace();
});
after(async () => {
  await ws.dispose();
});

/** A data set whose class folders have the given names, 8 images each (copied from the sample set). */
async function datasetWith(dir: string, classes: readonly string[]): Promise<void> {
  const sample = path.join(ws.base, 'sample');
  await cli(['sample', sample, '--per-class', '8', '--size', '16'], ws.workspace);
  const sources = (await fsp.readdir(sample)).sort();
  for (const [i, name] of classes.entries())
    await fsp.cp(path.join(sample, sources[i]), path.join(dir, name), { recursive: true });
}

async function trainOn(data: string, runsRoot: string): Promise<string> {
  const result = await cli(['train', data, '--out', runsRoot, ...FLAGS, '--json'], ws.workspace);
  assert.equal(result.code, 0, result.stderr);
  const [runId] = await fsp.readdir(runsRoot);
  return path.join(runsRoot, runId);
}

test('classes named __proto__, constructor and toString train, count, evaluate and predict like any other', async () => {
  const data = path.join(ws.workspace, 'proto-data');
  await datasetWith(data, PROTO_CLASSES);
  const scan = await cli(['scan', data, '--json'], ws.workspace);
  const report = JSON.parse(scan.stdout) as { classes: { name: string; count: number }[] };
  assert.deepEqual(
    report.classes.map((c) => [c.name, c.count]).sort(),
    PROTO_CLASSES.map((c) => [c, 8]).sort(),
  );
  const runDir = await trainOn(data, path.join(ws.workspace, 'proto-runs'));
  // The reported bug: "__proto__" vanished from classCounts.
  const record = await readJson(path.join(runDir, 'run.json'));
  const dataset = record.dataset as { classNames: string[]; classCounts: Record<string, { train: number }> };
  assert.deepEqual([...dataset.classNames].sort(), [...PROTO_CLASSES].sort());
  for (const name of PROTO_CLASSES) {
    assert.ok(Object.hasOwn(dataset.classCounts, name), `${name} counted`);
    assert.ok(ownValue(dataset.classCounts, name)!.train > 0, `${name} has training images`);
  }
  const details = await readRunDetails(runDir);
  assert.equal(details?.summary.status, 'completed');
  for (const name of PROTO_CLASSES) assert.ok(Object.hasOwn(details!.record.dataset.classCounts, name));
  const evaluation = await cli(['evaluate', runDir, data, '--json'], ws.workspace);
  assert.equal(evaluation.code, 0, evaluation.stderr);
  assert.deepEqual(
    (JSON.parse(evaluation.stdout) as { labels: string[] }).labels.sort(),
    [...PROTO_CLASSES].sort(),
  );
  const image = path.join(data, '__proto__', (await fsp.readdir(path.join(data, '__proto__')))[0]);
  const prediction = await cli(['predict', runDir, image, '--json', '--top', '3'], ws.workspace);
  assert.equal(prediction.code, 0, prediction.stderr);
  const [p] = JSON.parse(prediction.stdout) as { top: { label: string }[] }[];
  assert.deepEqual(p.top.map((t) => t.label).sort(), [...PROTO_CLASSES].sort());
});

test('a run folder named __proto__ keeps its thumbnails, compare data and moves in the dashboard state', () => {
  const summary = { id: '__proto__', status: 'completed' } as RunSummary;
  // (thumbnailUrl with such ids is checked in test/webview/hostileText.test.ts.)
  const bases = Object.fromEntries([['__proto__', 'vscode-resource:/data']]);
  let state = reduce(initialState(), {
    type: 'snapshot',
    snapshot: {
      runs: [summary],
      selectedRunId: null,
      details: null,
      page: 'compare',
      compareRunIds: ['__proto__'],
      compare: [{ runId: '__proto__', epochs: [], evaluation: null }],
      thumbnailBases: bases,
      datasetNotices: {},
      lrFinds: [],
    },
  });
  assert.ok(Object.hasOwn(state.compare, '__proto__'), 'the compare entry is an own property');
  assert.equal(ownValue(state.thumbnailBases, '__proto__'), 'vscode-resource:/data');
  assert.equal(ownValue(state.thumbnailBases, 'constructor'), undefined, 'nothing inherited');
  assert.equal(Object.getPrototypeOf(state.compare), Object.prototype, 'and the prototype is untouched');
  state = reduce(state, { type: 'imageMoved', runId: '__proto__', path: 'cat/a.png', toClass: 'dog' });
  assert.equal(Object.keys(state.moved).length, 1);
});

test('bidirectional overrides and control characters in names are shown escaped: CLI, trees, tooltips', async () => {
  const data = path.join(ws.workspace, 'bidi-data');
  await datasetWith(data, BIDI_CLASSES);
  const raw = /[\u202E\u0007]/;
  const scan = await cli(['scan', data], ws.workspace);
  assert.equal(scan.code, 0, scan.stderr);
  assert.doesNotMatch(scan.stdout, raw, 'scan prints no raw override or bell');
  assert.match(scan.stdout, /cat\\u\{202E\}gnp\.exe/);
  assert.match(scan.stdout, /dog\\u\{0007\}bell/);
  const runsRoot = path.join(ws.workspace, 'bidi-runs');
  const runDir = await trainOn(data, runsRoot);
  const image = path.join(data, BIDI_CLASSES[0], (await fsp.readdir(path.join(data, BIDI_CLASSES[0])))[0]);
  for (const argv of [
    ['predict', runDir, image],
    ['evaluate', runDir, data],
    ['runs', runsRoot],
  ]) {
    const result = await cli(argv, ws.workspace);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, raw, `${argv[0]} prints names escaped`);
  }
  // The Datasets view: a class node's label.
  const cls = { name: BIDI_CLASSES[0], dir: path.join(data, BIDI_CLASSES[0]), count: 8, direct: 8 };
  const dataset = {
    root: data,
    name: 'bidi-data',
    layout: 'class-folders' as const,
    classes: [cls],
    splits: [],
    total: 8,
  };
  const node = visibleNode(presentDatasetNode({ kind: 'class', dataset, cls }));
  assert.equal(node.label, 'cat\\u{202E}gnp.exe');
  assert.doesNotMatch(node.tooltip ?? '', raw);
  // The Runs view: a run folder with an override in its name, and an error message crafted as Markdown.
  const [run] = await listRuns(runsRoot);
  const crafted: RunSummary = {
    ...run,
    id: 'run\u202Eexe.txt',
    error: '[Open](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> &#x202E; **bold**',
  };
  const shown = visibleNode(presentRunNode({ kind: 'run', run: crafted }));
  assert.equal(shown.label, 'run\\u{202E}exe.txt');
  const tooltip = shown.tooltip ?? '';
  assert.doesNotMatch(tooltip, raw);
  for (const unescaped of [/(?<!\\)\[Open/, /(?<!\\)<img/, /(?<!\\)&#x202E;/, /(?<!\\)\*\*bold/])
    assert.doesNotMatch(tooltip, unescaped);
  assert.equal(escapeMarkdown('a\u202Eb'), 'a\\\\u\\{202E\\}b');
  assert.equal(visibleText('ok name.png'), 'ok name.png', 'ordinary names are shown as they are');
});
