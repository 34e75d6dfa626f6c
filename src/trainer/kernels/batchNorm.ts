// Batch normalisation in training mode as two fused WASM-heap kernels, forward and backward.
//
// tfjs-layers normalises a training batch with tf.moments then tf.batchNorm, and autodiff turns that
// into ~20 full-size passes (Mean, SquaredDifference, Tile, Mul, Sum, …) per layer: batch norm was
// ~45 % of a default `cnn` step on WASM (bench/RESULTS.md). The closed form needs two passes each way:
//   forward   Σx and Σx² per channel → mean, variance; y = γ·(x − μ)/σ + β
//   backward  Σdy and Σdy·x per channel → dβ, dγ; dx = a·dy + b·x + c per channel
// Same maths and epsilon as the layer (biased batch variance, as Keras), in float64 sums.
import * as tf from '@tensorflow/tfjs';
import { addressOf, heapBuffer, simdLoops, withScratch } from './simd';
import { type WasmKernelArgs, heapOf } from './wasmOps';

export const BATCH_NORM_TRAINING = 'ImageTrainerBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'ImageTrainerBatchNormTrainingGrad';

interface BatchNormAttrs {
  epsilon: number;
}

/** Rows × channels view of an activation whose last axis is the channel axis. */
function layoutOf(x: tf.TensorInfo): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1];
  return { channels, rows: channels === 0 ? 0 : tf.util.sizeFromShape(x.shape) / channels };
}

/** inputs x [..., C], gamma [C], beta [C] → outputs y (x's shape), batch mean [C], batch variance [C]. */
export function batchNormTraining(args: WasmKernelArgs): tf.TensorInfo[] {
  const { backend } = args;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const { epsilon } = args.attrs as unknown as BatchNormAttrs;
  const { rows, channels } = layoutOf(x);
  const y = backend.makeOutput(x.shape, 'float32');
  const meanOut = backend.makeOutput([channels], 'float32');
  const varianceOut = backend.makeOutput([channels], 'float32');
  const loops = channels % 4 === 0 ? simdLoops(backend) : null;
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  if (loops) {
    withScratch(backend, channels * 16, (acc) => {
      const sums = new Float64Array(heapBuffer(backend), acc, 2 * channels);
      sums.fill(0);
      loops.columnStats(addressOf(backend, x), rows, channels, acc, 1);
      sum.set(sums.subarray(0, channels));
      sumSquares.set(sums.subarray(channels));
    });
  } else {
    const xs = heapOf(backend, x);
    for (let r = 0, o = 0; r < rows; r++, o += channels) {
      for (let c = 0; c < channels; c++) {
        const v = xs[o + c];
        sum[c] += v;
        sumSquares[c] += v * v;
      }
    }
  }
  // Views after every makeOutput and scratch allocation: growing the heap moves it.
  const g = heapOf(backend, gamma);
  const b = heapOf(backend, beta);
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    mean[c] = rows > 0 ? sum[c] / rows : 0;
    variance[c] = rows > 0 ? Math.max(0, sumSquares[c] / rows - mean[c] * mean[c]) : 0;
    const s = g[c] / Math.sqrt(variance[c] + epsilon);
    scale[c] = s;
    shift[c] = b[c] - mean[c] * s;
  }
  if (loops) {
    withScratch(backend, channels * 8, (coefficients) => {
      const heap = new Float32Array(heapBuffer(backend), coefficients, 2 * channels);
      heap.set(scale);
      heap.set(shift, channels);
      loops.affine(
        addressOf(backend, x),
        addressOf(backend, y),
        rows,
        channels,
        coefficients,
        coefficients + channels * 4,
      );
    });
  } else {
    const xs = heapOf(backend, x);
    const ys = heapOf(backend, y);
    for (let r = 0, o = 0; r < rows; r++, o += channels) {
      for (let c = 0; c < channels; c++) ys[o + c] = xs[o + c] * scale[c] + shift[c];
    }
  }
  heapOf(backend, meanOut).set(mean);
  heapOf(backend, varianceOut).set(variance);
  return [y, meanOut, varianceOut];
}

