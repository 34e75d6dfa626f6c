// Where a ground-truth or predicted box lands on a scaled picture of its image (a gallery thumbnail, the
// inspector's view), and which colour slot its class gets. Boxes are in pixels of the original image
// (EXIF applied, see protocol/detection.ts); pictures are made by sharp with one of the resize modes
// (trainer/resizeMode.ts: stretch = fill, crop = cover, pad = contain, all centred), so the mapping below
// follows the same geometry. Pure: the webview and the host's tests import it.
import type { BoxCorners } from '../../protocol/detection';

export type PictureFit = 'stretch' | 'crop' | 'pad';

/** A box on the picture, in the picture's pixels, clipped to it; `clipped` when part of it was cut off. */
export interface PictureBox {
  left: number;
  top: number;
  width: number;
  height: number;
  clipped: boolean;
}

export interface PictureTransform {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

/** The affine map from image pixels to picture pixels for an image drawn into `pictureW × pictureH`. */
export function pictureTransform(
  imageWidth: number,
  imageHeight: number,
  pictureWidth: number,
  pictureHeight: number,
  fit: PictureFit,
): PictureTransform {
  if (!(imageWidth > 0 && imageHeight > 0 && pictureWidth > 0 && pictureHeight > 0))
    return { scaleX: 0, scaleY: 0, offsetX: 0, offsetY: 0 };
  if (fit === 'stretch')
    return { scaleX: pictureWidth / imageWidth, scaleY: pictureHeight / imageHeight, offsetX: 0, offsetY: 0 };
  const sx = pictureWidth / imageWidth;
  const sy = pictureHeight / imageHeight;
  // cover scales until both sides fill the picture (the larger factor), contain until both fit (the smaller).
  const scale = fit === 'crop' ? Math.max(sx, sy) : Math.min(sx, sy);
  return {
    scaleX: scale,
    scaleY: scale,
    offsetX: (pictureWidth - imageWidth * scale) / 2,
    offsetY: (pictureHeight - imageHeight * scale) / 2,
  };
}

/** A box in image pixels → its rectangle on the picture, clipped to the picture; null when nothing shows. */
export function boxOnPicture(
  box: BoxCorners,
  t: PictureTransform,
  pictureWidth: number,
  pictureHeight: number,
): PictureBox | null {
  const x1 = box[0] * t.scaleX + t.offsetX;
  const y1 = box[1] * t.scaleY + t.offsetY;
  const x2 = box[2] * t.scaleX + t.offsetX;
  const y2 = box[3] * t.scaleY + t.offsetY;
  const left = Math.max(0, Math.min(x1, x2));
  const top = Math.max(0, Math.min(y1, y2));
  const right = Math.min(pictureWidth, Math.max(x1, x2));
  const bottom = Math.min(pictureHeight, Math.max(y1, y2));
  // A zero-area box (a doctor finding) still gets a visible 1-pixel mark where it is.
  if (right < left || bottom < top) return null;
  const clipped =
    Math.min(x1, x2) < 0 ||
    Math.min(y1, y2) < 0 ||
    Math.max(x1, x2) > pictureWidth ||
    Math.max(y1, y2) > pictureHeight;
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top), clipped };
}

/** Colour slots the stylesheet defines for boxes (`--box-colour-0` … ), one set per theme. */
export const CLASS_COLOUR_SLOTS = 10;

export function classColourSlot(classIndex: number): number {
  return Number.isInteger(classIndex) && classIndex >= 0 ? classIndex % CLASS_COLOUR_SLOTS : 0;
}
