// The backend ladder on a machine without the native TensorFlow packages (they are optional and not
// installed in this repository).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, wasmDirectory } from '../../../src/trainer/backend';

test('auto falls back to WASM and names both missing native packages with the command to install them', async () => {
  const { backend, notes } = await selectBackend('auto');
  assert.equal(backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(notes.length, 2);
  assert.match(
    notes[0],
    /^tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed \(image-trainer engine install tensorflow-gpu, or "Set Up Native Engine…" in the editor\)$/,
  );
  assert.match(
    notes[1],
    /^tensorflow: @tensorflow\/tfjs-node is not installed \(image-trainer engine install tensorflow, or "Set Up Native Engine…" in the editor\)$/,
  );
  for (const note of notes) assert.ok(!note.includes('\n'), 'notes are one line');
});

test('the WASM backend gets our gradient kernels', async () => {
  await selectBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'Conv2DBackpropFilter is registered');
  const grad = tf.tidy(() => {
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const f = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')));
    return Array.from(f(tf.ones([3, 3, 1, 1])).dataSync());
  });
  // Each filter tap sees the 2×2 valid output positions over an all-ones image.
  assert.deepEqual(grad, new Array(9).fill(4));
});

test('cpu can be forced', async () => {
  const { backend, notes } = await selectBackend('cpu');
  assert.equal(backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(notes, []);
});

test('forcing a native backend that is not installed fails with one actionable line', async () => {
  for (const [choice, packageName] of [
    ['tensorflow', '@tensorflow/tfjs-node'],
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
  ] as const) {
    await assert.rejects(selectBackend(choice), (error: Error) => {
      assert.ok(error.message.includes(`${packageName} is not installed`), error.message);
      assert.ok(error.message.includes(`image-trainer engine install ${choice}`), error.message);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  }
});

test('the WASM binaries are found from sources', () => {
  const dir = wasmDirectory();
  assert.ok(fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')), dir);
});
