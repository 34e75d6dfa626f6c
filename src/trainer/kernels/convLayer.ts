// Training-mode calls of bias-free, linear Conv2D layers (the default `cnn`: batch norm follows each
// convolution) as a plain tf.conv2d instead of tf.fused.conv2d.
//
// tfjs-layers always goes through fused.conv2d, and with no bias and a linear activation tfjs-core keeps
// it fused while recording gradients, through customGrad: that gradient computes the input gradient
// for every input, also the image batch under the first layer, which nothing needs (6.4 ms CPU of a
// ~100 ms default `cnn` step at 28×28×1), and clones what it saves. conv2d's registered gradient is
// pruned to the inputs that lead to a variable. Same convolution, same numbers.
import * as tf from '@tensorflow/tfjs';

interface ConvLayerInternals {
  rank: number;
  bias: tf.LayerVariable | null;
  kernel: tf.LayerVariable;
  activation: { getClassName(): string } | null;
  dataFormat: string;
  padding: string;
  strides: number[];
  dilationRate: number | number[];
}

type LayerCall = (
  this: tf.layers.Layer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: tf.serialization.ConfigDict,
) => tf.Tensor | tf.Tensor[];

let installed = false;

/** Whether a call can be a plain NHWC conv2d with the same result. */
function plainConvApplies(layer: ConvLayerInternals, input: tf.Tensor, training: boolean): boolean {
  return (
    training &&
    layer.rank === 2 &&
    layer.bias === null &&
    (layer.activation === null || layer.activation.getClassName().toLowerCase() === 'linear') &&
    layer.dataFormat === 'channelsLast' &&
    (layer.padding === 'same' || layer.padding === 'valid') &&
    input.rank === 4 &&
    input.dtype === 'float32'
  );
}

/** Patches the Conv2D layer class (every model, built or loaded, and a worker's replica). Idempotent. */
export function installPlainConvLayer(): void {
  if (installed) return;
  installed = true;
  const prototype = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })) as {
    call: LayerCall;
  };
  const libraryCall = prototype.call;
  prototype.call = function (this: tf.layers.Layer, inputs, kwargs) {
    const layer = this as unknown as ConvLayerInternals;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!plainConvApplies(layer, input, kwargs?.training === true))
      return libraryCall.call(this, inputs, kwargs);
    const dilations =
      typeof layer.dilationRate === 'number'
        ? ([layer.dilationRate, layer.dilationRate] as [number, number])
        : ([layer.dilationRate[0], layer.dilationRate[1]] as [number, number]);
    return tf.tidy(() =>
      tf.conv2d(
        input as tf.Tensor4D,
        layer.kernel.read() as tf.Tensor4D,
        [layer.strides[0], layer.strides[1]],
        layer.padding as 'same' | 'valid',
        'NHWC',
        dilations,
      ),
    );
  };
}
