// BMP reader. sharp's prebuilt libvips has no BMP loader (it would need ImageMagick), so we decode
// Windows bitmaps here and hand sharp raw pixels. Pure and bounds-checked: hostile headers fail with
// an error, never an out-of-range read or an allocation the pixel limit did not allow.

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  /** 0 RGB, 1 RLE8, 2 RLE4, 3 BITFIELDS, 6 ALPHABITFIELDS. */
  compression: number;
  topDown: boolean;
  dataOffset: number;
  headerSize: number;
}

export interface DecodedBmp {
  width: number;
  height: number;
  channels: 3 | 4;
  /** Top-down rows, RGB or RGBA, no padding. */
  data: Uint8Array;
}

export class BmpError extends Error {
  override name = 'BmpError';
}

function fail(message: string): never {
  throw new BmpError(message);
}

function u16(b: Uint8Array, at: number): number {
  if (at + 2 > b.length) fail('truncated');
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) fail('truncated');
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function i32(b: Uint8Array, at: number): number {
  return u32(b, at) | 0;
}

const SUPPORTED_BITS = [1, 4, 8, 16, 24, 32];

export function rowStride(width: number, bitsPerPixel: number): number {
  return Math.floor((width * bitsPerPixel + 31) / 32) * 4;
}

/** Reads and validates the header, and checks that uncompressed pixel data reaches the end of the file. */
export function parseBmpHeader(b: Uint8Array): BmpHeader {
  if (b[0] !== 0x42 || b[1] !== 0x4d) fail('not a BMP');
  const dataOffset = u32(b, 10);
  const headerSize = u32(b, 14);
  let width: number;
  let height: number;
  let bitsPerPixel: number;
  let compression = 0;
  if (headerSize === 12) {
    width = u16(b, 18);
    height = u16(b, 20);
    bitsPerPixel = u16(b, 24);
  } else if (headerSize >= 40 && headerSize <= 124) {
    width = i32(b, 18);
    height = i32(b, 22);
    bitsPerPixel = u16(b, 28);
    compression = u32(b, 30);
  } else {
    fail(`unknown header size ${headerSize}`);
  }
  if (!SUPPORTED_BITS.includes(bitsPerPixel)) fail(`unsupported ${bitsPerPixel} bits per pixel`);
  if (![0, 1, 2, 3, 6].includes(compression)) fail(`unsupported compression ${compression}`);
  if (compression === 1 && bitsPerPixel !== 8) fail('RLE8 needs 8 bits per pixel');
  if (compression === 2 && bitsPerPixel !== 4) fail('RLE4 needs 4 bits per pixel');
  if ((compression === 3 || compression === 6) && bitsPerPixel !== 16 && bitsPerPixel !== 32)
    fail('bit fields need 16 or 32 bits per pixel');
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0) fail('zero width or height');
  if (dataOffset >= b.length) fail('truncated (no pixel data)');
  if (compression === 0 || compression === 3 || compression === 6) {
    if (dataOffset + rowStride(width, bitsPerPixel) * height > b.length)
      fail('truncated (pixel data past the end of the file)');
  }
  return { width, height, bitsPerPixel, compression, topDown, dataOffset, headerSize };
}

/** Decodes the whole bitmap. Callers apply the pixel limit to `parseBmpHeader`'s dimensions first. */
export function decodeBmp(b: Uint8Array): DecodedBmp {
  const h = parseBmpHeader(b);
  const palette = h.bitsPerPixel <= 8 ? readPalette(b, h) : null;
  const masks = h.bitsPerPixel === 16 || h.bitsPerPixel === 32 ? readMasks(b, h) : null;
  const hasAlpha = masks !== null && masks[3] !== 0;
  const channels: 3 | 4 = hasAlpha ? 4 : 3;
  const out = new Uint8Array(h.width * h.height * channels);
  if (h.compression === 1 || h.compression === 2) {
    decodeRle(b, h, palette ?? fail('missing palette'), out);
    return { width: h.width, height: h.height, channels, data: out };
  }
  const stride = rowStride(h.width, h.bitsPerPixel);
  let alphaSeen = false;
  for (let y = 0; y < h.height; y++) {
    const row = h.dataOffset + stride * (h.topDown ? y : h.height - 1 - y);
    for (let x = 0; x < h.width; x++) {
      const o = (y * h.width + x) * channels;
      if (palette) {
        const bits = h.bitsPerPixel;
        const bitPos = x * bits;
        const byte = b[row + (bitPos >> 3)];
        const index = (byte >> (8 - bits - (bitPos & 7))) & ((1 << bits) - 1);
        writePaletteColour(palette, index, out, o);
      } else if (h.bitsPerPixel === 24) {
        const p = row + x * 3;
        out[o] = b[p + 2];
        out[o + 1] = b[p + 1];
        out[o + 2] = b[p];
      } else if (masks) {
        const value = h.bitsPerPixel === 16 ? u16(b, row + x * 2) : u32(b, row + x * 4);
        for (let c = 0; c < channels; c++) out[o + c] = maskedChannel(value, masks[c]);
        if (hasAlpha && out[o + 3] !== 0) alphaSeen = true;
      }
    }
  }
  // Many writers leave the alpha of 32-bit bitmaps at zero: treat an all-zero alpha as opaque.
  if (hasAlpha && !alphaSeen) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { width: h.width, height: h.height, channels, data: out };
}

