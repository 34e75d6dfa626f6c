// Decodes every image once into a compact uint8 cache (in memory when it fits a budget, else a file read
// at offsets), then builds normalised, augmented batches from it. Memory stays bounded by the budget
// whatever the data set's size; decoding runs on sharp's thread pool, `concurrency` files at a time.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AugmentConfig, ResizeMode } from '../protocol/config';
import type { SkippedFile, SplitEntry } from '../protocol/runRecord';
import { createRng, deriveSeed } from '../core/random';
import { augmentInto, IDENTITY_AUGMENT, sampleAugmentParams } from './augment';
import { decodeImage, ImageDecodeError } from './imageDecode';
import { describeImageProblem } from '../core/dataset';

export interface SampleShape {
  imageSize: number;
  channels: 1 | 3;
}

/**
 * Samples that are feature vectors of a frozen base rather than pixels (src/trainer/features): each
 * stored sample holds `views` rows of `features` float32 values, row 0 the unaugmented image and the
 * others augmented views of it.
 */
export interface FeatureShape {
  features: number;
  views: number;
}

export type InputShape = SampleShape | FeatureShape;

export function isFeatureShape(shape: InputShape): shape is FeatureShape {
  return 'features' in shape;
}

/** The model input's tensor shape for a batch of `n` samples. */
export function batchTensorShape(shape: InputShape, n: number): number[] {
  return isFeatureShape(shape) ? [n, shape.features] : [n, shape.imageSize, shape.imageSize, shape.channels];
}

export interface Normalisation {
  scale: number;
  offset: number;
}

/** Pixels map to [0, 1]: the preprocessing recorded in model metadata. */
export const DEFAULT_NORMALISATION: Normalisation = { scale: 1 / 255, offset: 0 };

