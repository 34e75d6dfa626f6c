// The detector's data: every image of a split decoded once, letterboxed to the input size, kept in memory
// as uint8 with its boxes in input pixels; batches drawn from them with seeded per-image augmentation and
// their CenterNet targets.
import * as path from 'node:path';
import type { BoxCorners, DetectionImage, GroundTruthBox } from '../../protocol/detection';
import type { SkippedFile } from '../../protocol/runRecord';
import { deriveSeed, createRng } from '../../core/random';
import type { LabelledBox } from '../../core/detection/boxTransforms';
import {
  encodeCenterTargets,
  gridSizeOf,
  REGRESSION_CHANNELS,
  type CenterGrid,
} from '../../core/detection/centerTargets';
import { boxToInput, letterboxGeometry, type LetterboxGeometry } from '../../core/detection/letterbox';
import { decodeImageLetterboxed, ImageDecodeError } from '../imageDecode';
import {
  augmentBoxes,
  drawAugmentation,
  IDENTITY_DRAW,
  renderAugmented,
  type DetectAugmentOptions,
} from './augment';

export interface DetectionSample {
  /** Relative to the data set root, forward slashes. */
  path: string;
  geometry: LetterboxGeometry;
  /** inputSize × inputSize × channels, letterboxed (decodeImageLetterboxed). */
  pixels: Uint8Array;
  /** Boxes in input pixels. */
  boxes: LabelledBox[];
  /** The annotated boxes in original pixels (what evaluation compares with). */
  truth: { classIndex: number; box: BoxCorners }[];
}

export interface LoadedSamples {
  samples: DetectionSample[];
  skipped: SkippedFile[];
}

/** Decodes `images` (paths relative to `root`); an image that fails to decode is skipped with its reason. */
export async function loadDetectionSamples(
  root: string,
  images: readonly DetectionImage[],
  inputSize: number,
  channels: 1 | 3,
  onProgress?: (done: number, total: number) => void,
): Promise<LoadedSamples> {
  const samples: DetectionSample[] = [];
  const skipped: SkippedFile[] = [];
  for (let i = 0; i < images.length; i++) {
    const image = images[i];
    try {
      const decoded = await decodeImageLetterboxed(path.join(root, image.path), inputSize, channels);
      samples.push(
        sampleOf(image.path, decoded.width, decoded.height, decoded.pixels, image.boxes, inputSize, image),
      );
    } catch (err) {
      if (!(err instanceof ImageDecodeError)) throw err;
      skipped.push({ path: image.path, reason: err.message });
    }
    onProgress?.(i + 1, images.length);
  }
  return { samples, skipped };
}

/**
 * One sample: the boxes scaled into the input. The annotation's image size is what its boxes are relative
 * to; when the decoded (upright) image differs (a stale size in a COCO file), the boxes follow the decoded
 * image, scaled by the ratio.
 */
export function sampleOf(
  relPath: string,
  width: number,
  height: number,
  pixels: Uint8Array,
  boxes: readonly GroundTruthBox[],
  inputSize: number,
  annotated: { width: number; height: number } = { width, height },
): DetectionSample {
  const geometry = letterboxGeometry(width, height, inputSize);
  const rx = annotated.width > 0 ? width / annotated.width : 1;
  const ry = annotated.height > 0 ? height / annotated.height : 1;
  const truth = boxes.map((b) => ({
    classIndex: b.classIndex,
    box: [b.box[0] * rx, b.box[1] * ry, b.box[2] * rx, b.box[3] * ry] as BoxCorners,
  }));
  return {
    path: relPath,
    geometry,
    pixels,
    truth,
    boxes: truth.map((t) => ({ classIndex: t.classIndex, box: boxToInput(t.box, geometry) })),
  };
}

export interface DetectionBatch {
  count: number;
  /** count × size × size × channels, 0..1. */
  pixels: Float32Array;
  heatmap: Float32Array;
  regression: Float32Array;
  mask: Float32Array;
}

/**
 * The batch of `indices`: each image augmented with its own seeded draw (seed, epoch, index) when
 * `augment` is set, so that a resumed run sees the same images; its targets from the moved boxes.
 */
export function assembleDetectionBatch(
  samples: readonly DetectionSample[],
  indices: readonly number[],
  grid: CenterGrid,
  channels: number,
  augment: { options: DetectAugmentOptions; seed: number; epoch: number } | null,
): DetectionBatch {
  const size = grid.inputSize;
  const cells = gridSizeOf(grid);
  const count = indices.length;
  const pixelsPer = size * size * channels;
  const batch: DetectionBatch = {
    count,
    pixels: new Float32Array(count * pixelsPer),
    heatmap: new Float32Array(count * cells * cells * grid.numClasses),
    regression: new Float32Array(count * cells * cells * REGRESSION_CHANNELS),
    mask: new Float32Array(count * cells * cells),
  };
  indices.forEach((index, k) => {
    const sample = samples[index];
    const draw = augment
      ? drawAugmentation(
          createRng(deriveSeed(augment.seed, 'detect-augment', augment.epoch, index)),
          augment.options,
          size,
        )
      : IDENTITY_DRAW;
    renderAugmented(sample.pixels, size, channels, draw, batch.pixels, k * pixelsPer);
    const boxes = augment ? augmentBoxes(sample.boxes, draw, size) : sample.boxes;
    const targets = encodeCenterTargets(boxes, grid);
    batch.heatmap.set(targets.heatmap, k * targets.heatmap.length);
    batch.regression.set(targets.regression, k * targets.regression.length);
    batch.mask.set(targets.mask, k * targets.mask.length);
  });
  return batch;
}
