// Tile for the WASM backend. Batch norm's gradient tiles its [C] statistics to the full activation shape
// on every training step, and the backend's generic per-element loop made Tile 42 % of a batch-normalised
// `cnn` step (bench/RESULTS.md). This one expands one axis at a time, innermost first, copying whole
// contiguous blocks with TypedArray.set, so the work is a handful of memcpys.
import * as tf from '@tensorflow/tfjs';
import { type WasmKernelArgs, heapOf, runWasmKernel } from './wasmOps';

export function tile(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as { reps: number[] };
  if (x.dtype !== 'float32' || reps.length !== x.shape.length) {
    return runWasmKernel('Tile', backend, args.inputs, args.attrs);
  }
  const out = backend.makeOutput(
    x.shape.map((d, i) => d * reps[i]),
    'float32',
  );
  // Heap views are taken after makeOutput, which may grow (and so move) the WASM memory.
  tileInto(heapOf(backend, x), x.shape, reps, heapOf(backend, out));
  return out;
}

/** Writes `src` (row-major, `shape`) tiled `reps` times along each axis into `dst`. */
export function tileInto(
  src: Float32Array,
  shape: readonly number[],
  reps: readonly number[],
  dst: Float32Array,
): void {
  if (dst.length === 0) return;
  let current: Float32Array = src;
  const currentShape = [...shape];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const times = reps[axis];
    if (times === 1) continue;
    // Rows of the tensor so far: `outer` blocks of `inner` values; axis `axis` repeats each block.
    const inner = currentShape.slice(axis).reduce((a, b) => a * b, 1);
    const outer = currentShape.slice(0, axis).reduce((a, b) => a * b, 1);
    const next = new Float32Array(outer * inner * times);
    for (let o = 0; o < outer; o++) {
      const block = current.subarray(o * inner, (o + 1) * inner);
      for (let r = 0; r < times; r++) next.set(block, (o * times + r) * inner);
    }
    current = next;
    currentShape[axis] *= times;
  }
  dst.set(current.subarray(0, dst.length));
}
