// Detection runs on the compare page (issue 18): mAP@0.5 and mAP@0.5:0.95 columns, no detection figure
// labelled accuracy, and a classification run beside a detection run stays readable (— where a figure does
// not apply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetails } from '../../src/protocol/runRecord';
import type { CompareRunData } from '../../src/protocol/webviewMessages';
import { apDifference, compareColumns, metricColumns, toCsv } from '../../webview/src/compare';
import { makeDetectionRun, makeRun, makeSnapshot } from './fixtures';
import { mountDashboard } from './domHarness';

/** A detection run as the host's run store summarises it: task, mAPs of its evaluation, config.task. */
function detectionRun(index: number): RunDetails {
  const run = makeDetectionRun(index, 4);
  const evaluation = run.detectionEvaluation;
  assert.ok(evaluation);
  const config = { ...run.summary.config, task: 'detect' as const };
  return {
    ...run,
    summary: {
      ...run.summary,
      task: 'detect',
      config,
      map50: evaluation.map50,
      map50_95: evaluation.map50_95,
      testAccuracy: 0.4567,
    },
    record: { ...run.record, config },
  };
}

const classifier = makeRun({ index: 0, epochs: 4 });
const detector = detectionRun(1);

function cellsOf(runs: RunDetails[]): Record<string, Record<string, string | number | null>> {
  const columns = compareColumns(runs.map((r) => r.summary));
  return Object.fromEntries(
    runs.map((r) => [r.summary.id, Object.fromEntries(columns.map((c) => [c.label, c.value(r.summary)]))]),
  );
}

test('detection runs get mAP columns, never accuracy ones; classification runs the reverse', () => {
  const detectOnly = metricColumns([detector.summary]).map((c) => c.label);
  assert.deepEqual(detectOnly, ['mAP@0.5', 'mAP@0.5:0.95', 'Last val loss', 'Test mAP@0.5']);
  assert.ok(!detectOnly.some((label) => /acc/i.test(label)));
  const classifyOnly = metricColumns([classifier.summary]).map((c) => c.label);
  assert.deepEqual(classifyOnly, ['Best val acc', 'Last val acc', 'Last val loss', 'Test acc']);
  const cells = cellsOf([detector]);
  const evaluation = detector.detectionEvaluation;
  assert.ok(evaluation);
  assert.equal(cells[detector.summary.id]['mAP@0.5'], evaluation.map50);
  assert.equal(cells[detector.summary.id]['mAP@0.5:0.95'], evaluation.map50_95);
  assert.equal(cells[detector.summary.id]['Test mAP@0.5'], 0.4567);
});

test('a detection run without an evaluation shows its best epoch figure; mixed runs leave — where a figure does not apply', () => {
  const running = makeDetectionRun(2, 3, false);
  const summary = {
    ...running.summary,
    task: 'detect' as const,
    config: { ...running.summary.config, task: 'detect' as const },
    map50: null,
    map50_95: null,
  };
  const cells = cellsOf([classifier, { ...running, summary }]);
  // Before it has evaluation.json, mAP@0.5 is its best validation figure (the summary's bestValAccuracy).
  assert.equal(cells[summary.id]['mAP@0.5'], summary.bestValAccuracy);
  assert.equal(cells[summary.id]['mAP@0.5:0.95'], null);
  assert.equal(cells[summary.id]['Best val acc'], null, 'a detector has no accuracy');
  assert.equal(cells[summary.id]['Test acc'], null);
  assert.equal(cells[classifier.summary.id]['mAP@0.5'], null, 'a classifier has no mAP');
  assert.equal(cells[classifier.summary.id]['Best val acc'], classifier.summary.bestValAccuracy);
  // The task itself varies, so it is a column: the reader sees which run is which.
  assert.equal(cells[summary.id].task, 'detect');
  assert.equal(cells[classifier.summary.id].task, 'classify');
  const csv = toCsv([classifier.summary, summary], compareColumns([classifier.summary, summary])).split(
    '\r\n',
  );
  assert.match(csv[0], /Best val acc,.*mAP@0\.5,mAP@0\.5:0\.95/);
});

test('per-class AP difference is B minus A; a class without ground truth has none', () => {
  const a = detector.detectionEvaluation;
  assert.ok(a);
  const b = {
    ...a,
    perClass: a.perClass.map((c) => (c.label === 'circle' ? { ...c, ap50: c.ap50 - 0.25 } : c)),
  };
  const rows = apDifference(a, b);
  const circle = rows.find((r) => r.label === 'circle');
  assert.ok(circle && circle.delta !== null);
  assert.ok(Math.abs(circle.delta + 0.25) < 1e-12);
  assert.equal(rows.find((r) => r.label === 'shapes')?.delta, null);
});

