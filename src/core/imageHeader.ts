// Pure, cheap inspection of image files: what format the bytes really are, the dimensions the header
// claims, and whether the container is structurally complete (a truncated file is missing its end).
// Used before any decoder sees the bytes: it decides "not an image" by content (never by extension),
// applies the pixel limit without decoding (decompression-bomb guard), and is the whole check in the
// scan's fast `header` mode. No decoder here: it walks container structure only.
import { parseBmpHeader } from './bmp';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'tiff' | 'bmp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Frames in an animated GIF (decoders use the first); 1 otherwise. */
  frames: number;
}

/** Why a file is not usable; the scan turns these into skip reasons (`describeImageProblem`). */
export type ImageProblem =
  | { kind: 'empty' }
  | { kind: 'not-an-image' }
  | { kind: 'corrupt'; detail: string }
  | { kind: 'over-pixel-limit'; width: number; height: number; limit: number }
  | { kind: 'too-large'; bytes: number; limit: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'unreadable'; detail: string };

export type HeaderCheck = { ok: true; header: ImageHeader } | { ok: false; problem: ImageProblem };

export function sniffImageFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && ascii(b, 0, 4) === 'GIF8' && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61)
    return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))
  ) {
    return 'tiff';
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return null;
}

/** Sniffs, reads the claimed dimensions, checks the container reaches its end, and applies the pixel limit. */
export function inspectImage(bytes: Uint8Array, maxPixels: number): HeaderCheck {
  if (bytes.length === 0) return { ok: false, problem: { kind: 'empty' } };
  const format = sniffImageFormat(bytes);
  if (format === null) return { ok: false, problem: { kind: 'not-an-image' } };
  let header: ImageHeader;
  try {
    header = PARSERS[format](bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, problem: { kind: 'corrupt', detail: `${format.toUpperCase()}: ${detail}` } };
  }
  if (header.width <= 0 || header.height <= 0) {
    return {
      ok: false,
      problem: { kind: 'corrupt', detail: `${format.toUpperCase()}: zero width or height` },
    };
  }
  if (header.width * header.height > maxPixels) {
    return {
      ok: false,
      problem: { kind: 'over-pixel-limit', width: header.width, height: header.height, limit: maxPixels },
    };
  }
  return { ok: true, header };
}

class HeaderError extends Error {}

function fail(message: string): never {
  throw new HeaderError(message);
}

