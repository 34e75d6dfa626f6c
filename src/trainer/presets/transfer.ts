// Transfer learning from a local TF.js layers model: inspect the base (input shape, cut layer,
// normalisation), build base-cut + new head as one model that predict reads like any other, and freeze
// or unfreeze the base per epoch for the optional fine-tuning phase. No network: weights come from disk.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type {
  SvmOptions,
  TrainingConfig,
  TransferNormalisation,
  TransferOptions,
  TransferPooling,
} from '../../protocol/config';
import type { RunBase } from '../../protocol/runRecord';
import { resolveBase } from '../bases/resolve';
import { loadLayersBase } from '../bases/tfjsBases';
import { DEFAULT_NORMALISATION, type Normalisation } from '../dataPipeline';
import { UsageError } from '../errors';
import { GRAPH_BASE_LAYER, GraphFeatures, isGraphModelDir, registerGraphBase } from './graphBase';
import { SVM_PROBABILITIES_LAYER, svmScores } from './architectures';

/** Layers of the new head carry this prefix; the rest of a transfer model is the base. */
export const HEAD_PREFIX = 'head_';

const NORMALISATIONS: Record<Exclude<TransferNormalisation, 'auto'>, Normalisation> = {
  zeroOne: DEFAULT_NORMALISATION,
  minusOneOne: { scale: 2 / 255, offset: -1 },
};

/** The pixel scaling a run trains and predicts with ('auto' is resolved before training). */
export function normalisationOf(config: TrainingConfig): Normalisation {
  const choice = config.transfer?.normalisation;
  return choice && choice !== 'auto' ? NORMALISATIONS[choice] : DEFAULT_NORMALISATION;
}

/** Does this preset read features from `transfer.base`? */
export function usesBase(config: TrainingConfig): config is TrainingConfig & { transfer: TransferOptions } {
  return (
    config.model === 'transfer' ||
    ((config.model === 'svm' || config.model === 'knn') &&
      config.transfer !== null &&
      config.transfer.base !== '')
  );
}

/**
 * Does training run on cached features of a frozen base? Yes for a transfer head unless fine-tuning
 * unfreezes base layers (then every step needs the images).
 */
export function usesCachedFeatures(config: TrainingConfig): boolean {
  return (
    config.model === 'transfer' &&
    config.transfer !== null &&
    !(config.transfer.fineTuneEpochs > 0 && config.transfer.fineTuneLayers > 0)
  );
}

/** The base's folder for `transfer.base` (a model.json path or its folder). */
function baseDirOf(base: string): string {
  return base.endsWith('.json') ? path.dirname(base) : base;
}

const NEEDS_BASE =
  '--model transfer needs a base: pass --base NAME (see `image-trainer bases list`) or --base PATH (a folder with model.json and its weights)';

/** A layers base from its folder, weight paths confined to it (graph bases: loadFrozenFeatures). */
export async function loadBase(base: string): Promise<tf.LayersModel> {
  if (!base) throw new UsageError(NEEDS_BASE);
  return loadLayersBase(baseDirOf(path.resolve(base)));
}

/**
 * The cut for a base given without one: a model without a classifier (its output still a feature map,
 * as MobileNet without its top ends in `out_relu`) is cut at its output; else after the last pooling or
 * flatten layer; else before the classifier.
 */
export function defaultCutLayer(model: tf.LayersModel): string {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.outputs.length === 1 && model.outputs[0].shape.length === 4 && layers.length > 0)
    return layers[layers.length - 1].name;
  for (let i = layers.length - 1; i >= 0; i--) {
    if (/Pooling|Flatten/.test(layers[i].getClassName())) return layers[i].name;
  }
  if (layers.length < 2)
    throw new UsageError(`the base model ${model.name} has no layer to cut at — pass a deeper model`);
  return layers[layers.length - 2].name;
}

export interface ResolveBaseOptions {
  /** The cache of pretrained bases (`bases get` installs there). */
  cacheDir: string;
  /** Relative base paths resolve against it. */
  cwd?: string;
}

/**
 * Finds the base (an installed name, verified file by file, or a local folder) and returns the config with
 * everything that depends on it resolved — image size and channels from its input, the cut layer, the
 * normalisation and pooling — and the record run.json keeps of the base. Nothing here uses the network.
 */
