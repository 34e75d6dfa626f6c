// Decoding for training, evaluation and prediction, and the scan's per-file check. One pipeline so
// that what the scan accepts is exactly what training can decode:
//   bytes → inspectImage (sniff by content, claimed size vs pixel limit, container complete)
//         → sharp (or our BMP reader; sharp's prebuilt libvips has no BMP loader)
//         → EXIF auto-orientation → alpha flattened onto BLACK → resize (stretch, centre crop or pad; see
//           resizeMode.ts) → sRGB or luminance → uint8 HWC.
// JPEGs far larger than the target are decoded with libjpeg's shrink-on-load (1/2, 1/4 or 1/8 of the
// size, chosen by sharp from the resize target): a 12-megapixel photo never exists at full size here.
// Black, because most pipelines (PIL's convert('RGB'), Keras' load_img) drop alpha, and transparent
// pixels are stored as black by most encoders: the same pixels our users' other tools would see.
import { open } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import type { ResizeMode } from '../protocol/config';
import { decodeBmp, type DecodedBmp } from '../core/bmp';
import { inspectImage, type ImageHeader, type ImageProblem } from '../core/imageHeader';
import { describeImageProblem } from '../core/dataset';
import { checkPng, decodePngExact, PNG_CHECK_MAX_PIXELS, pngCheckAvailable } from './pngCheck';
import { sharpResizeOptions } from './resizeMode';
import { letterboxGeometry } from '../core/detection/letterbox';

/** 100 megapixels: far above any training image, far below what would exhaust memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
export const DEFAULT_DECODE_TIMEOUT_MS = 30_000;
/** Files above this size are refused before they are read into memory. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
export const ALPHA_BACKGROUND = { r: 0, g: 0, b: 0 } as const;
/** libvips fails on real decode errors (truncation, bad data) but not on recoverable warnings. */
const FAIL_ON = 'error' as const;
/** Above this many pixels the scan's full check decodes through a shrink, so memory stays small. */
const VERIFY_RAW_MAX_PIXELS = 4_000_000;

export interface DecodeOptions {
  timeoutMs?: number;
  maxPixels?: number;
  /** How the image is fitted into the square; `stretch` when absent. */
  resize?: ResizeMode;
}

/** A file that cannot be used; `problem` says why and `message` is the one-line reason. */
export class ImageDecodeError extends Error {
  constructor(
    readonly problem: ImageProblem,
    readonly path?: string,
  ) {
    super(path === undefined ? describeImageProblem(problem) : `${path}: ${describeImageProblem(problem)}`);
    this.name = 'ImageDecodeError';
  }
}

export async function decodeImage(
  absPath: string,
  imageSize: number,
  channels: 1 | 3,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  const buf = await readImageFile(absPath, DEFAULT_MAX_FILE_BYTES);
  try {
    return await decodeImageBuffer(buf, imageSize, channels, options);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw new ImageDecodeError(error.problem, absPath);
    throw error;
  }
}

