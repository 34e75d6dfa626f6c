// A trained run's model with the exact preprocessing it was trained with: `evaluate` and `predict`.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RESIZE_MODES, recordedResizeMode, type ResizeMode } from '../protocol/config';
import type { Evaluation, ModelMetadata, Prediction, SplitEntry } from '../protocol/runRecord';
import { RUN_FILES } from '../protocol/runRecord';
import { checkModelMetadata } from '../protocol/runSchema';
import { checkStoredField, ConfigError } from '../core/config';
import { readJsonInside, RunFileError } from '../core/runFiles';
import { chunk, decodeEntries, type BatchPlan } from './dataPipeline';
import { decodeImage } from './imageDecode';
import { UsageError } from './errors';
import { summarise, topK } from './inference';
import { loadTrainedModel, resolveDirectory } from './modelIO';
import { requireDatasetFolder, scanDataset } from './scan';
import { evaluateIndices } from './training/artefacts';

export interface RunModel {
  model: tf.LayersModel;
  metadata: ModelMetadata;
}

/** Bound on |scale| and |offset|: larger ones overflow float32 pixels into Infinity. */
const MAX_NORMALISATION = 1e6;

/**
 * A model folder's metadata.json: the shared schema, then the numbers checked with the config field table
 * (imageSize, channels) and scale/offset kept finite in float32. A RunFileError or ConfigError says why not.
 */
export async function readModelMetadata(modelDir: string): Promise<ModelMetadata> {
  const file = path.join(modelDir, RUN_FILES.modelMetadata);
  const metadata = await readJsonInside(modelDir, RUN_FILES.modelMetadata, checkModelMetadata);
  const p = metadata.preprocessing;
  checkStoredField('imageSize', p.imageSize, file, 'preprocessing.imageSize');
  checkStoredField('channels', p.channels, file, 'preprocessing.channels');
  for (const [name, value] of [
    ['scale', p.scale],
    ['offset', p.offset],
  ] as const) {
    if (Math.abs(value) > MAX_NORMALISATION)
      throw new ConfigError(
        `${file}: preprocessing.${name} must be between -${MAX_NORMALISATION} and ${MAX_NORMALISATION}, got ${value}`,
      );
  }
  return metadata;
}

/**
 * The resize mode a model was trained with; metadata that predates resize modes reads as `stretch`. A
 * mode we do not know is refused: predicting with another geometry would be wrong without a word.
 */
export function resizeModeOf(metadata: ModelMetadata, metadataPath = 'model metadata'): ResizeMode {
  const mode = recordedResizeMode(metadata.preprocessing.resize);
  if (mode) return mode;
  throw new UsageError(
    `${metadataPath}: preprocessing.resize ${JSON.stringify(metadata.preprocessing.resize).slice(0, 60)} is not one of ${RESIZE_MODES.join(', ')} — retrain the model or fix the file`,
  );
}

/** The model must take the images the metadata describes and predict one score per label. */
function checkModelAgainstMetadata(model: tf.LayersModel, metadata: ModelMetadata, modelDir: string): void {
  const file = path.join(modelDir, RUN_FILES.modelMetadata);
  const input = model.inputs[0]?.shape ?? [];
  const output = model.outputs[0]?.shape ?? [];
  const { imageSize, channels } = metadata.preprocessing;
  const inputFits =
    input.length === 4 &&
    (input[1] === null || input[1] === imageSize) &&
    (input[2] === null || input[2] === imageSize) &&
    input[3] === channels;
  if (!inputFits)
    throw new UsageError(
      `${file}: describes ${imageSize}×${imageSize}×${channels} images, but the model takes ${JSON.stringify(input)} — the model folder is damaged`,
    );
  if (output.length !== 2 || output[1] !== metadata.labels.length)
    throw new UsageError(
      `${file}: lists ${metadata.labels.length} labels, but the model gives ${JSON.stringify(output)} scores — the model folder is damaged`,
    );
}

/**
 * A run's trained model with the preprocessing it recorded. The model folder must be inside the run
 * directory, and its files inside the model folder (loadLayersModelFromFolder); anything else is a
 * UsageError naming the file (exit 2), never a model loaded from elsewhere.
 */
