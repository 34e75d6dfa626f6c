// Model presets. `simple-cnn` is pinned by the issue layer for layer; `cnn` is the configurable default.
import * as tf from '@tensorflow/tfjs';
import type { CnnHead, CnnOptions, TrainingConfig } from '../protocol/config';
import {
  buildLinearSvm,
  buildMobilenet,
  buildResnet,
  buildRnn,
  type ModelInput,
} from './presets/architectures';


/** conv 32 3×3 relu valid → max-pool 2 → conv 64 3×3 relu valid → max-pool 2 → flatten → dense 128 relu → dropout 0.5 → dense softmax */
export function buildSimpleCnn({ imageSize, channels, numClasses }: ModelInput): tf.LayersModel {
  return tf.sequential({
    name: 'simple_cnn',
    layers: [
      tf.layers.conv2d({
        inputShape: [imageSize, imageSize, channels],
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        padding: 'valid',
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', padding: 'valid' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: numClasses, activation: 'softmax' }),
    ],
  });
}

/**
 * `blocks` blocks of `convsPerBlock` same-padded 3×3 convolutions (filters doubling per block), each
 * optionally batch-normalised, then max-pool and dropout; the head flattens or averages the last map
 * (`head`: averaging keeps it small whatever the image size); a dense layer and the softmax classifier.
 */
export function buildCnn(
  { imageSize, channels, numClasses }: ModelInput,
  options: CnnOptions,
): tf.LayersModel {
  const regularizer = options.l2 > 0 ? tf.regularizers.l2({ l2: options.l2 }) : undefined;
  const layers: tf.layers.Layer[] = [];
  let first = true;
  let size = imageSize;
  for (let block = 0; block < options.blocks; block++) {
    const filters = options.filters * 2 ** block;
    for (let c = 0; c < options.convsPerBlock; c++) {
      layers.push(
        tf.layers.conv2d({
          ...(first ? { inputShape: [imageSize, imageSize, channels] } : {}),
          filters,
          kernelSize: 3,
          padding: 'same',
          useBias: !options.batchNorm,
          kernelInitializer: options.kernelInitializer,
          kernelRegularizer: regularizer,
        }),
      );
      first = false;
      // PyTorch's 0.1 update rate: Keras' 0.99 lags by ~100 steps, too slow for small data sets.
      if (options.batchNorm) layers.push(tf.layers.batchNormalization({ momentum: 0.9 }));
      layers.push(tf.layers.activation({ activation: options.activation }));
    }
    // Stop pooling once the feature map is small; a 1×1 map has nothing left to pool.
    if (size >= 2) {
      layers.push(tf.layers.maxPooling2d({ poolSize: 2 }));
      size = Math.floor(size / 2);
    }
    if (options.dropout > 0) layers.push(tf.layers.dropout({ rate: options.dropout }));
  }
  layers.push(cnnHead(options.head, size));
  if (options.denseUnits > 0) {
    layers.push(
      tf.layers.dense({
        units: options.denseUnits,
        activation: options.activation,
        kernelInitializer: options.kernelInitializer,
        kernelRegularizer: regularizer,
      }),
    );
    if (options.dropout > 0) layers.push(tf.layers.dropout({ rate: Math.min(0.5, options.dropout * 2) }));
  }
  layers.push(tf.layers.dense({ units: numClasses, activation: 'softmax' }));
  return tf.sequential({ name: 'cnn', layers });
}

/** Largest last feature map (positions) that `head: 'auto'` flattens. */
const AUTO_FLATTEN_MAX_POSITIONS = 16;

function cnnHead(head: CnnHead, size: number): tf.layers.Layer {
  const flatten = head === 'flatten' || (head === 'auto' && size * size <= AUTO_FLATTEN_MAX_POSITIONS);
  return flatten ? tf.layers.flatten() : tf.layers.globalAveragePooling2d({});
}

export function buildModel(config: TrainingConfig, numClasses: number): tf.LayersModel {
  const input: ModelInput = { imageSize: config.imageSize, channels: config.channels, numClasses };
  switch (config.model) {
    case 'simple-cnn':
      return buildSimpleCnn(input);
    case 'cnn':
      return buildCnn(input, config.cnn);
    case 'resnet':
      return buildResnet(input);
    case 'mobilenet':
      return buildMobilenet(input);
    case 'rnn':
      return buildRnn(input, config.rnn);
    case 'svm':
      return buildLinearSvm(input, config.svm);
    case 'knn':
    case 'transfer':
      // knn memorises the training set (presets/knnLayer.ts) and transfer needs its base model from disk.
      throw new Error(
        `the ${config.model} preset is built by createModel (src/trainer/presets/presetIndex.ts)`,
      );
  }
}
