import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runColor } from '../../webview/src/compare';
import { makeEpochs, makeSnapshot } from './fixtures';
import { mountDashboard, pointCount } from './domHarness';

function runPage(runs = 3, epochs = 6) {
  const h = mountDashboard();
  const fixture = makeSnapshot(runs, epochs);
  h.send({ type: 'snapshot', snapshot: fixture.snapshot });
  return { h, ...fixture };
}

test('before the snapshot the dashboard says it is loading', () => {
  const h = mountDashboard();
  assert.match(h.root.textContent ?? '', /Loading runs/);
});

test('curves draw a point for each epoch, and live epochs add points', () => {
  const { h, all } = runPage(2, 6);
  const trainLoss = h.one('[data-series="train-loss"]');
  assert.equal(h.all('[data-series="train-loss"] circle').length, 6);
  assert.equal(pointCount(trainLoss.querySelector('polyline') as Element), 6);
  assert.equal(h.all('[data-series="val-accuracy"] circle').length, 6);
  assert.equal(h.all('[data-series="lr"] circle').length, 6);
  // Batch-level points of the first fixture run (4 a epoch).
  assert.equal(pointCount(h.one('[data-series="batch-loss"] polyline')), 24);
  const figures = h.all('.chart-figure');
  const summary = { ...all[0].summary, epochsCompleted: 8, totalEpochs: 10, status: 'running' as const };
  h.send({
    type: 'epochsAppended',
    runId: summary.id,
    summary,
    epochs: makeEpochs(0, 8).slice(6),
    batches: [],
  });
  assert.equal(h.all('[data-series="train-loss"] circle').length, 8);
  assert.deepEqual(h.all('.chart-figure'), figures, 'the charts are redrawn in place, not rebuilt');
  assert.match(h.one('.chart[aria-label^="Loss"]').getAttribute('aria-label') ?? '', /at epoch 8/);
  assert.match(h.one('.facts').textContent ?? '', /8 \/ 10/);
  assert.match(h.one('.facts').textContent ?? '', /Time left/);
});

test('the smoothing slider changes the drawn line but keeps the raw points', () => {
  const { h } = runPage(1, 10);
  const before = h.one('[data-series="train-loss"] polyline').getAttribute('points');
  const slider = h.one('#smoothing') as HTMLInputElement;
  slider.value = '0.9';
  slider.dispatchEvent(new h.window.Event('input', { bubbles: true }));
  const after = h.one('[data-series="train-loss"] polyline').getAttribute('points');
  assert.notEqual(after, before);
  assert.equal(pointCount(h.one('[data-series="raw-train-loss"] polyline')), 10);
});

test('matrix cells show the evaluation counts, or row shares when normalised', () => {
  const { h, all } = runPage();
  const evaluation = all[0].evaluation;
  assert.ok(evaluation);
  const cells = h.all('table.matrix td.cell');
  assert.equal(cells.length, 9);
  for (const cell of cells) {
    const r = Number(cell.dataset.row);
    const c = Number(cell.dataset.col);
    assert.equal(cell.textContent, String(evaluation.confusion[r][c]));
    assert.match(
      cell.getAttribute('aria-label') ?? '',
      new RegExp(
        `True ${evaluation.labels[r]}, predicted ${evaluation.labels[c]}: ${evaluation.confusion[r][c]}`,
      ),
    );
  }
  const toggle = h.one('#normalize') as HTMLInputElement;
  toggle.checked = true;
  toggle.dispatchEvent(new h.window.Event('change', { bubbles: true }));
  const row0 = evaluation.confusion[0];
  const total = row0.reduce((a, b) => a + b, 0);
  const first = h.one('table.matrix td[data-row="0"][data-col="0"]');
  assert.equal(first.textContent, `${Math.round((row0[0] / total) * 100)}%`);
  // The fallback table carries the same counts.
  const fallback = h.all('details.fallback tbody tr')[1].querySelectorAll('td');
  assert.equal(fallback[0].textContent, String(evaluation.confusion[1][0]));
});

