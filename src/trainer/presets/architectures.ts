// Presets beyond simple-cnn and cnn: a small ResNet, a MobileNet-style depthwise-separable net, an RNN
// over image rows and a linear SVM. All end in a softmax so that predict and evaluate read probabilities.
import * as tf from '@tensorflow/tfjs';
import type { RnnOptions, SvmOptions } from '../../protocol/config';

/** What every preset builder needs to know of the run. */
export interface ModelInput {
  imageSize: number;
  channels: number;
  numClasses: number;
}

/** Name of the softmax that turns SVM scores into confidences; training reads the scores beneath it. */
export const SVM_PROBABILITIES_LAYER = 'svm_probabilities';

// PyTorch's 0.1 update rate, as the cnn preset uses: Keras' 0.99 lags too long on small data sets.
const batchNorm = (name: string): tf.layers.Layer => tf.layers.batchNormalization({ momentum: 0.9, name });

function convBn(
  x: tf.SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides: number,
  name: string,
  relu: boolean,
): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({
    filters,
    kernelSize,
    strides,
    padding: 'same',
    useBias: false,
    kernelInitializer: 'heNormal',
    name: `${name}_conv`,
  });
  let y = batchNorm(`${name}_bn`).apply(conv.apply(x)) as tf.SymbolicTensor;
  if (relu) y = tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
  return y;
}

/** Basic residual block (He et al. 2016): two 3×3 conv+BN, a 1×1 projection when the shape changes. */
function residualBlock(
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
): tf.SymbolicTensor {
  const inFilters = x.shape[x.shape.length - 1];
  const branch = convBn(convBn(x, filters, 3, strides, `${name}_a`, true), filters, 3, 1, `${name}_b`, false);
  const shortcut =
    strides !== 1 || inFilters !== filters ? convBn(x, filters, 1, strides, `${name}_proj`, false) : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([branch, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(sum) as tf.SymbolicTensor;
}

/** Stages of 16, 32, 64 filters (one residual block each; the later two halve the map), then global pooling. */
export function buildResnet({ imageSize, channels, numClasses }: ModelInput): tf.LayersModel {
  const input = tf.input({ shape: [imageSize, imageSize, channels], name: 'image' });
  let x = convBn(input, 16, 3, 1, 'stem', true);
  x = residualBlock(x, 16, 1, 'stage1');
  x = residualBlock(x, 32, imageSize >= 8 ? 2 : 1, 'stage2');
  x = residualBlock(x, 64, imageSize >= 16 ? 2 : 1, 'stage3');
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ units: numClasses, activation: 'softmax', name: 'classifier' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'resnet' });
}

/** Depthwise 3×3 + BN + ReLU, then pointwise 1×1 + BN + ReLU (Howard et al. 2017). */
function separableBlock(
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
): tf.SymbolicTensor {
  const depthwise = tf.layers.depthwiseConv2d({
    kernelSize: 3,
    strides,
    padding: 'same',
    useBias: false,
    depthwiseInitializer: 'heNormal',
    name: `${name}_dw`,
  });
  let y = batchNorm(`${name}_dw_bn`).apply(depthwise.apply(x)) as tf.SymbolicTensor;
  y = tf.layers.reLU({ name: `${name}_dw_relu` }).apply(y) as tf.SymbolicTensor;
  return convBn(y, filters, 1, 1, `${name}_pw`, true);
}

/** A stem convolution, four depthwise-separable blocks (32, 64, 128, 128 filters), global pooling. */
export function buildMobilenet({ imageSize, channels, numClasses }: ModelInput): tf.LayersModel {
  const input = tf.input({ shape: [imageSize, imageSize, channels], name: 'image' });
  let x = convBn(input, 16, 3, 1, 'stem', true);
  x = separableBlock(x, 32, 1, 'sep1');
  x = separableBlock(x, 64, imageSize >= 8 ? 2 : 1, 'sep2');
  x = separableBlock(x, 128, imageSize >= 16 ? 2 : 1, 'sep3');
  x = separableBlock(x, 128, 1, 'sep4');
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ units: numClasses, activation: 'softmax', name: 'classifier' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'mobilenet' });
}

/** Each image row (width × channels values) is one time step of an LSTM or GRU; its last state is classified. */
export function buildRnn(
  { imageSize, channels, numClasses }: ModelInput,
  options: RnnOptions,
): tf.LayersModel {
  const recurrent = { units: options.units, name: options.cell, returnSequences: false };
  return tf.sequential({
    name: 'rnn',
    layers: [
      tf.layers.reshape({
        inputShape: [imageSize, imageSize, channels],
        targetShape: [imageSize, imageSize * channels],
        name: 'rows',
      }),
      options.cell === 'lstm' ? tf.layers.lstm(recurrent) : tf.layers.gru(recurrent),
      tf.layers.dense({ units: numClasses, activation: 'softmax', name: 'classifier' }),
    ],
  });
}

/**
 * One linear score per class on the flattened input. Training minimises the squared hinge loss on the
 * scores (see presets/presetIndex.ts); the final softmax only turns scores into confidences for predict.
 */
export function buildLinearSvm(
  { imageSize, channels, numClasses }: ModelInput,
  options: SvmOptions,
): tf.LayersModel {
  return tf.sequential({
    name: 'svm',
    layers: [
      tf.layers.flatten({ inputShape: [imageSize, imageSize, channels], name: 'pixels' }),
      svmScores(numClasses, options),
      tf.layers.activation({ activation: 'softmax', name: SVM_PROBABILITIES_LAYER }),
    ],
  });
}

/** The linear score layer of an SVM, shared by the pixel SVM and the SVM on a base model's features. */
export function svmScores(numClasses: number, options: SvmOptions, name = 'svm_scores'): tf.layers.Layer {
  return tf.layers.dense({
    units: numClasses,
    activation: 'linear',
    kernelInitializer: 'zeros',
    kernelRegularizer: options.l2 > 0 ? tf.regularizers.l2({ l2: options.l2 }) : undefined,
    name,
  });
}
