// The fused Adam update (kernels/adam.ts) against tfjs' own AdamOptimizer: on WASM the weights and both
// moments must match to the bit after several steps (same float32 operations in the same order), and
// the pure-JS backend's run within float rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/trainer/backend';
import { registerWasmKernels, unregisterWasmKernels } from '../../../../src/trainer/kernels';
import { ADAM_UPDATE, fusedAdamAvailable } from '../../../../src/trainer/kernels/adam';

/** Sizes with and without a tail of < 4 values (the JS remainder of the SIMD loop). */
const SHAPES = [[3, 3, 2, 8], [10], [7, 5], [1]];

function seeded(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: size }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  });
}

interface Trained {
  weights: Float32Array[];
  optimizerState: Float32Array[];
  kernels: string[];
}

async function train(backend: 'cpu' | 'wasm', learningRate: number): Promise<Trained> {
  // setBackend, not selectBackend: that one registers our kernels again.
  await tf.setBackend(backend);
  const variables = SHAPES.map((shape, i) =>
    tf.variable(tf.tensor(seeded(tf.util.sizeFromShape(shape), i + 1), shape)),
  );
  const targets = SHAPES.map((shape, i) => tf.tensor(seeded(tf.util.sizeFromShape(shape), i + 50), shape));
  const optimizer = tf.train.adam(learningRate);
  const kernels: string[] = [];
  for (let step = 0; step < 6; step++) {
    // A schedule changes the rate between steps, as the trainer's does.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate / (1 + step);
    const profile = await tf.profile(() => {
      optimizer.minimize(
        () =>
          tf.addN(
            variables.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, targets[i])), step + 1))),
          ) as tf.Scalar,
      );
    });
    kernels.push(...profile.kernels.map((k) => k.name));
  }
  const optimizerState = (await optimizer.getWeights()).map((w) => w.tensor.dataSync() as Float32Array);
  const weights = variables.map((v) => v.dataSync() as Float32Array);
  tf.dispose([...variables, ...targets]);
  optimizer.dispose();
  return { weights, optimizerState, kernels };
}

test('fused Adam on WASM equals tfjs Adam to the bit, and the pure-JS backend within rounding', async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  registerWasmKernels();
  assert.ok(fusedAdamAvailable());
  const fused = await train('wasm', 0.01);
  assert.ok(fused.kernels.includes(ADAM_UPDATE), 'the fused kernel should run');
  assert.ok(!fused.kernels.includes('Sqrt'), fused.kernels.join(' '));
  unregisterWasmKernels([ADAM_UPDATE]);
  let library: Trained;
  try {
    assert.ok(!fusedAdamAvailable());
    library = await train('wasm', 0.01);
  } finally {
    registerWasmKernels();
  }
  assert.ok(
    library.kernels.includes('Sqrt'),
    `without the kernel, the library path runs: ${[...new Set(library.kernels)].join(' ')}`,
  );
  assert.deepEqual(fused.weights, library.weights);
  assert.deepEqual(fused.optimizerState, library.optimizerState);

  const reference = await train('cpu', 0.01);
  reference.weights.forEach((expected, i) => {
    for (let j = 0; j < expected.length; j++) {
      assert.ok(Math.abs(fused.weights[i][j] - expected[j]) <= 1e-6, `weight ${i}[${j}]`);
    }
  });
});
