import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview, type HostToWebview } from '../../src/protocol/webviewMessages';
import { type DashboardState, initialState, movedKey, reduce, sanitizeUi } from '../../webview/src/state';
import { makeEpochs, makeRun, makeSnapshot } from './fixtures';

function loaded(runs = 3, epochs = 5): DashboardState {
  return reduce(initialState(), { type: 'snapshot', snapshot: makeSnapshot(runs, epochs).snapshot });
}

test('deltas before the snapshot are ignored; the snapshot loads everything', () => {
  const { snapshot } = makeSnapshot(2, 4);
  const early = reduce(initialState(), { type: 'runsChanged', runs: snapshot.runs, thumbnailBases: {} });
  assert.equal(early.loaded, false);
  assert.equal(early.runs.length, 0);
  const state = reduce(initialState(), { type: 'snapshot', snapshot });
  assert.equal(state.loaded, true);
  assert.equal(state.runs.length, 2);
  assert.equal(state.details?.epochs.length, 4);
  assert.equal(state.selectedRunId, snapshot.runs[0].id);
});

test('epochsAppended extends the selected run and updates its summary', () => {
  const state = loaded(2, 5);
  const id = state.details?.summary.id ?? '';
  const more = makeEpochs(0, 7).slice(5);
  const summary = { ...state.runs[0], epochsCompleted: 7, status: 'running' as const };
  const next = reduce(state, { type: 'epochsAppended', runId: id, summary, epochs: more, batches: [] });
  assert.equal(next.details?.epochs.length, 7);
  assert.deepEqual(
    next.details?.epochs.map((e) => e.epoch),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(next.runs[0].epochsCompleted, 7);
  assert.equal(next.details?.record.epochsCompleted, 7);
  assert.equal(next.details?.record.status, 'running');
  // Another run's epochs never land in the selected run.
  const other = reduce(state, {
    type: 'epochsAppended',
    runId: state.runs[1].id,
    summary: state.runs[1],
    epochs: more,
    batches: [],
  });
  assert.equal(other.details?.epochs.length, 5);
});

test('a new run or a new evaluation resets the matrix selection; the same one keeps it', () => {
  let state = loaded();
  state = reduce(state, { type: 'ui/selectCell', cell: { row: 1, col: 0 } });
  assert.deepEqual(state.ui.selectedCell, { row: 1, col: 0 });
  const same = reduce(state, { type: 'runDetailsChanged', details: structuredClone(state.details) });
  assert.deepEqual(same.ui.selectedCell, { row: 1, col: 0 });
  const otherRun = makeRun({ index: 2, epochs: 3 });
  const changed = reduce(state, { type: 'runDetailsChanged', details: otherRun });
  assert.equal(changed.ui.selectedCell, null);
  assert.equal(changed.selectedRunId, otherRun.summary.id);
  // A repeated snapshot of the same run and evaluation keeps the selection; one of another run resets it.
  const { snapshot } = makeSnapshot(3, 5);
  const again = reduce(state, {
    type: 'snapshot',
    snapshot: { ...snapshot, details: structuredClone(state.details) },
  });
  assert.deepEqual(again.ui.selectedCell, { row: 1, col: 0 });
  const elsewhere = reduce(state, {
    type: 'snapshot',
    snapshot: { ...snapshot, selectedRunId: otherRun.summary.id, details: otherRun },
  });
  assert.equal(elsewhere.ui.selectedCell, null);
  assert.equal(elsewhere.selectedRunId, otherRun.summary.id);
});

test('cell selection and keyboard focus stay inside the matrix', () => {
  let state = loaded();
  const n = state.details?.evaluation?.labels.length ?? 0;
  assert.equal(n, 3);
  assert.equal(
    reduce(state, { type: 'ui/selectCell', cell: { row: 3, col: 0 } }),
    state,
    'out-of-range cell refused',
  );
  state = reduce(state, { type: 'ui/moveFocus', dRow: 5, dCol: -2 });
  assert.deepEqual(state.ui.focusedCell, { row: 2, col: 0 });
  state = reduce(state, { type: 'ui/moveFocus', dRow: -1, dCol: 1 });
  assert.deepEqual(state.ui.focusedCell, { row: 1, col: 1 });
});

test('the matrix epoch must be one that was recorded', () => {
  const state = loaded();
  const epochs = state.details?.evaluation?.confusionByEpoch?.map((e) => e.epoch) ?? [];
  assert.ok(epochs.length > 0);
  assert.equal(reduce(state, { type: 'ui/setMatrixEpoch', epoch: epochs[1] }).ui.matrixEpoch, epochs[1]);
  assert.equal(reduce(state, { type: 'ui/setMatrixEpoch', epoch: 999 }), state);
});

test('sort toggles direction on the same key and restarts ascending on a new one', () => {
  let state = loaded();
  state = reduce(state, { type: 'ui/sortClasses', key: 'recall' });
  assert.deepEqual(state.ui.classSort, { key: 'recall', direction: 'asc' });
  state = reduce(state, { type: 'ui/sortClasses', key: 'recall' });
  assert.deepEqual(state.ui.classSort, { key: 'recall', direction: 'desc' });
  state = reduce(state, { type: 'ui/sortCompare', key: 'bestValAccuracy' });
  assert.deepEqual(state.ui.compareSort, { key: 'bestValAccuracy', direction: 'asc' });
});

test('compare selection: toggling, unknown ids refused, diff slots filled, vanished runs pruned', () => {
  let state = loaded(4);
  const [a, b, c] = state.runs.map((r) => r.id);
  state = reduce(state, { type: 'ui/toggleCompareRun', runId: a });
  state = reduce(state, { type: 'ui/toggleCompareRun', runId: b });
  assert.deepEqual(state.compareRunIds, [a, b]);
  assert.deepEqual(state.ui.diffRunIds, [a, b]);
  assert.equal(reduce(state, { type: 'ui/toggleCompareRun', runId: 'nope' }), state);
  state = reduce(state, { type: 'ui/setCompareRuns', runIds: [c, c, 'ghost', a] });
  assert.deepEqual(state.compareRunIds, [c, a]);
  const remaining = state.runs.filter((r) => r.id !== a);
  state = reduce(state, { type: 'runsChanged', runs: remaining, thumbnailBases: {} });
  assert.deepEqual(state.compareRunIds, [c]);
  assert.equal(state.ui.diffRunIds[0], null);
});

test('imageMoved is remembered per run and path; notices can be dismissed', () => {
  let state = loaded();
  state = reduce(state, { type: 'imageMoved', runId: 'r', path: 'cat/x.png', toClass: 'dog' });
  assert.equal(state.moved[movedKey('r', 'cat/x.png')], 'dog');
  state = reduce(state, { type: 'notice', level: 'error', message: 'nope' });
  assert.equal(state.notice?.message, 'nope');
  assert.equal(reduce(state, { type: 'ui/dismissNotice' }).notice, null);
});

test('smoothing is clamped and non-finite values are refused', () => {
  const state = loaded();
  assert.equal(reduce(state, { type: 'ui/setSmoothing', value: 5 }).ui.smoothing, 0.99);
  assert.equal(reduce(state, { type: 'ui/setSmoothing', value: Number.NaN }), state);
});

test('saved UI state from another version is sanitised field by field', () => {
  assert.deepEqual(sanitizeUi(null), {});
  const ui = sanitizeUi({
    smoothing: 0.3,
    showBatches: 'yes',
    classSort: { key: 'f1', direction: 'desc' },
    compareMetric: 'bogus',
    parallelMetric: 'testAccuracy',
  });
  assert.deepEqual(ui, {
    smoothing: 0.3,
    classSort: { key: 'f1', direction: 'desc' },
    parallelMetric: 'testAccuracy',
  });
});

/** Random and mutated messages: the guard decides, the reducer never throws, the state stays coherent. */
test('fuzz: 10,000 random and mutated messages through guard and reducer', () => {
  const { snapshot, all } = makeSnapshot(3, 4);
  const valid: HostToWebview[] = [
    { type: 'snapshot', snapshot },
    { type: 'runsChanged', runs: snapshot.runs, thumbnailBases: {} },
    { type: 'runDetailsChanged', details: all[1] },
    {
      type: 'epochsAppended',
      runId: all[0].summary.id,
      summary: all[0].summary,
      epochs: makeEpochs(0, 5).slice(4),
      batches: [],
    },
    {
      type: 'compareData',
      runs: [{ runId: all[0].summary.id, epochs: all[0].epochs, evaluation: all[0].evaluation }],
    },
    { type: 'navigate', page: 'compare', selectedRunId: null, compareRunIds: [all[2].summary.id] },
    { type: 'imageMoved', runId: all[0].summary.id, path: 'cat/a.png', toClass: 'dog' },
    { type: 'notice', level: 'info', message: 'hello' },
  ];
  for (const m of valid) assert.ok(isHostToWebview(m), `valid ${m.type} accepted`);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const junk = [
    null,
    undefined,
    0,
    -1,
    1.5,
    NaN,
    '',
    'x',
    '../../etc/passwd',
    [],
    {},
    true,
    { type: 'snapshot' },
  ];
  const mutate = (value: unknown, depth: number): unknown => {
    if (depth > 4 || random() < 0.15) return junk[Math.floor(random() * junk.length)];
    if (Array.isArray(value)) {
      const copy = value.map((v) => (random() < 0.1 ? mutate(v, depth + 1) : v));
      if (random() < 0.2) copy.pop();
      return copy;
    }
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const key = keys[Math.floor(random() * keys.length)];
      if (key !== undefined) {
        if (random() < 0.3) delete copy[key];
        else copy[key] = mutate(copy[key], depth + 1);
      }
      return copy;
    }
    return value;
  };
  let state = initialState();
  let accepted = 0;
  for (let i = 0; i < 10_000; i++) {
    const base = valid[i % valid.length];
    const candidate = i % 10 === 0 ? base : mutate(base, 0);
    if (!isHostToWebview(candidate)) continue;
    accepted++;
    state = reduce(state, candidate);
    const n = state.details?.evaluation?.labels.length ?? 0;
    if (state.ui.selectedCell) assert.ok(state.ui.selectedCell.row < n && state.ui.selectedCell.col < n);
    const ids = new Set(state.runs.map((r) => r.id));
    for (const id of state.compareRunIds) assert.ok(ids.has(id), 'compared run exists');
    for (const e of state.details?.epochs ?? []) assert.ok(Number.isFinite(e.loss));
  }
  assert.ok(accepted >= 1000, `accepted ${accepted}`);
  assert.ok(accepted < 10_000, 'some mutations are rejected');
});

