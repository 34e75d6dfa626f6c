// Does a data set look like photos (colour, larger than thumbnails)? Then a pretrained base trains a far
// better model than one from scratch, and Train Model and `train` recommend it. Decided from the first
// bytes of a few files (PNG IHDR, JPEG SOF), so the editor can ask without decoding anything.

export interface ImageShape {
  width: number;
  height: number;
  /** Colour components: 1 grey, 3 colour, 4 CMYK or with alpha. */
  channels: number;
}

/** Bytes from the start of a file that peekImageShape needs (JPEG SOF may follow large EXIF blocks). */
export const PEEK_BYTES = 256 * 1024;

/** Width, height and channels from a file's first bytes, or null (other formats, or not found in them). */
export function peekImageShape(b: Uint8Array): ImageShape | null {
  if (b.length >= 26 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    const width = readU32(b, 16);
    const height = readU32(b, 20);
    const colourType = b[25];
    // 0 grey, 4 grey + alpha; 2 RGB, 3 palette (colour), 6 RGBA.
    const channels = colourType === 0 || colourType === 4 ? 1 : 3;
    return width > 0 && height > 0 ? { width, height, channels } : null;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return peekJpeg(b);
  return null;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Walks the JPEG markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function peekJpeg(b: Uint8Array): ImageShape | null {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (b[at + 2] << 8) | b[at + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const height = (b[at + 5] << 8) | b[at + 6];
      const width = (b[at + 7] << 8) | b[at + 8];
      const channels = b[at + 9];
      return width > 0 && height > 0 && channels > 0 ? { width, height, channels } : null;
    }
    if (marker === 0xda || length < 2) return null;
    at += 2 + length;
  }
  return null;
}

export interface PhotoProfile {
  /** Files whose shape could be read. */
  sampled: number;
  /** Median of the shorter side, in pixels. */
  medianShortSide: number;
  /** Share of the sampled files in colour. */
  colourShare: number;
  /** Colour and larger than 64 px: the images a pretrained base is made for. */
  photos: boolean;
}

/** Smallest shorter side (median) above which images count as photos rather than thumbnails or icons. */
export const PHOTO_MIN_SIDE = 64;

export function photoProfile(shapes: readonly (ImageShape | null)[]): PhotoProfile {
  const known = shapes.filter((s): s is ImageShape => s !== null);
  if (known.length === 0) return { sampled: 0, medianShortSide: 0, colourShare: 0, photos: false };
  const sides = known.map((s) => Math.min(s.width, s.height)).sort((a, b) => a - b);
  const medianShortSide = sides[Math.floor(sides.length / 2)];
  const colourShare = known.filter((s) => s.channels >= 3).length / known.length;
  return {
    sampled: known.length,
    medianShortSide,
    colourShare,
    photos: colourShare >= 0.5 && medianShortSide > PHOTO_MIN_SIDE,
  };
}

/** Up to `count` items spread evenly over `items` (every class folder gets a say). */
export function spreadSample<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}
