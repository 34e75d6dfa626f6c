// Box arithmetic every detection reader and the doctor share. Pure.
import type { BoxCorners } from '../../protocol/detection';

/**
 * Readers round converted coordinates to this step (pixels): YOLO's normalised floats and COCO's
 * floating-point boxes then read back exactly as written, so the same set in three formats compares equal.
 */
export const COORDINATE_STEP = 1e-3;

export function roundCoordinate(value: number): number {
  const rounded = Math.round(value / COORDINATE_STEP) * COORDINATE_STEP;
  // Three decimals as a clean float (0.1 + 0.2 style noise removed), and never -0.
  return Number(rounded.toFixed(3)) + 0;
}

export function roundBox(box: BoxCorners): BoxCorners {
  return [roundCoordinate(box[0]), roundCoordinate(box[1]), roundCoordinate(box[2]), roundCoordinate(box[3])];
}

export function boxWidth(box: BoxCorners): number {
  return box[2] - box[0];
}

export function boxHeight(box: BoxCorners): number {
  return box[3] - box[1];
}

export function boxArea(box: BoxCorners): number {
  return Math.max(0, boxWidth(box)) * Math.max(0, boxHeight(box));
}

/** Intersection over union; 0 when either box has no area. */
export function intersectionOverUnion(a: BoxCorners, b: BoxCorners): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** The box cut to the image; its area is 0 when it lies wholly outside. */
export function clipBox(box: BoxCorners, width: number, height: number): BoxCorners {
  return [
    Math.min(Math.max(box[0], 0), width),
    Math.min(Math.max(box[1], 0), height),
    Math.min(Math.max(box[2], 0), width),
    Math.min(Math.max(box[3], 0), height),
  ];
}

/** `[x1, y1, x2, y2]` as a short text for messages. */
export function formatBox(box: BoxCorners): string {
  return `[${box.map((v) => String(roundCoordinate(v))).join(', ')}]`;
}