test('clicking a cell lists its misclassified images with confidence and thumbnails', () => {
  const { h, all } = runPage();
  const evaluation = all[0].evaluation;
  assert.ok(evaluation);
  const r = 1;
  const c = 0;
  const expected = evaluation.misclassified.filter(
    (m) => m.label === evaluation.labels[r] && m.predicted === evaluation.labels[c],
  );
  assert.ok(expected.length > 0, 'the fixture has mistakes in this cell');
  h.click(h.one(`table.matrix td[data-row="${r}"][data-col="${c}"]`));
  const items = h.all('.examples li.example');
  assert.equal(items.length, expected.length);
  const paths = items.map((li) => li.querySelector('.path')?.textContent);
  assert.deepEqual(new Set(paths), new Set(expected.map((m) => m.path)));
  const img = items[0].querySelector('img');
  assert.ok(img?.getAttribute('src')?.startsWith('https://file+.vscode-resource.vscode-cdn.net/data/pets/'));
  assert.match(items[0].textContent ?? '', /predicted cat · \d+\.\d%/);
});

test('an empty cell says so honestly, a diagonal cell says only mistakes are listed', () => {
  const { h, all } = runPage();
  const evaluation = all[0].evaluation;
  assert.ok(evaluation);
  assert.equal(evaluation.confusion[0][2], 0);
  h.click(h.one('table.matrix td[data-row="0"][data-col="2"]'));
  assert.match(h.one('.examples').textContent ?? '', /No misclassified images in this cell/);
  assert.equal(h.all('.examples li').length, 0);
  h.click(h.one('table.matrix td[data-row="1"][data-col="1"]'));
  assert.match(
    h.one('.examples').textContent ?? '',
    new RegExp(`${evaluation.confusion[1][1]} correctly classified`),
  );
});

test('keyboard: arrows move the focused cell, Enter lists its images', () => {
  const { h } = runPage();
  const start = h.one('table.matrix td[tabindex="0"]');
  assert.equal(start.dataset.row, '0');
  start.focus();
  // Keys go where the browser sends them: the focused cell (the grid is rebuilt after each move).
  const press = (key: string) => h.key(h.document.activeElement as Element, key);
  press('ArrowDown');
  press('ArrowRight');
  const focused = h.all('table.matrix td[tabindex="0"]');
  assert.equal(focused.length, 1, 'exactly one cell is in the tab order');
  assert.deepEqual([focused[0].dataset.row, focused[0].dataset.col], ['1', '1']);
  assert.equal(h.document.activeElement, focused[0], 'focus follows the rebuilt grid');
  press('ArrowLeft');
  press('Enter');
  assert.equal(h.one('table.matrix td.selected').dataset.col, '0');
  assert.ok(h.all('.examples li.example').length > 0);
  press('Escape');
  assert.equal(h.all('.examples li').length, 0);
});

test('open and move post validated requests; a reported move marks the image', () => {
  const { h, all } = runPage();
  h.click(h.one('table.matrix td[data-row="1"][data-col="0"]'));
  const item = h.all('.examples li.example')[0];
  const path = item.querySelector('.path')?.textContent ?? '';
  h.click(item.querySelector('[data-key^="open-"]') as Element);
  assert.deepEqual(h.posted.at(-1), { type: 'openImage', runId: all[0].summary.id, path });
  const picker = item.querySelector('select') as HTMLSelectElement;
  assert.deepEqual(
    [...picker.options].map((o) => o.value),
    ['cat', 'bird'],
    'the true class is not offered',
  );
  picker.value = 'bird';
  h.click(item.querySelector('[data-key^="move-"]') as Element);
  assert.deepEqual(h.posted.at(-1), { type: 'moveImage', runId: all[0].summary.id, path, toClass: 'bird' });
  h.send({ type: 'imageMoved', runId: all[0].summary.id, path, toClass: 'bird' });
  assert.match(h.all('.examples li.example')[0].textContent ?? '', /Moved to bird/);
});

