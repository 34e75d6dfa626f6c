// The arithmetic of the trainer's memory estimate (src/trainer/memoryEstimate.ts), without tfjs: the
// trainer feeds it a built model's layer shapes; the New Training form feeds it the shapes the cnn presets
// will have (cnnLayerShapes), so the form's figure and the trainer's refusal are the same sum.
import type { BackendName, TrainingConfig } from '../protocol/config';

export const BYTES_PER_FLOAT = 4;
/** Forward activations kept for backprop, their gradients, and kernel temporaries (im2col). */
export const ACTIVATION_COPIES = 3;
/** Weights, gradients and two optimizer slots (Adam). */
export const PARAMETER_COPIES = 4;
/** The WASM backend's heap cannot grow past 4 GiB; leave room for the module and fragmentation. */
export const WASM_HEAP_BYTES = 3 * 1024 ** 3;

export function budgetBytes(backend: BackendName, totalMemory: number): number {
  const half = totalMemory / 2;
  return backend === 'wasm' ? Math.min(WASM_HEAP_BYTES, half) : half;
}

/** One layer as the estimate sees it: the elements of its outputs (per image) and whether it trains. */
export interface LayerShape {
  outputElements: number;
  /** Has trainable weights; layers after the first such one keep copies for backprop. */
  trainable: boolean;
}

/**
 * Bytes one training step needs: activations for the whole batch plus the parameters and their copies.
 * Layers below the first trainable one (a frozen transfer base) run forward only: one copy each.
 */
export function trainingBytes(
  inputElements: number,
  layers: readonly LayerShape[],
  parameters: number,
  batchSize: number,
): number {
  let activations = inputElements;
  let trainablePart = false;
  for (const layer of layers) {
    trainablePart ||= layer.trainable;
    activations += layer.outputElements * (trainablePart ? ACTIVATION_COPIES : 1);
  }
  return (activations * batchSize + parameters * PARAMETER_COPIES) * BYTES_PER_FLOAT;
}

export interface ModelShape {
  inputElements: number;
  layers: LayerShape[];
  parameters: number;
}

/** Largest last feature map (positions) that the cnn's `head: 'auto'` flattens (src/trainer/models.ts). */
const AUTO_FLATTEN_MAX_POSITIONS = 16;

/**
 * The layer shapes of the `cnn` and `simple-cnn` presets for a config (src/trainer/models.ts builds them
 * layer for layer); undefined for presets whose shape depends on more than the config (a base, a net
 * this arithmetic does not follow).
 */
export function presetShape(config: Readonly<TrainingConfig>, numClasses: number): ModelShape | undefined {
  const { imageSize, channels } = config;
  const inputElements = imageSize * imageSize * channels;
  const layers: LayerShape[] = [];
  let parameters = 0;
  if (config.model === 'simple-cnn') {
    const s1 = imageSize - 2;
    const p1 = Math.floor(s1 / 2);
    const s2 = p1 - 2;
    const p2 = Math.floor(s2 / 2);
    if (s2 <= 0 || p2 <= 0) return undefined;
    layers.push({ outputElements: s1 * s1 * 32, trainable: true });
    layers.push({ outputElements: p1 * p1 * 32, trainable: false });
    layers.push({ outputElements: s2 * s2 * 64, trainable: true });
    layers.push({ outputElements: p2 * p2 * 64, trainable: false });
    layers.push({ outputElements: p2 * p2 * 64, trainable: false });
    layers.push({ outputElements: 128, trainable: true }, { outputElements: 128, trainable: false });
    layers.push({ outputElements: numClasses, trainable: true });
    parameters =
      (9 * channels + 1) * 32 + (9 * 32 + 1) * 64 + (p2 * p2 * 64 + 1) * 128 + (128 + 1) * numClasses;
    return { inputElements, layers, parameters };
  }
  if (config.model !== 'cnn') return undefined;
  const o = config.cnn;
  let size = imageSize;
  let depth: number = channels;
  for (let block = 0; block < o.blocks; block++) {
    const filters = o.filters * 2 ** block;
    for (let c = 0; c < o.convsPerBlock; c++) {
      layers.push({ outputElements: size * size * filters, trainable: true });
      parameters += 9 * depth * filters + (o.batchNorm ? 4 * filters : filters);
      if (o.batchNorm) layers.push({ outputElements: size * size * filters, trainable: true });
      layers.push({ outputElements: size * size * filters, trainable: false });
      depth = filters;
    }
    if (size >= 2) {
      size = Math.floor(size / 2);
      layers.push({ outputElements: size * size * depth, trainable: false });
    }
    if (o.dropout > 0) layers.push({ outputElements: size * size * depth, trainable: false });
  }
  const flatten = o.head === 'flatten' || (o.head === 'auto' && size * size <= AUTO_FLATTEN_MAX_POSITIONS);
  const features = flatten ? size * size * depth : depth;
  layers.push({ outputElements: features, trainable: false });
  let width = features;
  if (o.denseUnits > 0) {
    layers.push({ outputElements: o.denseUnits, trainable: true });
    parameters += (width + 1) * o.denseUnits;
    width = o.denseUnits;
    if (o.dropout > 0) layers.push({ outputElements: o.denseUnits, trainable: false });
  }
  layers.push({ outputElements: numClasses, trainable: true });
  parameters += (width + 1) * numClasses;
  return { inputElements, layers, parameters };
}

/** The input batch alone: a floor for presets whose layers the arithmetic does not follow. */
export function inputBatchBytes(config: Readonly<TrainingConfig>): number {
  return config.batchSize * config.imageSize ** 2 * config.channels * BYTES_PER_FLOAT;
}
