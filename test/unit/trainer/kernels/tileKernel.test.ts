// Our WASM Tile against the pure-JS backend, directly and inside batch norm's gradient (its main user).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/trainer/backend';

function onBackend<T>(name: 'cpu' | 'wasm', f: () => T): T {
  tf.setBackend(name);
  return f();
}

function assertClose(
  a: Float32Array | number[],
  b: Float32Array | number[],
  tolerance: number,
  what: string,
): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= tolerance * Math.max(1, Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
  }
}

test('Tile on WASM equals the pure-JS backend for every axis pattern', async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  const cases: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [3, 4, 2, 1],
    ],
    [
      [2, 3],
      [2, 3],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 5, 1],
    ],
    [
      [2, 2, 2, 2],
      [1, 1, 1, 1],
    ],
    [
      [1, 2, 1, 3],
      [2, 1, 3, 2],
    ],
    [
      [0, 3],
      [2, 2],
    ],
  ];
  for (const [shape, reps] of cases) {
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5 - 3);
    const expected = onBackend('cpu', () => tf.tile(tf.tensor(values, shape), reps).dataSync());
    const actual = onBackend('wasm', () => tf.tile(tf.tensor(values, shape), reps).dataSync());
    assertClose(actual as Float32Array, expected as Float32Array, 0, `tile ${shape} × ${reps}`);
  }
  // Other dtypes go to the backend's own kernel.
  const ints = onBackend('wasm', () => tf.tile(tf.tensor([1, 2], [2], 'int32'), [2]).dataSync());
  assert.deepEqual(Array.from(ints), [1, 2, 1, 2]);
});

test("batch norm's gradients on WASM match the pure-JS backend", async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  const grads = (name: 'cpu' | 'wasm') =>
    onBackend(name, () => {
      const x = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 11);
      const scale = tf.randomUniform([3], 0.5, 1.5, 'float32', 12);
      const offset = tf.randomUniform([3], -0.5, 0.5, 'float32', 13);
      const w = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 14);
      const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, o, s, 1e-3), w));
      };
      return tf
        .grads(f)([x, scale, offset])
        .map((g) => g.dataSync());
    });
  const expected = grads('cpu');
  const actual = grads('wasm');
  ['x', 'scale', 'offset'].forEach((name, i) =>
    assertClose(actual[i] as Float32Array, expected[i] as Float32Array, 1e-3, `d${name}`),
  );
});

test('Tile leaves no tensors behind', async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++)
    tf.tidy(() =>
      tf
        .tile(tf.ones([1, 1, 1, 8]), [4, 3, 3, 1])
        .sum()
        .dataSync(),
    );
  assert.equal(tf.memory().numTensors, before);
});