export async function resolveBaseConfig(
  config: TrainingConfig,
  options: ResolveBaseOptions,
): Promise<{ config: TrainingConfig; base: RunBase | null }> {
  if (!usesBase(config)) return { config, base: null };
  const transfer = config.transfer ?? ({ base: '' } as TransferOptions);
  if (!transfer.base) throw new UsageError(NEEDS_BASE);
  const resolved = await resolveBase(transfer.base, { cacheDir: options.cacheDir, cwd: options.cwd });
  const [height, width, channels] = resolved.inputShape;
  if (height !== width || (channels !== 1 && channels !== 3)) {
    throw new UsageError(
      `${resolved.source}: the base takes ${height}×${width}×${channels} images; transfer needs square images with 1 or 3 channels`,
    );
  }
  if (transfer.fineTuneEpochs >= config.epochs) {
    throw new UsageError(
      `--fine-tune-epochs ${transfer.fineTuneEpochs} must be below --epochs ${config.epochs}: the fine-tuning epochs are the last ones of --epochs`,
    );
  }
  const normalisation = transfer.normalisation === 'auto' ? resolved.preprocessing : transfer.normalisation;
  const base: RunBase = {
    name: resolved.name,
    format: resolved.format,
    source: resolved.source,
    sha256: resolved.sha256,
  };
  const resolvedConfig = (cutLayer: string, pooling: Exclude<TransferPooling, 'auto'>): TrainingConfig => ({
    ...config,
    imageSize: height,
    channels,
    transfer: { ...transfer, base: resolved.dir, cutLayer, normalisation, pooling },
  });
  if (resolved.format === 'graph') {
    if (transfer.fineTuneEpochs > 0 && transfer.fineTuneLayers > 0)
      throw new UsageError(
        `${resolved.name} is a graph model, used frozen: fine-tuning needs a layers base (such as mobilenet-v2-0.35) — drop --fine-tune-layers`,
      );
    if (transfer.cutLayer && transfer.cutLayer !== GRAPH_BASE_LAYER)
      throw new UsageError(`--cut-layer ${transfer.cutLayer}: ${resolved.name} is a graph model, used whole`);
    return { config: resolvedConfig(GRAPH_BASE_LAYER, 'flatten'), base };
  }
  const model = await loadLayersBase(resolved.dir);
  try {
    const cutLayer = transfer.cutLayer || resolved.cutLayer || defaultCutLayer(model);
    if (!model.layers.some((l) => l.name === cutLayer)) {
      const names = model.layers.map((l) => l.name);
      throw new UsageError(
        `--cut-layer ${cutLayer}: no such layer in ${resolved.source} — its last layers: ${names.slice(-8).join(', ')}`,
      );
    }
    const cutShape = model.getLayer(cutLayer).outputShape as (number | null)[];
    return { config: resolvedConfig(cutLayer, resolvePooling(transfer.pooling, cutShape)), base };
  } finally {
    model.dispose();
  }
}

/** `auto`: flatten a map of at most 4×4 positions (or an output that is a vector already), average larger. */
export function resolvePooling(
  pooling: TransferPooling,
  cutShape: readonly (number | null)[],
): Exclude<TransferPooling, 'auto'> {
  if (pooling !== 'auto') return pooling;
  if (cutShape.length !== 4) return 'flatten';
  const [, height, width] = cutShape;
  return height !== null && width !== null && height * width <= 16 ? 'flatten' : 'average';
}

/** The weightless layer that turns the cut layer's map into the feature vector (cached features are its output). */
const FEATURE_STAGE_LAYERS = [`${HEAD_PREFIX}flatten`, `${HEAD_PREFIX}pool`];

/** Base cut at `cutLayer` (frozen) → [flatten | average] → [dense headUnits relu → dropout] → classifier. */
export async function buildTransferModel(
  config: TrainingConfig & { transfer: TransferOptions },
  numClasses: number,
): Promise<tf.LayersModel> {
  const { transfer } = config;
  const { base, features } = await loadFrozenFeatures(transfer, [
    config.imageSize,
    config.imageSize,
    config.channels,
  ]);
  let x = features;
  if (x.shape.length > 2)
    x = (
      transfer.pooling === 'average' && x.shape.length === 4
        ? tf.layers.globalAveragePooling2d({ name: `${HEAD_PREFIX}pool` })
        : tf.layers.flatten({ name: `${HEAD_PREFIX}flatten` })
    ).apply(x) as tf.SymbolicTensor;
  if (config.model === 'svm') {
    x = svmScores(numClasses, config.svm as SvmOptions, `${HEAD_PREFIX}scores`).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .activation({ activation: 'softmax', name: SVM_PROBABILITIES_LAYER })
      .apply(x) as tf.SymbolicTensor;
  } else {
    if (transfer.headUnits > 0) {
      x = tf.layers
        .dense({
          units: transfer.headUnits,
          activation: 'relu',
          kernelInitializer: 'heNormal',
          name: `${HEAD_PREFIX}dense`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
    if (transfer.dropout > 0)
      x = tf.layers
        .dropout({ rate: transfer.dropout, name: `${HEAD_PREFIX}dropout` })
        .apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: numClasses, activation: 'softmax', name: `${HEAD_PREFIX}classifier` })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: base.inputs, outputs: x, name: `transfer_${base.name}` });
}

