// Box-aware augmentation of the detector's training images: a random scale-and-translate (crop-and-resize:
// zooming in crops, zooming out shrinks the image into a black frame), a horizontal flip, and colour jitter.
// The boxes get the same geometric transform (core/detection/boxTransforms.ts): clipped to the image, and
// dropped when they mostly left it. Plain arrays, no tfjs: one letterboxed uint8 image in, the model's
// float input (0..1) out.
import type { Rng } from '../../core/random';
import {
  flipBoxesHorizontally,
  transformBoxes,
  type LabelledBox,
  type ScaleTranslate,
} from '../../core/detection/boxTransforms';

export interface DetectAugmentOptions {
  horizontalFlip: boolean;
  /** Scale drawn from [1 − zoom, 1 + zoom]. */
  zoom: number;
  /** Brightness, contrast and saturation factors drawn from [1 − colour, 1 + colour]. */
  colour: number;
}

export const DEFAULT_DETECT_AUGMENT: Readonly<DetectAugmentOptions> = {
  horizontalFlip: true,
  zoom: 0.35,
  colour: 0.25,
};

/** One draw of the augmentation for one image. */
export interface AugmentDraw {
  transform: ScaleTranslate;
  flip: boolean;
  brightness: number;
  contrast: number;
  saturation: number;
}

export const IDENTITY_DRAW: Readonly<AugmentDraw> = {
  transform: { scale: 1, dx: 0, dy: 0 },
  flip: false,
  brightness: 1,
  contrast: 1,
  saturation: 1,
};

/** A random draw: the translation keeps the scaled square overlapping the frame as much as it can. */
export function drawAugmentation(rng: Rng, options: DetectAugmentOptions, size: number): AugmentDraw {
  const scale = options.zoom > 0 ? rng.uniform(1 - options.zoom, 1 + options.zoom) : 1;
  const spare = size - scale * size;
  const dx = rng.uniform(Math.min(0, spare), Math.max(0, spare));
  const dy = rng.uniform(Math.min(0, spare), Math.max(0, spare));
  const flip = options.horizontalFlip && rng.nextFloat() < 0.5;
  const jitter = (): number => (options.colour > 0 ? rng.uniform(1 - options.colour, 1 + options.colour) : 1);
  return {
    transform: { scale, dx, dy },
    flip,
    brightness: jitter(),
    contrast: jitter(),
    saturation: jitter(),
  };
}

/** The boxes of an image under a draw (input pixels, clipped; boxes that left the image dropped). */
export function augmentBoxes(boxes: readonly LabelledBox[], draw: AugmentDraw, size: number): LabelledBox[] {
  const moved = transformBoxes(boxes, draw.transform, size);
  return draw.flip ? flipBoxesHorizontally(moved, size) : moved;
}

/**
 * Writes the augmented image as floats in 0..1 into `out` at `offset` (size × size × channels, HWC):
 * bilinear sampling of the source at the inverse transform, black outside it, then the colour jitter.
 */
export function renderAugmented(
  source: Uint8Array,
  size: number,
  channels: number,
  draw: AugmentDraw,
  out: Float32Array,
  offset: number,
): void {
  const { scale, dx, dy } = draw.transform;
  const identity = scale === 1 && dx === 0 && dy === 0;
  const pixel = new Float32Array(channels);
  let mean = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const ox = draw.flip ? size - 1 - x : x;
      if (identity) {
        const at = (y * size + ox) * channels;
        for (let c = 0; c < channels; c++) pixel[c] = source[at + c];
      } else {
        sampleBilinear(
          source,
          size,
          channels,
          (ox + 0.5 - dx) / scale - 0.5,
          (y + 0.5 - dy) / scale - 0.5,
          pixel,
        );
      }
      const at = offset + (y * size + x) * channels;
      let grey = 0;
      for (let c = 0; c < channels; c++) grey += pixel[c];
      grey /= channels;
      for (let c = 0; c < channels; c++) {
        const saturated = grey + (pixel[c] - grey) * draw.saturation;
        out[at + c] = saturated * draw.brightness;
      }
      mean += grey * draw.brightness;
    }
  }
  mean /= size * size;
  const end = offset + size * size * channels;
  for (let i = offset; i < end; i++) {
    const v = (mean + (out[i] - mean) * draw.contrast) / 255;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** Bilinear sample at (u, v) in pixel-index coordinates; outside the image counts as black. */
function sampleBilinear(
  source: Uint8Array,
  size: number,
  channels: number,
  u: number,
  v: number,
  pixel: Float32Array,
): void {
  pixel.fill(0);
  if (u <= -1 || v <= -1 || u >= size || v >= size) return;
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const fx = u - x0;
  const fy = v - y0;
  for (let k = 0; k < 4; k++) {
    const x = x0 + (k & 1);
    const y = y0 + (k >> 1);
    if (x < 0 || y < 0 || x >= size || y >= size) continue;
    const weight = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy);
    if (weight === 0) continue;
    const at = (y * size + x) * channels;
    for (let c = 0; c < channels; c++) pixel[c] += weight * source[at + c];
  }
}
