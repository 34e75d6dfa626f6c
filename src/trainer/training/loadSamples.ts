// The split's samples, ready for batches: decoded pixels, or on a frozen base the cached features of each
// image (computed once). Images that fail to decode leave split.json, with the reason in run.json.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../protocol/config';
import type { SkippedFile, SplitEntry, SplitRecord } from '../../protocol/runRecord';
import { RUN_FILES } from '../../protocol/runRecord';
import type { TrainerPhase } from '../../protocol/trainerMessages';
import { classCounts } from '../../core/split';
import { defaultCacheDir } from '../bases/cache';
import { decodeEntries, type DecodedSet, type InputShape } from '../dataPipeline';
import { UsageError } from '../errors';
import { baseContentSha256 } from '../features/baseIdentity';
import { ContentHasher } from '../features/contentHash';
import { FeatureCache } from '../features/featureCache';
import { buildFeatureSet, type FeatureExtractor } from '../features/featureSet';
import { createModel } from '../presets/presetIndex';
import { featureExtractorModel, normalisationOf, usesCachedFeatures } from '../presets/transfer';
import { EVENT_INTERVAL_MS, type Emit, type PreparedRun, type TrainRunRequest } from './runContext';

/** Split entries in store order, with the index range of each split. */
export interface DecodedSplit {
  decoded: DecodedSet;
  /** Pixels, or feature vectors of a frozen base (then `transferModel` is the model they came from). */
  shape: InputShape;
  train: number[];
  validation: number[];
  test: number[];
  labels: Int32Array;
  transferModel?: tf.LayersModel;
}

type SplitPart = 'train' | 'validation' | 'test';

/** Decodes the split's images, or turns them into cached base features; records images that fail. */
export async function loadSamples(prepared: PreparedRun, request: TrainRunRequest): Promise<DecodedSplit> {
  const { split, writer } = prepared;
  const all: (SplitEntry & { part: SplitPart })[] = [
    ...split.train.map((e) => ({ ...e, part: 'train' as const })),
    ...split.validation.map((e) => ({ ...e, part: 'validation' as const })),
    ...split.test.map((e) => ({ ...e, part: 'test' as const })),
  ];
  const loaded = usesCachedFeatures(prepared.config)
    ? await loadFeatures(all, prepared, request)
    : { ...(await decodePixels(all, prepared, request)), shape: pixelShape(prepared.config) };
  const { decoded } = loaded;
  if (decoded.failed.length > 0) {
    for (const f of decoded.failed)
      request.emit({ type: 'log', level: 'warn', message: `skipped ${f.path}: ${f.reason}` });
    const known = new Set(writer.current.dataset.skipped.map((s) => s.path));
    const skipped: SkippedFile[] = [
      ...writer.current.dataset.skipped,
      ...decoded.failed.filter((f) => !known.has(f.path)),
    ];
    // split.json lists what is trained on: an image that cannot be decoded leaves it, and the counts follow.
    const failed = new Set(decoded.failed.map((f) => f.path));
    const usable = (entries: SplitEntry[]) => entries.filter((e) => !failed.has(e.path));
    const kept: SplitRecord = {
      ...split,
      train: usable(split.train),
      validation: usable(split.validation),
      test: usable(split.test),
    };
    await writer.writeJson(RUN_FILES.split, kept);
    const counts = classCounts(kept, prepared.classNames);
    await writer.update({
      dataset: { ...writer.current.dataset, skipped, counts: counts.counts, classCounts: counts.classCounts },
    });
  }
  const classIndex = new Map(prepared.classNames.map((name, i) => [name, i]));
  const parts: DecodedSplit = {
    ...loaded,
    train: [],
    validation: [],
    test: [],
    labels: new Int32Array(decoded.entries.length),
  };
  const partOf = new Map(all.map((e) => [e.path, e.part]));
  decoded.entries.forEach((entry, i) => {
    parts.labels[i] = classIndex.get(entry.label) ?? -1;
    parts[partOf.get(entry.path)!].push(i);
  });
  if (parts.train.length === 0) {
    parts.transferModel?.dispose();
    await decoded.store.close();
    throw new UsageError(`${prepared.datasetRoot}: no training image could be decoded`);
  }
  return parts;
}

function pixelShape(config: TrainingConfig): InputShape {
  return { imageSize: config.imageSize, channels: config.channels };
}

