// The training objective, one definition for the main thread and the data-parallel workers: the
// (class-weighted) per-sample loss averaged over the batch, plus the model's regularisation losses.
import * as tf from '@tensorflow/tfjs';

export type LossKind = 'crossEntropy' | 'squaredHinge';

const EPSILON = 1e-7;

export interface ObjectiveOptions {
  numClasses: number;
  /** Per-class loss weights (Keras' `balanced`), or null for none. */
  classWeights: number[] | null;
  /** Cross-entropy label smoothing ε (0 = off); the squared hinge ignores it. */
  labelSmoothing?: number;
  loss?: LossKind;
}

/** One-hot targets, smoothed: 1 − ε + ε/K for the label, ε/K elsewhere. */
export function smoothedTargets(labels: tf.Tensor1D, numClasses: number, smoothing: number): tf.Tensor2D {
  const oneHot = tf.oneHot(labels, numClasses) as tf.Tensor2D;
  return smoothing > 0 ? tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / numClasses) : oneHot;
}

/** One-vs-rest squared hinge per sample: mean over classes of max(0, 1 − t·s)², t = ±1 (Keras' convention). */
export function squaredHinge(scores: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Tensor1D {
  return tf.tidy(() => {
    const targets = tf.sub(tf.mul(tf.oneHot(labels, numClasses), 2), 1);
    const margins = tf.relu(tf.sub(1, tf.mul(targets, scores)));
    return tf.mean(tf.square(margins), -1) as tf.Tensor1D;
  });
}

/**
 * The scalar to minimise for a batch whose model output is `outputs` (softmax probabilities, or raw
 * scores for the squared hinge), and the number of correct arg-max predictions. Call it inside the
 * gradient function; `correct` is kept, so the caller disposes it.
 */
export function batchObjective(
  model: tf.LayersModel,
  outputs: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: ObjectiveOptions,
): { total: tf.Scalar; correct: tf.Tensor } {
  const perSample =
    options.loss === 'squaredHinge'
      ? squaredHinge(outputs, labels, options.numClasses)
      : tf.neg(
          tf.sum(
            tf.mul(
              smoothedTargets(labels, options.numClasses, options.labelSmoothing ?? 0),
              tf.log(tf.clipByValue(outputs, EPSILON, 1 - EPSILON)),
            ),
            -1,
          ),
        );
  const weighted = options.classWeights
    ? tf.mul(perSample, tf.gather(tf.tensor1d(options.classWeights), labels))
    : perSample;
  let total = tf.mean(weighted) as tf.Scalar;
  for (const regularisation of model.calculateLosses()) total = tf.add(total, regularisation);
  const correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(outputs, -1), labels), 'int32')));
  return { total, correct };
}