/** inputs dy, x, gamma, mean, variance (the forward's) → outputs dx, dgamma, dbeta. */
export function batchNormTrainingGrad(args: WasmKernelArgs): tf.TensorInfo[] {
  const { backend } = args;
  const { dy, x, gamma, mean, variance } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormAttrs;
  const { rows, channels } = layoutOf(x);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgammaOut = backend.makeOutput([channels], 'float32');
  const dbetaOut = backend.makeOutput([channels], 'float32');
  const loops = channels % 4 === 0 ? simdLoops(backend) : null;
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  if (loops) {
    withScratch(backend, channels * 16, (acc) => {
      const sums = new Float64Array(heapBuffer(backend), acc, 2 * channels);
      sums.fill(0);
      loops.gradStats(addressOf(backend, dy), addressOf(backend, x), rows, channels, acc);
      sumDy.set(sums.subarray(0, channels));
      sumDyX.set(sums.subarray(channels));
    });
  } else {
    const dys = heapOf(backend, dy);
    const xs = heapOf(backend, x);
    for (let r = 0, o = 0; r < rows; r++, o += channels) {
      for (let c = 0; c < channels; c++) {
        const d = dys[o + c];
        sumDy[c] += d;
        sumDyX[c] += d * xs[o + c];
      }
    }
  }
  const g = heapOf(backend, gamma);
  const mu = heapOf(backend, mean);
  const v = heapOf(backend, variance);
  // x̂ = (x − μ)·k; dγ = Σdy·x̂; dβ = Σdy; dx = γk·(dy − dβ/M − x̂·dγ/M) = a·dy + b·x + c.
  const dgamma = new Float64Array(channels);
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  const c0 = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const k = 1 / Math.sqrt(v[c] + epsilon);
    dgamma[c] = k * (sumDyX[c] - mu[c] * sumDy[c]);
    const ac = g[c] * k;
    const bc = rows > 0 ? (-ac * k * dgamma[c]) / rows : 0;
    a[c] = ac;
    b[c] = bc;
    c0[c] = (rows > 0 ? (-ac * sumDy[c]) / rows : 0) - bc * mu[c];
  }
  if (loops) {
    withScratch(backend, channels * 12, (coefficients) => {
      const heap = new Float32Array(heapBuffer(backend), coefficients, 3 * channels);
      heap.set(a);
      heap.set(b, channels);
      heap.set(c0, 2 * channels);
      const at = (i: number): number => coefficients + i * channels * 4;
      loops.affine2(
        addressOf(backend, dy),
        addressOf(backend, x),
        addressOf(backend, dx),
        rows,
        channels,
        at(0),
        at(1),
        at(2),
      );
    });
  } else {
    const dys = heapOf(backend, dy);
    const xs = heapOf(backend, x);
    const dxs = heapOf(backend, dx);
    for (let r = 0, o = 0; r < rows; r++, o += channels) {
      for (let c = 0; c < channels; c++) dxs[o + c] = a[c] * dys[o + c] + b[c] * xs[o + c] + c0[c];
    }
  }
  heapOf(backend, dgammaOut).set(dgamma);
  heapOf(backend, dbetaOut).set(sumDy);
  return [dx, dgammaOut, dbetaOut];
}

/** The forward kernel's gradient: inputs x, gamma (saved), outputs mean and variance (saved). */
export const batchNormTrainingGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, gamma, mean, variance] = saved;
    // Only y reaches the loss; the statistics feed the moving averages, whose zero gradients are ignored.
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [dx, dgamma, dbeta] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x, gamma, mean, variance }, attrs) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** Whether the fused kernels can serve the active backend now (registered, and not put back). */
export function fusedBatchNormAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(BATCH_NORM_TRAINING, backend) !== undefined;
}

/** y, batch mean and batch variance of x (channels last), differentiable in x, gamma and beta. */
export function fusedBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BATCH_NORM_TRAINING, { x, gamma, beta }, { epsilon }) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

interface BatchNormLayerInternals {
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerCall = (
  this: tf.layers.Layer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: tf.serialization.ConfigDict,
) => tf.Tensor | tf.Tensor[];

let originalCall: LayerCall | null = null;

/**
 * Routes Keras BatchNormalization layers' training-mode calls through the fused kernels whenever the
 * active backend has them; inference, other backends and layouts keep the library's own code. Patched
 * on the class rather than by a subclass so that every model (built, loaded, resumed, or a worker's
 * replica) benefits and saved models stay plain Keras layers. Idempotent.
 */
export function installFusedBatchNormLayer(): void {
  if (originalCall !== null) return;
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: LayerCall };
  const libraryCall = prototype.call;
  originalCall = libraryCall;
  prototype.call = function (this: tf.layers.Layer, inputs, kwargs) {
    const layer = this as unknown as BatchNormLayerInternals;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = kwargs?.training === true;
    const channelsLast = layer.axis === -1 || layer.axis === input.shape.length - 1;
    if (
      !training ||
      !channelsLast ||
      input.dtype !== 'float32' ||
      layer.gamma === null ||
      layer.beta === null ||
      !fusedBatchNormAvailable()
    ) {
      return libraryCall.call(this, inputs, kwargs);
    }
    return tf.tidy(() => {
      const [y, mean, variance] = fusedBatchNormTraining(
        input,
        (layer.gamma as tf.LayerVariable).read(),
        (layer.beta as tf.LayerVariable).read(),
        layer.epsilon,
      );
      // The library's moving-average update, verbatim in effect: moving −= (moving − batch)·(1 − momentum).
      for (const [variable, value] of [
        [layer.movingMean, mean],
        [layer.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - layer.momentum)));
        });
      }
      return y;
    });
  };
}
