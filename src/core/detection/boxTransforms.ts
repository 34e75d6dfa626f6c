// How boxes follow the image through box-aware augmentation: a horizontal flip and a scale-and-translate
// (the random crop-and-resize), then clipping to the image and dropping boxes that mostly left it. Pure; the
// pixels get the same transform in trainer/detect/augment.ts.
import type { BoxCorners } from '../../protocol/detection';
import { clamp } from './letterbox';

export interface LabelledBox {
  classIndex: number;
  box: BoxCorners;
}

/** x' = scale·x + dx, y' = scale·y + dy (input pixels). */
export interface ScaleTranslate {
  scale: number;
  dx: number;
  dy: number;
}

/** A box is kept when at least this share of its transformed area stays inside the image. */
export const MIN_VISIBLE_FRACTION = 0.4;
/** ... and when both sides stay at least this many pixels long. */
export const MIN_BOX_SIDE = 2;

/** Mirrors boxes in an image `width` pixels wide. */
export function flipBoxesHorizontally(boxes: readonly LabelledBox[], width: number): LabelledBox[] {
  return boxes.map(({ classIndex, box }) => ({
    classIndex,
    box: [width - box[2], box[1], width - box[0], box[3]],
  }));
}

/**
 * Boxes moved with the image by `transform`, clipped to `size` × `size`; a box with less than
 * MIN_VISIBLE_FRACTION of its area left inside, or a side under MIN_BOX_SIDE, is dropped.
 */
export function transformBoxes(
  boxes: readonly LabelledBox[],
  transform: ScaleTranslate,
  size: number,
): LabelledBox[] {
  const { scale, dx, dy } = transform;
  const kept: LabelledBox[] = [];
  for (const { classIndex, box } of boxes) {
    const moved: BoxCorners = [
      box[0] * scale + dx,
      box[1] * scale + dy,
      box[2] * scale + dx,
      box[3] * scale + dy,
    ];
    const clipped = clipBox(moved, size, size);
    const area = boxArea(moved);
    if (area <= 0) continue;
    if (boxArea(clipped) / area < MIN_VISIBLE_FRACTION) continue;
    if (clipped[2] - clipped[0] < MIN_BOX_SIDE || clipped[3] - clipped[1] < MIN_BOX_SIDE) continue;
    kept.push({ classIndex, box: clipped });
  }
  return kept;
}

export function clipBox(box: BoxCorners, width: number, height: number): BoxCorners {
  return [
    clamp(box[0], 0, width),
    clamp(box[1], 0, height),
    clamp(box[2], 0, width),
    clamp(box[3], 0, height),
  ];
}

export function boxArea(box: BoxCorners): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}