/** Throttles `progress` events of one phase to one per EVENT_INTERVAL_MS (and the last). */
function progressEmitter(emit: Emit): (phase: TrainerPhase, done: number, total: number) => void {
  let last = 0;
  return (phase, done, total) => {
    const now = Date.now();
    if (done === total || now - last > EVENT_INTERVAL_MS) {
      last = now;
      emit({ type: 'progress', phase, done, total });
    }
  };
}

async function decodePixels(
  all: SplitEntry[],
  prepared: PreparedRun,
  request: TrainRunRequest,
): Promise<{ decoded: DecodedSet }> {
  const { config, writer } = prepared;
  request.emit({ type: 'phaseChanged', phase: 'decoding', message: `Decoding ${all.length} images` });
  const progress = progressEmitter(request.emit);
  const decoded = await decodeEntries(all, {
    root: prepared.datasetRoot,
    imageSize: config.imageSize,
    channels: config.channels,
    resize: config.resize,
    memoryBudget: request.memoryBudget,
    cacheDir: writer.runDir,
    onProgress: (done, total) => progress('decoding', done, total),
  });
  return { decoded };
}

/**
 * The frozen-base path: each image's features come from the feature cache or are computed once by the
 * base (the original, plus augmented views of training images), and the head trains on them.
 */
async function loadFeatures(
  all: (SplitEntry & { part: SplitPart })[],
  prepared: PreparedRun,
  request: TrainRunRequest,
): Promise<{ decoded: DecodedSet; shape: InputShape; transferModel: tf.LayersModel }> {
  const { config, writer, classNames } = prepared;
  const transfer = config.transfer!;
  const { emit } = request;
  const transferModel = await createModel(config, classNames.length, prepared.split.train.length);
  try {
    const extractorModel = featureExtractorModel(transferModel, transfer.cutLayer);
    const cacheRoot = request.cacheDir ?? defaultCacheDir();
    const normalisation = normalisationOf(config);
    const identity = {
      baseSha256: await baseContentSha256(transfer.base),
      cutLayer: transfer.cutLayer,
      pooling: transfer.pooling,
      imageSize: config.imageSize,
      channels: config.channels,
      resize: config.resize,
      scale: normalisation.scale,
      offset: normalisation.offset,
    };
    const dim = extractorModel.outputs[0].shape.at(-1) as number;
    const cache = new FeatureCache(path.join(cacheRoot, 'features'), identity, dim);
    emit({
      type: 'phaseChanged',
      phase: 'extracting',
      message: `Features of ${all.length} images from the frozen base (cache ${cache.dir})`,
    });
    const progress = progressEmitter(emit);
    const set = await buildFeatureSet(
      all.map((e) => ({ path: e.path, label: e.label, augmented: e.part === 'train' })),
      {
        root: prepared.datasetRoot,
        imageSize: config.imageSize,
        channels: config.channels,
        normalisation,
        extractor: layersExtractor(extractorModel, config),
        cache,
        hasher: await ContentHasher.open(path.join(cacheRoot, 'features', 'file-hashes.json')),
        augment: config.augment,
        augmentedViews: transfer.augmentedViews,
        seed: config.seed,
        decode: { resize: config.resize, memoryBudget: request.memoryBudget, cacheDir: writer.runDir },
        onProgress: (phase, done, total) =>
          progress(phase === 'extracting' ? 'extracting' : 'decoding', done, total),
      },
    );
    const { stats } = set;
    emit({
      type: 'log',
      level: 'info',
      message:
        stats.extracted === 0
          ? `Features of all ${stats.images} images read from the cache: extraction skipped (${formatSeconds(stats.hashMs)} to check the files)`
          : `Features: ${stats.fromCache} of ${stats.images} images from the cache, ${stats.extracted} computed ` +
            `(decode ${formatSeconds(stats.decodeMs)}, extraction ${formatSeconds(stats.extractMs)}; ` +
            `${set.shape.views} row(s) of ${set.shape.features} values per image)`,
    });
    return { decoded: set, shape: set.shape, transferModel };
  } catch (err) {
    transferModel.dispose();
    throw err;
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A layers extractor run in inference mode, one batch at a time. */
function layersExtractor(model: tf.LayersModel, config: TrainingConfig): FeatureExtractor {
  const dim = model.outputs[0].shape.at(-1) as number;
  return {
    dim,
    extract: async (input, n) => {
      const out = tf.tidy(
        () =>
          model.predict(
            tf.tensor4d(input, [n, config.imageSize, config.imageSize, config.channels]),
          ) as tf.Tensor,
      );
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
  };
}
