// The geometry of each resize mode as sharp options: one table for the trainer's decoder and for the
// inference snippet that `export` writes, so that the two cannot fit an image into the square differently.
import type { ResizeMode } from '../protocol/config';

/** What `pad` fills the bands with: black, as transparent pixels are flattened (see imageDecode.ts). */
export const PAD_BACKGROUND = { r: 0, g: 0, b: 0 } as const;

export interface SharpResizeOptions {
  fit: 'fill' | 'cover' | 'contain';
  position: 'centre';
  background: typeof PAD_BACKGROUND;
}

const FITS: { readonly [M in ResizeMode]: SharpResizeOptions['fit'] } = {
  stretch: 'fill',
  crop: 'cover',
  pad: 'contain',
};

/**
 * The options of `sharp.resize(size, size, options)` for a mode. sharp applies EXIF orientation before
 * this geometry (so crop keeps the centre of the upright photo) and still decodes JPEGs with
 * shrink-on-load: the target size, not the call order, decides that.
 */
export function sharpResizeOptions(mode: ResizeMode): SharpResizeOptions {
  return { fit: FITS[mode], position: 'centre', background: PAD_BACKGROUND };
}
