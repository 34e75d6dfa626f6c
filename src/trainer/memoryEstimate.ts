// Refuses up front a training run whose batch would not fit in memory, or whose image size leaves a layer
// with an empty output (which the WASM kernels answer with "memory access out of bounds"). The estimate
// is rough on purpose: it only has to tell 100 MB from 10 GB, and it errs towards refusing less.
import * as os from 'node:os';
import type * as tf from '@tensorflow/tfjs';
import type { BackendName, TrainingConfig } from '../protocol/config';
import { UsageError } from './errors';
import { BYTES_PER_FLOAT, budgetBytes, trainingBytes, type LayerShape } from '../core/memoryArithmetic';

export function memoryBudgetBytes(backend: BackendName, totalMemory: number = os.totalmem()): number {
  return budgetBytes(backend, totalMemory);
}

/**
 * Bytes one training step needs: activations for the whole batch plus the parameters and their copies
 * (the sum is core/memoryArithmetic.ts's, shared with the New Training form's estimate).
 */
export function estimateTrainingBytes(model: tf.LayersModel, batchSize: number): number {
  const size = (shape: readonly (number | null)[]): number =>
    shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
  const inputElements = model.inputs.reduce((n, input) => n + size(input.shape), 0);
  const layers: LayerShape[] = model.layers.map((layer) => ({
    outputElements: outputShapes(layer).reduce((n, shape) => n + size(shape), 0),
    trainable: layer.trainable && layer.trainableWeights.length > 0,
  }));
  return trainingBytes(inputElements, layers, model.countParams(), batchSize);
}

function outputShapes(layer: tf.layers.Layer): (number | null)[][] {
  const shape = layer.outputShape as (number | null)[] | (number | null)[][];
  return Array.isArray(shape[0]) ? (shape as (number | null)[][]) : [shape as (number | null)[]];
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function tooLarge(config: TrainingConfig, need: number, budget: number, backend: BackendName): UsageError {
  return new UsageError(
    `a batch of ${config.batchSize} images of ${config.imageSize}×${config.imageSize}×${config.channels} needs about ${gib(need)} to train ` +
      `${config.model}, more than the ${gib(budget)} available to the ${backend} backend — use a smaller --batch-size or --image-size`,
  );
}

/**
 * Throws a UsageError when training cannot work: the input batch alone is over the budget (checked before
 * the model is built, since building it may be what runs out of memory), the model cannot be built, a
 * layer's output is empty, or the estimate is over the budget.
 */
export async function assertTrainingFits(
  config: TrainingConfig,
  backend: BackendName,
  build: () => tf.LayersModel | Promise<tf.LayersModel>,
  budget: number = memoryBudgetBytes(backend),
): Promise<void> {
  const inputBytes = config.batchSize * config.imageSize ** 2 * config.channels * BYTES_PER_FLOAT;
  if (inputBytes > budget) throw tooLarge(config, inputBytes, budget, backend);
  let model: tf.LayersModel;
  try {
    model = await build();
  } catch (err) {
    throw new UsageError(
      `cannot build ${config.model} for ${config.imageSize}×${config.imageSize}×${config.channels} images (${(err as Error).message}) — use a smaller --image-size`,
    );
  }
  try {
    for (const layer of model.layers) {
      if (outputShapes(layer).some((shape) => shape.slice(1).some((d) => d === 0))) {
        throw new UsageError(
          `--image-size ${config.imageSize} is too small for ${config.model}: layer ${layer.name} has an empty output — use a larger --image-size`,
        );
      }
    }
    const need = estimateTrainingBytes(model, config.batchSize);
    if (need > budget) throw tooLarge(config, need, budget, backend);
  } finally {
    model.dispose();
  }
}
