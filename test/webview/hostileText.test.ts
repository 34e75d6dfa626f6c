// Issue 13 §1 and §6 in the dashboard's DOM (jsdom, the app as the webview runs it): class and file names
// with bidirectional overrides or control characters are shown escaped, a damaged run shows its warning
// badge and reason instead of a blank page, and a data set shown read-only offers no Open or Move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunSummary } from '../../src/protocol/runRecord';
import { isHostToWebview } from '../../src/protocol/webviewMessages';
import { makeRun, makeSnapshot } from './fixtures';
import { mountDashboard } from './domHarness';
import { thumbnailUrl } from '../../webview/src/views/confusionMatrix';

const RAW = /[\u202A-\u202E\u2066-\u2069\u0000-\u0008\u000B-\u001F]/;

test('names with bidirectional overrides and control characters are shown escaped, never obeyed', () => {
  const h = mountDashboard();
  const run = makeRun({ index: 0, epochs: 3, classes: ['cat\u202Egnp.exe', 'dog\u0007', 'bird'] });
  const evaluation = run.evaluation!;
  const misclassified = [
    {
      path: 'cat\u202Egnp.exe/evil\u2066.png',
      label: 'cat\u202Egnp.exe',
      predicted: 'bird',
      confidence: 0.9,
    },
  ];
  const confusion = evaluation.confusion.map((row) => [...row]);
  confusion[0][2] = Math.max(confusion[0][2], 1);
  const details = { ...run, evaluation: { ...evaluation, misclassified, confusion } };
  const { snapshot } = makeSnapshot(0, 0, {
    runs: [details.summary],
    selectedRunId: details.summary.id,
    details,
    thumbnailBases: {},
  });
  assert.ok(isHostToWebview({ type: 'snapshot', snapshot }));
  h.send({ type: 'snapshot', snapshot });
  h.click(h.one('table.matrix td.cell[data-row="0"][data-col="2"]'));
  const text = h.root.textContent ?? '';
  assert.doesNotMatch(text, RAW, 'no raw override or control character reaches the page');
  assert.match(text, /cat\\u\{202E\}gnp\.exe/);
  assert.match(text, /dog\\u\{0007\}/);
  assert.match(text, /evil\\u\{2066\}\.png/);
  for (const element of h.all('[title], [aria-label]')) {
    assert.doesNotMatch(element.getAttribute('title') ?? '', RAW);
    assert.doesNotMatch(element.getAttribute('aria-label') ?? '', RAW);
  }
  // The Move request still names the real file: escaping is for people, not for paths.
  h.click(h.one('vscode-button[data-key^="move-"]'));
  const move = h.posted.find((m) => m.type === 'moveImage');
  assert.ok(move?.type === 'moveImage');
  assert.equal(move.path, misclassified[0].path);
});

test('a damaged run shows a warning badge and its reason, and the other runs still load', () => {
  const h = mountDashboard();
  const good = makeRun({ index: 1, epochs: 2 });
  const damaged: RunSummary = {
    ...good.summary,
    id: 'broken-run',
    status: 'damaged',
    config: {} as RunSummary['config'],
    error: '/runs/broken-run/run.json: backend must be a non-empty name, got nothing',
  };
  const { snapshot } = makeSnapshot(0, 0, {
    runs: [damaged, good.summary],
    selectedRunId: 'broken-run',
    details: null,
  });
  assert.ok(isHostToWebview({ type: 'snapshot', snapshot }));
  h.send({ type: 'snapshot', snapshot });
  assert.match(h.one('.summary .badge.status-damaged').textContent ?? '', /damaged/);
  assert.match(h.one('.summary .error').textContent ?? '', /run\.json: backend must be a non-empty name/);
  assert.equal(h.all('#run-picker option').length, 2, 'both runs are listed');
});

test('a run whose data set is outside the chosen folders: a read-only notice and no Open or Move', () => {
  const h = mountDashboard();
  const run = makeRun({ index: 0, epochs: 2 });
  const evaluation = run.evaluation!;
  const confusion = evaluation.confusion.map((row) => [...row]);
  confusion[0][1] = Math.max(confusion[0][1], 1);
  const misclassified = [
    { path: 'cat/a.png', label: evaluation.labels[0], predicted: evaluation.labels[1], confidence: 0.8 },
  ];
  const details = { ...run, evaluation: { ...evaluation, confusion, misclassified } };
  const reason = '/home/ada is outside the workspace and imageTrainer.datasetRoots: shown read-only';
  const { snapshot } = makeSnapshot(0, 0, {
    runs: [details.summary],
    selectedRunId: details.summary.id,
    details,
    thumbnailBases: {},
    datasetNotices: { [details.summary.id]: reason },
  });
  h.send({ type: 'snapshot', snapshot });
  assert.match(h.one('.summary .read-only').textContent ?? '', /shown read-only/);
  h.click(h.one('table.matrix td.cell[data-row="0"][data-col="1"]'));
  assert.equal(h.all('vscode-button[data-key^="open-"]').length, 0);
  assert.equal(h.all('vscode-button[data-key^="move-"]').length, 0);
  assert.match(h.one('.example .read-only').textContent ?? '', /Read-only data set/);
});

test('thumbnail bases keyed by run ids: "__proto__" and "constructor" are ids like any other', () => {
  const bases = Object.fromEntries([['__proto__', 'vscode-resource:/data']]);
  assert.equal(thumbnailUrl(bases, '__proto__', 'cat/a.png'), 'vscode-resource:/data/cat/a.png');
  assert.equal(thumbnailUrl({}, '__proto__', 'cat/a.png'), null, 'no inherited base');
  assert.equal(thumbnailUrl({}, 'constructor', 'cat/a.png'), null);
});
