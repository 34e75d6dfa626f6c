// Identity for the WASM backend without the copy. The engine clones every tensor a gradient saves
// (Identity), and the backend's Identity copies the whole buffer: 3–4 ms CPU of a ~100 ms simple-cnn or
// `cnn` step went to such copies of activations. Sharing the buffer and counting the reference, as the
// pure-JS backend's Identity and the WASM backend's own Reshape do, is enough: no kernel writes into
// its inputs.
import type * as tf from '@tensorflow/tfjs';
import { type WasmKernelArgs, runWasmKernel } from './wasmOps';

export function identity(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return runWasmKernel('Identity', backend, args.inputs, args.attrs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Cast to the type a tensor already has (relu's and other gradients ask for it) shares it too. */
export function cast(args: WasmKernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (x.dtype !== dtype || dtype === 'string')
    return runWasmKernel('Cast', args.backend, args.inputs, args.attrs);
  return identity(args);
}
