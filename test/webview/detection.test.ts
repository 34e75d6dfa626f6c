// The detection run page (issue 18) in jsdom, driven by the host's messages: mAP headline, per-class AP
// table (sortable), loss and mAP curves per epoch, PR curves per class, and the detection confusion matrix
// with its background row and column. The evaluation comes from the real evaluator (fixtures.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetails } from '../../src/protocol/runRecord';
import { isHostToWebview } from '../../src/protocol/webviewMessages';
import { initialState, isDetectionRun, reduce, sanitizeUi } from '../../webview/src/state';
import {
  detectionCellDescription,
  formatAp,
  sortedDetectionClasses,
} from '../../webview/src/views/detectionPage';
import { makeDetectionRun, makeEpochs, makeRun, makeSnapshot } from './fixtures';
import { mountDashboard, pointCount } from './domHarness';

function detectionPage(details: RunDetails) {
  const h = mountDashboard();
  const { snapshot } = makeSnapshot(0, 0, {
    runs: [details.summary],
    selectedRunId: details.summary.id,
    details,
    thumbnailBases: {},
  });
  assert.ok(isHostToWebview({ type: 'snapshot', snapshot }), 'the snapshot passes the webview guard');
  h.send({ type: 'snapshot', snapshot });
  return h;
}

test('a detection run shows mAP@0.5 and mAP@0.5:0.95 as the headline', () => {
  const run = makeDetectionRun(0, 5);
  const h = detectionPage(run);
  const evaluation = run.detectionEvaluation!;
  assert.equal(h.one('#detection-map50').textContent, evaluation.map50.toFixed(3));
  assert.equal(h.one('[data-testid="detection-map50-95"]').textContent, evaluation.map50_95.toFixed(3));
  assert.equal(h.one('#detection-map50').textContent, '0.752');
  assert.match(
    h.one('#detection-headline').textContent ?? '',
    /2 of 3 classes with ground truth, 2 images of val/,
  );
  // No classification panels: no per-class precision table, no classification matrix grid.
  assert.equal(h.all('table.matrix[role="grid"]').length, 0);
  assert.equal(h.all('[aria-label="Per-class precision, recall and F1"]').length, 0);
  assert.match(h.one('.facts').textContent ?? '', /Best validation mAP@0\.5/);
  assert.doesNotMatch(h.one('.facts').textContent ?? '', /Test accuracy/);
});

test('the per-class AP table lists every class, — for one without ground truth, and sorts by column', () => {
  const h = detectionPage(makeDetectionRun(0, 3));
  const labels = () => h.all('#detection-class-table tbody tr').map((r) => r.getAttribute('data-label'));
  assert.deepEqual(labels(), ['circle', 'shapes', 'square']);
  const shapes = h.one('#detection-class-table tbody tr[data-label="shapes"]');
  assert.deepEqual(
    [...shapes.querySelectorAll('td')].map((c) => c.textContent),
    ['—', '—', '0'],
  );
  const square = h.one('#detection-class-table tbody tr[data-label="square"]');
  assert.deepEqual(
    [...square.querySelectorAll('td')].map((c) => c.textContent),
    ['0.505', '0.505', '2'],
  );
  h.click(h.one('[data-key="detection-sort-ap50_95"]'));
  assert.deepEqual(labels(), ['shapes', 'square', 'circle']);
  h.click(h.one('[data-key="detection-sort-ap50_95"]'));
  assert.deepEqual(labels(), ['circle', 'square', 'shapes']);
  assert.equal(
    h.one('[data-key="detection-sort-ap50_95"]').closest('th')?.getAttribute('aria-sort'),
    'descending',
  );
  assert.match(h.one('#detection-class-table tfoot').textContent ?? '', /Mean \(mAP\)0\.7520\.6523/);
});

test('curves per epoch: total, class and box loss (train and validation) and validation mAP', () => {
  const h = detectionPage(makeDetectionRun(1, 6));
  for (const id of [
    'train-loss',
    'val-loss',
    'train-classLoss',
    'val-classLoss',
    'train-boxLoss',
    'val-boxLoss',
    'val-map50',
    'val-map50_95',
  ]) {
    assert.equal(h.all(`#detection-curves [data-series="${id}"] circle`).length, 6, id);
  }
  assert.match(
    h.one('.chart[aria-label^="Validation mAP"]').getAttribute('aria-label') ?? '',
    /mAP@0\.5 .* at epoch 6/,
  );
});

test('live epochs of a running detector add points in place, before any evaluation exists', () => {
  const run = makeDetectionRun(2, 3, false);
  const running: RunDetails = { ...run, summary: { ...run.summary, status: 'running', totalEpochs: 10 } };
  const h = detectionPage(running);
  assert.match(h.one('#detection-headline').textContent ?? '', /No evaluation yet.*mAP@0\.5 at epoch 3/);
  const figures = h.all('#detection-curves .chart-figure');
  const more = makeDetectionRun(2, 5, false).epochs.slice(3);
  h.send({
    type: 'epochsAppended',
    runId: run.summary.id,
    summary: { ...running.summary, epochsCompleted: 5 },
    epochs: more,
    batches: [],
  });
  assert.equal(h.all('#detection-curves [data-series="train-boxLoss"] circle').length, 5);
  assert.deepEqual(h.all('#detection-curves .chart-figure'), figures, 'redrawn in place');
  assert.match(h.one('#detection-headline').textContent ?? '', /epoch 5/);
});