test('the epoch scrubber shows the recorded matrix of that epoch', () => {
  const { h, all } = runPage();
  const byEpoch = all[0].evaluation?.confusionByEpoch;
  assert.ok(byEpoch);
  const scrubber = h.one('#matrix-epoch') as HTMLInputElement;
  scrubber.value = '0';
  scrubber.dispatchEvent(new h.window.Event('input', { bubbles: true }));
  const first = h.one('table.matrix td[data-row="0"][data-col="0"]');
  assert.equal(first.textContent, String(byEpoch[0].confusion[0][0]));
  assert.match(h.one('.scrubber output').textContent ?? '', /epoch 1/);
});

test('per-class table sorts by a column both ways', () => {
  const { h, all } = runPage();
  const recallOrder = () => h.all('.class-table tbody tr th').map((th) => th.textContent);
  const byRecall = [...(all[0].evaluation?.perClass ?? [])]
    .sort((a, b) => a.recall - b.recall)
    .map((c) => c.label);
  h.click(h.one('button[data-key="class-sort-recall"]'));
  assert.deepEqual(recallOrder(), byRecall);
  assert.equal(
    h.one('button[data-key="class-sort-recall"]').closest('th')?.getAttribute('aria-sort'),
    'ascending',
  );
  h.click(h.one('button[data-key="class-sort-recall"]'));
  assert.deepEqual(recallOrder(), [...byRecall].reverse());
});

test('choosing another run asks the host for it', () => {
  const { h, all } = runPage();
  const picker = h.one('#run-picker') as HTMLSelectElement;
  picker.value = all[2].summary.id;
  picker.dispatchEvent(new h.window.Event('change', { bubbles: true }));
  assert.deepEqual(h.posted.at(-1), { type: 'selectRun', runId: all[2].summary.id });
});

/** '#4e79a7' → 'rgb(78, 121, 167)', as the CSSOM reports a colour. */
function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

function comparePage(runs: number) {
  const h = mountDashboard();
  const fixture = makeSnapshot(runs, 5, { page: 'compare' });
  h.send({ type: 'snapshot', snapshot: fixture.snapshot });
  return { h, ...fixture };
}

test('compare page: every run is in the table (virtualised), newest first by default', () => {
  const { h, all } = comparePage(200);
  assert.match(h.one('.count').textContent ?? '', /200 of 200 runs/);
  const rows = h.all('.compare-table tbody tr:not(.spacer)');
  assert.ok(rows.length > 10 && rows.length < 60, `${rows.length} rows rendered`);
  assert.equal(h.one('.compare-table').getAttribute('aria-rowcount'), '201');
  const newest = [...all].sort((a, b) => b.summary.createdAt.localeCompare(a.summary.createdAt))[0];
  assert.equal(rows[0].querySelector('th button')?.textContent, newest.summary.id);
  // Hyperparameter columns are the varying ones.
  const headers = h.all('.compare-table thead th').map((th) => th.textContent ?? '');
  assert.ok(headers.some((t) => t.startsWith('learningRate')));
  assert.ok(headers.some((t) => t.startsWith('Group')));
  assert.ok(!headers.some((t) => t.startsWith('seed')));
});

test('compare page: entering it selects the newest runs and requests their curves', () => {
  const { h, all } = comparePage(8);
  const request = h.posted.find((m) => m.type === 'requestCompare');
  assert.ok(request && request.type === 'requestCompare');
  assert.equal(request.runIds.length, 5);
  const newest = [...all]
    .sort((a, b) => b.summary.createdAt.localeCompare(a.summary.createdAt))
    .slice(0, 5)
    .map((r) => r.summary.id);
  assert.deepEqual(request.runIds, newest, 'the newest runs, in table order');
  h.send({
    type: 'compareData',
    runs: all
      .filter((r) => request.runIds.includes(r.summary.id))
      .map((r) => ({ runId: r.summary.id, epochs: r.epochs, evaluation: r.evaluation })),
  });
  const lines = h.all('.slot-overlay [data-series] polyline');
  assert.equal(lines.length, 5);
  for (const id of request.runIds) {
    const line = h.one(`.slot-overlay [data-series="${id}"] polyline`);
    assert.equal((line as unknown as SVGElement).style.getPropertyValue('stroke'), rgb(runColor(id)));
    assert.equal(pointCount(line), 5);
  }
  // Two runs are diffed per class, with their config differences.
  assert.equal(h.all('.recall-diff tbody tr').length, 3);
  assert.ok(h.all('.config-diff tbody tr').length > 0);
  // The parallel-coordinates plot has a line per run shown and highlights the selected ones.
  assert.equal(h.all('.parallel polyline').length, 8);
  assert.equal(h.all('.parallel .selected polyline').length, 5);
});

