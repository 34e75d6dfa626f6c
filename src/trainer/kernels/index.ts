// Registers our kernels for the WASM backend: the gradients it lacks, and faster versions of the ones
// that dominated a simple-cnn training step (figures in bench/RESULTS.md).
import * as tf from '@tensorflow/tfjs';
// Importing the package registers the backend and its kernels, which ours replace.
import '@tensorflow/tfjs-backend-wasm';
import { ADAM_UPDATE, adamUpdate, installFusedAdam } from './adam';
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  batchNormTraining,
  batchNormTrainingGrad,
  batchNormTrainingGradConfig,
  installFusedBatchNormLayer,
} from './batchNorm';
import { conv2d } from './conv2d';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2dGrad';
import { installPlainConvLayer } from './convLayer';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwiseGrad';
import { batchMatMul, fusedMatMul } from './matMul';
import { cast, identity } from './identity';
import { maxPoolGrad } from './maxPoolGrad';
import { RELU_GRAD, installReluGradient, reluGrad } from './relu';
import { sum } from './sum';
import { tile } from './tile';
import { type WasmKernelArgs, originalKernel, rememberOriginal } from './wasmOps';

type OurKernel = (args: WasmKernelArgs) => tf.TensorInfo | tf.TensorInfo[];

const OUR_KERNELS = {
  Conv2D: conv2d,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv2DBackpropInput: conv2dBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseConv2dNativeBackpropInput,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  MaxPoolGrad: maxPoolGrad,
  Sum: sum,
  Tile: tile,
  Identity: identity,
  Cast: cast,
  // Our own kernels (no WASM original); the gradient comes first so that no prefix of this list
  // registers the forward without it (the benchmark's --sweep adds kernels in this order).
  [BATCH_NORM_TRAINING_GRAD]: batchNormTrainingGrad,
  [BATCH_NORM_TRAINING]: batchNormTraining,
  [ADAM_UPDATE]: adamUpdate,
  [RELU_GRAD]: reluGrad,
} satisfies Record<string, OurKernel>;

export type WasmKernelName = keyof typeof OUR_KERNELS;
export const WASM_KERNEL_NAMES = Object.keys(OUR_KERNELS) as WasmKernelName[];

/** Kernel functions we registered, to tell ours from the backend's when registering again. */
const registered = new Set<tf.KernelFunc>();

/**
 * Registers our kernels for 'wasm' (all of them by default), replacing the backend's own where it has
 * one. Idempotent; safe before or after the backend initialises, since none needs a setup step.
 */
export function registerWasmKernels(names: readonly WasmKernelName[] = WASM_KERNEL_NAMES): WasmKernelName[] {
  // Training-mode batch norm layers use the fused kernels whenever the forward one is registered.
  if (tf.getGradient(BATCH_NORM_TRAINING) === undefined) tf.registerGradient(batchNormTrainingGradConfig);
  installFusedBatchNormLayer();
  installPlainConvLayer();
  installFusedAdam();
  installReluGradient();
  for (const name of names) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing !== undefined && registered.has(existing.kernelFunc)) continue;
    if (existing !== undefined) {
      rememberOriginal(existing);
      tf.unregisterKernel(name, 'wasm');
    }
    const kernelFunc = OUR_KERNELS[name] as unknown as tf.KernelFunc;
    registered.add(kernelFunc);
    // Ours delegate to the original, whose setup (binding its WASM function) must still run when the
    // backend initialises after this call.
    const setupFunc = originalKernel(name)?.setupFunc;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc });
  }
  return [...names];
}

/** Puts the backend's own kernels back (or none, where it had none). For benchmarks and tests. */
export function unregisterWasmKernels(names: readonly WasmKernelName[] = WASM_KERNEL_NAMES): void {
  for (const name of names) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing === undefined || !registered.has(existing.kernelFunc)) continue;
    tf.unregisterKernel(name, 'wasm');
    const original = originalKernel(name);
    if (original !== undefined) tf.registerKernel(original);
  }
}
