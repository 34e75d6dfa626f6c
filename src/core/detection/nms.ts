// Non-maximum suppression for the detector's decoded boxes. Pure: no tfjs, so that it is unit-tested and the
// same code runs in training-time evaluation and in `predict`.
import type { BoxCorners } from '../../protocol/detection';

/** Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when either has no area (never NaN). */
export function boxIou(a: BoxCorners, b: BoxCorners): number {
  const width = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const height = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (!(width > 0) || !(height > 0)) return 0;
  const intersection = width * height;
  const union = boxArea(a) + boxArea(b) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** Area of a box; 0 for an inverted or degenerate one. */
export function boxArea(box: BoxCorners): number {
  const width = box[2] - box[0];
  const height = box[3] - box[1];
  return width > 0 && height > 0 ? width * height : 0;
}

export interface ScoredBox {
  classIndex: number;
  confidence: number;
  box: BoxCorners;
}

export interface NmsOptions {
  /** A box is suppressed when its IoU with a kept box is strictly greater than this (torchvision's rule). */
  iouThreshold: number;
  /** Keep at most this many boxes in all (default: no limit). */
  maxBoxes?: number;
  /** true: a box only suppresses boxes of its own class; false: class-agnostic (default true). */
  classAware?: boolean;
}

/**
 * Greedy NMS: boxes in order of confidence (highest first; equal confidences keep their input order, so the
 * result does not depend on the sort's implementation), each kept unless it overlaps a kept box by more than
 * `iouThreshold`. Returns the kept boxes (the same objects) in that order. Boxes whose confidence is NaN are
 * dropped.
 */
export function nonMaxSuppression<T extends ScoredBox>(boxes: readonly T[], options: NmsOptions): T[] {
  const { iouThreshold } = options;
  const maxBoxes = options.maxBoxes ?? Number.POSITIVE_INFINITY;
  const classAware = options.classAware ?? true;
  if (!(iouThreshold >= 0))
    throw new RangeError(`nonMaxSuppression: iouThreshold must be ≥ 0, not ${iouThreshold}`);
  if (!(maxBoxes >= 0)) throw new RangeError(`nonMaxSuppression: maxBoxes must be ≥ 0, not ${maxBoxes}`);
  const order = stableOrderByConfidence(boxes.map((b) => b.confidence)).filter(
    (i) => !Number.isNaN(boxes[i].confidence),
  );
  const kept: T[] = [];
  for (const index of order) {
    if (kept.length >= maxBoxes) break;
    const candidate = boxes[index];
    const suppressed = kept.some(
      (k) =>
        (!classAware || k.classIndex === candidate.classIndex) && boxIou(k.box, candidate.box) > iouThreshold,
    );
    if (!suppressed) kept.push(candidate);
  }
  return kept;
}

/**
 * Indices sorted by confidence, highest first; ties keep index order (like numpy's mergesort of -score, which
 * pycocotools uses). NaN sorts last, so that the comparison stays consistent.
 */
export function stableOrderByConfidence(confidences: readonly number[]): number[] {
  const key = (i: number): number =>
    Number.isNaN(confidences[i]) ? Number.NEGATIVE_INFINITY : confidences[i];
  return confidences
    .map((_, i) => i)
    .sort((i, j) => {
      const a = key(i);
      const b = key(j);
      if (a > b) return -1;
      if (a < b) return 1;
      if (Number.isNaN(confidences[i]) !== Number.isNaN(confidences[j]))
        return Number.isNaN(confidences[i]) ? 1 : -1;
      return i - j;
    });
}
