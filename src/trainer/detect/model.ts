// The detector: a small anchor-free single-stage network after CenterNet ("Objects as Points"). A conv
// backbone (conv + batch norm + ReLU, as the cnn/resnet presets build them) down to stride 16, a small
// feature pyramid back up to stride 4 (1×1 projection, nearest upsampling, addition of the stride-8 and
// stride-4 maps, as FPN does), and two heads on the stride-4 map: per-class centre logits, and box size + centre offset. One
// output tensor (N × S/4 × S/4 × (classes + 4)) keeps saving, loading and checkpoints those of any layers
// model; the loss and the decoder split its channels.
import * as tf from '@tensorflow/tfjs';

export interface DetectorShape {
  inputSize: number;
  channels: number;
  numClasses: number;
  /** Filters of the first stage; later stages have 2×, 4× and 8×. */
  width: number;
  /** Input pixels per output cell: 4 (CenterNet's) or 8 (cheaper; for objects of 12 pixels and more). */
  stride?: 4 | 8;
}

/** Input pixels per output cell of the detector the trainer builds. */
export const DETECTOR_STRIDE: 4 | 8 = 4;
/** The centre logits start at sigmoid⁻¹(0.1): CenterNet's prior, which keeps the focal loss stable early. */
const HEATMAP_PRIOR_BIAS = -Math.log((1 - 0.1) / 0.1);
export const DETECTOR_MODEL_NAME = 'centernet';

function convBnRelu(x: tf.SymbolicTensor, filters: number, strides: number, name: string): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({
    filters,
    kernelSize: 3,
    strides,
    padding: 'same',
    useBias: false,
    kernelInitializer: 'heNormal',
    name: `${name}_conv`,
  });
  const bn = tf.layers.batchNormalization({ momentum: 0.9, name: `${name}_bn` });
  return tf.layers.reLU({ name: `${name}_relu` }).apply(bn.apply(conv.apply(x))) as tf.SymbolicTensor;
}

function head(
  x: tf.SymbolicTensor,
  hidden: number,
  outputs: number,
  name: string,
  bias: number,
): tf.SymbolicTensor {
  const h = tf.layers
    .conv2d({
      filters: hidden,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: 'heNormal',
      name: `${name}_hidden`,
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.layers
    .conv2d({
      filters: outputs,
      kernelSize: 1,
      kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01 }),
      biasInitializer: tf.initializers.constant({ value: bias }),
      name: `${name}_out`,
    })
    .apply(h) as tf.SymbolicTensor;
}

function conv1x1(x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
  return tf.layers
    .conv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: 'heNormal', name })
    .apply(x) as tf.SymbolicTensor;
}

/** A coarser map brought up to a finer one: projected (1×1) to its filters, upsampled 2×, added. */
function mergeUp(
  coarse: tf.SymbolicTensor,
  fine: tf.SymbolicTensor,
  filters: number,
  name: string,
): tf.SymbolicTensor {
  const up = tf.layers
    .upSampling2d({ size: [2, 2], name: `${name}_up` })
    .apply(conv1x1(coarse, filters, `${name}_proj`)) as tf.SymbolicTensor;
  return tf.layers.add({ name: `${name}_add` }).apply([up, fine]) as tf.SymbolicTensor;
}

export function buildDetector({ inputSize, channels, numClasses, width, stride = 4 }: DetectorShape): tf.LayersModel {
  if (inputSize % 16 !== 0)
    throw new RangeError(`the detector's input size must be a multiple of 16, got ${inputSize}`);
  const input = tf.input({ shape: [inputSize, inputSize, channels], name: 'image' });
  const stem = convBnRelu(input, width, 2, 'stem'); // stride 2
  const c4 = convBnRelu(convBnRelu(stem, 2 * width, 2, 's4a'), 2 * width, 1, 's4b'); // stride 4
  const c8 = convBnRelu(convBnRelu(c4, 4 * width, 2, 's8a'), 4 * width, 1, 's8b'); // stride 8
  const c16 = convBnRelu(convBnRelu(c8, 8 * width, 2, 's16a'), 8 * width, 1, 's16b'); // stride 16
  const p8 = convBnRelu(mergeUp(c16, c8, 4 * width, 'm8'), 4 * width, 1, 'p8');
  const top = stride === 8 ? p8 : convBnRelu(mergeUp(p8, c4, 2 * width, 'm4'), 2 * width, 1, 'p4');
  const hidden = stride === 8 ? 2 * width : width;
  const heat = head(top, hidden, numClasses, 'heatmap', HEATMAP_PRIOR_BIAS);
  const box = head(top, hidden, 4, 'box', 0);
  const output = tf.layers.concatenate({ name: 'detections' }).apply([heat, box]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: DETECTOR_MODEL_NAME });
}
