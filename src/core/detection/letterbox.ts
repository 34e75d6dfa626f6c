// Letterboxing for the detector: the image scaled by one factor so that its long side fills the square
// input, placed at the top-left corner, the rest black. One factor for both axes keeps shapes (and box
// aspect ratios) as they are; the top-left placement makes the mapping back exact (no rounding of a centred
// band). Pure: boxes in, boxes out.
import type { BoxCorners } from '../../protocol/detection';

export interface LetterboxGeometry {
  /** The upright original image. */
  width: number;
  height: number;
  /** The square input's side. */
  inputSize: number;
  /** Pixels of the scaled image inside the square (the rest is padding). */
  scaledWidth: number;
  scaledHeight: number;
  /** Input pixels per original pixel, per axis (equal up to the rounding of the scaled size). */
  scaleX: number;
  scaleY: number;
}

export function letterboxGeometry(width: number, height: number, inputSize: number): LetterboxGeometry {
  if (!(width > 0 && height > 0 && inputSize > 0))
    throw new RangeError(`letterbox needs positive sizes, got ${width}×${height} into ${inputSize}`);
  const scale = inputSize / Math.max(width, height);
  const scaledWidth = Math.max(1, Math.min(inputSize, Math.round(width * scale)));
  const scaledHeight = Math.max(1, Math.min(inputSize, Math.round(height * scale)));
  return {
    width,
    height,
    inputSize,
    scaledWidth,
    scaledHeight,
    scaleX: scaledWidth / width,
    scaleY: scaledHeight / height,
  };
}

/** A box in original pixels → input pixels. */
export function boxToInput(box: BoxCorners, geometry: LetterboxGeometry): BoxCorners {
  const { scaleX, scaleY } = geometry;
  return [box[0] * scaleX, box[1] * scaleY, box[2] * scaleX, box[3] * scaleY];
}

/** A box in input pixels → original pixels, clipped to the image. */
export function boxToOriginal(box: BoxCorners, geometry: LetterboxGeometry): BoxCorners {
  const { scaleX, scaleY, width, height } = geometry;
  return [
    clamp(box[0] / scaleX, 0, width),
    clamp(box[1] / scaleY, 0, height),
    clamp(box[2] / scaleX, 0, width),
    clamp(box[3] / scaleY, 0, height),
  ];
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
