// A trained run's model with the exact preprocessing it was trained with: `evaluate` and `predict`.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RESIZE_MODES, recordedResizeMode, type ResizeMode } from '../protocol/config';
import type { Evaluation, ModelMetadata, Prediction, SplitEntry } from '../protocol/runRecord';
import { RUN_FILES } from '../protocol/runRecord';
import { isRecord } from '../protocol/guards';
import { chunk, decodeEntries, type BatchPlan } from './dataPipeline';
import { decodeImage } from './imageDecode';
import { UsageError } from './errors';
import { summarise, topK } from './inference';
import { loadModelFromDir, resolveDirectory } from './modelIO';
import { scanDataset } from './scan';
import { evaluateIndices } from './train';

export interface RunModel {
  model: tf.LayersModel;
  metadata: ModelMetadata;
}

function isModelMetadata(value: unknown): value is ModelMetadata {
  return (
    isRecord(value) &&
    Array.isArray(value.labels) &&
    value.labels.every((l) => typeof l === 'string') &&
    isRecord(value.preprocessing) &&
    typeof value.preprocessing.imageSize === 'number' &&
    (value.preprocessing.channels === 1 || value.preprocessing.channels === 3) &&
    typeof value.preprocessing.scale === 'number' &&
    typeof value.preprocessing.offset === 'number'
  );
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

export async function loadRunModel(runDir: string): Promise<RunModel> {
  const modelDir = await resolveDirectory(path.join(path.resolve(runDir), RUN_FILES.model));
  if (!modelDir) {
    throw new UsageError(
      `${path.join(runDir, RUN_FILES.model)}: no trained model here — pass a run directory whose training finished`,
    );
  }
  const metadataPath = path.join(modelDir, RUN_FILES.modelMetadata);
  let metadata: unknown;
  try {
    metadata = JSON.parse(await fs.readFile(metadataPath, 'utf8'));
  } catch {
    throw new UsageError(`${metadataPath}: missing or unreadable model metadata`);
  }
  if (!isModelMetadata(metadata))
    throw new UsageError(`${metadataPath}: model metadata lacks labels or preprocessing`);
  resizeModeOf(metadata, metadataPath);
  return { model: await loadModelFromDir(modelDir), metadata };
}

/** Evaluates a run's model on a labelled folder. Classes unknown to the model are skipped with a warning. */
export async function evaluateFolder(
  runModel: RunModel,
  dataDir: string,
  onWarning: (message: string) => void = () => undefined,
): Promise<Evaluation> {
  const root = path.resolve(dataDir);
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory())
    throw new UsageError(`${root}: no such folder — pass a folder with one sub-folder of images per class`);
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
    return await evaluateIndices(
      runModel.model,
      plan,
      indices,
      labels,
      decoded.entries.map((e) => e.path),
      root,
      root,
      128,
    );
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

/** Predicts image files in batches; unreadable files are reported through onError and skipped. */
export async function predictFiles(
  runModel: RunModel,
  files: readonly string[],
  options: PredictOptions,
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
    const probs = tf.tidy(
      () => runModel.model.predict(tf.tensor4d(input, [ok.length, size, size, channels])) as tf.Tensor,
    );
    const data = (await probs.data()) as Float32Array;
    probs.dispose();
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