/** imageSize×imageSize×channels uint8, row-major HWC. */
export async function decodeImageBuffer(
  buf: Uint8Array,
  imageSize: number,
  channels: 1 | 3,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  if (!Number.isInteger(imageSize) || imageSize < 1)
    throw new RangeError(`image size must be a positive integer, got ${imageSize}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = checkHeader(buf, maxPixels);
  if (header.format === 'png' && header.width === imageSize && header.height === imageSize) {
    // Same bytes as the sharp pipeline, without its ~1 ms a call (Fashion-MNIST-like sets). The size
    // test first keeps other PNGs from being inflated twice. A square already is every mode's identity.
    const exact = decodePngExact(buf, imageSize, channels);
    if (exact) return exact;
  }
  return decodeWithSharp(buf, header, imageSize, channels, timeoutMs, maxPixels, options.resize);
}

/** The general pipeline; exported so tests can hold the PNG fast path to it. */
export async function decodeImageBufferWithSharp(
  buf: Uint8Array,
  imageSize: number,
  channels: 1 | 3,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = checkHeader(buf, maxPixels);
  return decodeWithSharp(
    buf,
    header,
    imageSize,
    channels,
    options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS,
    maxPixels,
    options.resize,
  );
}

function decodeWithSharp(
  buf: Uint8Array,
  header: ImageHeader,
  imageSize: number,
  channels: 1 | 3,
  timeoutMs: number,
  maxPixels: number,
  resize: ResizeMode = 'stretch',
): Promise<Uint8Array> {
  return withTimeout(timeoutMs, async () => {
    let image = openImage(buf, header, maxPixels, timeoutMs)
      .flatten({ background: ALPHA_BACKGROUND })
      .resize(imageSize, imageSize, sharpResizeOptions(resize));
    image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    const { data, info } = await runSharp(() =>
      image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    );
    if (info.width !== imageSize || info.height !== imageSize || info.channels !== channels) {
      throw new Error(
        `decoder returned ${info.width}×${info.height}×${info.channels}, expected ${imageSize}×${imageSize}×${channels}`,
      );
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  });
}

/** A letterboxed image for the detector: the upright original's size and the square input's pixels. */
export interface LetterboxedImage {
  /** inputSize × inputSize × channels uint8, HWC: the image scaled to `scaledWidth` × `scaledHeight` at
   * the top-left corner, black elsewhere. */
  pixels: Uint8Array;
  /** The upright original (EXIF orientation applied), in pixels. */
  width: number;
  height: number;
  scaledWidth: number;
  scaledHeight: number;
}

/**
 * The detector's decode: the same checks and pipeline as decodeImage (sniffing, pixel limit, EXIF
 * orientation, alpha onto black), then one scale for both axes so that the long side fills `inputSize`,
 * placed top-left with black padding right or below (core/detection/letterbox.ts maps boxes).
 */
export async function decodeImageLetterboxed(
  absPath: string,
  inputSize: number,
  channels: 1 | 3,
  options: DecodeOptions = {},
): Promise<LetterboxedImage> {
  const buf = await readImageFile(absPath, DEFAULT_MAX_FILE_BYTES);
  try {
    return await decodeBufferLetterboxed(buf, inputSize, channels, options);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw new ImageDecodeError(error.problem, absPath);
    throw error;
  }
}

export async function decodeBufferLetterboxed(
  buf: Uint8Array,
  inputSize: number,
  channels: 1 | 3,
  options: DecodeOptions = {},
): Promise<LetterboxedImage> {
  if (!Number.isInteger(inputSize) || inputSize < 1)
    throw new RangeError(`image size must be a positive integer, got ${inputSize}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = checkHeader(buf, maxPixels);
  return withTimeout(timeoutMs, async () => {
    let width = header.width;
    let height = header.height;
    if (header.format !== 'bmp') {
      const meta = await runSharp(() => openImage(buf, header, maxPixels, timeoutMs).metadata());
      width = meta.autoOrient?.width ?? meta.width ?? width;
      height = meta.autoOrient?.height ?? meta.height ?? height;
    }
    const geometry = letterboxGeometry(width, height, inputSize);
    let image = openImage(buf, header, maxPixels, timeoutMs)
      .flatten({ background: ALPHA_BACKGROUND })
      .resize(geometry.scaledWidth, geometry.scaledHeight, { fit: 'fill' });
    image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    const { data, info } = await runSharp(() =>
      image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    );
    if (
      info.width !== geometry.scaledWidth ||
      info.height !== geometry.scaledHeight ||
      info.channels !== channels
    )
      throw new Error(
        `decoder returned ${info.width}×${info.height}×${info.channels}, expected ${geometry.scaledWidth}×${geometry.scaledHeight}×${channels}`,
      );
    const pixels = new Uint8Array(inputSize * inputSize * channels);
    const row = geometry.scaledWidth * channels;
    for (let y = 0; y < geometry.scaledHeight; y++)
      pixels.set(data.subarray(y * row, (y + 1) * row), y * inputSize * channels);
    return { pixels, width, height, scaledWidth: geometry.scaledWidth, scaledHeight: geometry.scaledHeight };
  });
}

export type VerifyMode = 'full' | 'header';

/**
 * The scan's check. `header`: content sniff, claimed dimensions and container completeness (no
 * pixels decoded; catches truncation, misses corrupt data inside a complete file). `full`: that, then
 * every pixel of the first frame decoded. Returns null when the image is usable.
 */
export async function verifyImageBuffer(
  buf: Uint8Array,
  mode: VerifyMode,
  options: DecodeOptions = {},
): Promise<ImageProblem | null> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS;
  try {
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    const header = checkHeader(buf, maxPixels);
    if (mode === 'header') return null;
    const pixels = header.width * header.height;
    // Fast paths that check as much as a decode does, without a sharp call (about 1 ms each).
    if (header.format === 'png' && pngCheckAvailable && pixels <= PNG_CHECK_MAX_PIXELS) {
      const detail = checkPng(buf);
      return detail === null ? null : { kind: 'corrupt', detail: `PNG: ${detail}` };
    }
    if (header.format === 'bmp') {
      decodeBmpOrThrow(buf);
      return null;
    }
    await withTimeout(timeoutMs, async () => {
      let image = openImage(buf, header, maxPixels, timeoutMs);
      if (pixels > VERIFY_RAW_MAX_PIXELS) image = image.resize(64, 64, { fit: 'inside' });
      await runSharp(() => image.raw().toBuffer());
    });
    return null;
  } catch (error) {
    if (error instanceof ImageDecodeError) return error.problem;
    throw error;
  }
}