test('compare page: sorting, filtering and the CSV export', () => {
  const { h, all } = comparePage(12);
  h.click(h.one('button[data-key="compare-sort-bestValAccuracy"]'));
  const ids = h.all('.compare-table tbody tr:not(.spacer) th button').map((b) => b.textContent);
  const expected = [...all]
    .sort((a, b) => (a.summary.bestValAccuracy ?? 0) - (b.summary.bestValAccuracy ?? 0))
    .map((r) => r.summary.id);
  assert.deepEqual(ids, expected);
  const filter = h.one('#compare-filter') as HTMLInputElement;
  filter.focus();
  filter.value = 'sgd';
  filter.dispatchEvent(new h.window.Event('input', { bubbles: true }));
  const sgdRuns = all.filter((r) => r.summary.config.optimizer === 'sgd');
  assert.equal(h.all('.compare-table tbody tr:not(.spacer)').length, sgdRuns.length);
  assert.equal(h.document.activeElement, h.one('#compare-filter'), 'typing keeps focus in the filter');
  h.click(h.one('[data-key="export-csv"]'));
  const exported = h.posted.at(-1);
  assert.ok(exported && exported.type === 'exportCsv');
  const lines = exported.csv.trimEnd().split('\r\n');
  assert.equal(lines.length, sgdRuns.length + 1, 'the export has the filtered rows');
  assert.match(lines[0], /^Run,Group,Status,Model,Epochs,Started,Best val acc/);
  for (const run of sgdRuns) assert.ok(lines.some((l) => l.startsWith(`${run.summary.id},`)));
});

test('compare page: ticking a run asks the host for its data', () => {
  const { h, all } = comparePage(8);
  const unselected = all.map((r) => r.summary.id).find((id) => !h.app.getState().compareRunIds.includes(id));
  assert.ok(unselected);
  h.click(h.one(`input[data-key="compare-${unselected}"]`));
  const last = h.posted.at(-1);
  assert.ok(last && last.type === 'requestCompare' && last.runIds.includes(unselected));
});

test('page tabs switch pages and tell the host', () => {
  const { h } = runPage();
  h.click(h.one('button[data-key="tab-compare"]'));
  assert.ok(h.root.querySelector('.compare-table'));
  assert.ok(h.posted.some((m) => m.type === 'showPage' && m.page === 'compare'));
  assert.equal(h.one('button[data-key="tab-compare"]').getAttribute('aria-selected'), 'true');
});

test('compare page: a live update replaces only the rows of runs that changed', () => {
  const { h, snapshot } = comparePage(30);
  const rowsBefore = h.all('.compare-table tbody tr:not(.spacer)');
  const changedId = rowsBefore[2].querySelector('th button')?.textContent ?? '';
  const runs = snapshot.runs.map((r) =>
    r.id === changedId ? { ...r, status: 'running' as const, epochsCompleted: 99 } : structuredClone(r),
  );
  h.send({ type: 'runsChanged', runs, thumbnailBases: snapshot.thumbnailBases });
  const rowsAfter = h.all('.compare-table tbody tr:not(.spacer)');
  assert.equal(rowsAfter.length, rowsBefore.length);
  rowsAfter.forEach((row, i) => {
    if (i === 2) {
      assert.notEqual(row, rowsBefore[i], 'the changed run is redrawn');
      assert.match(row.textContent ?? '', /running/);
      assert.match(row.textContent ?? '', /99/);
    } else {
      assert.equal(row, rowsBefore[i], `row ${i} is kept as it was`);
    }
  });
});

test('compare page: ticking a checkbox keeps keyboard focus on it', () => {
  const { h } = comparePage(12);
  const id = h.all('.compare-table tbody tr:not(.spacer) th button')[7].textContent ?? '';
  const box = h.one(`input[data-key="compare-${id}"]`) as HTMLInputElement;
  box.focus();
  h.click(box);
  const now = h.one(`input[data-key="compare-${id}"]`) as HTMLInputElement;
  assert.equal(now.checked, true);
  assert.equal(h.document.activeElement, now);
});

