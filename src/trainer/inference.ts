// Batched inference over decoded samples, shared by validation, `evaluate` and `predict`.
import * as tf from '@tensorflow/tfjs';
import { assembleBatch, batchTensorShape, chunk, type BatchPlan } from './dataPipeline';

export interface InferenceResult {
  /** Row-major [n, numClasses] probabilities. */
  probabilities: Float32Array;
  numClasses: number;
  /** Mean categorical cross-entropy against the plan's labels. */
  loss: number;
  predicted: number[];
  confidences: number[];
}

const EPSILON = 1e-7;

/** Predicts `indices` of the plan's store (no augmentation), `batchSize` at a time. */
export async function predictIndices(
  model: tf.LayersModel,
  plan: BatchPlan,
  indices: readonly number[],
  batchSize: number,
): Promise<InferenceResult> {
  const numClasses = (model.outputs[0].shape.at(-1) as number) ?? 0;
  const probabilities = new Float32Array(indices.length * numClasses);
  const unaugmented: BatchPlan = { ...plan, augment: null };
  let offset = 0;
  for (const part of chunk(indices, batchSize)) {
    const batch = await assembleBatch(unaugmented, part, 0);
    const probs = tf.tidy(() => {
      const x = tf.tensor(batch.pixels, batchTensorShape(plan.shape, part.length));
      return model.predict(x) as tf.Tensor;
    });
    probabilities.set(await probs.data(), offset);
    probs.dispose();
    offset += part.length * numClasses;
  }
  return summarise(
    probabilities,
    numClasses,
    indices.map((i) => plan.labels[i]),
  );
}

/** Arg-max, confidence and the loss against `labels` (-1 for unknown labels, left out of the loss). */
export function summarise(
  probabilities: Float32Array,
  numClasses: number,
  labels: readonly number[],
): InferenceResult {
  const n = numClasses === 0 ? 0 : probabilities.length / numClasses;
  const predicted: number[] = [];
  const confidences: number[] = [];
  let lossSum = 0;
  let lossCount = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if (probabilities[i * numClasses + c] > probabilities[i * numClasses + best]) best = c;
    predicted.push(best);
    confidences.push(probabilities[i * numClasses + best]);
    const label = labels[i];
    if (label !== undefined && label >= 0) {
      const p = Math.min(1 - EPSILON, Math.max(EPSILON, probabilities[i * numClasses + label]));
      lossSum -= Math.log(p);
      lossCount++;
    }
  }
  return { probabilities, numClasses, loss: lossCount ? lossSum / lossCount : 0, predicted, confidences };
}

export function topK(
  probabilities: Float32Array,
  row: number,
  numClasses: number,
  labels: readonly string[],
  k: number,
) {
  const scores = Array.from({ length: numClasses }, (_, c) => ({
    label: labels[c],
    confidence: probabilities[row * numClasses + c],
  }));
  scores.sort((a, b) => b.confidence - a.confidence);
  return scores.slice(0, Math.max(1, Math.min(k, numClasses)));
}
