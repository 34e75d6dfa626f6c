// Data-parallel training: a step split over the main thread and a worker thread must make the same
// update as one step on the whole batch (a model without dropout or batch norm, whose result does
// not depend on how the batch is split).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/trainer/backend';
import { createParallelTrainStep, splitEvenly } from '../../../src/trainer/parallel';

const SIZE = 8;
const CLASSES = 3;

function buildModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [SIZE, SIZE, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
}

function batch(n: number): { pixels: Float32Array; labels: Int32Array } {
  const pixels = new Float32Array(n * SIZE * SIZE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 7919) % 101) / 101;
  const labels = Int32Array.from({ length: n }, (_, i) => i % CLASSES);
  return { pixels, labels };
}

test('splitEvenly gives near-equal shards that add up, the first never smaller', () => {
  assert.deepEqual(splitEvenly(7, 2), [4, 3]);
  assert.deepEqual(splitEvenly(64, 3), [22, 21, 21]);
  assert.deepEqual(splitEvenly(1, 2), [1, 0]);
});

/** The main thread takes about a third more than the worker, whatever the batch. */
const unequalShards = {
  plan: (n: number) => [Math.ceil((n * 4) / 7), n - Math.ceil((n * 4) / 7)],
  record: () => undefined,
  fixedSplit: null,
};

test('a step shared with a worker thread updates the weights as a single-thread step does', async () => {
  await selectBackend('wasm');
  const single = buildModel();
  const shared = buildModel();
  shared.setWeights(single.getWeights());
  const classWeights = [1, 2, 0.5];
  const make = (model: tf.LayersModel, workers: number) =>
    createParallelTrainStep({
      model,
      optimizer: tf.train.sgd(0.1),
      imageSize: SIZE,
      channels: 1,
      numClasses: CLASSES,
      classWeights,
      // Smoothed targets travel to the worker too: its shard must be scored like the main thread's.
      labelSmoothing: 0.1,
      maxBatchSize: 16,
      workers,
      backend: 'wasm',
      // Unequal shards, as a measured split gives: the weighting by shard size must keep the step equal.
      shards: workers === 1 ? unequalShards : undefined,
    });
  const alone = await make(single, 0);
  const split = await make(shared, 1);
  const initial = single.getWeights()[0].dataSync().slice();
  try {
    assert.equal(alone.threads, 1);
    assert.equal(split.threads, 2);
    for (const n of [7, 16]) {
      const { pixels, labels } = batch(n);
      const a = await alone(pixels, labels);
      const b = await split(pixels, labels);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
      assert.equal(a.correct, b.correct);
    }
    // Further steps leave no tensors behind on the main thread.
    const { pixels, labels } = batch(16);
    await split(pixels, labels);
    await alone(pixels, labels);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await split(pixels, labels);
      await alone(pixels, labels);
    }
    assert.equal(tf.memory().numTensors, tensors);
    const before = single.getWeights().map((w) => w.dataSync());
    const after = shared.getWeights().map((w) => w.dataSync());
    before.forEach((values, i) => {
      for (let j = 0; j < values.length; j++)
        assert.ok(Math.abs(values[j] - after[i][j]) < 1e-5, `weight ${i}[${j}]`);
    });
    const first = single.getWeights()[0].dataSync();
    assert.ok(
      first.some((v, j) => Math.abs(v - initial[j]) > 1e-4),
      'the weights moved',
    );
  } finally {
    await alone.dispose();
    await split.dispose();
  }
});

test('a step after the workers are gone fails with a message instead of hanging', async () => {
  await selectBackend('wasm');
  const model = buildModel();
  const step = await createParallelTrainStep({
    model,
    optimizer: tf.train.sgd(0.1),
    imageSize: SIZE,
    channels: 1,
    numClasses: CLASSES,
    classWeights: null,
    maxBatchSize: 8,
    workers: 1,
    backend: 'wasm',
  });
  await step.dispose();
  const { pixels, labels } = batch(8);
  const tensors = tf.memory().numTensors;
  await assert.rejects(step(pixels, labels), /data-parallel worker failed: worker exited/);
  await assert.rejects(step(pixels, labels), /data-parallel worker failed/);
  assert.equal(tf.memory().numTensors, tensors, 'the failed steps leave no tensors behind');
  model.dispose();
});

test('a worker may take more than an even share, up to its buffers; a plan beyond them is refused by name', async () => {
  await selectBackend('wasm');
  const single = buildModel();
  const shared = buildModel();
  shared.setWeights(single.getWeights());
  // maxBatchSize 16 over 2 threads: each worker's buffers hold 1.25 × 8 = 10 images.
  let plan = (n: number): number[] => [
    n - Math.min(10, Math.ceil((n * 5) / 8)),
    Math.min(10, Math.ceil((n * 5) / 8)),
  ];
  const make = (model: tf.LayersModel, workers: number) =>
    createParallelTrainStep({
      model,
      optimizer: tf.train.sgd(0.1),
      imageSize: SIZE,
      channels: 1,
      numClasses: CLASSES,
      classWeights: null,
      maxBatchSize: 16,
      workers,
      backend: 'wasm',
      shards: workers === 1 ? { plan: (n) => plan(n), record: () => undefined, fixedSplit: null } : undefined,
    });
  const alone = await make(single, 0);
  const split = await make(shared, 1);
  try {
    const { pixels, labels } = batch(16);
    const a = await alone(pixels, labels);
    const b = await split(pixels, labels);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
    const after = shared.getWeights()[0].dataSync();
    single
      .getWeights()[0]
      .dataSync()
      .forEach((v, j) => assert.ok(Math.abs(v - after[j]) < 1e-5, `weight [${j}]`));
    plan = (n) => [n - 11, 11];
    await assert.rejects(split(pixels, labels), /give a worker more than its 10 images/);
  } finally {
    await alone.dispose();
    await split.dispose();
  }
});
