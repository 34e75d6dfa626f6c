// One wording for trainer events, shared by the CLI's progress lines and the extension's Output channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochLine, phaseLabel } from '../../../src/core/eventText';
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