function readPalette(b: Uint8Array, h: BmpHeader): Uint8Array {
  const entrySize = h.headerSize === 12 ? 3 : 4;
  const used = h.headerSize === 12 ? 0 : u32(b, 46);
  const count = Math.min(used === 0 ? 1 << h.bitsPerPixel : used, 256);
  const start = 14 + h.headerSize;
  if (start + count * entrySize > b.length) fail('truncated palette');
  const palette = new Uint8Array(256 * 3); // unused entries stay black, so any index is safe
  for (let i = 0; i < count; i++) {
    const p = start + i * entrySize;
    palette[i * 3] = b[p + 2];
    palette[i * 3 + 1] = b[p + 1];
    palette[i * 3 + 2] = b[p];
  }
  return palette;
}

function writePaletteColour(palette: Uint8Array, index: number, out: Uint8Array, o: number): void {
  out[o] = palette[index * 3];
  out[o + 1] = palette[index * 3 + 1];
  out[o + 2] = palette[index * 3 + 2];
}

/** RGBA masks: explicit for bit fields, else the defaults (5-5-5 for 16 bits, 8-8-8 with an unused byte for 32). */
function readMasks(b: Uint8Array, h: BmpHeader): [number, number, number, number] {
  if (h.compression === 3 || h.compression === 6) {
    const alpha = h.compression === 6 || h.headerSize >= 56 ? u32(b, 66) : 0;
    return [u32(b, 54), u32(b, 58), u32(b, 62), alpha];
  }
  return h.bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0xff00, 0xff, 0];
}

function maskedChannel(value: number, mask: number): number {
  if (mask === 0) return 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return Math.round((((value & mask) >>> shift) * 255) / max);
}

/** RLE8/RLE4: runs and absolute runs of palette indices, with end-of-line, end-of-bitmap and delta escapes. */
function decodeRle(b: Uint8Array, h: BmpHeader, palette: Uint8Array, out: Uint8Array): void {
  const four = h.compression === 2;
  let at = h.dataOffset;
  let x = 0;
  let y = 0; // counted from the bottom row
  const put = (index: number): void => {
    if (x < h.width && y < h.height)
      writePaletteColour(palette, index, out, ((h.height - 1 - y) * h.width + x) * 3);
    x++;
  };
  for (;;) {
    if (at + 2 > b.length) fail('truncated (no end-of-bitmap marker)');
    const count = b[at];
    const value = b[at + 1];
    at += 2;
    if (count > 0) {
      for (let i = 0; i < count; i++) put(four ? (i & 1 ? value & 15 : value >> 4) : value);
    } else if (value === 0) {
      x = 0;
      y++;
    } else if (value === 1) {
      return;
    } else if (value === 2) {
      if (at + 2 > b.length) fail('truncated');
      x += b[at];
      y += b[at + 1];
      at += 2;
    } else {
      const bytes = four ? Math.ceil(value / 2) : value;
      if (at + bytes > b.length) fail('truncated');
      for (let i = 0; i < value; i++)
        put(four ? (i & 1 ? b[at + (i >> 1)] & 15 : b[at + (i >> 1)] >> 4) : b[at + i]);
      at += bytes + (bytes & 1);
    }
    if (y > h.height) fail('runs past the last row');
  }
}
