// Our WASM gradient kernels against the pure-JS backend's gradients on the same random inputs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/trainer/backend';
import { WASM_KERNEL_NAMES } from '../../../../src/trainer/kernels';
import { conv2dBackpropFilter } from '../../../../src/trainer/kernels/conv2dGrad';
import { mulberry32 } from '../../../fixtures/prng';

type Shape = number[];

/** Seeded uniform values in [-1, 1), so a failure reproduces. */
function randomValues(size: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: size }, () => next() * 2 - 1);
}

interface Case {
  name: string;
  shapes: Shape[];
  /** A scalar loss of the inputs; its gradient with respect to every input is compared. */
  loss: (...inputs: tf.Tensor[]) => tf.Scalar;
  /** Maps the random inputs, e.g. to create ties. */
  prepare?: (values: Float32Array) => Float32Array;
}

async function gradientsOn(backend: 'cpu' | 'wasm', c: Case, seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const inputs = c.shapes.map((shape, i) => {
      const values = randomValues(
        shape.reduce((a, b) => a * b, 1),
        seed + i,
      );
      return tf.tensor(c.prepare ? c.prepare(values) : values, shape);
    });
    const grads = tf.grads((...xs: tf.Tensor[]) => c.loss(...xs))(inputs);
    return grads.map((g) => g.dataSync() as Float32Array);
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: sizes differ`);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= 1e-3 * scale, `${what}: max difference ${worst} exceeds ${1e-3 * scale}`);
}

async function checkCase(c: Case, seed = 7): Promise<void> {
  const expected = await gradientsOn('cpu', c, seed);
  const actual = await gradientsOn('wasm', c, seed);
  actual.forEach((g, i) => assertClose(g, expected[i], `${c.name}, gradient ${i}`));
}

/** A random weighting of the output, so that dy is random rather than all ones. */
function weightedSum(y: tf.Tensor, seed: number): tf.Scalar {
  const weights = tf.tensor(randomValues(y.size, seed), y.shape);
  return tf.sum(tf.mul(y, weights));
}

before(async () => {
  await selectBackend('wasm');
});

test('our kernels are registered for the WASM backend', () => {
  for (const name of WASM_KERNEL_NAMES) assert.ok(tf.getKernel(name, 'wasm'), `${name} is not registered`);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm').kernelFunc, conv2dBackpropFilter);
});

const convCases: Array<[Shape, Shape, 1 | 2 | 3, 'same' | 'valid' | number]> = [
  [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'valid'],
  [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'valid'],
  [[3, 8, 6, 2], [3, 3, 2, 5], 2, 'valid'],
  [[3, 8, 6, 2], [3, 3, 2, 5], 2, 'same'],
  [[2, 9, 5, 1], [5, 5, 1, 3], 2, 'same'],
  [[2, 10, 10, 4], [2, 2, 4, 3], 2, 'valid'],
  // fh·fw·Ci ≤ Co: the filter gradient takes the im2col path.
  [[2, 9, 9, 1], [3, 3, 1, 12], 1, 'valid'],
  [[2, 9, 8, 1], [3, 3, 1, 10], 2, 'same'],
  [[3, 10, 7, 2], [2, 2, 2, 8], 2, 'valid'],
  [[2, 6, 6, 2], [3, 3, 2, 2], 1, 1],
  [[2, 6, 6, 2], [3, 3, 2, 2], 1, 3],
  // … with Co a multiple of 16: our SIMD product instead of XNNPACK's.
  [[2, 9, 9, 1], [3, 3, 1, 16], 1, 'valid'],
  [[3, 11, 10, 1], [3, 3, 1, 32], 1, 'same'],
  [[2, 8, 7, 2], [3, 3, 2, 48], 2, 'same'],
  // Output maps over 64 positions with fh·fw·Ci > Co: the swapped convolution.
  [[2, 12, 12, 3], [3, 3, 3, 4], 1, 'same'],
  [[1, 20, 18, 2], [3, 3, 2, 3], 2, 'valid'],
  [[1, 17, 19, 2], [3, 3, 2, 3], 2, 'same'],
  // Small output maps (≤ 64 positions): im2col over the channel-major copy of x, with padding, stride
  // and uneven sizes.
  [[2, 7, 6, 5], [3, 3, 5, 64], 1, 'same'],
  [[2, 9, 7, 3], [3, 3, 3, 64], 2, 'same'],
  [[1, 8, 8, 2], [2, 3, 2, 64], 3, 'valid'],
  // Ci a multiple of 4 and Co of 8: the direct SIMD sum per image and tap, with every padding and stride.
  [[2, 7, 7, 4], [3, 3, 4, 8], 1, 'same'],
  [[2, 9, 8, 8], [3, 3, 8, 16], 1, 'valid'],
  [[3, 9, 7, 4], [3, 3, 4, 8], 2, 'same'],
  [[2, 10, 9, 8], [3, 3, 8, 8], 2, 'valid'],
  [[2, 8, 8, 4], [5, 5, 4, 8], 2, 'same'],
  [[1, 6, 7, 8], [3, 3, 8, 24], 1, 1],
  [[2, 5, 5, 12], [3, 3, 12, 32], 3, 'same'],
  // Ci a multiple of 8: the input gradient summed directly too (widths not a multiple of 4, any Co).
  [[2, 7, 7, 16], [3, 3, 16, 8], 1, 'same'],
  [[2, 9, 7, 8], [3, 3, 8, 8], 2, 'same'],
  [[2, 6, 5, 8], [3, 3, 8, 3], 1, 'same'],
  [[1, 11, 10, 8], [5, 3, 8, 5], 2, 'valid'],
];

for (const [xShape, wShape, stride, pad] of convCases) {
  test(`conv2d gradients: x ${xShape}, filter ${wShape}, stride ${stride}, pad ${pad}`, async () => {
    await checkCase({
      name: 'conv2d',
      shapes: [xShape, wShape],
      loss: (x, w) => weightedSum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), 99),
    });
  });
}

const depthwiseCases: Array<[Shape, Shape, 1 | 2, 'same' | 'valid']> = [
  [[2, 7, 7, 3], [3, 3, 3, 1], 1, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 2], 2, 'same'],
  [[2, 8, 5, 2], [3, 3, 2, 3], 2, 'valid'],
  [[1, 6, 6, 4], [2, 2, 4, 1], 1, 'valid'],
];

for (const [xShape, wShape, stride, pad] of depthwiseCases) {
  test(`depthwise conv gradients: x ${xShape}, filter ${wShape}, stride ${stride}, pad ${pad}`, async () => {
    await checkCase({
      name: 'depthwiseConv2d',
      shapes: [xShape, wShape],
      loss: (x, w) => weightedSum(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), 98),
    });
  });
}

const matMulCases: Array<[Shape, Shape, boolean, boolean]> = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false],
  [[5, 7], [3, 7], false, true],
  [[7, 5], [3, 7], true, true],
  [[2, 4, 6], [2, 4, 3], true, false],
];

for (const [aShape, bShape, transposeA, transposeB] of matMulCases) {
  test(`matMul gradients: a ${aShape}, b ${bShape}, transposeA ${transposeA}, transposeB ${transposeB}`, async () => {
    await checkCase({
      name: 'matMul',
      shapes: [aShape, bShape],
      loss: (a, b) => weightedSum(tf.matMul(a, b, transposeA, transposeB), 97),
    });
  });
}

test('fused matMul with bias and relu: forward with transposes, and gradients', async () => {
  await checkCase({
    name: 'fused matMul',
    shapes: [[6, 4], [5, 6], [5]],
    loss: (a, b, bias) =>
      weightedSum(
        tf.fused.matMul({
          a: a as tf.Tensor2D,
          b: b as tf.Tensor2D,
          transposeA: true,
          transposeB: true,
          bias,
          activation: 'relu',
        }),
        96,
      ),
  });
});

const poolCases: Array<[Shape, number, number, 'same' | 'valid']> = [
  [[2, 8, 8, 3], 2, 2, 'valid'],
  [[2, 7, 9, 3], 2, 2, 'valid'],
  [[2, 7, 7, 2], 2, 2, 'same'],
  [[2, 7, 7, 2], 3, 1, 'same'],
  [[1, 9, 9, 4], 3, 2, 'valid'],
  // 2×2 windows with channels a multiple of 4: the SIMD loop (even and odd sizes).
  [[2, 8, 8, 4], 2, 2, 'valid'],
  [[2, 7, 9, 8], 2, 2, 'valid'],
];

for (const [xShape, size, stride, pad] of poolCases) {
  test(`maxPool gradients: x ${xShape}, pool ${size}, stride ${stride}, pad ${pad}`, async () => {
    await checkCase({
      name: 'maxPool',
      shapes: [xShape],
      loss: (x) => weightedSum(tf.maxPool(x as tf.Tensor4D, size, stride, pad), 95),
    });
  });
}

test('maxPool gradient goes to the first maximum of a window when values tie', async () => {
  await checkCase({
    name: 'maxPool with ties',
    shapes: [[2, 8, 8, 3]],
    // Values in {0, 1}: most windows hold several equal maxima (as after a relu).
    prepare: (values) => values.map((v) => (v > 0 ? 1 : 0)),
    loss: (x) => weightedSum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), 94),
  });
});

test('maxPool gradient goes to the first maximum of a window when values tie (SIMD loop, 8 channels)', async () => {
  await checkCase({
    name: 'maxPool with ties',
    shapes: [[2, 6, 8, 8]],
    // Values in {0, 1}: most windows hold several equal maxima (as after a relu).
    prepare: (values) => values.map((v) => (v > 0 ? 1 : 0)),
    loss: (x) => weightedSum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), 94),
  });
});

const sumCases: Array<[Shape, number[], boolean]> = [
  [[4, 5, 6, 3], [0, 1, 2], false],
  [[4, 5, 6, 3], [0, 1, 2], true],
  [[4, 5, 6, 3], [0], false],
  [[7, 9], [0], true],
  [[4, 5, 6, 3], [1, 2], false],
  [[4, 5, 6, 3], [3], false],
  // Columns a multiple of 4: the SIMD loop.
  [[4, 5, 6, 8], [0, 1, 2], false],
  [[33, 12], [0], true],
];

for (const [shape, axes, keepDims] of sumCases) {
  test(`sum: x ${shape}, axes ${axes}, keepDims ${keepDims}`, async () => {
    const values = randomValues(
      shape.reduce((a, b) => a * b, 1),
      5,
    );
    const on = async (backend: 'cpu' | 'wasm'): Promise<{ shape: number[]; data: Float32Array }> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const y = tf.sum(tf.tensor(values, shape), axes, keepDims);
        return { shape: y.shape, data: y.dataSync() as Float32Array };
      });
    };
    const expected = await on('cpu');
    const actual = await on('wasm');
    assert.deepEqual(actual.shape, expected.shape);
    assertClose(actual.data, expected.data, 'sum');
  });
}

test('repeated gradient calls on WASM leave no tensors or backend buffers behind', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor(randomValues(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]) as tf.Tensor4D;
  const w = tf.tensor(randomValues(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]) as tf.Tensor4D;
  const dw = tf.tensor(randomValues(3 * 3 * 3 * 2, 3), [3, 3, 3, 2]) as tf.Tensor4D;
  const m = tf.tensor(randomValues(4 * 5, 4), [4, 5]) as tf.Tensor2D;
  const loss = (xi: tf.Tensor, wi: tf.Tensor, dwi: tf.Tensor, mi: tf.Tensor): tf.Scalar => {
    const conv = tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 'same');
    const pooled = tf.maxPool(conv, 2, 1, 'valid');
    const depth = tf.depthwiseConv2d(xi as tf.Tensor4D, dwi as tf.Tensor4D, 1, 'valid');
    const flat = tf.reshape(pooled, [-1, 4]);
    const perChannel = tf.sum(depth, [0, 1, 2]);
    return tf.add(tf.sum(tf.matMul(flat, mi)), tf.sum(perChannel));
  };
  const step = (): void => {
    tf.tidy(() => {
      tf.grads(loss)([x, w, dw, m]).forEach((g) => g.dataSync());
    });
  };
  step();
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.engine().backend.numDataIds();
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(tf.engine().backend.numDataIds(), buffersBefore);
  tf.dispose([x, w, dw, m]);
});

test('Identity on WASM shares the buffer: a clone keeps its values after the original goes, and frees last', async () => {
  await tf.setBackend('wasm');
  const values = randomValues(2 * 5 * 3, 11);
  const buffersBefore = tf.engine().backend.numDataIds();
  const x = tf.tensor(values, [2, 5, 3]);
  const copy = tf.clone(x);
  assert.equal(
    tf.engine().backend.numDataIds(),
    buffersBefore + 1,
    'the clone allocated a buffer of its own',
  );
  x.dispose();
  assert.deepEqual(copy.shape, [2, 5, 3]);
  assert.deepEqual(copy.dataSync(), values);
  copy.dispose();
  assert.equal(tf.engine().backend.numDataIds(), buffersBefore);
});

test('gradients through saved (cloned) tensors on WASM match the pure-JS backend', async () => {
  await checkCase({
    name: 'relu and square (their gradients save inputs and outputs)',
    shapes: [[3, 6, 6, 4]],
    loss: (x) => weightedSum(tf.square(tf.relu(tf.mul(x, tf.clone(x)))), 93),
  });
});

test('a bias-free linear Conv2D layer trains through plain conv2d: same gradients, no input gradient for the image', async () => {
  const layerGradients = async (
    backend: 'cpu' | 'wasm',
  ): Promise<{ grads: Float32Array[]; kernels: string[] }> => {
    await tf.setBackend(backend);
    const conv = tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      inputShape: [6, 6, 2],
    });
    const model = tf.sequential({ layers: [conv, tf.layers.flatten()] });
    model.setWeights([tf.tensor(randomValues(3 * 3 * 2 * 4, 21), [3, 3, 2, 4])]);
    const x = tf.tensor(randomValues(2 * 6 * 6 * 2, 22), [2, 6, 6, 2]);
    let grads: Float32Array[] = [];
    const profile = await tf.profile(() => {
      const { grads: byName } = tf.variableGrads(() =>
        weightedSum(model.apply(x, { training: true }) as tf.Tensor, 92),
      );
      grads = Object.values(byName).map((g) => g.dataSync() as Float32Array);
      tf.dispose(Object.values(byName));
    });
    x.dispose();
    model.dispose();
    return { grads, kernels: profile.kernels.map((k) => k.name) };
  };
  const expected = await layerGradients('cpu');
  const actual = await layerGradients('wasm');
  assert.equal(actual.grads.length, 1);
  assertClose(actual.grads[0], expected.grads[0], 'kernel gradient');
  assert.ok(actual.kernels.includes('Conv2DBackpropFilter'), actual.kernels.join(' '));
  assert.ok(
    !actual.kernels.includes('Conv2DBackpropInput'),
    `input gradient computed: ${actual.kernels.join(' ')}`,
  );
  assert.ok(!actual.kernels.includes('FusedConv2D'), actual.kernels.join(' '));
});

for (const shape of [
  [4, 6, 6, 8],
  [3, 5, 7],
  [2, 3],
]) {
  test(`relu gradient on WASM (one fused kernel) matches the pure-JS backend: x ${shape}`, async () => {
    await checkCase({
      name: 'relu',
      shapes: [shape],
      // Some exact zeros: the gradient at 0 is 0, as the library's step(x) gives.
      prepare: (values) => values.map((v, i) => (i % 7 === 0 ? 0 : v)),
      loss: (x) => weightedSum(tf.relu(x), 91),
    });
  });
}

test('relu gradient on WASM runs our kernel instead of Step, Cast and Multiply', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor(randomValues(64, 3), [4, 16]);
  const profile = await tf.profile(() => tf.grad((input: tf.Tensor) => tf.sum(tf.relu(input)))(x));
  const names = profile.kernels.map((k) => k.name);
  assert.ok(names.includes('ImageTrainerReluGrad'), names.join(' '));
  assert.ok(!names.includes('Step'), names.join(' '));
  x.dispose();
});

test('Cast on WASM shares the buffer for the same type and converts other types', async () => {
  await tf.setBackend('wasm');
  const buffersBefore = tf.engine().backend.numDataIds();
  const x = tf.tensor([1.75, -2.5, 3], [3]);
  const same = tf.cast(x, 'float32');
  assert.equal(tf.engine().backend.numDataIds(), buffersBefore + 1);
  const ints = tf.cast(x, 'int32');
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3]);
  x.dispose();
  assert.deepEqual(Array.from(same.dataSync()), [1.75, -2.5, 3]);
  tf.dispose([same, ints]);
  assert.equal(tf.engine().backend.numDataIds(), buffersBefore);
});

type Shape4 = [number, number, number, number];
const forwardConvCases: Array<[Shape4, Shape4, 1 | 2, 'same' | 'valid' | number]> = [
  // Stride 1, Ci a multiple of 4 and Co of 8: our direct SIMD sum; the others the backend's kernel.
  [[2, 7, 7, 4], [3, 3, 4, 8], 1, 'same'],
  [[2, 9, 6, 8], [3, 3, 8, 16], 1, 'valid'],
  [[1, 6, 7, 12], [5, 3, 12, 24], 1, 'same'],
  [[2, 5, 9, 4], [3, 3, 4, 8], 1, 1],
  [[2, 7, 7, 3], [3, 3, 3, 8], 1, 'same'],
  [[2, 8, 8, 4], [3, 3, 4, 8], 2, 'same'],
];

for (const [xShape, wShape, stride, pad] of forwardConvCases) {
  test(`conv2d forward on WASM matches the pure-JS backend: x ${xShape}, filter ${wShape}, stride ${stride}, pad ${pad}`, async () => {
    const on = async (backend: 'cpu' | 'wasm'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(
          randomValues(
            xShape.reduce((a, b) => a * b, 1),
            61,
          ),
          xShape,
        ) as tf.Tensor4D;
        const w = tf.tensor(
          randomValues(
            wShape.reduce((a, b) => a * b, 1),
            62,
          ),
          wShape,
        ) as tf.Tensor4D;
        return tf.conv2d(x, w, stride, pad).dataSync() as Float32Array;
      });
    };
    const expected = await on('cpu');
    assertClose(await on('wasm'), expected, 'conv2d forward');
  });
}