function ascii(b: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length && i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function u16be(b: Uint8Array, at: number): number {
  if (at + 2 > b.length) fail('truncated');
  return (b[at] << 8) | b[at + 1];
}

function u32be(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) fail('truncated');
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function u16le(b: Uint8Array, at: number): number {
  if (at + 2 > b.length) fail('truncated');
  return b[at] | (b[at + 1] << 8);
}

function u32le(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) fail('truncated');
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

const PARSERS: Record<ImageFormat, (b: Uint8Array) => ImageHeader> = {
  png: parsePng,
  jpeg: parseJpeg,
  gif: parseGif,
  webp: parseWebp,
  tiff: parseTiff,
  bmp: (b) => {
    const h = parseBmpHeader(b);
    return { format: 'bmp', width: h.width, height: h.height, frames: 1 };
  },
};

/** PNG: IHDR first; walk the chunks to IEND (a truncated file never reaches it). */
function parsePng(b: Uint8Array): ImageHeader {
  if (ascii(b, 12, 4) !== 'IHDR' || u32be(b, 8) !== 13) fail('missing IHDR chunk');
  // A flipped bit in IHDR must read as damage, not as a (maybe huge) size.
  if (crc32(b, 12, 29) !== u32be(b, 29)) fail('bad CRC in IHDR chunk');
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  let at = 8;
  for (;;) {
    const length = u32be(b, at);
    const type = ascii(b, at + 4, 4);
    const next = at + 12 + length;
    if (next > b.length) fail(`truncated in ${type} chunk`);
    if (type === 'IEND') break;
    at = next;
  }
  return { format: 'png', width, height, frames: 1 };
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (the PNG/zlib polynomial) of b[start, end). */
function crc32(b: Uint8Array, start: number, end: number): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** JPEG: marker segments up to the frame header, then an end-of-image marker after the scan data. */
function parseJpeg(b: Uint8Array): ImageHeader {
  let at = 2;
  let width = -1;
  let height = -1;
  let scanAt = -1;
  while (at < b.length) {
    if (b[at] !== 0xff) fail('bad marker');
    const marker = b[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (marker === 0xd9) fail('ends before the image data');
    const length = u16be(b, at + 2);
    if (length < 2 || at + 2 + length > b.length) fail('truncated in a header segment');
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      height = u16be(b, at + 5);
      width = u16be(b, at + 7);
    }
    if (marker === 0xda) {
      scanAt = at + 2 + length;
      break;
    }
    at += 2 + length;
  }
  if (scanAt < 0) fail('no image data');
  if (width < 0) fail('no frame header');
  // Some cameras append data after the end marker, so look for the last one anywhere after the scan.
  let end = -1;
  for (let i = b.length - 2; i >= scanAt; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) {
      end = i;
      break;
    }
  }
  if (end < 0) fail('truncated (no end-of-image marker)');
  return { format: 'jpeg', width, height, frames: 1 };
}

/** GIF: walk extension and image blocks (their sub-blocks are length-prefixed) to the trailer. */
function parseGif(b: Uint8Array): ImageHeader {
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  const flags = b[10];
  let at = 13;
  if (flags & 0x80) at += 3 << ((flags & 7) + 1);
  let frames = 0;
  const skipSubBlocks = (): void => {
    for (;;) {
      if (at >= b.length) fail('truncated in a data block');
      const size = b[at];
      at += 1 + size;
      if (size === 0) return;
    }
  };
  for (;;) {
    if (at >= b.length) fail('truncated (no trailer)');
    const block = b[at];
    if (block === 0x3b) break;
    if (block === 0x21) {
      at += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      const localFlags = b[at + 9];
      at += 10;
      if (localFlags & 0x80) at += 3 << ((localFlags & 7) + 1);
      at += 1; // LZW minimum code size
      skipSubBlocks();
      frames += 1;
    } else {
      fail('bad block');
    }
  }
  if (frames === 0) fail('no image');
  return { format: 'gif', width, height, frames };
}

/** WebP: the RIFF length must fit the file; dimensions from the VP8, VP8L or VP8X chunk. */
function parseWebp(b: Uint8Array): ImageHeader {
  const riffEnd = 8 + u32le(b, 4);
  if (riffEnd > b.length) fail('truncated');
  const chunk = ascii(b, 12, 4);
  let width: number;
  let height: number;
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) fail('bad VP8 frame');
    width = u16le(b, 26) & 0x3fff;
    height = u16le(b, 28) & 0x3fff;
  } else if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) fail('bad VP8L signature');
    const bits = u32le(b, 21);
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (chunk === 'VP8X') {
    if (30 > b.length) fail('truncated');
    width = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    height = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
  } else {
    fail('unknown chunk');
  }
  return { format: 'webp', width, height, frames: 1 };
}

/** Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, ... DOUBLE, IFD). */
const TIFF_TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
};

/** TIFF (classic): first IFD; every strip or tile must lie inside the file. */
function parseTiff(b: Uint8Array): ImageHeader {
  const le = b[0] === 0x49;
  const u16 = (at: number): number => (le ? u16le(b, at) : u16be(b, at));
  const u32 = (at: number): number => (le ? u32le(b, at) : u32be(b, at));
  const ifd = u32(4);
  const count = u16(ifd);
  if (ifd + 2 + count * 12 + 4 > b.length) fail('truncated in the directory');
  const tags = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    const tag = u16(entry);
    const type = u16(entry + 2);
    const n = u32(entry + 4);
    const size = TIFF_TYPE_SIZES[type] ?? 0;
    const at = n * size <= 4 ? entry + 8 : u32(entry + 8);
    if (at + n * size > b.length) fail('truncated (a tag value past the end of the file)');
    if ((size !== 2 && size !== 4) || ![256, 257, 273, 279, 324, 325].includes(tag)) continue;
    const values: number[] = [];
    for (let k = 0; k < n; k++) values.push(size === 2 ? u16(at + k * 2) : u32(at + k * 4));
    tags.set(tag, values);
  }
  const width = tags.get(256)?.[0] ?? fail('no width');
  const height = tags.get(257)?.[0] ?? fail('no height');
  const offsets = tags.get(273) ?? tags.get(324) ?? fail('no image data');
  const counts = tags.get(279) ?? tags.get(325) ?? [];
  for (let i = 0; i < offsets.length; i++) {
    if (offsets[i] + (counts[i] ?? 0) > b.length) fail('truncated (image data past the end of the file)');
  }
  return { format: 'tiff', width, height, frames: 1 };
}
