// Turns a split's images into the feature rows a head trains on: each image's rows come from the feature
// cache when its content was seen before with the same extractor, else its pixels are decoded once and
// the frozen base computes them (the original, plus augmented views for training images). The rows land
// in a SampleStore that the batch plan reads like decoded pixels (dataPipeline's FeatureShape).
import * as path from 'node:path';
import type { AugmentConfig } from '../../protocol/config';
import type { SkippedFile, SplitEntry } from '../../protocol/runRecord';
import { createRng, deriveSeed } from '../../core/random';
import { augmentInto, IDENTITY_AUGMENT, sampleAugmentParams, type AugmentParams } from '../augment';
import {
  decodeEntries,
  SampleStoreBuilder,
  type DecodeOptions,
  type DecodedSet,
  type FeatureShape,
  type Normalisation,
  type SampleStore,
} from '../dataPipeline';
import type { ContentHasher } from './contentHash';
import { stableKey, type FeatureCache } from './featureCache';

/** A frozen base cut and pooled: normalised images in, one feature vector per image out. */
export interface FeatureExtractor {
  readonly dim: number;
  /** `input` holds n images [n, size, size, channels]; returns [n, dim] row-major. */
  extract(input: Float32Array, n: number): Promise<Float32Array>;
}

export interface FeatureEntry extends SplitEntry {
  /** Training images get augmented views; validation and test images only their original. */
  augmented: boolean;
}

export type FeaturePhase = 'hashing' | 'decoding' | 'extracting';

export interface FeatureSetOptions {
  root: string;
  imageSize: number;
  channels: 1 | 3;
  normalisation: Normalisation;
  extractor: FeatureExtractor;
  cache: FeatureCache;
  hasher: ContentHasher;
  /** Augmentation of the views; null = the originals only. */
  augment: AugmentConfig | null;
  /** Augmented views per training image (besides the original) when `augment` is set. */
  augmentedViews: number;
  seed: number;
  /** Images per extractor call. */
  batchSize?: number;
  /** Passed to the decoder (memory budget, spill folder, timeouts, resize mode). */
  decode?: Partial<DecodeOptions>;
  onProgress?: (phase: FeaturePhase, done: number, total: number) => void;
}

export interface FeatureSetStats {
  images: number;
  /** Images whose every needed row came from the cache. */
  fromCache: number;
  /** Images whose rows (some or all) the base computed now. */
  extracted: number;
  hashMs: number;
  decodeMs: number;
  extractMs: number;
}

export interface FeatureSet extends DecodedSet {
  shape: FeatureShape;
  stats: FeatureSetStats;
}

interface Rows {
  plain: Float32Array | null;
  views: Float32Array | null;
}

const DEFAULT_EXTRACT_BATCH = 16;

export async function buildFeatureSet(
  entries: readonly FeatureEntry[],
  options: FeatureSetOptions,
): Promise<FeatureSet> {
  const { cache, extractor } = options;
  const dim = extractor.dim;
  const viewCount = options.augment ? options.augmentedViews : 0;
  const rowsPerSample = 1 + viewCount;
  const variant =
    viewCount > 0 ? `aug-${stableKey({ augment: options.augment, seed: options.seed, viewCount })}` : '';
  const progress = options.onProgress ?? (() => undefined);
  const failed: SkippedFile[] = [];

  // 1. Content hashes (a memo skips unchanged files).
  let started = performance.now();
  const hashes: (string | null)[] = [];
  for (let i = 0; i < entries.length; i++) {
    try {
      hashes.push(await options.hasher.hash(path.join(options.root, entries[i].path)));
    } catch (err) {
      hashes.push(null);
      failed.push({
        path: entries[i].path,
        reason: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      });
    }
    if ((i + 1) % 64 === 0 || i + 1 === entries.length) progress('hashing', i + 1, entries.length);
  }
  await options.hasher.save().catch(() => undefined);
  const hashMs = performance.now() - started;

  // 2. What the cache already has, per distinct content.
  const rows = new Map<string, Rows>();
  const needsViews = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const hash = hashes[i];
    if (hash === null) continue;
    if (entries[i].augmented && viewCount > 0) needsViews.add(hash);
    if (!rows.has(hash)) rows.set(hash, { plain: await cache.read(hash, 'plain', 1), views: null });
  }
  for (const hash of needsViews) rows.get(hash)!.views = await cache.read(hash, variant, viewCount);
  const complete = (hash: string): boolean => {
    const r = rows.get(hash)!;
    return r.plain !== null && (!needsViews.has(hash) || r.views !== null);
  };

  // 3. Decode what is missing (each distinct content once), then extract its rows.
  const missing: SplitEntry[] = [];
  const missingHashes: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const hash = hashes[i];
    if (hash === null || complete(hash) || seen.has(hash)) return;
    seen.add(hash);
    missing.push(entry);
    missingHashes.push(hash);
  });
  started = performance.now();
  let decodeMs = 0;
  let extractMs = 0;
  if (missing.length > 0) {
    const decoded = await decodeEntries(missing, {
      ...options.decode,
      root: options.root,
      imageSize: options.imageSize,
      channels: options.channels,
      onProgress: (done, total) => progress('decoding', done, total),
    });
    decodeMs = performance.now() - started;
    started = performance.now();
    try {
      failed.push(...decoded.failed);
      const hashOf = new Map(missing.map((e, k) => [e.path, missingHashes[k]]));
      await extractInto(
        decoded,
        (p) => hashOf.get(p)!,
        rows,
        needsViews,
        viewCount,
        variant,
        options,
        progress,
      );
    } finally {
      await decoded.store.close();
    }
    extractMs = performance.now() - started;
  }

  // 4. One store of rowsPerSample rows per image, in entry order; images that failed are left out.
  const bytesPerSample = rowsPerSample * dim * 4;
  const builder = await SampleStoreBuilder.create(
    entries.length,
    bytesPerSample,
    options.decode?.memoryBudget,
    options.decode?.cacheDir,
  );
  const kept: SplitEntry[] = [];
  const failedPaths = new Set(failed.map((f) => f.path));
  let fromCache = 0;
  try {
    const sample = new Float32Array(rowsPerSample * dim);
    for (let i = 0; i < entries.length; i++) {
      const hash = hashes[i];
      if (hash === null || failedPaths.has(entries[i].path) || !complete(hash)) continue;
      const r = rows.get(hash)!;
      sample.set(r.plain!, 0);
      for (let v = 0; v < viewCount; v++) {
        // Validation and test images have no views: their original stands in (never drawn: no augmentation there).
        const source = r.views ? r.views.subarray(v * dim, (v + 1) * dim) : r.plain!;
        sample.set(source, (v + 1) * dim);
      }
      await builder.append(new Uint8Array(sample.buffer));
      kept.push({ path: entries[i].path, label: entries[i].label });
      if (!seen.has(hash)) fromCache++;
    }
  } catch (err) {
    await builder.abandon();
    throw err;
  }
  const store: SampleStore = builder.finish();
  return {
    store,
    entries: kept,
    failed,
    shape: { features: dim, views: rowsPerSample },
    stats: {
      images: kept.length,
      fromCache,
      extracted: kept.length - fromCache,
      hashMs,
      decodeMs,
      extractMs,
    },
  };
}

