// Label smoothing: the targets, the loss they give, and the config field's bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchObjective, smoothedTargets } from '../../../src/trainer/loss';
import { resolveConfig } from '../../../src/core/config';

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-5, `${what}: ${actual} vs ${expected}`);
}

test('smoothed targets put 1 − ε + ε/K on the label and ε/K elsewhere; ε = 0 is one-hot', () => {
  const labels = tf.tensor1d([0, 2], 'int32');
  const smoothed = smoothedTargets(labels, 4, 0.2).arraySync();
  const expected = [
    [0.85, 0.05, 0.05, 0.05],
    [0.05, 0.05, 0.85, 0.05],
  ];
  smoothed.forEach((row, i) => row.forEach((v, j) => close(v, expected[i][j], `target ${i},${j}`)));
  assert.deepEqual(smoothedTargets(labels, 4, 0).arraySync(), [
    [1, 0, 0, 0],
    [0, 0, 1, 0],
  ]);
});

test('the cross-entropy uses the smoothed targets: −Σ t·log p, averaged over the batch', () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [1], units: 3, activation: 'softmax' })],
  });
  const probs = tf.tensor2d([
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
  ]);
  const labels = tf.tensor1d([0, 2], 'int32');
  const loss = (smoothing: number): number =>
    batchObjective(model, probs, labels, {
      numClasses: 3,
      classWeights: null,
      labelSmoothing: smoothing,
    }).total.dataSync()[0];
  const crossEntropy = (targets: number[][]): number => {
    const rows = probs.arraySync();
    return (
      targets.reduce((sum, t, i) => sum - t.reduce((s, tk, k) => s + tk * Math.log(rows[i][k]), 0), 0) / 2
    );
  };
  close(
    loss(0),
    crossEntropy([
      [1, 0, 0],
      [0, 0, 1],
    ]),
    'no smoothing',
  );
  const e = 0.3;
  const on = 1 - e + e / 3;
  const off = e / 3;
  close(
    loss(e),
    crossEntropy([
      [on, off, off],
      [off, off, on],
    ]),
    'ε = 0.3',
  );
  assert.ok(loss(e) > loss(0), 'confident right answers cost more under smoothing');
});

test('labelSmoothing defaults to 0 and must lie in [0, 1)', () => {
  assert.equal(resolveConfig({}).labelSmoothing, 0);
  assert.equal(resolveConfig({ labelSmoothing: 0.1 }).labelSmoothing, 0.1);
  assert.throws(() => resolveConfig({ labelSmoothing: 1 }), /labelSmoothing/);
  assert.throws(() => resolveConfig({ labelSmoothing: -0.1 }), /labelSmoothing/);
});
