// Transfer learning from a local TF.js layers model: inspect the base (input shape, cut layer,
// normalisation), build base-cut + new head as one model that predict reads like any other, and freeze
// or unfreeze the base per epoch for the optional fine-tuning phase. No network: weights come from disk.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type {
  SvmOptions,
  TrainingConfig,
  TransferNormalisation,
  TransferOptions,
} from '../../protocol/config';
import { RUN_FILES } from '../../protocol/runRecord';
import { isRecord } from '../../protocol/guards';
import { DEFAULT_NORMALISATION, type Normalisation } from '../dataPipeline';
import { UsageError } from '../errors';
import { loadLayersModelFromFolder } from '../modelIO';
import { READ_LIMITS, readTextInside } from '../../core/runFiles';
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

function baseDirOf(base: string): string {
  return base.endsWith('.json') ? path.dirname(base) : base;
}

export async function loadBase(base: string): Promise<tf.LayersModel> {
  if (!base)
    throw new UsageError(
      '--model transfer needs a base model: pass --base PATH (a folder with model.json and its weights)',
    );
  const dir = baseDirOf(path.resolve(base));
  if (base.endsWith('.json') && path.basename(base) !== 'model.json') {
    throw new UsageError(
      `${base}: the base must be a model.json (with its weight files beside it) or the folder holding one`,
    );
  }
  try {
    await fs.access(path.join(dir, 'model.json'));
  } catch {
    throw new UsageError(
      `${path.join(dir, 'model.json')}: no TF.js layers model here — pass --base the folder of a saved model (model.json + weights)`,
    );
  }
  try {
    // Confined: every weight file of the base must be inside its folder (loadLayersModelFromFolder).
    return await loadLayersModelFromFolder(dir);
  } catch (err) {
    throw new UsageError(
      `${path.join(dir, 'model.json')}: cannot load the base model (${(err as Error).message.split('\n')[0]}) — it must be a TF.js layers model`,
    );
  }
}

/** The last pooling or flatten layer, else the layer before the classifier. */
export function defaultCutLayer(model: tf.LayersModel): string {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  for (let i = layers.length - 1; i >= 0; i--) {
    if (/Pooling|Flatten/.test(layers[i].getClassName())) return layers[i].name;
  }
  if (layers.length < 2)
    throw new UsageError(`the base model ${model.name} has no layer to cut at — pass a deeper model`);
  return layers[layers.length - 2].name;
}

async function readBaseNormalisation(dir: string): Promise<Exclude<TransferNormalisation, 'auto'>> {
  try {
    const metadata: unknown = JSON.parse(
      await readTextInside(dir, RUN_FILES.modelMetadata, READ_LIMITS.json),
    );
    if (
      isRecord(metadata) &&
      isRecord(metadata.preprocessing) &&
      typeof metadata.preprocessing.offset === 'number'
    ) {
      return metadata.preprocessing.offset < -0.5 ? 'minusOneOne' : 'zeroOne';
    }
  } catch {
    // No metadata: a model from elsewhere; [0, 1] is TF.js' usual convention.
  }
  return 'zeroOne';
}

/**
 * Reads the base model and returns the config with everything that depends on it resolved: image size and
 * channels from its input shape, the cut layer's name, and the normalisation. run.json records this.
 */
export async function resolveBaseConfig(config: TrainingConfig): Promise<TrainingConfig> {
  if (!usesBase(config)) return config;
  const transfer = config.transfer ?? ({ base: '' } as TransferOptions);
  const base = await loadBase(transfer.base);
  try {
    const [, height, width, channels] = base.inputs[0].shape;
    if (
      base.inputs[0].shape.length !== 4 ||
      (height !== null && height !== width) ||
      (channels !== 1 && channels !== 3)
    ) {
      throw new UsageError(
        `${transfer.base}: the base model takes input ${JSON.stringify(base.inputs[0].shape)}; transfer needs square images with 1 or 3 channels`,
      );
    }
    const cutLayer = transfer.cutLayer || defaultCutLayer(base);
    if (!base.layers.some((l) => l.name === cutLayer)) {
      const names = base.layers.map((l) => l.name);
      throw new UsageError(
        `--cut-layer ${cutLayer}: no such layer in ${transfer.base} — its layers: ${names.slice(-8).join(', ')}`,
      );
    }
    const normalisation =
      transfer.normalisation === 'auto'
        ? await readBaseNormalisation(baseDirOf(path.resolve(transfer.base)))
        : transfer.normalisation;
    if (transfer.fineTuneEpochs >= config.epochs) {
      throw new UsageError(
        `--fine-tune-epochs ${transfer.fineTuneEpochs} must be below --epochs ${config.epochs}: the fine-tuning epochs are the last ones of --epochs`,
      );
    }
    return {
      ...config,
      imageSize: height ?? config.imageSize,
      channels,
      transfer: { ...transfer, base: path.resolve(transfer.base), cutLayer, normalisation },
    };
  } finally {
    base.dispose();
  }
}

/** Base cut at `cutLayer` (frozen) → [flatten] → [dense headUnits relu → dropout] → classifier. */
export async function buildTransferModel(
  config: TrainingConfig & { transfer: TransferOptions },
  numClasses: number,
): Promise<tf.LayersModel> {
  const { transfer } = config;
  const { base, features } = await loadFrozenFeatures(transfer);
  let x = features;
  if (x.shape.length > 2)
    x = tf.layers.flatten({ name: `${HEAD_PREFIX}flatten` }).apply(x) as tf.SymbolicTensor;
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

/** The base loaded with every layer frozen, and its output at the cut layer. */
export async function loadFrozenFeatures(
  transfer: TransferOptions,
): Promise<{ base: tf.LayersModel; features: tf.SymbolicTensor }> {
  const base = await loadBase(transfer.base);
  for (const layer of base.layers) layer.trainable = false;
  return { base, features: base.getLayer(transfer.cutLayer).output as tf.SymbolicTensor };
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
