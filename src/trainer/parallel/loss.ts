// The training loss, shared by the main thread and the data-parallel workers so that every shard is
// scored the same way: (class-weighted) categorical cross-entropy on the softmax output, plus the
// model's regularisation losses (src/trainer/loss.ts, which makeTrainStep uses too).
import * as tf from '@tensorflow/tfjs';
import { batchObjective } from '../loss';

export interface ShardInput {
  pixels: Float32Array;
  labels: Int32Array;
  imageSize: number;
  channels: number;
  numClasses: number;
  /** Per-class loss weights, or null for none. */
  classWeights: number[] | null;
  /** Cross-entropy label smoothing (0 = off). */
  labelSmoothing: number;
}

export interface ShardGradients {
  /** Gradients of the shard's mean loss, in model.trainableWeights order. The caller disposes them. */
  grads: tf.Tensor[];
  loss: number;
  correct: number;
}

/** Forward and backward pass over one shard, without touching the weights. */
export function shardGradients(model: tf.LayersModel, input: ShardInput): ShardGradients {
  const n = input.labels.length;
  const variables = trainableVariables(model);
  let correct: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const x = tf.tensor4d(input.pixels, [n, input.imageSize, input.imageSize, input.channels]);
    const y = tf.tensor1d(input.labels, 'int32');
    const probs = model.apply(x, { training: true }) as tf.Tensor2D;
    const objective = batchObjective(model, probs, y, {
      numClasses: input.numClasses,
      classWeights: input.classWeights,
      labelSmoothing: input.labelSmoothing,
    });
    correct = objective.correct;
    return objective.total;
  }, variables);
  const loss = value.dataSync()[0];
  value.dispose();
  const hits = (correct as tf.Tensor | null)?.dataSync()[0] ?? 0;
  (correct as tf.Tensor | null)?.dispose();
  return { grads: variables.map((v) => grads[v.name]), loss, correct: hits };
}

/** The model's trainable variables, in model.trainableWeights order (LayerVariable.read() returns them). */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}