/** Runs the extractor over decoded images, `batchSize` at a time, and writes each image's rows to the cache. */
async function extractInto(
  decoded: DecodedSet,
  hashOfPath: (p: string) => string,
  rows: Map<string, Rows>,
  needsViews: ReadonlySet<string>,
  viewCount: number,
  variant: string,
  options: FeatureSetOptions,
  progress: (phase: FeaturePhase, done: number, total: number) => void,
): Promise<void> {
  const { imageSize, channels, normalisation, extractor, cache } = options;
  const dim = extractor.dim;
  const per = imageSize * imageSize * channels;
  const batchSize = options.batchSize ?? DEFAULT_EXTRACT_BATCH;
  const jobs: { index: number; hash: string; view: number }[] = [];
  decoded.entries.forEach((entry, index) => {
    const hash = hashOfPath(entry.path);
    const r = rows.get(hash)!;
    if (r.plain === null) jobs.push({ index, hash, view: 0 });
    if (needsViews.has(hash) && r.views === null)
      for (let v = 1; v <= viewCount; v++) jobs.push({ index, hash, view: v });
  });
  const fresh = new Map<string, { plain: Float32Array; views: Float32Array | null }>();
  for (let start = 0; start < jobs.length; start += batchSize) {
    const batch = jobs.slice(start, start + batchSize);
    const input = new Float32Array(batch.length * per);
    for (let k = 0; k < batch.length; k++) {
      const job = batch[k];
      const pixels = await decoded.store.read(job.index);
      augmentInto(
        pixels,
        imageSize,
        channels,
        viewParams(options, job.hash, job.view),
        input,
        k * per,
        normalisation.scale,
        normalisation.offset,
      );
    }
    const features = await extractor.extract(input, batch.length);
    for (let k = 0; k < batch.length; k++) {
      const job = batch[k];
      let slot = fresh.get(job.hash);
      if (!slot) {
        slot = {
          plain: new Float32Array(dim),
          views: needsViews.has(job.hash) ? new Float32Array(viewCount * dim) : null,
        };
        fresh.set(job.hash, slot);
      }
      const row = features.subarray(k * dim, (k + 1) * dim);
      if (job.view === 0) slot.plain.set(row);
      else slot.views!.set(row, (job.view - 1) * dim);
    }
    progress('extracting', Math.min(jobs.length, start + batch.length), jobs.length);
  }
  for (const [hash, slot] of fresh) {
    const r = rows.get(hash)!;
    if (r.plain === null) {
      r.plain = slot.plain;
      await cache.write(hash, 'plain', slot.plain);
    }
    if (slot.views && r.views === null) {
      r.views = slot.views;
      await cache.write(hash, variant, slot.views);
    }
  }
}

/** View 0 is the image itself; the others are augmentations seeded by (seed, content, view): the same
 * photo gets the same views in every run, wherever it lies. */
function viewParams(options: FeatureSetOptions, hash: string, view: number): AugmentParams {
  if (view === 0 || !options.augment) return IDENTITY_AUGMENT;
  const rng = createRng(deriveSeed(options.seed, 'feature-view', hash, view));
  return sampleAugmentParams(options.augment, options.imageSize, rng.nextFloat);
}
