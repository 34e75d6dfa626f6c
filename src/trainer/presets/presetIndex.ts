// The preset index: createModel builds any preset (the cnns of models.ts, the architectures, knn,
// transfer), and trainingForward says how it trains, declared by the model itself (so a model loaded back
// from a checkpoint trains the same way): the loss, and which part runs in training mode.
//  - softmax presets: categorical cross-entropy on the output (the trainer's default path);
//  - svm: the squared hinge loss on the scores under the final softmax (which only gives predict its
//    confidences: softmax of the scores);
//  - a head on a base: the base runs in inference mode (batch norm keeps its statistics, no dropout, as
//    Keras advises for frozen and fine-tuned bases); gradients still reach unfrozen base layers.
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../protocol/config';
import { buildModel } from '../models';
import { SVM_PROBABILITIES_LAYER } from './architectures';
import { findKnnLayer, KnnLayer } from './knnLayer';
import { buildTransferModel, HEAD_PREFIX, hasTransferHead, loadFrozenFeatures, usesBase } from './transfer';

export type { LossKind } from '../loss';
import type { LossKind } from '../loss';

export interface TrainingForward {
  /** Called inside optimizer.minimize: the [n, classes] tensor the loss is computed on. */
  apply(x: tf.Tensor): tf.Tensor2D;
  loss: LossKind;
  /** A model that learns without gradients (knn) brings its own step. */
  step?: (pixels: Float32Array, labels: Int32Array) => { loss: number; correct: number };
}

/** Builds a run's model: presets that need the base model from disk or the training-set size are built here. */
export async function createModel(
  config: TrainingConfig,
  numClasses: number,
  trainCount: number,
): Promise<tf.LayersModel> {
  if (config.model === 'knn') return buildKnnModel(config, numClasses, trainCount);
  if (usesBase(config)) return buildTransferModel(config, numClasses);
  return buildModel(config, numClasses);
}

/** [frozen base cut | the pixels] → flatten → k-nearest-neighbour vote over the memorised training set. */
async function buildKnnModel(
  config: TrainingConfig,
  numClasses: number,
  trainCount: number,
): Promise<tf.LayersModel> {
  let inputs: tf.SymbolicTensor[];
  let x: tf.SymbolicTensor;
  if (usesBase(config)) {
    const { base, features } = await loadFrozenFeatures(config.transfer, [
      config.imageSize,
      config.imageSize,
      config.channels,
    ]);
    inputs = base.inputs;
    x = features;
  } else {
    inputs = [tf.input({ shape: [config.imageSize, config.imageSize, config.channels], name: 'image' })];
    x = inputs[0];
  }
  if (x.shape.length > 2) x = tf.layers.flatten({ name: 'knn_features' }).apply(x) as tf.SymbolicTensor;
  const knn = new KnnLayer({
    capacity: trainCount,
    numClasses,
    k: config.knn.k,
    metric: config.knn.metric,
    name: 'knn',
  });
  return tf.model({ inputs, outputs: knn.apply(x) as tf.SymbolicTensor, name: 'knn' });
}

/** The forward pass and loss a model trains with, or null for the default (softmax, cross-entropy). */
export function trainingForward(model: tf.LayersModel, config: TrainingConfig): TrainingForward | null {
  const knn = findKnnLayer(model);
  if (knn) {
    const features = tf.model({ inputs: model.inputs, outputs: knn.input as tf.SymbolicTensor });
    const apply = (x: tf.Tensor): tf.Tensor2D => features.apply(x, { training: false }) as tf.Tensor2D;
    return {
      loss: 'crossEntropy',
      apply,
      step: (pixels, labels) => {
        const [, size, , channels] = model.inputs[0].shape as number[];
        const feats = tf.tidy(() => apply(tf.tensor4d(pixels, [labels.length, size, size, channels])));
        const correct = knn.memorise(feats, labels);
        feats.dispose();
        // No loss is minimised; 0 keeps the metrics line finite. Accuracy is prequential (see knnLayer).
        return { loss: 0, correct };
      },
    };
  }
  const svm = model.layers.find((l) => l.name === SVM_PROBABILITIES_LAYER);
  const loss: LossKind = svm ? 'squaredHinge' : 'crossEntropy';
  // A head trained alone on cached features (no cut layer inside) needs no special forward.
  if (
    hasTransferHead(model) &&
    config.transfer &&
    model.layers.some((l) => l.name === config.transfer?.cutLayer)
  ) {
    const features = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer(config.transfer.cutLayer).output as tf.SymbolicTensor,
    });
    const head = model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX));
    return {
      loss,
      apply: (x) => {
        let y = features.apply(x, { training: false }) as tf.Tensor;
        for (const layer of head) y = layer.apply(y, { training: true }) as tf.Tensor;
        return y as tf.Tensor2D;
      },
    };
  }
  if (svm) {
    const scores = tf.model({ inputs: model.inputs, outputs: svm.input as tf.SymbolicTensor });
    return { loss, apply: (x) => scores.apply(x, { training: true }) as tf.Tensor2D };
  }
  return null;
}
