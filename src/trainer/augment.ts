// Seeded on-the-fly augmentation on decoded uint8 HWC images, fused with normalisation into the batch
// buffer. Plain arithmetic (no tfjs) so it is exact, testable and cheap for the small images we train on.
import type { AugmentConfig } from '../protocol/config';

/** The random draw for one sample; the identity when every field is neutral. */
export interface AugmentParams {
  angle: number; // radians
  shiftX: number; // pixels
  shiftY: number; // pixels
  zoom: number; // > 1 enlarges
  flip: boolean;
  brightness: number; // multiplier
}

export const IDENTITY_AUGMENT: AugmentParams = {
  angle: 0,
  shiftX: 0,
  shiftY: 0,
  zoom: 1,
  flip: false,
  brightness: 1,
};

/** Draws parameters like Keras' ImageDataGenerator: uniform within each range. */
export function sampleAugmentParams(
  config: AugmentConfig,
  size: number,
  uniform: () => number,
): AugmentParams {
  const between = (lo: number, hi: number) => lo + (hi - lo) * uniform();
  // Without rotation or zoom, a shift is a random crop: whole pixels keep the image sharp, where a
  // fractional one would blur every training image by resampling (and never the test images).
  const wholePixels = config.rotation === 0 && config.zoom === 0;
  const shift = (range: number) => {
    const pixels = range > 0 ? between(-range, range) * size : 0;
    return wholePixels ? Math.round(pixels) : pixels;
  };
  return {
    angle: config.rotation > 0 ? (between(-config.rotation, config.rotation) * Math.PI) / 180 : 0,
    shiftX: shift(config.widthShift),
    shiftY: shift(config.heightShift),
    zoom: config.zoom > 0 ? between(1 - config.zoom, 1 + config.zoom) : 1,
    flip: config.horizontalFlip ? uniform() < 0.5 : false,
    brightness: config.brightness > 0 ? between(1 - config.brightness, 1 + config.brightness) : 1,
  };
}

function isIdentity(p: AugmentParams): boolean {
  return p.angle === 0 && p.shiftX === 0 && p.shiftY === 0 && p.zoom === 1 && !p.flip;
}

/**
 * Writes `src` (size×size×channels uint8) transformed by `p` into `out` at `outOffset` as
 * `value * scale + offset`. Geometry uses inverse mapping with bilinear sampling; points outside the
 * image take the nearest edge pixel (Keras' default fill mode).
 */
export function augmentInto(
  src: Uint8Array,
  size: number,
  channels: number,
  p: AugmentParams,
  out: Float32Array,
  outOffset: number,
  scale: number,
  offset: number,
): void {
  const gain = scale * p.brightness;
  if (isIdentity(p)) {
    const n = size * size * channels;
    for (let i = 0; i < n; i++) {
      const v = src[i] * gain + offset;
      out[outOffset + i] = p.brightness === 1 ? v : Math.min(255 * scale + offset, v);
    }
    return;
  }
  const c = (size - 1) / 2;
  const cos = Math.cos(p.angle);
  const sin = Math.sin(p.angle);
  const maxValue = 255 * scale + offset;
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // destination → source: undo shift, zoom, rotation (about the centre), then flip.
      const dx = (x - c - p.shiftX) / p.zoom;
      const dy = (y - c - p.shiftY) / p.zoom;
      let sx = cos * dx + sin * dy + c;
      const sy = -sin * dx + cos * dy + c;
      if (p.flip) sx = last - sx;
      const cx = sx < 0 ? 0 : sx > last ? last : sx;
      const cy = sy < 0 ? 0 : sy > last ? last : sy;
      const x0 = Math.floor(cx);
      const y0 = Math.floor(cy);
      const x1 = x0 < last ? x0 + 1 : x0;
      const y1 = y0 < last ? y0 + 1 : y0;
      const fx = cx - x0;
      const fy = cy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const i00 = (y0 * size + x0) * channels;
      const i01 = (y0 * size + x1) * channels;
      const i10 = (y1 * size + x0) * channels;
      const i11 = (y1 * size + x1) * channels;
      const o = outOffset + (y * size + x) * channels;
      for (let ch = 0; ch < channels; ch++) {
        const v = src[i00 + ch] * w00 + src[i01 + ch] * w01 + src[i10 + ch] * w10 + src[i11 + ch] * w11;
        const scaled = v * gain + offset;
        out[o + ch] = scaled > maxValue ? maxValue : scaled;
      }
    }
  }
}