test('PR curves: one series of 101 points per class with ground truth, each with its colour slot', () => {
  const h = detectionPage(makeDetectionRun(0, 2));
  const figure = h.one('#detection-pr-curves');
  assert.equal(figure.getAttribute('data-testid'), 'detection-pr-curves');
  const series = h.all('#detection-pr-curves [data-series^="pr-"]');
  assert.deepEqual(
    series.map((s) => s.getAttribute('data-series')),
    ['pr-0', 'pr-1'],
  );
  assert.ok(series[0].classList.contains('pr-c0') && series[1].classList.contains('pr-c1'));
  assert.equal(pointCount(series[1].querySelector('polyline') as Element), 101);
  assert.match(figure.textContent ?? '', /square \(AP50 0\.505\)/);
});

test('the detection confusion matrix has a labelled background row and column with the evaluator counts', () => {
  const run = makeDetectionRun(0, 2);
  const h = detectionPage(run);
  const table = h.one('#detection-confusion');
  const columns = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  assert.deepEqual(columns, ['true ╲ predicted', 'circle', 'square', 'shapes', 'background']);
  const rowNames = [...table.querySelectorAll('tbody th')].map((th) => th.textContent);
  assert.deepEqual(rowNames, ['circle', 'square', 'shapes', 'background']);
  const cell = (r: number, c: number) =>
    table.querySelector(`td[data-row="${r}"][data-col="${c}"]`) as HTMLElement;
  const confusion = run.detectionEvaluation!.confusion;
  // square predicted as circle (image 1), the false positive circle in the background row.
  assert.equal(cell(1, 0).textContent, String(confusion[1][0]));
  assert.equal(confusion[1][0], 1);
  assert.equal(cell(3, 0).textContent, '1');
  assert.equal(cell(3, 0).getAttribute('aria-label'), 'Background, predicted circle: 1 false positive');
  assert.equal(cell(1, 3).getAttribute('aria-label'), 'True square, no matching prediction: 0 missed');
  const toggle = h.one('#detection-normalize') as HTMLInputElement;
  toggle.checked = true;
  toggle.dispatchEvent(new h.window.Event('change', { bubbles: true }));
  // Row "square" holds 1 confused and 1 correct: 50% each.
  assert.equal(h.one('#detection-confusion td[data-row="1"][data-col="0"]').textContent, '50%');
});

test('a classification run keeps its page; switching runs switches layouts', () => {
  const detect = makeDetectionRun(0, 3);
  const classify = makeRun({ index: 1, epochs: 3 });
  const h = mountDashboard();
  const { snapshot } = makeSnapshot(0, 0, {
    runs: [detect.summary, classify.summary],
    selectedRunId: classify.summary.id,
    details: classify,
  });
  h.send({ type: 'snapshot', snapshot });
  assert.equal(h.all('#detection-map50').length, 0);
  assert.equal(h.all('table.matrix[role="grid"]').length, 1);
  h.send({ type: 'runDetailsChanged', details: detect });
  assert.equal(h.all('#detection-map50').length, 1);
  assert.equal(h.all('table.matrix[role="grid"]').length, 0);
});

test('a host message with a malformed detection evaluation is refused by the guard', () => {
  const run = makeDetectionRun(0, 2);
  const bad = { ...run, detectionEvaluation: { ...run.detectionEvaluation!, confusion: [[1]] } };
  assert.equal(isHostToWebview({ type: 'runDetailsChanged', details: bad }), false);
  assert.equal(isHostToWebview({ type: 'runDetailsChanged', details: run }), true);
});

test('reducer: detection sort toggles and survives a reload; isDetectionRun and helpers', () => {
  let state = initialState();
  state = reduce(state, { type: 'ui/sortDetectionClasses', key: 'ap50' });
  assert.deepEqual(state.ui.detectionSort, { key: 'ap50', direction: 'asc' });
  state = reduce(state, { type: 'ui/sortDetectionClasses', key: 'ap50' });
  assert.deepEqual(state.ui.detectionSort, { key: 'ap50', direction: 'desc' });
  assert.deepEqual(sanitizeUi(JSON.parse(JSON.stringify(state.ui))).detectionSort, {
    key: 'ap50',
    direction: 'desc',
  });
  assert.equal(
    sanitizeUi({ detectionSort: { key: 'precision', direction: 'asc' } }).detectionSort,
    undefined,
  );
  assert.equal(isDetectionRun(makeDetectionRun(0, 2)), true);
  assert.equal(isDetectionRun(makeDetectionRun(0, 2, false)), true, 'epoch lines say detect');
  assert.equal(isDetectionRun(makeRun({ index: 0, epochs: 2 })), false);
  assert.equal(isDetectionRun({ ...makeRun({ index: 0, epochs: 0 }), epochs: makeEpochs(0, 0) }), false);
  assert.equal(formatAp(-1), '—');
  assert.equal(formatAp(0.12345), '0.123');
  const rows = sortedDetectionClasses(
    [
      { label: 'b', ap50: 0.5, ap50_95: 0.2, support: 3 },
      { label: 'a', ap50: 0.5, ap50_95: 0.4, support: 1 },
    ],
    { key: 'ap50', direction: 'desc' },
  );
  assert.deepEqual(
    rows.map((r) => r.label),
    ['a', 'b'],
    'ties by label',
  );
  assert.equal(
    detectionCellDescription(
      ['a'],
      [
        [0, 2],
        [3, 0],
      ],
      0,
      1,
    ),
    'True a, no matching prediction: 2 missed',
  );
  assert.equal(
    detectionCellDescription(
      ['a'],
      [
        [0, 2],
        [3, 0],
      ],
      1,
      1,
    ),
    'Background, background: not counted',
  );
});
