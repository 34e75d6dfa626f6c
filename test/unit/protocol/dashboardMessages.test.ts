import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isHostToWebview,
  isRunDetails,
  isWebviewToHost,
  MAX_CSV_CHARS,
  type WebviewToHost,
} from '../../../src/protocol/webviewMessages';
import { makeRun, makeSnapshot } from '../../webview/fixtures';

const validFromWebview: WebviewToHost[] = [
  { type: 'ready' },
  { type: 'selectRun', runId: 'r1' },
  { type: 'showPage', page: 'compare' },
  { type: 'requestCompare', runIds: ['r1', 'r2'] },
  { type: 'openImage', runId: 'r1', path: 'cat/a.png' },
  { type: 'moveImage', runId: 'r1', path: 'cat/a.png', toClass: 'dog' },
  { type: 'exportCsv', csv: 'a,b\r\n', suggestedName: 'runs.csv' },
];

test('every webview message type is accepted when well formed', () => {
  for (const m of validFromWebview) assert.ok(isWebviewToHost(m), m.type);
});

test('each required field of a webview message is checked', () => {
  for (const m of validFromWebview) {
    for (const key of Object.keys(m).filter((k) => k !== 'type')) {
      const missing: Record<string, unknown> = { ...m };
      delete missing[key];
      assert.equal(isWebviewToHost(missing), false, `${m.type} without ${key}`);
      assert.equal(isWebviewToHost({ ...m, [key]: 42 }), false, `${m.type} with a number ${key}`);
    }
  }
  assert.equal(isWebviewToHost({ type: 'showPage', page: 'settings' }), false);
  assert.equal(isWebviewToHost({ type: 'selectRun', runId: '' }), false);
  assert.equal(isWebviewToHost({ type: 'requestCompare', runIds: ['ok', 3] }), false);
  assert.equal(
    isWebviewToHost({ type: 'exportCsv', csv: 'x'.repeat(MAX_CSV_CHARS + 1), suggestedName: 'a.csv' }),
    false,
  );
  assert.equal(isWebviewToHost(null), false);
  assert.equal(isWebviewToHost([]), false);
});

test('host messages: a realistic snapshot passes; broken details, matrices and summaries do not', () => {
  const { snapshot } = makeSnapshot(3, 4);
  assert.ok(isHostToWebview({ type: 'snapshot', snapshot }));
  const run = makeRun({ index: 1, epochs: 2 });
  assert.ok(isRunDetails(run));
  const ragged = structuredClone(run);
  ragged.evaluation?.confusion[0].pop();
  assert.equal(isRunDetails(ragged), false, 'a ragged confusion matrix');
  const negative = structuredClone(run);
  if (negative.evaluation) negative.evaluation.confusion[0][0] = -1;
  assert.equal(isRunDetails(negative), false, 'a negative count');
  const badEpoch = structuredClone(run);
  (badEpoch.epochs[0] as unknown as Record<string, unknown>).loss = 'low';
  assert.equal(isRunDetails(badEpoch), false, 'a non-numeric loss');
  const badStatus = structuredClone(snapshot);
  (badStatus.runs[0] as unknown as Record<string, unknown>).status = 'exploded';
  assert.equal(isHostToWebview({ type: 'snapshot', snapshot: badStatus }), false);
  assert.equal(
    isHostToWebview({
      type: 'epochsAppended',
      runId: 'other',
      summary: run.summary,
      epochs: [],
      batches: [],
    }),
    false,
    'summary of another run',
  );
  assert.equal(isHostToWebview({ type: 'notice', level: 'fatal', message: 'x' }), false);
  assert.equal(isHostToWebview({ type: 'runsChanged', runs: [], thumbnailBases: { r: 1 } }), false);
});
