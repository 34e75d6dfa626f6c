// Small helpers for kernels that run on the WASM backend. Our kernels compose the backend's own kernel
// functions (called directly, as tfjs' kernels do among themselves, so the engine records only our
// kernel) and, where no WASM kernel fits, loop over the tensors' memory in the WASM heap in place.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

/** What tfjs passes a kernel function, with the backend typed. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}

/** The WASM backend's own implementations of kernels we replaced, so that ours can delegate to them. */
const originals = new Map<string, tf.KernelConfig>();

export function rememberOriginal(config: tf.KernelConfig): void {
  if (!originals.has(config.kernelName)) originals.set(config.kernelName, config);
}

export function originalKernel(kernelName: string): tf.KernelConfig | undefined {
  return originals.get(kernelName);
}

/** Runs the backend's implementation of a kernel (the original one where we replaced it). */
export function runWasmKernel(
  kernelName: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernelFunc = (originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm'))?.kernelFunc;
  if (kernelFunc === undefined) throw new Error(`The WASM backend has no ${kernelName} kernel.`);
  return kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** Frees intermediate results (reference counted: a reshape shares its input's memory). */
export function disposeInfos(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function transposeInfo(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

export function sliceInfo(
  backend: BackendWasm,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  return runWasmKernel('Slice', backend, { x }, { begin, size });
}

/** Explicit padding [[0,0],[top,bottom],[left,right],[0,0]] for an NHWC tensor. */
export type Pads4 = [[0, 0], [number, number], [number, number], [0, 0]];

export function conv2dInfo(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  dilations: [number, number],
  pads: Pads4,
): tf.TensorInfo {
  return runWasmKernel(
    'Conv2D',
    backend,
    { x, filter },
    { strides: [1, 1], dilations, pad: pads, dataFormat: 'NHWC', dimRoundingMode: 'floor' },
  );
}

/** A float32 view of a tensor's memory in the WASM heap. Take views after allocating outputs:
 * growing the heap detaches earlier views. */
export function heapOf(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

export function assertNhwc(kernelName: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on the WASM backend supports NHWC (channels-last) tensors only.`);
  }
}
