// Matrix products with a transposed operand on the WASM backend. Its BatchMatMul with transposeA or
// transposeB is ~10× slower than a plain product (17.7 ms vs 1.6 ms for the dense layer's weight
// gradient, PERF-NOTES.md); the dense layers' gradients use exactly those forms. An explicit
// Transpose followed by the plain product is the fix.
import * as tf from '@tensorflow/tfjs';
import { type WasmKernelArgs, disposeInfos, runWasmKernel, transposeInfo } from './wasmOps';

function swapLastTwo(x: tf.TensorInfo): number[] {
  const perm = x.shape.map((_, i) => i);
  const rank = perm.length;
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

/** Runs kernelName on explicitly transposed operands with both transpose flags cleared. */
function withExplicitTranspose(kernelName: string, args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
  if (!transposeA && !transposeB) return runWasmKernel(kernelName, backend, args.inputs, args.attrs);
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const temporaries: tf.TensorInfo[] = [];
  const aUsed = transposeA ? transposeInfo(backend, a, swapLastTwo(a)) : a;
  const bUsed = transposeB ? transposeInfo(backend, b, swapLastTwo(b)) : b;
  if (aUsed !== a) temporaries.push(aUsed);
  if (bUsed !== b) temporaries.push(bUsed);
  try {
    return runWasmKernel(
      kernelName,
      backend,
      { ...args.inputs, a: aUsed, b: bUsed },
      { ...args.attrs, transposeA: false, transposeB: false },
    );
  } finally {
    disposeInfos(backend, ...temporaries);
  }
}

export function batchMatMul(args: WasmKernelArgs): tf.TensorInfo {
  return withExplicitTranspose('BatchMatMul', args);
}

export function fusedMatMul(args: WasmKernelArgs): tf.TensorInfo {
  return withExplicitTranspose('_FusedMatMul', args);
}
