// Fashion-MNIST as class folders of PNGs, for the benchmarks: gunzips and parses Debian's IDX files
// (`dataset-fashion-mnist`, /usr/share/datasets/fashion-mnist/*.gz) and writes
// `<cache>/fashion-mnist/{train,test}/<class>/<index>.png` once. A folder is complete when its hidden
// marker file exists (scan ignores hidden files), so an interrupted conversion is redone, never half-used.
// Subsets (`perClass`, `skipPerClass`) and views (a split-folder layout of hard links) reuse the files.
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gunzipSync } from 'node:zlib';
import { pngChunk } from '../test/fixtures/imageFactory';

export const FASHION_SOURCE_DIR = '/usr/share/datasets/fashion-mnist';

/** Label order of the IDX files; folder names without the '/' of "T-shirt/top". */
export const FASHION_CLASSES = [
  'tshirt-top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
] as const;

export type FashionSplit = 'train' | 'test';

const SOURCE_FILES: Record<FashionSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
};

const MARKER = '.complete.json';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX buffer of unsigned bytes (type code 0x08): magic 0x0000 08 NDIMS, NDIMS big-endian
 * uint32 sizes, then the values. Throws on another type, a short header or a size mismatch.
 */
export function parseIdx(buffer: Uint8Array): IdxArray {
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0)
    throw new Error('not an IDX file (bad magic number)');
  if (buffer[2] !== 0x08)
    throw new Error(`IDX value type 0x${buffer[2].toString(16)} is not unsigned bytes (0x08)`);
  const ndims = buffer[3];
  const headerBytes = 4 + 4 * ndims;
  if (ndims === 0 || buffer.length < headerBytes) throw new Error('IDX header is truncated');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buffer.length - headerBytes !== count) {
    throw new Error(
      `IDX data holds ${buffer.length - headerBytes} bytes; the header's sizes ${dims.join('×')} need ${count}`,
    );
  }
  return { dims, data: buffer.subarray(headerBytes) };
}

export interface FashionArrays {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** Reads one split's image and label IDX files (gzipped or not) and checks they agree. */
export async function readFashionSplit(
  split: FashionSplit,
  sourceDir = FASHION_SOURCE_DIR,
): Promise<FashionArrays> {
  const load = async (name: string): Promise<IdxArray> => {
    const file = join(sourceDir, name);
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch {
      throw new Error(
        `${file}: not found — install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist)`,
      );
    }
    return parseIdx(name.endsWith('.gz') ? gunzipSync(raw) : raw);
  };
  const images = await load(SOURCE_FILES[split].images);
  const labels = await load(SOURCE_FILES[split].labels);
  if (images.dims.length !== 3 || labels.dims.length !== 1 || images.dims[0] !== labels.dims[0]) {
    throw new Error(
      `${split}: images ${images.dims.join('×')} and labels ${labels.dims.join('×')} do not match`,
    );
  }
  return {
    images: images.data,
    labels: labels.data,
    count: images.dims[0],
    rows: images.dims[1],
    cols: images.dims[2],
  };
}

/** An 8-bit greyscale PNG written in plain JS: 70,000 of them in seconds. */
export function greyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function fashionCacheRoot(): string {
  return join(process.env.IMAGE_TRAINER_CACHE ?? join(homedir(), '.cache', 'image-trainer'), 'fashion-mnist');
}

export interface SelectOptions {
  /** At most this many images of each class (default: all). */
  perClass?: number;
  /** Skip the first N images of each class (in file order): disjoint subsets of one split. */
  skipPerClass?: number;
}

/** Indices of the chosen images, in file order: the first `perClass` of each class after `skipPerClass`. */
export function selectIndices(labels: Uint8Array, options: SelectOptions = {}): number[] {
  const seen = new Array<number>(FASHION_CLASSES.length).fill(0);
  const skip = options.skipPerClass ?? 0;
  const limit = options.perClass ?? Infinity;
  const chosen: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const k = seen[labels[i]]++;
    if (k >= skip && k < skip + limit) chosen.push(i);
  }
  return chosen;
}

export interface FashionFolder {
  dir: string;
  count: number;
  /** False when the folder was already complete. */
  written: boolean;
}

function folderName(split: FashionSplit, options: SelectOptions): string {
  if (options.perClass === undefined && !options.skipPerClass) return split;
  return join('subsets', `${split}-${options.perClass ?? 'all'}pc-from${options.skipPerClass ?? 0}`);
}

async function readMarker(dir: string): Promise<number | null> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { count?: unknown };
    return typeof marker.count === 'number' ? marker.count : null;
  } catch {
    return null;
  }
}

