// Sum over leading axes on the WASM backend — the bias gradients, e.g. dy [64,26,26,32] summed to
// [32]. The backend's Sum first transposes the reduced axes to the end (a full copy in a strided
// order) and then reduces; a single in-order pass over rows does the same work without the copy
// (8 vs 22 ms CPU on [64,26,26,32]). Tried and dropped: ones[1,rows]·x on XNNPACK — 0.4 ms when x is
// reused, but 15 ms on a fresh x, since the product repacks its right operand on every call.
import * as tf from '@tensorflow/tfjs';
import { addressOf, heapBuffer, simdLoops, withScratch } from './simd';
import { type WasmKernelArgs, heapOf, runWasmKernel } from './wasmOps';

export function sum(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return runWasmKernel('Sum', backend, args.inputs, args.attrs);
  const kept = x.shape.slice(axes.length);
  const columns = tf.util.sizeFromShape(kept);
  const rows = tf.util.sizeFromShape(x.shape) / columns;
  const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
  const out = backend.makeOutput(outShape, 'float32');
  // Float64 running sums: as accurate as the backend's pairwise-free float32 loop, or more. The SIMD
  // loop adds in the same order, so both give the same bits.
  const sums = new Float64Array(columns);
  const loops = columns % 4 === 0 ? simdLoops(backend) : null;
  if (loops) {
    withScratch(backend, columns * 8, (acc) => {
      const heapSums = new Float64Array(heapBuffer(backend), acc, columns);
      heapSums.fill(0);
      loops.columnStats(addressOf(backend, x), rows, columns, acc, 0);
      sums.set(heapSums);
    });
  } else {
    const xs = heapOf(backend, x);
    for (let r = 0, offset = 0; r < rows; r++, offset += columns) {
      for (let c = 0; c < columns; c++) sums[c] += xs[offset + c];
    }
  }
  heapOf(backend, out).set(sums);
  return out;
}
