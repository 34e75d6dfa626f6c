// Refuses up front a training run whose batch would not fit in memory, or whose image size leaves a layer
// with an empty output (which the WASM kernels answer with "memory access out of bounds"). The estimate
// is rough on purpose: it only has to tell 100 MB from 10 GB, and it errs towards refusing less.
import * as os from 'node:os';
import type * as tf from '@tensorflow/tfjs';
import type { BackendName, TrainingConfig } from '../protocol/config';
import { UsageError } from './errors';

const BYTES_PER_FLOAT = 4;
/** Forward activations kept for backprop, their gradients, and kernel temporaries (im2col). */
const ACTIVATION_COPIES = 3;
/** Weights, gradients and two optimizer slots (Adam). */
const PARAMETER_COPIES = 4;
/** The WASM backend's heap cannot grow past 4 GiB; leave room for the module and fragmentation. */
const WASM_HEAP_BYTES = 3 * 1024 ** 3;

export function memoryBudgetBytes(backend: BackendName, totalMemory: number = os.totalmem()): number {
  const half = totalMemory / 2;
  return backend === 'wasm' ? Math.min(WASM_HEAP_BYTES, half) : half;
}

/**
 * Bytes one training step needs: activations for the whole batch plus the parameters and their copies.
 * Layers below the first trainable one (a frozen transfer base) run forward only: one copy each.
 */
export function estimateTrainingBytes(model: tf.LayersModel, batchSize: number): number {
  const size = (shape: readonly (number | null)[]): number =>
    shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
  let activations = model.inputs.reduce((n, input) => n + size(input.shape), 0);
  let trainablePart = false;
  for (const layer of model.layers) {
    trainablePart ||= layer.trainable && layer.trainableWeights.length > 0;
    const copies = trainablePart ? ACTIVATION_COPIES : 1;
    for (const shape of outputShapes(layer)) activations += size(shape) * copies;
  }
  return (activations * batchSize + model.countParams() * PARAMETER_COPIES) * BYTES_PER_FLOAT;
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
