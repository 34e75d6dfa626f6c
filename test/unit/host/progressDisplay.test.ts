// The status bar's text and the journal of shown progress (what the e2e test reads back from the log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROGRESS_SHOWN,
  ShownProgressJournal,
  statusBarText,
} from '../../../src/host/training/progressDisplay';
import type { SessionSnapshot } from '../../../src/host/training/trainingSession';

function snapshot(fields: Partial<SessionSnapshot>): SessionSnapshot {
  return {
    runId: 'run-1',
    runDir: '/runs/run-1',
    phase: 'training',
    message: 'Epoch 1/3',
    epoch: 1,
    startEpoch: 1,
    totalEpochs: 3,
    batch: 0,
    totalBatches: 10,
    etaMs: null,
    task: 'classify',
    lastValAccuracy: null,
    bestValAccuracy: null,
    fraction: 0,
    stopping: false,
    ...fields,
  };
}

test('status bar: epoch, validation accuracy, ETA and queue; the phase before training starts', () => {
  assert.equal(
    statusBarText(snapshot({ epoch: 2, lastValAccuracy: 0.5, etaMs: 4000 }), 1),
    '$(sync~spin) 2/3 · val 50.0% · ETA 4s · +1 queued',
  );
  assert.equal(statusBarText(snapshot({ epoch: 0, phase: 'decoding' }), 0), '$(sync~spin) decoding');
  assert.match(statusBarText(snapshot({ stopping: true }), 0), /^\$\(debug-stop\) 1\/3/);
});

test('status bar of a detection run: its validation mAP@0.5, never a percentage', () => {
  assert.equal(
    statusBarText(snapshot({ epoch: 2, task: 'detect', lastValAccuracy: 0.6124, etaMs: 4000 }), 0),
    '$(sync~spin) 2/3 · mAP 0.612 · ETA 4s',
  );
  assert.doesNotMatch(statusBarText(snapshot({ task: 'detect', lastValAccuracy: 0.5 }), 0), /%/);
});

test('journal: one line per run and epoch, however many batch updates show it', () => {
  const journal = new ShownProgressJournal();
  const shown = (s: SessionSnapshot) =>
    journal.note(s, { statusBar: statusBarText(s, 0), notification: s.message });
  const lines = [
    shown(snapshot({ epoch: 0, phase: 'decoding', message: 'Decoding 10/40' })),
    shown(snapshot({ epoch: 0, phase: 'decoding', message: 'Decoding 20/40' })),
    shown(snapshot({ epoch: 1, batch: 1 })),
    shown(snapshot({ epoch: 1, batch: 2, etaMs: 3000 })),
    shown(snapshot({ epoch: 2, message: 'Epoch 2/3 · batch 1/10' })),
    shown(snapshot({ runId: 'run-2', epoch: 2 })),
  ].filter((l): l is string => l !== undefined);
  assert.deepEqual(lines, [
    `${PROGRESS_SHOWN} (run run-1): decoding · status bar "$(sync~spin) decoding" · notification "Decoding 10/40"`,
    `${PROGRESS_SHOWN} (run run-1): epoch 1/3 · status bar "$(sync~spin) 1/3" · notification "Epoch 1/3"`,
    `${PROGRESS_SHOWN} (run run-1): epoch 2/3 · status bar "$(sync~spin) 2/3" · notification "Epoch 2/3 · batch 1/10"`,
    `${PROGRESS_SHOWN} (run run-2): epoch 2/3 · status bar "$(sync~spin) 2/3" · notification "Epoch 1/3"`,
  ]);
});
