// The training step and its optimizer: what one batch does to the weights. The fit loop, the
// learning-rate finder (experiments/lrFind.ts) and the throughput bench all train through these.
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../protocol/config';
import { batchTensorShape, type InputShape } from '../dataPipeline';
import { batchObjective, type ObjectiveOptions } from '../loss';
import type { StepResult } from '../parallel';
import type { TrainingForward } from '../presets/presetIndex';

export function createOptimizer(config: TrainingConfig): tf.Optimizer {
  switch (config.optimizer) {
    case 'adam':
      return tf.train.adam(config.learningRate);
    case 'sgd':
      return config.momentum > 0
        ? tf.train.momentum(config.learningRate, config.momentum)
        : tf.train.sgd(config.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate);
  }
}

/** SGD caches its rate in a scalar (setLearningRate); Adam and RMSprop read the field on every step. */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const withSetter = optimizer as tf.Optimizer & { setLearningRate?: (lr: number) => void };
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(learningRate);
  else (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

export interface TrainStep {
  (pixels: Float32Array, labels: Int32Array): StepResult;
}

/**
 * One optimisation step: weighted categorical cross-entropy on the softmax output plus regularisation,
 * or the loss and forward pass the model declares (presets/presetIndex.ts: svm, heads on a base).
 */
export function makeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  shape: InputShape,
  objective: ObjectiveOptions,
  forward: TrainingForward | null = null,
): TrainStep {
  if (forward?.step) return forward.step;
  return (pixels, labels) => {
    const n = labels.length;
    let correct: tf.Tensor | null = null;
    const loss = tf.tidy(
      () =>
        optimizer.minimize(() => {
          const x = tf.tensor(pixels, batchTensorShape(shape, n));
          const y = tf.tensor1d(labels, 'int32');
          const outputs = forward ? forward.apply(x) : (model.apply(x, { training: true }) as tf.Tensor2D);
          const scored = batchObjective(model, outputs, y, { ...objective, loss: forward?.loss });
          correct = scored.correct;
          return scored.total;
        }, true) as tf.Scalar,
    );
    const value = loss.dataSync()[0];
    const hits = (correct as tf.Tensor | null)?.dataSync()[0] ?? 0;
    loss.dispose();
    (correct as tf.Tensor | null)?.dispose();
    return { loss: value, correct: hits };
  };
}
