// The New Training form's augmentation preview (and `image-trainer preview-augment`): the first training
// images of epoch 1, in the order the trainer shuffles them, drawn through the config's augmentation by
// the trainer's own batch code (assembleBatch) with the config's seed. Only those images are decoded, so
// it answers in well under a second on a large data set. Pixels stay in 0–255 (scale 1, offset 0): the
// trainer's normalisation is a linear map of the same values.
import sharp from 'sharp';
import type { TrainingConfig } from '../protocol/config';
import type { SplitEntry } from '../protocol/runRecord';
import { stratifiedSplit } from '../core/split';
import { assembleBatch, type BatchPlan, decodeEntries, epochOrder, type SampleStore } from './dataPipeline';
import { UsageError } from './errors';
import { requireDatasetFolder, scanDataset } from './scan';

/** The epoch the preview shows: the first one a new run trains. */
export const PREVIEW_EPOCH = 1;
export const DEFAULT_PREVIEW_COUNT = 8;
export const MAX_PREVIEW_COUNT = 64;

export interface PreviewImage {
  /** Relative to the data set root, as in split.json. */
  path: string;
  label: string;
  /**
   * The sample's index in the trainer's decoded store: the augmentation's random stream is seeded by it.
   * It equals the image's place in the split's train list while every image before it decodes.
   */
  storeIndex: number;
  /** imageSize × imageSize × channels, 0–255. */
  pixels: Uint8Array;
}

export interface AugmentPreview {
  root: string;
  imageSize: number;
  channels: 1 | 3;
  seed: number;
  epoch: number;
  augmented: boolean;
  images: PreviewImage[];
}

export type PreviewConfig = Pick<
  TrainingConfig,
  'augment' | 'seed' | 'imageSize' | 'channels' | 'resize' | 'validationSplit' | 'testSplit'
>;

/** A store holding a few samples of the trainer's store, read by the trainer's indices. */
class SparseStore implements SampleStore {
  constructor(
    private readonly samples: ReadonlyMap<number, Uint8Array>,
    readonly bytesPerSample: number,
  ) {}
  get count(): number {
    return this.samples.size;
  }
  async read(index: number): Promise<Uint8Array> {
    const sample = this.samples.get(index);
    if (!sample) throw new Error(`sample ${index} is not in the preview`);
    return sample;
  }
  async close(): Promise<void> {}
}

/** Decodes the first `count` decodable images of the epoch's order; failures are skipped (tried up to 4×). */
async function decodeFirst(
  root: string,
  train: readonly SplitEntry[],
  order: readonly number[],
  count: number,
  config: PreviewConfig,
): Promise<{ indices: number[]; samples: Map<number, Uint8Array> }> {
  const indices: number[] = [];
  const samples = new Map<number, Uint8Array>();
  const limit = Math.min(order.length, count * 4);
  for (let start = 0; start < limit && indices.length < count; start += count) {
    const chunk = order.slice(start, Math.min(limit, start + count));
    const decoded = await decodeEntries(
      chunk.map((k) => train[k]),
      { root, imageSize: config.imageSize, channels: config.channels, resize: config.resize, concurrency: 4 },
    );
    const kept = new Set(decoded.entries.map((e) => e.path));
    let next = 0;
    for (const k of chunk) {
      if (!kept.has(train[k].path)) continue;
      const sample = await decoded.store.read(next++);
      if (indices.length < count) {
        indices.push(k);
        samples.set(k, sample.slice());
      }
    }
    await decoded.store.close();
  }
  return { indices, samples };
}

/** The preview of `config`'s augmentation on the data set in `dataDir`. */
export async function previewAugmentation(
  dataDir: string,
  config: PreviewConfig,
  count: number = DEFAULT_PREVIEW_COUNT,
): Promise<AugmentPreview> {
  const root = await requireDatasetFolder(dataDir);
  // Header checks, as a new run's scan does: the same images, so the same split.
  const scan = await scanDataset(root, { verify: 'header' });
  const split = stratifiedSplit(scan.entries, config);
  if (split.train.length === 0) throw new UsageError(`${root}: no training images to preview`);
  const order = epochOrder(split.train.length, config.seed, PREVIEW_EPOCH);
  const { indices, samples } = await decodeFirst(root, split.train, order, count, config);
  if (indices.length === 0)
    throw new UsageError(`${root}: none of the first training images could be decoded`);
  const { imageSize, channels } = config;
  const per = imageSize * imageSize * channels;
  const plan: BatchPlan = {
    store: new SparseStore(samples, per),
    shape: { imageSize, channels },
    normalisation: { scale: 1, offset: 0 },
    labels: new Int32Array(split.train.length),
    augment: config.augment,
    seed: config.seed,
  };
  const batch = await assembleBatch(plan, indices, PREVIEW_EPOCH);
  return {
    root,
    imageSize,
    channels,
    seed: config.seed,
    epoch: PREVIEW_EPOCH,
    augmented: config.augment !== null,
    images: indices.map((k, i) => {
      const pixels = new Uint8Array(per);
      for (let j = 0; j < per; j++) pixels[j] = Math.round(batch.pixels[i * per + j]);
      return { path: split.train[k].path, label: split.train[k].label, storeIndex: k, pixels };
    }),
  };
}

/** One preview image as a PNG (lossless: its pixels are exactly the preview's). */
export function previewPng(preview: AugmentPreview, image: PreviewImage): Promise<Buffer> {
  const { imageSize: size, channels } = preview;
  return sharp(image.pixels, { raw: { width: size, height: size, channels } })
    .png()
    .toBuffer();
}
