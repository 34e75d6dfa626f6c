// The detector: a small anchor-free single-stage network after CenterNet ("Objects as Points"). A conv
// backbone (conv + batch norm + ReLU, as the cnn/resnet presets build them) down to stride 32, a small
// feature pyramid back up (1×1 projection, nearest upsampling, addition, as FPN does) to stride 8 with
// YOLO's spatial pyramid pooling there, optionally on to stride 4, and two heads on that map: per-class
// centre logits, and box size + centre offset. One output tensor (N × S/stride × S/stride × (classes + 4))
// keeps saving, loading and checkpoints those of any layers model; the loss and the decoder split it.
// Stride 8 at 128 px (the trainer's choice) measured faster and better than stride 4 on the procedural set
// (bench/RESULTS.md, "Object detection"); objects smaller than about 12 pixels want stride 4.
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

/** Input pixels per output cell of the detector the trainer builds (recorded in the model's metadata). */
export const DETECTOR_STRIDE: 4 | 8 = 8;
/** The centre logits start at sigmoid⁻¹(0.1): CenterNet's prior, which keeps the focal loss stable early. */
const HEATMAP_PRIOR_BIAS = -Math.log((1 - 0.1) / 0.1);
export const DETECTOR_MODEL_NAME = 'centernet';
/** The input side must divide by the deepest stride. */
export const DETECTOR_INPUT_MULTIPLE = 32;

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

/**
 * YOLO's spatial pyramid pooling: the map beside its 5×5 and 9×9 max-pools (stride 1), mixed by a 1×1
 * convolution. A cheap, hard-edged large receptive field: "is there a corner anywhere near this centre"
 * is what tells a square from a circle of the same size and colour.
 */
function spatialPyramidPooling(x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
  const pools = [5, 9].map(
    (size) =>
      tf.layers
        .maxPooling2d({ poolSize: size, strides: 1, padding: 'same', name: `${name}_max${size}` })
        .apply(x) as tf.SymbolicTensor,
  );
  const joined = tf.layers.concatenate({ name: `${name}_cat` }).apply([x, ...pools]) as tf.SymbolicTensor;
  const mixed = conv1x1(joined, filters, `${name}_mix`);
  const bn = tf.layers.batchNormalization({ momentum: 0.9, name: `${name}_bn` });
  return tf.layers.reLU({ name: `${name}_relu` }).apply(bn.apply(mixed)) as tf.SymbolicTensor;
}

export function buildDetector({
  inputSize,
  channels,
  numClasses,
  width,
  stride = 4,
}: DetectorShape): tf.LayersModel {
  if (inputSize % DETECTOR_INPUT_MULTIPLE !== 0)
    throw new RangeError(
      `the detector's input size must be a multiple of ${DETECTOR_INPUT_MULTIPLE}, got ${inputSize}`,
    );
  const input = tf.input({ shape: [inputSize, inputSize, channels], name: 'image' });
  const stem = convBnRelu(input, width, 2, 'stem'); // stride 2
  const c4 = convBnRelu(convBnRelu(stem, 2 * width, 2, 's4a'), 2 * width, 1, 's4b'); // stride 4
  const c8 = convBnRelu(convBnRelu(c4, 4 * width, 2, 's8a'), 4 * width, 1, 's8b'); // stride 8
  const c16 = convBnRelu(convBnRelu(c8, 8 * width, 2, 's16a'), 8 * width, 1, 's16b'); // stride 16
  // Stride 32 costs little (a 4×4 map at 128 px) and lets the centre cell see a whole large object: a
  // circle and a square differ only at their outline, far from the centre.
  const c32 = convBnRelu(convBnRelu(c16, 8 * width, 2, 's32a'), 8 * width, 1, 's32b');
  const p16 = convBnRelu(mergeUp(c32, c16, 8 * width, 'm16'), 8 * width, 1, 'p16');
  const p8 = spatialPyramidPooling(
    convBnRelu(mergeUp(p16, c8, 4 * width, 'm8'), 4 * width, 1, 'p8'),
    4 * width,
    'spp8',
  );
  const top = stride === 8 ? p8 : convBnRelu(mergeUp(p8, c4, 2 * width, 'm4'), 2 * width, 1, 'p4');
  const hidden = stride === 8 ? 2 * width : width;
  const heat = head(top, hidden, numClasses, 'heatmap', HEATMAP_PRIOR_BIAS);
  const box = head(top, hidden, 4, 'box', 0);
  const output = tf.layers.concatenate({ name: 'detections' }).apply([heat, box]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: DETECTOR_MODEL_NAME });
}
