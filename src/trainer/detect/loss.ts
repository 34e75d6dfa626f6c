// CenterNet's training objective on the detector's one output (N × H × W × (classes + 4)):
//   class loss  the penalty-reduced pixel-wise focal loss (α = 2, β = 4) of the centre heatmap against its
//               Gaussian targets, summed and divided by the number of centres;
//   box loss    L1 of the size (weighted 0.1, as in the paper) and of the centre offset, at centre cells.
// Logs of the sigmoid are computed as −softplus(∓x), which stays finite for any logit.
import * as tf from '@tensorflow/tfjs';

export const SIZE_LOSS_WEIGHT = 0.1;
const FOCAL_ALPHA = 2;
const FOCAL_BETA = 4;

export interface DetectionTargetsBatch {
  /** N × H × W × classes, Gaussian peaks of 1 at centres. */
  heatmap: tf.Tensor4D;
  /** N × H × W × 4: width, height (cells), offset x, offset y. */
  regression: tf.Tensor4D;
  /** N × H × W × 1: 1 at centre cells. */
  mask: tf.Tensor4D;
}

export interface DetectionLosses {
  total: tf.Scalar;
  classLoss: tf.Scalar;
  boxLoss: tf.Scalar;
}

export function detectionLoss(
  output: tf.Tensor4D,
  targets: DetectionTargetsBatch,
  numClasses: number,
): DetectionLosses {
  return tf.tidy(() => {
    const [n, h, w] = output.shape;
    const logits = output.slice([0, 0, 0, 0], [n, h, w, numClasses]);
    const regression = output.slice([0, 0, 0, numClasses], [n, h, w, 4]);
    const probability = tf.sigmoid(logits);
    const logP = tf.neg(tf.softplus(tf.neg(logits)));
    const logNotP = tf.neg(tf.softplus(logits));
    const positive = tf.cast(tf.greaterEqual(targets.heatmap, 1 - 1e-6), 'float32');
    const negative = tf.sub(1, positive);
    const positiveTerm = tf.mul(tf.mul(logP, tf.pow(tf.sub(1, probability), FOCAL_ALPHA)), positive);
    const negativeWeight = tf.pow(tf.sub(1, targets.heatmap), FOCAL_BETA);
    const negativeTerm = tf.mul(
      tf.mul(tf.mul(logNotP, tf.pow(probability, FOCAL_ALPHA)), negativeWeight),
      negative,
    );
    const centres = tf.maximum(tf.sum(positive), 1);
    const classLoss = tf.div(
      tf.neg(tf.add(tf.sum(positiveTerm), tf.sum(negativeTerm))),
      centres,
    ) as tf.Scalar;

    const masked = tf.mul(tf.abs(tf.sub(regression, targets.regression)), targets.mask);
    const cells = tf.maximum(tf.sum(targets.mask), 1);
    const sizeL1 = tf.div(tf.sum(masked.slice([0, 0, 0, 0], [n, h, w, 2])), cells);
    const offsetL1 = tf.div(tf.sum(masked.slice([0, 0, 0, 2], [n, h, w, 2])), cells);
    const boxLoss = tf.add(tf.mul(sizeL1, SIZE_LOSS_WEIGHT), offsetL1) as tf.Scalar;
    return { total: tf.add(classLoss, boxLoss) as tf.Scalar, classLoss, boxLoss };
  });
}
