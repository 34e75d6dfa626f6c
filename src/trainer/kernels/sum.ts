// Sum over leading axes on the WASM backend — the bias gradients, e.g. dy [64,26,26,32] summed to
// [32]. The backend's Sum first transposes the reduced axes to the end (a full copy in a strided
// order) and then reduces; a single in-order pass over rows does the same work without the copy.
import * as tf from '@tensorflow/tfjs';
import { type BackendWasm, heapOf, runWasmKernel } from './wasmOps';

export function sum(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
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
  // A row of ones times x viewed as [rows, columns]: XNNPACK's matrix product does the in-order pass.
  const ones = backend.makeOutput([1, rows], 'float32');
  heapOf(backend, ones).fill(1);
  const product = runWasmKernel('BatchMatMul', backend, { a: ones, b: { ...x, shape: [rows, columns] } }, { transposeA: false, transposeB: false });
  backend.disposeData(ones.dataId);
  return { dataId: product.dataId, shape: outShape, dtype: 'float32' };
}