export async function loadRunModel(runDirArg: string): Promise<RunModel> {
  const runDir = path.resolve(runDirArg);
  const fix = 'pass a run directory whose training finished';
  let modelDir: string | null;
  let metadata: ModelMetadata;
  try {
    modelDir = await resolveDirectory(path.join(runDir, RUN_FILES.model), runDir);
    if (!modelDir) {
      throw new UsageError(`${path.join(runDir, RUN_FILES.model)}: no trained model here — ${fix}`);
    }
    metadata = await readModelMetadata(modelDir);
    resizeModeOf(metadata, path.join(modelDir, RUN_FILES.modelMetadata));
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing')
      throw new UsageError(`${err.file}: missing — ${fix}`);
    if (err instanceof RunFileError || err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const model = await loadTrainedModel(modelDir);
  try {
    checkModelAgainstMetadata(model, metadata, modelDir);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, metadata };
}

/** Evaluates a run's model on a labelled folder. Classes unknown to the model are skipped with a warning. */
export async function evaluateFolder(
  runModel: RunModel,
  dataDir: string,
  onWarning: (message: string) => void = () => undefined,
): Promise<Evaluation> {
  const root = await requireDatasetFolder(dataDir);
  const { labels, preprocessing } = runModel.metadata;
  const scan = await scanDataset(root);
  const known = new Set(labels);
  const unknown = [...new Set(scan.entries.map((e) => e.label).filter((l) => !known.has(l)))];
  if (unknown.length) onWarning(`skipping classes the model was not trained on: ${unknown.join(', ')}`);
  const entries: SplitEntry[] = scan.entries
    .filter((e) => known.has(e.label))
    .map((e) => ({ path: e.path, label: e.label }));
  if (entries.length === 0) {
    throw new UsageError(`${root}: no images in the model's classes (${labels.join(', ')})`);
  }
  const decoded = await decodeEntries(entries, {
    root,
    imageSize: preprocessing.imageSize,
    channels: preprocessing.channels,
    resize: resizeModeOf(runModel.metadata),
  });
  try {
    for (const f of decoded.failed) onWarning(`skipped ${f.path}: ${f.reason}`);
    const index = new Map(labels.map((l, i) => [l, i]));
    const plan: BatchPlan = {
      store: decoded.store,
      shape: { imageSize: preprocessing.imageSize, channels: preprocessing.channels },
      normalisation: { scale: preprocessing.scale, offset: preprocessing.offset },
      labels: Int32Array.from(decoded.entries, (e) => index.get(e.label) ?? -1),
      augment: null,
      seed: 0,
    };
    const indices = decoded.entries.map((_, i) => i);
    return await evaluateIndices({
      model: runModel.model,
      plan,
      indices,
      labels,
      paths: decoded.entries.map((e) => e.path),
      root,
      source: root,
      batchSize: 128,
    });
  } finally {
    await decoded.store.close();
  }
}

/** Turns decoded pixels into the model's input exactly as training did. */
export function preprocess(pixels: Uint8Array, metadata: ModelMetadata): Float32Array {
  const out = new Float32Array(pixels.length);
  const { scale, offset } = metadata.preprocessing;
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] * scale + offset;
  return out;
}

export interface PredictOptions {
  top: number;
  batchSize?: number;
  /** Called with each batch's predictions, in order, so that 10,000 images stream. */
  onPredictions: (predictions: Prediction[]) => void;
  onError: (path: string, message: string) => void;
}

/** Class probabilities for `count` preprocessed images laid out one after another (NHWC). */
export type ProbabilityFunction = (input: Float32Array, count: number) => Promise<Float32Array>;

/** The run's own TF.js model as a ProbabilityFunction. */
export function tfjsProbabilities(runModel: RunModel): ProbabilityFunction {
  const { imageSize: size, channels } = runModel.metadata.preprocessing;
  return async (input, count) => {
    const probs = tf.tidy(
      () => runModel.model.predict(tf.tensor4d(input, [count, size, size, channels])) as tf.Tensor,
    );
    const data = (await probs.data()) as Float32Array;
    probs.dispose();
    return data;
  };
}

/**
 * Predicts image files in batches with the run's preprocessing; unreadable files are reported through
 * onError and skipped. `probabilities` computes the classes (default: the TF.js model; ONNX Runtime
 * passes its own), so decoding, preprocessing and the top-k are the same whatever runs the model.
 */
export async function predictFiles(
  runModel: RunModel,
  files: readonly string[],
  options: PredictOptions,
  probabilities: ProbabilityFunction = tfjsProbabilities(runModel),
): Promise<number> {
  const { labels, preprocessing } = runModel.metadata;
  const size = preprocessing.imageSize;
  const channels = preprocessing.channels;
  const per = size * size * channels;
  const resize = resizeModeOf(runModel.metadata);
  let predicted = 0;
  for (const part of chunk(files, options.batchSize ?? 64)) {
    const decoded = await Promise.all(
      part.map(async (file) => {
        try {
          return { file, pixels: await decodeImage(file, size, channels, { resize }) };
        } catch (err) {
          options.onError(file, (err as Error).message);
          return null;
        }
      }),
    );
    const ok = decoded.filter((d): d is { file: string; pixels: Uint8Array } => d !== null);
    if (ok.length === 0) continue;
    const input = new Float32Array(ok.length * per);
    ok.forEach((d, k) => input.set(preprocess(d.pixels, runModel.metadata), k * per));
    const data = await probabilities(input, ok.length);
    const numClasses = labels.length;
    const result = summarise(data, numClasses, []);
    options.onPredictions(
      ok.map((d, k) => ({
        path: d.file,
        label: labels[result.predicted[k]],
        confidence: result.confidences[k],
        top: topK(data, k, numClasses, labels, options.top),
      })),
    );
    predicted += ok.length;
  }
  return predicted;
}