let temps = 0;
/** A sibling name no other conversion uses, in this process or another. */
function tempName(dir: string): string {
  return `${dir}.partial-${process.pid}-${temps++}`;
}

/**
 * Moves a finished temporary folder into place. Another process may have finished the same folder first
 * (benches started together): its complete copy wins and ours is dropped, so nobody deletes a folder
 * another process is reading. A folder without a marker is a leftover of a crash and is replaced.
 */
async function publish(temp: string, dir: string): Promise<void> {
  await mkdir(join(dir, '..'), { recursive: true });
  if (existsSync(dir) && (await readMarker(dir)) === null) await rm(dir, { recursive: true, force: true });
  try {
    await rename(temp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || (await readMarker(dir)) === null) throw err;
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Writes one split (or a subset of it) as `<dir>/<class>/<index>.png`, where index is the image's
 * position in the IDX file. Idempotent: a complete folder is returned as is. Written to a temporary
 * sibling and renamed, so a crash never leaves a folder that looks complete.
 */
export async function ensureFashionFolder(
  split: FashionSplit,
  options: SelectOptions & { cacheRoot?: string; sourceDir?: string } = {},
): Promise<FashionFolder> {
  const dir = join(options.cacheRoot ?? fashionCacheRoot(), folderName(split, options));
  const done = await readMarker(dir);
  if (done !== null) return { dir, count: done, written: false };
  const arrays = await readFashionSplit(split, options.sourceDir);
  const indices = selectIndices(arrays.labels, options);
  const temp = tempName(dir);
  await rm(temp, { recursive: true, force: true });
  for (const name of FASHION_CLASSES) await mkdir(join(temp, name), { recursive: true });
  const per = arrays.rows * arrays.cols;
  const digits = String(arrays.count - 1).length;
  for (const i of indices) {
    const png = greyPng(arrays.images.subarray(i * per, (i + 1) * per), arrays.cols, arrays.rows);
    await writeFile(
      join(temp, FASHION_CLASSES[arrays.labels[i]], `${String(i).padStart(digits, '0')}.png`),
      png,
    );
  }
  await writeFile(join(temp, MARKER), JSON.stringify({ split, ...options, count: indices.length }));
  await publish(temp, dir);
  return { dir, count: indices.length, written: true };
}

export interface FashionView {
  /** A split-folder data set: `<root>/train/<class>` and `<root>/val/<class>`. */
  root: string;
  trainDir: string;
  valDir: string;
  train: number;
  val: number;
}

/**
 * A split-folder layout whose `val` folder is the test set (hard links, no copies): the trainer then
 * reports test accuracy after every epoch, Keras' `validation_data=(x_test, y_test)`. Nothing may
 * select on it (no early stopping, no reduce-on-plateau) for the figure to stay a test accuracy.
 */
export async function ensureFashionView(
  train: SelectOptions,
  test: SelectOptions,
  options: { cacheRoot?: string; sourceDir?: string } = {},
): Promise<FashionView> {
  const cacheRoot = options.cacheRoot ?? fashionCacheRoot();
  const trainFolder = await ensureFashionFolder('train', { ...train, ...options });
  const testFolder = await ensureFashionFolder('test', { ...test, ...options });
  const name = `${folderName('train', train)}__${folderName('test', test)}`.replace(/[/\\]/g, '_');
  const root = join(cacheRoot, 'views', name);
  const view: FashionView = {
    root,
    trainDir: join(root, 'train'),
    valDir: join(root, 'val'),
    train: trainFolder.count,
    val: testFolder.count,
  };
  if ((await readMarker(root)) !== null) return view;
  const temp = tempName(root);
  await rm(temp, { recursive: true, force: true });
  for (const [from, to] of [
    [trainFolder.dir, 'train'],
    [testFolder.dir, 'val'],
  ] as const) {
    for (const name of FASHION_CLASSES) {
      await mkdir(join(temp, to, name), { recursive: true });
      for (const file of await readdir(join(from, name)))
        await link(join(from, name, file), join(temp, to, name, file));
    }
  }
  await writeFile(
    join(temp, MARKER),
    JSON.stringify({ train: view.train, val: view.val, count: view.train + view.val }),
  );
  await publish(temp, root);
  return view;
}

/** Parses `--name value` flags into a map (bench scripts share this tiny parser). */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) flags.set(arg.slice(2), 'true');
    else {
      flags.set(arg.slice(2), next);
      i++;
    }
  }
  return flags;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const started = Date.now();
  const perClass = flags.has('per-class') ? Number(flags.get('per-class')) : undefined;
  for (const split of ['train', 'test'] as const) {
    const folder = await ensureFashionFolder(split, { perClass });
    console.log(`${split}: ${folder.count} images in ${folder.dir}${folder.written ? '' : ' (cached)'}`);
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
