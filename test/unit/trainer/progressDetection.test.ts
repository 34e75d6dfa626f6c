// The CLI's progress of a detection run says mAP@0.5 where a classification run says accuracy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { createProgressReporter } from '../../../src/trainer/progress';
import type { TrainerToHost } from '../../../src/protocol/trainerMessages';

function run(task: 'classify' | 'detect'): { out: string; err: string } {
  let out = '';
  let err = '';
  const reporter = createProgressReporter((text) => (err += text), true);
  const stdout = (text: string) => (out += text);
  const events: TrainerToHost[] = [
    {
      type: 'runStarted',
      runId: 'r1',
      runDir: '/runs/r1',
      backend: 'wasm',
      backendNotes: [],
      config: resolveConfig(undefined, { epochs: 2, task }),
      dataset: {
        root: '/data',
        classNames: ['a', 'b'],
        counts: { train: 8, validation: 2, test: 0 },
        skipped: 0,
      },
      startEpoch: 1,
      totalEpochs: 2,
    },
    { type: 'batchEnded', epoch: 1, batch: 1, totalBatches: 2, loss: 0.5, accuracy: 0.25, etaMs: 1000 },
    {
      type: 'runCompleted',
      runId: 'r1',
      runDir: '/runs/r1',
      epochsCompleted: 2,
      bestEpoch: 2,
      bestValAccuracy: 0.6124,
    },
  ];
  for (const event of events) reporter.event(event, stdout);
  return { out, err };
}

test('a detection run ends with its best mAP@0.5 and its batch line shows no accuracy', () => {
  const detect = run('detect');
  assert.match(detect.out, /best epoch 2, best validation mAP@0\.5 0\.612/);
  assert.doesNotMatch(detect.out + detect.err, /acc/);
  const classify = run('classify');
  assert.match(classify.out, /best epoch 2, best validation accuracy 61\.2%/);
  assert.match(classify.err, /loss 0\.5000 acc 25\.0%/);
});