test('sameJson compares JSON values deeply', async () => {
  const { sameJson } = await import('../../webview/src/state');
  assert.equal(sameJson({ a: [1, { b: null }] }, { a: [1, { b: null }] }), true);
  assert.equal(sameJson({ a: [1, { b: null }] }, { a: [1, { b: 0 }] }), false);
  assert.equal(sameJson({ a: 1 }, { a: 1, b: undefined }), false);
  assert.equal(sameJson([1, 2], { 0: 1, 1: 2 }), false);
  assert.equal(sameJson('x', 'x'), true);
});

test('runsChanged keeps unchanged run objects and the config of changed ones', () => {
  const state = loaded(3);
  const runs = state.runs.map((r, i) =>
    i === 1 ? { ...structuredClone(r), epochsCompleted: 99 } : structuredClone(r),
  );
  const next = reduce(state, { type: 'runsChanged', runs, thumbnailBases: state.thumbnailBases });
  assert.equal(next.runs[0], state.runs[0]);
  assert.equal(next.runs[2], state.runs[2]);
  assert.notEqual(next.runs[1], state.runs[1]);
  assert.equal(next.runs[1].epochsCompleted, 99);
  assert.equal(next.runs[1].config, state.runs[1].config);
  const same = reduce(next, {
    type: 'runsChanged',
    runs: structuredClone(next.runs),
    thumbnailBases: next.thumbnailBases,
  });
  assert.equal(same.runs, next.runs, 'nothing new: the same array');
});