test('a rebuild never takes focus while the dashboard does not have it (an open quick pick keeps it)', () => {
  const { h } = comparePage(12);
  const id = h.all('.compare-table tbody tr:not(.spacer) th button')[7].textContent ?? '';
  const box = h.one(`input[data-key="compare-${id}"]`) as HTMLInputElement;
  box.focus();
  // The workbench (a quick pick, the editor) has the keyboard: the webview's document is not focused.
  h.document.hasFocus = () => false;
  let focusCalls = 0;
  const focus = h.window.HTMLElement.prototype.focus;
  h.window.HTMLElement.prototype.focus = function (this: HTMLElement, options?: FocusOptions) {
    focusCalls++;
    focus.call(this, options);
  };
  try {
    h.click(box);
  } finally {
    h.window.HTMLElement.prototype.focus = focus;
  }
  assert.equal((h.one(`input[data-key="compare-${id}"]`) as HTMLInputElement).checked, true);
  assert.equal(focusCalls, 0, 'no element was focused by the rebuild');
});

test('an opened configuration stays open while epochs arrive', () => {
  const { h, all } = runPage(1, 4);
  const details = h.one('details.config') as HTMLDetailsElement;
  details.open = true;
  const summary = { ...all[0].summary, epochsCompleted: 5, status: 'running' as const };
  h.send({
    type: 'epochsAppended',
    runId: summary.id,
    summary,
    epochs: makeEpochs(0, 5).slice(4),
    batches: [],
  });
  assert.equal((h.one('details.config') as HTMLDetailsElement).open, true);
  assert.match(h.one('details.config').textContent ?? '', /learningRate/);
});

test('compare page: the newest learning-rate test is plotted with its suggestion marked', () => {
  const { h, snapshot } = comparePage(3);
  const curve = snapshot.lrFinds[0];
  assert.equal(pointCount(h.one('.slot-lr-find [data-series="lr-smoothed"] polyline')), curve.points.length);
  assert.match(h.one('.slot-lr-find .marker-label').textContent ?? '', /suggested 0\.003/);
  h.send({ type: 'lrFindsChanged', lrFinds: [] });
  assert.match(h.one('.slot-lr-find').textContent ?? '', /No learning-rate test yet/);
});

test('a transfer run names its pretrained base (name, format, digest, source); others have no such line', () => {
  const h = mountDashboard();
  const fixture = makeSnapshot(2, 3);
  const details = fixture.snapshot.details!;
  const base = {
    name: 'mobilenet-v2-0.35',
    format: 'layers' as const,
    source: 'https://example.invalid/mobilenet/model.json',
    sha256: 'ab'.repeat(32),
  };
  h.send({
    type: 'snapshot',
    snapshot: { ...fixture.snapshot, details: { ...details, record: { ...details.record, base } } },
  });
  const facts = h.one('.facts').textContent ?? '';
  assert.match(
    facts,
    /Pretrained basemobilenet-v2-0\.35 \(layers model, sha256 abababababab…, from https:\/\/example\.invalid\/mobilenet\/model\.json\)/,
  );
  const plain = mountDashboard();
  plain.send({ type: 'snapshot', snapshot: makeSnapshot(2, 3).snapshot });
  assert.doesNotMatch(plain.one('.facts').textContent ?? '', /Pretrained base/);
});

test('Export Model… posts exportModel for a finished run and is not offered while it trains', () => {
  const { h, all } = runPage();
  h.click(h.one('[data-key="export-model"]'));
  assert.deepEqual(h.posted.at(-1), { type: 'exportModel', runId: all[0].summary.id });
  const running = makeSnapshot(1, 2);
  running.all[0].summary.status = 'running';
  h.send({
    type: 'snapshot',
    snapshot: { ...running.snapshot, runs: [running.all[0].summary], details: running.all[0] },
  });
  assert.equal(h.all('[data-key="export-model"]').length, 0);
});