/** Reads a file with a size cap; an unreadable or oversized file is an ImageDecodeError. */
export async function readImageFile(absPath: string, maxBytes: number): Promise<Buffer> {
  let buf: Buffer;
  try {
    const handle = await open(absPath, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes)
        throw new ImageDecodeError({ kind: 'too-large', bytes: size, limit: maxBytes }, absPath);
      buf = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError({ kind: 'unreadable', detail: errorCode(error) }, absPath);
  }
  return buf;
}

function errorCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

function checkHeader(buf: Uint8Array, maxPixels: number): ImageHeader {
  const check = inspectImage(buf, maxPixels);
  if (!check.ok) throw new ImageDecodeError(check.problem);
  return check.header;
}

/** A sharp pipeline on the first frame, pixel-limited, EXIF-rotated; BMP decoded by us first. */
function openImage(buf: Uint8Array, header: ImageHeader, maxPixels: number, timeoutMs: number): Sharp {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (header.format === 'bmp') {
    const bmp = decodeBmpOrThrow(buf);
    return sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } }).timeout(
      {
        seconds,
      },
    );
  }
  // The header was checked against the limit already; sharp's own check is the backstop.
  return sharp(buf, { failOn: FAIL_ON, limitInputPixels: maxPixels, autoOrient: true, pages: 1 }).timeout({
    seconds,
  });
}

function decodeBmpOrThrow(buf: Uint8Array): DecodedBmp {
  try {
    return decodeBmp(buf);
  } catch (error) {
    throw new ImageDecodeError({
      kind: 'corrupt',
      detail: `BMP: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

/** Runs a sharp call and turns its failures into a corrupt-image problem with a short detail. */
async function runSharp<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ImageDecodeError({ kind: 'corrupt', detail: shortSharpMessage(error) });
  }
}

export function shortSharpMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const line = raw.split('\n').find((l) => l.trim() !== '') ?? raw;
  const cleaned = line
    .replace(/^Input (buffer|file) (has corrupt header|contains unsupported image format):?\s*/i, '')
    .replace(/^(vips\w*|VipsJpeg|gifload_buffer|tiff2vips|webpload_buffer|pngload_buffer):\s*/i, '')
    .trim();
  const text = cleaned === '' ? line.trim() : cleaned;
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/**
 * Rejects after `ms` even if the native call never returns. sharp's own timeout stops libvips at
 * whole seconds; this one guarantees the caller moves on.
 */
async function withTimeout<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ImageDecodeError({ kind: 'timeout', ms })), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