/** Decoded samples by index; `read` may resolve asynchronously (file-backed). */
export interface SampleStore {
  readonly count: number;
  readonly bytesPerSample: number;
  read(index: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

class MemoryStore implements SampleStore {
  constructor(
    private readonly data: Uint8Array,
    readonly count: number,
    readonly bytesPerSample: number,
  ) {}
  async read(index: number): Promise<Uint8Array> {
    return this.data.subarray(index * this.bytesPerSample, (index + 1) * this.bytesPerSample);
  }
  async close(): Promise<void> {}
}

class FileStore implements SampleStore {
  constructor(
    private readonly handle: fs.FileHandle,
    private readonly file: string,
    readonly count: number,
    readonly bytesPerSample: number,
  ) {}
  async read(index: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(this.bytesPerSample);
    await this.handle.read(buffer, 0, this.bytesPerSample, index * this.bytesPerSample);
    return buffer;
  }
  async close(): Promise<void> {
    await this.handle.close();
    await fs.rm(this.file, { force: true });
  }
}

export interface DecodeOptions extends SampleShape {
  root: string;
  /** How each image is fitted into the square (`stretch` when absent); the model's metadata records it. */
  resize?: ResizeMode;
  /** Bytes of decoded pixels kept in memory before spilling to a cache file. */
  memoryBudget?: number;
  cacheDir?: string;
  concurrency?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DecodedSet {
  store: SampleStore;
  /** Entries that decoded, in store order. */
  entries: SplitEntry[];
  /** Entries that failed to decode, with the reason. */
  failed: SkippedFile[];
}

/** Runs `work` over `items` with at most `limit` promises in flight, preserving order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;

/** Files decoded at once: two per core (4–16), so reads overlap sharp's pool (1.5× over one per core). */
export function defaultDecodeConcurrency(): number {
  return Math.min(16, Math.max(4, 2 * os.availableParallelism()));
}

/**
 * Collects fixed-size samples into memory while they fit `budget` bytes, else into a file written at
 * offsets (read back the same way), so memory stays bounded whatever the data set's size.
 */
export class SampleStoreBuilder {
  private count = 0;

  private constructor(
    readonly bytesPerSample: number,
    private readonly memory: Uint8Array | null,
    private readonly handle: fs.FileHandle | null,
    private readonly file: string,
  ) {}

  static async create(
    capacity: number,
    bytesPerSample: number,
    budget: number = DEFAULT_MEMORY_BUDGET,
    spillDir: string = os.tmpdir(),
  ): Promise<SampleStoreBuilder> {
    if (capacity * bytesPerSample <= budget)
      return new SampleStoreBuilder(bytesPerSample, new Uint8Array(capacity * bytesPerSample), null, '');
    await fs.mkdir(spillDir, { recursive: true });
    const file = path.join(spillDir, `decoded-${process.pid}-${Date.now().toString(36)}.bin`);
    return new SampleStoreBuilder(bytesPerSample, null, await fs.open(file, 'w+'), file);
  }

  /** Appends one sample (exactly bytesPerSample bytes); returns its index. */
  async append(sample: Uint8Array): Promise<number> {
    const slot = this.count++;
    if (this.memory) this.memory.set(sample, slot * this.bytesPerSample);
    else await this.handle!.write(sample, 0, this.bytesPerSample, slot * this.bytesPerSample);
    return slot;
  }

  finish(): SampleStore {
    return this.memory
      ? new MemoryStore(
          this.memory.subarray(0, this.count * this.bytesPerSample),
          this.count,
          this.bytesPerSample,
        )
      : new FileStore(this.handle!, this.file, this.count, this.bytesPerSample);
  }

  /** Drops what was collected (an error part-way). */
  async abandon(): Promise<void> {
    await this.handle?.close();
    if (this.file) await fs.rm(this.file, { force: true });
  }
}

/** Decodes `entries` (paths relative to `root`) into a SampleStore. */
export async function decodeEntries(
  entries: readonly SplitEntry[],
  options: DecodeOptions,
): Promise<DecodedSet> {
  const bytesPerSample = options.imageSize * options.imageSize * options.channels;
  const concurrency = options.concurrency ?? defaultDecodeConcurrency();
  const chunkSize = Math.max(concurrency * 16, 256);
  const builder = await SampleStoreBuilder.create(
    entries.length,
    bytesPerSample,
    options.memoryBudget,
    options.cacheDir,
  );

  const kept: SplitEntry[] = [];
  const failed: SkippedFile[] = [];
  let done = 0;
  try {
    // Chunks bound the pixels held between decode and write when spilling to a file.
    for (let start = 0; start < entries.length; start += chunkSize) {
      const chunk = entries.slice(start, start + chunkSize);
      const decoded = await mapLimit(chunk, concurrency, async (entry) => {
        try {
          return await decodeImage(path.join(options.root, entry.path), options.imageSize, options.channels, {
            timeoutMs: options.timeoutMs,
            resize: options.resize,
          });
        } catch (err) {
          // The entry already names the file; keep the reason in the scan's words.
          const reason =
            err instanceof ImageDecodeError ? describeImageProblem(err.problem) : (err as Error).message;
          failed.push({ path: entry.path, reason });
          return null;
        } finally {
          done++;
          options.onProgress?.(done, entries.length);
        }
      });
      for (let i = 0; i < chunk.length; i++) {
        const pixels = decoded[i];
        if (!pixels) continue;
        kept.push(chunk[i]);
        await builder.append(pixels);
      }
    }
  } catch (err) {
    await builder.abandon();
    throw err;
  }
  return { store: builder.finish(), entries: kept, failed };
}

export interface Batch {
  /** [n, size, size, channels], normalised. */
  pixels: Float32Array;
  /** Class index per sample. */
  labels: Int32Array;
  /** Store indices of the samples. */
  indices: number[];
}

export interface BatchPlan {
  store: SampleStore;
  shape: InputShape;
  normalisation: Normalisation;
  labels: Int32Array;
  augment: AugmentConfig | null;
  seed: number;
}

/** Builds one batch. Augmentation draws from a stream seeded by (seed, epoch, sample), so a resumed run repeats it. */
export async function assembleBatch(plan: BatchPlan, indices: number[], epoch: number): Promise<Batch> {
  if (isFeatureShape(plan.shape)) return assembleFeatureBatch(plan, plan.shape, indices, epoch);
  const { imageSize, channels } = plan.shape;
  const per = imageSize * imageSize * channels;
  const pixels = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  const samples = await Promise.all(indices.map((i) => plan.store.read(i)));
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    const params = plan.augment
      ? sampleAugmentParams(
          plan.augment,
          imageSize,
          createRng(deriveSeed(plan.seed, 'augment', epoch, index)).nextFloat,
        )
      : IDENTITY_AUGMENT;
    augmentInto(
      samples[k],
      imageSize,
      channels,
      params,
      pixels,
      k * per,
      plan.normalisation.scale,
      plan.normalisation.offset,
    );
    labels[k] = plan.labels[index];
  }
  return { pixels, labels, indices };
}

/**
 * A batch of feature rows: the unaugmented view without augmentation, else one view per sample drawn
 * from a stream seeded by (seed, epoch, sample), like pixel augmentation, so a resumed run repeats it.
 */
async function assembleFeatureBatch(
  plan: BatchPlan,
  shape: FeatureShape,
  indices: number[],
  epoch: number,
): Promise<Batch> {
  const pixels = new Float32Array(indices.length * shape.features);
  const labels = new Int32Array(indices.length);
  const samples = await Promise.all(indices.map((i) => plan.store.read(i)));
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    const view =
      plan.augment && shape.views > 1
        ? Math.floor(createRng(deriveSeed(plan.seed, 'feature-view', epoch, index)).nextFloat() * shape.views)
        : 0;
    const bytes = samples[k];
    const rows = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    pixels.set(rows.subarray(view * shape.features, (view + 1) * shape.features), k * shape.features);
    labels[k] = plan.labels[index];
  }
  return { pixels, labels, indices };
}

/** The epoch's order of training samples: a seeded shuffle that depends only on (seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  return createRng(deriveSeed(seed, 'shuffle', epoch)).shuffle(Array.from({ length: count }, (_, i) => i));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
