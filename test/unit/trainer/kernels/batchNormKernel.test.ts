// Our fused training-mode batch norm (WASM) against tfjs-layers' own composite on the pure-JS backend:
// the output, the gradients of x, γ and β, and the moving statistics after a step must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/trainer/backend';
import { fusedBatchNormAvailable } from '../../../../src/trainer/kernels/batchNorm';
import { registerWasmKernels, unregisterWasmKernels } from '../../../../src/trainer/kernels';

function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

interface StepFigures {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/** One training-mode call of a fresh BN layer with seeded γ, β, input and loss weights. */
function trainingStep(backend: 'cpu' | 'wasm', shape: number[], epsilon: number): StepFigures {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const channels = shape[shape.length - 1];
    const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon });
    layer.build(shape);
    layer.setWeights([
      tf.randomUniform([channels], 0.5, 1.5, 'float32', 2),
      tf.randomUniform([channels], -0.5, 0.5, 'float32', 3),
      tf.randomUniform([channels], -0.2, 0.2, 'float32', 4),
      tf.randomUniform([channels], 0.5, 2, 'float32', 5),
    ]);
    // Shifted, scaled activations: a non-zero mean tests the variance's cancellation.
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 6), 3), 5);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 7);
    const [gamma, beta] = layer.trainableWeights.map((v) => v.read());
    let y: tf.Tensor | null = null;
    const grads = tf.grads((input: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      void g;
      void b;
      y = tf.keep(layer.apply(input, { training: true }) as tf.Tensor);
      return tf.sum(tf.mul(y, w));
    })([x, gamma, beta]);
    const [, , movingMean, movingVariance] = layer.getWeights();
    const output = y as unknown as tf.Tensor;
    const figures = {
      y: output.dataSync() as Float32Array,
      dx: grads[0].dataSync() as Float32Array,
      dgamma: grads[1].dataSync() as Float32Array,
      dbeta: grads[2].dataSync() as Float32Array,
      movingMean: movingMean.dataSync() as Float32Array,
      movingVariance: movingVariance.dataSync() as Float32Array,
    };
    output.dispose(); // kept out of tf.grads' scope to be read
    return figures;
  });
}

test('fused batch norm on WASM matches the library layer on the pure-JS backend', async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  registerWasmKernels();
  assert.ok(fusedBatchNormAvailable(), 'the fused kernel should serve the wasm backend');
  for (const [shape, epsilon] of [
    // Channels a multiple of 4 take the SIMD loops (kernels/simd.ts); the others the JS loops.
    [[4, 6, 6, 8], 1e-3],
    [[3, 7, 5, 16], 1e-3],
    [[40, 12], 1e-5],
    [[2, 3, 5, 3], 1e-5],
    [[16, 10], 1e-3],
  ] as const) {
    const expected = trainingStep('cpu', [...shape], epsilon);
    const actual = trainingStep('wasm', [...shape], epsilon);
    for (const key of Object.keys(expected) as (keyof StepFigures)[]) {
      const error = maxRelativeError(actual[key], expected[key]);
      assert.ok(error < 2e-4, `${key} of ${shape.join('×')}: relative error ${error}`);
    }
  }
});

test('the fused path is what WASM runs, and putting the kernels back restores the library path', async () => {
  await selectBackend('wasm');
  registerWasmKernels();
  const kernelsOf = async (): Promise<string[]> => {
    const layer = tf.layers.batchNormalization({});
    layer.build([2, 3, 3, 4]);
    const profile = await tf.profile(() => {
      const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 1);
      return tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(x);
    });
    return profile.kernels.map((k) => k.name);
  };
  const fused = await kernelsOf();
  assert.ok(fused.includes('ImageTrainerBatchNormTraining'), fused.join(','));
  assert.ok(fused.includes('ImageTrainerBatchNormTrainingGrad'), fused.join(','));
  assert.ok(!fused.includes('FusedBatchNorm'), fused.join(','));
  unregisterWasmKernels(['ImageTrainerBatchNormTraining', 'ImageTrainerBatchNormTrainingGrad']);
  try {
    assert.ok(!fusedBatchNormAvailable());
    const library = await kernelsOf();
    assert.ok(library.includes('FusedBatchNorm'), library.join(','));
  } finally {
    registerWasmKernels();
  }
  // Inference keeps the library's moving-statistics path.
  const layer = tf.layers.batchNormalization({});
  layer.build([1, 4]);
  const profile = await tf.profile(() => layer.apply(tf.ones([1, 4]), { training: false }) as tf.Tensor);
  assert.ok(profile.kernels.some((k) => k.name === 'FusedBatchNorm'));
});
