// One wording for trainer events, shared by the CLI's progress lines and the extension's Output channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestAccuracyText, epochLine, phaseLabel } from '../../../src/core/eventText';
import type { EpochMetrics } from '../../../src/protocol/runRecord';

const metrics: EpochMetrics = {
  epoch: 3,
  loss: 0.41234,
  accuracy: 0.873,
  valLoss: 0.5,
  valAccuracy: 0.84,
  learningRate: 0.001,
  durationMs: 12_300,
  samplesPerSecond: 409.6,
};

test('an epoch line names the figures, the best epoch and an epoch cut short', () => {
  assert.equal(
    epochLine(metrics, 10, true),
    'Epoch 3/10: loss 0.4123 · acc 87.3% · val loss 0.5000 · val acc 84.0% · 12s · 410 img/s · best so far',
  );
  assert.equal(
    epochLine({ ...metrics, valLoss: null, valAccuracy: null, partial: true }, 10, false),
    'Epoch 3/10: loss 0.4123 · acc 87.3% · 12s · 410 img/s · stopped mid-epoch',
  );
  assert.equal(phaseLabel('decoding'), 'Decoding');
});

test("the best figure of a run: accuracy as a percentage, a detection run's mAP@0.5 as a fraction", () => {
  assert.equal(bestAccuracyText(0.912), 'best validation accuracy 91.2%');
  assert.equal(bestAccuracyText(0.6124, 'detect'), 'best validation mAP@0.5 0.612');
  assert.equal(bestAccuracyText(null, 'detect'), 'best validation mAP@0.5 —');
});
