// Run folders too large for the run pages to draw naively: a metrics.jsonl of 200,000 epochs (the charts
// are built without spreading every value into one call, which overflows the stack), and an
// evaluation.json of hundreds of classes (no confusion matrix of (n + 1)² cells).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DashboardState } from '../../webview/src/state';
import { initialState } from '../../webview/src/state';
import { isHostToWebview } from '../../src/protocol/webviewMessages';
import { detectionCharts, MAX_MATRIX_CLASSES } from '../../webview/src/views/detectionPage';
import { spansMoreThanDecade } from '../../webview/src/views/lineChart';
import { makeDetectionRun, makeSnapshot } from './fixtures';
import { mountDashboard } from './domHarness';

test('learning-rate axis: log when positive values span more than a decade, for 200,000 epochs too', () => {
  assert.equal(spansMoreThanDecade([0.1, 0.05, 0]), false);
  assert.equal(spansMoreThanDecade([0.1, 0.001]), true);
  assert.equal(spansMoreThanDecade([]), false);
  const many = Array.from({ length: 200_000 }, (_, i) => 0.1 / (1 + i));
  assert.equal(spansMoreThanDecade(many), true);
});

test('a detection run of 200,000 epochs still gets its charts', () => {
  const details = makeDetectionRun(0, 2);
  const [first] = details.epochs;
  const epochs = Array.from({ length: 200_000 }, (_, i) => ({
    ...first,
    epoch: i + 1,
    learningRate: 0.01 / (1 + i),
  }));
  const state: DashboardState = { ...initialState(), details: { ...details, epochs } };
  const charts = detectionCharts(state);
  const lr = charts.find((c) => c.title === 'Learning rate');
  assert.equal(lr?.logY, true);
});

test('an evaluation.json of 300 classes gets a note instead of a 90,000-cell confusion matrix', () => {
  const run = makeDetectionRun(0, 2);
  const labels = Array.from({ length: MAX_MATRIX_CLASSES + 100 }, (_, i) => `class ${i}`);
  const evaluation = {
    ...run.detectionEvaluation!,
    labels,
    perClass: [],
    curves: [],
    confusion: Array.from({ length: labels.length + 1 }, () => new Array<number>(labels.length + 1).fill(0)),
  };
  const details = { ...run, detectionEvaluation: evaluation };
  const h = mountDashboard();
  const { snapshot } = makeSnapshot(0, 0, {
    runs: [details.summary],
    selectedRunId: details.summary.id,
    details,
    thumbnailBases: {},
  });
  assert.ok(isHostToWebview({ type: 'snapshot', snapshot }), 'the snapshot passes the webview guard');
  h.send({ type: 'snapshot', snapshot });
  const section = h.one('#detection-confusion');
  assert.equal(section.querySelectorAll('td').length, 0);
  assert.match(section.textContent ?? '', /confusion matrix of 300 classes is too large to draw/);
});