test('the compare page: mAP cells, — for figures that do not apply, the overlay and the A/B diff say mAP', () => {
  const h = mountDashboard();
  const other = detectionRun(2);
  const { snapshot } = makeSnapshot(0, 0);
  const runs = [classifier.summary, detector.summary, other.summary];
  const compare: CompareRunData[] = [classifier, detector, other].map((r) => ({
    runId: r.summary.id,
    epochs: r.epochs,
    evaluation: r.evaluation,
    ...(r.detectionEvaluation ? { detectionEvaluation: r.detectionEvaluation } : {}),
  }));
  h.send({
    type: 'snapshot',
    snapshot: {
      ...snapshot,
      runs,
      details: classifier,
      selectedRunId: classifier.summary.id,
      page: 'compare',
      compareRunIds: [detector.summary.id, other.summary.id],
      compare,
    },
  });
  const headers = h.all('.compare-table thead th').map((th) => th.textContent?.replace(/ [▲▼]$/, ''));
  assert.ok(
    headers.includes('mAP@0.5') && headers.includes('mAP@0.5:0.95') && headers.includes('Best val acc'),
  );
  const column = (label: string) => headers.indexOf(label);
  const rowOf = (id: string) =>
    h.all('.compare-table tbody tr').find((tr) => tr.querySelector(`[data-key="open-run-${id}"]`));
  const cell = (id: string, label: string) => rowOf(id)?.children[column(label)]?.textContent;
  const evaluation = detector.detectionEvaluation;
  assert.ok(evaluation);
  assert.equal(cell(detector.summary.id, 'mAP@0.5'), evaluation.map50.toFixed(3));
  assert.equal(cell(detector.summary.id, 'mAP@0.5:0.95'), evaluation.map50_95.toFixed(3));
  assert.equal(cell(detector.summary.id, 'Best val acc'), '—');
  assert.equal(cell(classifier.summary.id, 'mAP@0.5'), '—');
  assert.match(cell(classifier.summary.id, 'Best val acc') ?? '', /%$/);

  // Only detection runs ticked: the overlay shows validation mAP, not "accuracy" (the default metric).
  const overlay = () => h.one('.slot-overlay').textContent ?? '';
  assert.match(overlay(), /Validation mAP@0\.5 of 2 runs/);
  assert.doesNotMatch(overlay(), /accuracy of/i);
  assert.equal(h.all('.slot-overlay [data-series] polyline').length, 2);
  // The A/B diff of two detection runs compares per-class AP, not recall.
  const chooseDiff = (slot: 0 | 1, id: string) => {
    const select = h.one(`[data-key="diff-${slot}"]`) as HTMLSelectElement;
    select.value = id;
    select.dispatchEvent(new h.window.Event('change'));
  };
  chooseDiff(0, detector.summary.id);
  chooseDiff(1, other.summary.id);
  const diff = h.one('.slot-diff');
  assert.match(diff.querySelector('caption')?.textContent ?? '', /Per-class AP@0\.5 \(B − A\)/);
  assert.match(diff.textContent ?? '', /mAP@0\.5:0\.95/);
  assert.doesNotMatch(diff.textContent ?? '', /recall/i);

  // A classification run ticked beside a detection run: accuracy does not apply to the detector, said so.
  h.one(`[data-key="compare-${classifier.summary.id}"]`).dispatchEvent(new h.window.Event('change'));
  h.one(`[data-key="compare-${other.summary.id}"]`).dispatchEvent(new h.window.Event('change'));
  const picker = h.one('[data-key="compare-metric"]') as HTMLSelectElement;
  picker.value = 'valAccuracy';
  picker.dispatchEvent(new h.window.Event('change'));
  assert.match(
    h.one('[data-key="overlay-not-applicable"]').textContent ?? '',
    new RegExp(`Validation accuracy does not apply to ${detector.summary.id}`),
  );
  assert.match(overlay(), new RegExp(`Validation accuracy of 1 run`));
  // A detection and a classification run side by side: no per-class comparison, and it says why.
  chooseDiff(1, classifier.summary.id);
  assert.match(h.one('[data-key="diff-mixed-tasks"]').textContent ?? '', /cannot be compared/);
});