/**
 * The base with every layer frozen, and its output at the cut layer. A graph base becomes one weightless
 * layer (presets/graphBase.ts) on an image input, so the transfer model stays a layers model.
 */
export async function loadFrozenFeatures(
  transfer: TransferOptions,
  imageShape: readonly [number, number, number],
): Promise<{ base: tf.LayersModel; features: tf.SymbolicTensor }> {
  const dir = baseDirOf(path.resolve(transfer.base));
  if (await isGraphModelDir(dir)) {
    const { digest, features } = await registerGraphBase(dir, imageShape);
    const input = tf.input({ shape: [...imageShape], name: 'image' });
    const output = new GraphFeatures({ digest, features, name: GRAPH_BASE_LAYER }).apply(
      input,
    ) as tf.SymbolicTensor;
    return { base: tf.model({ inputs: input, outputs: output, name: 'graph_base_model' }), features: output };
  }
  const base = await loadBase(transfer.base);
  for (const layer of base.layers) layer.trainable = false;
  return { base, features: base.getLayer(transfer.cutLayer).output as tf.SymbolicTensor };
}

/**
 * The feature vector a transfer model's head starts from: the output of its flatten or pooling layer, or of
 * the cut layer when that is a vector already. Everything before it is frozen base; after it, trained head.
 */
export function featureStageOutput(model: tf.LayersModel, cutLayer: string): tf.SymbolicTensor {
  const stage = model.layers.find((l) => FEATURE_STAGE_LAYERS.includes(l.name));
  return (stage ?? model.getLayer(cutLayer)).output as tf.SymbolicTensor;
}

/** The frozen part of a transfer model as its own model: images in, feature vectors out (inference mode). */
export function featureExtractorModel(model: tf.LayersModel, cutLayer: string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: featureStageOutput(model, cutLayer) });
}

/**
 * The trainable head of a transfer model as its own model on feature vectors. It shares its layers (and so
 * its weights) with `model`: training it trains the transfer model's head, which is what model/ saves.
 */
export function headModel(model: tf.LayersModel, featureDim: number): tf.LayersModel {
  const input = tf.input({ shape: [featureDim], name: `${HEAD_PREFIX}features` });
  let x: tf.SymbolicTensor = input;
  for (const layer of model.layers) {
    if (!layer.name.startsWith(HEAD_PREFIX) || FEATURE_STAGE_LAYERS.includes(layer.name)) continue;
    x = layer.apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: `${HEAD_PREFIX}on_features` });
}

/** Does the model have a head on a base (built by buildTransferModel, or loaded back from a checkpoint)? */
export function hasTransferHead(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l.name.startsWith(HEAD_PREFIX));
}

/** Base layers with weights, bottom to top (the candidates for fine-tuning). */
function baseWeightLayers(model: tf.LayersModel, cutLayer: string): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const layer of model.layers) {
    if (layer.name.startsWith(HEAD_PREFIX)) break;
    if (layer.weights.length > 0) out.push(layer);
    if (layer.name === cutLayer) break;
  }
  return out;
}

export interface EpochPhase {
  /** The learning rate this epoch must use instead of the schedule's, or null. */
  learningRate: number | null;
  /** Trainable weights changed: the optimizer must start afresh (its slots are per variable). */
  trainableChanged: boolean;
}

const NO_PHASE: EpochPhase = { learningRate: null, trainableChanged: false };

/**
 * Freezes or unfreezes the base for `epoch`: frozen during the head epochs, the top `fineTuneLayers`
 * layers with weights unfrozen during the last `fineTuneEpochs` epochs (at fineTuneLearningRate).
 */
export function transferPhase(model: tf.LayersModel, config: TrainingConfig, epoch: number): EpochPhase {
  const transfer = config.transfer;
  if (!transfer || !hasTransferHead(model)) return NO_PHASE;
  const fineTuning =
    transfer.fineTuneEpochs > 0 &&
    transfer.fineTuneLayers > 0 &&
    epoch > config.epochs - transfer.fineTuneEpochs;
  const layers = baseWeightLayers(model, transfer.cutLayer);
  const firstUnfrozen = fineTuning ? Math.max(0, layers.length - transfer.fineTuneLayers) : layers.length;
  let changed = false;
  layers.forEach((layer, i) => {
    const trainable = i >= firstUnfrozen;
    if (layer.trainable !== trainable) {
      layer.trainable = trainable;
      changed = true;
    }
  });
  return { learningRate: fineTuning ? transfer.fineTuneLearningRate : null, trainableChanged: changed };
}
