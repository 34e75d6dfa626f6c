// The run page names the run's parent and compares the two in one click; it says which epoch the saved
// model is and what chose it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetails } from '../../src/protocol/runRecord';
import { savedModelText } from '../../webview/src/views/runPage';
import { makeSnapshot } from './fixtures';
import { mountDashboard } from './domHarness';

function withParent(details: RunDetails, parentId: string): RunDetails {
  return { ...details, summary: { ...details.summary, parentId }, record: { ...details.record, parentId } };
}

test('Compare with parent selects both runs, puts them side by side and opens the compare page', () => {
  const h = mountDashboard();
  const { snapshot, all } = makeSnapshot(3, 4);
  const parentId = all[2].summary.id;
  h.send({ type: 'snapshot', snapshot: { ...snapshot, details: withParent(all[0], parentId) } });
  const facts = h.one('.summary dl').textContent ?? '';
  assert.match(facts, new RegExp(`Parent run${parentId}`));
  h.click(h.one('[data-key="compare-with-parent"]'));
  const state = h.app.getState();
  assert.equal(state.page, 'compare');
  assert.deepEqual(state.compareRunIds, [parentId, all[0].summary.id]);
  assert.deepEqual(state.ui.diffRunIds, [parentId, all[0].summary.id]);
  assert.ok(
    h.posted.some(
      (m) => m.type === 'requestCompare' && m.runIds.join() === [parentId, all[0].summary.id].join(),
    ),
  );
  assert.ok(h.posted.some((m) => m.type === 'showPage' && m.page === 'compare'));
});

test('a parent that is not listed is named, without a button', () => {
  const h = mountDashboard();
  const { snapshot, all } = makeSnapshot(2, 4);
  h.send({ type: 'snapshot', snapshot: { ...snapshot, details: withParent(all[0], 'gone-run') } });
  assert.match(h.one('.summary dl').textContent ?? '', /gone-run \(not in this runs folder\)/);
  assert.equal(h.all('[data-key="compare-with-parent"]').length, 0);
});

test('the saved model’s epoch and the metric that chose it', () => {
  const { all } = makeSnapshot(1, 6);
  const run = all[0];
  const at = (
    bestEpoch: number | null,
    earlyStopping: RunDetails['record']['config']['earlyStopping'],
  ): RunDetails => ({
    ...run,
    summary: { ...run.summary, bestEpoch, epochsCompleted: 6 },
    record: { ...run.record, config: { ...run.record.config, earlyStopping } },
  });
  assert.equal(savedModelText(at(6, null)), 'epoch 6, the last one');
  assert.equal(
    savedModelText(at(4, null)),
    'epoch 6, the last one; the best epoch by lowest validation loss was 4, not restored (earlyStopping.restoreBest is off)',
  );
  assert.equal(
    savedModelText(at(4, { monitor: 'valAccuracy', patience: 2, restoreBest: true })),
    'epoch 4 of 6, restored as the epoch with the highest validation accuracy (early stopping)',
  );
});

test('the compare page offers Compare with parent for a compared run that names one', () => {
  const h = mountDashboard();
  const { snapshot, all } = makeSnapshot(4, 3);
  const [child, , parent, other] = all;
  const rerun = withParent(child, parent.summary.id);
  const runs = [rerun.summary, ...all.slice(1).map((r) => r.summary)];
  h.send({
    type: 'snapshot',
    snapshot: { ...snapshot, runs, details: rerun, page: 'compare', compareRunIds: [other.summary.id] },
  });
  assert.equal(h.all('[data-key^="compare-parent-"]').length, 0, 'no compared run has a parent');
  h.one(`[data-key="compare-${child.summary.id}"]`).dispatchEvent(new h.window.Event('change'));
  const offered = h.one(`[data-key="compare-parent-${child.summary.id}"]`);
  assert.equal(offered.textContent, 'Compare with parent');
  assert.equal(offered.hasAttribute('disabled'), false);
  h.click(offered);
  const state = h.app.getState();
  assert.equal(state.page, 'compare');
  assert.deepEqual(state.compareRunIds, [parent.summary.id, child.summary.id]);
  assert.deepEqual(state.ui.diffRunIds, [parent.summary.id, child.summary.id]);
  assert.ok(
    h.posted.some(
      (m) => m.type === 'requestCompare' && m.runIds.join() === [parent.summary.id, child.summary.id].join(),
    ),
    'the host loads both runs',
  );
  const pickers = h.all('[data-key^="diff-"]').map((p) => (p as HTMLSelectElement).value);
  assert.deepEqual(pickers, [parent.summary.id, child.summary.id], 'A is the parent, B the re-run');
  assert.equal(
    h.one(`[data-key="compare-parent-${child.summary.id}"]`).hasAttribute('disabled'),
    true,
    'already side by side',
  );
});

test('several re-runs among the compared runs: one button each; a parent not listed gets none', () => {
  const h = mountDashboard();
  const { snapshot, all } = makeSnapshot(5, 3);
  const a = withParent(all[0], all[4].summary.id);
  const b = withParent(all[1], all[4].summary.id);
  const orphan = withParent(all[2], 'gone-run');
  const runs = [a.summary, b.summary, orphan.summary, all[3].summary, all[4].summary];
  h.send({
    type: 'snapshot',
    snapshot: {
      ...snapshot,
      runs,
      details: a,
      page: 'compare',
      compareRunIds: [a.summary.id, b.summary.id, orphan.summary.id],
    },
  });
  const buttons = h.all('[data-key^="compare-parent-"]');
  assert.deepEqual(
    buttons.map((x) => x.textContent),
    [`Compare ${a.summary.id} with its parent`, `Compare ${b.summary.id} with its parent`],
  );
  h.click(buttons[1]);
  assert.deepEqual(h.app.getState().compareRunIds, [all[4].summary.id, b.summary.id]);
});
