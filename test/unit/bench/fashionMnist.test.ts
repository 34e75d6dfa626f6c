import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import {
  ensureFashionFolder,
  ensureFashionView,
  FASHION_CLASSES,
  greyPng,
  parseIdx,
  selectIndices,
} from '../../../bench/fashionMnist';
import { makeTempDir, removeDir } from '../../fixtures/imageFactory';

/** An IDX buffer of unsigned bytes with the given sizes and values. */
function idx(dims: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

test('parseIdx reads big-endian sizes and the values after the header', () => {
  const values = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7);
  const parsed = parseIdx(idx([2, 3, 4], values));
  assert.deepEqual(parsed.dims, [2, 3, 4]);
  assert.deepEqual([...parsed.data], values);
  // Sizes past 255 use more than the low byte.
  assert.deepEqual(parseIdx(idx([300], new Array<number>(300).fill(1))).dims, [300]);
});

test('parseIdx rejects a bad magic number, another value type, a short header and a size mismatch', () => {
  const good = idx([2, 2], [1, 2, 3, 4]);
  const badMagic = Buffer.from(good);
  badMagic[0] = 1;
  assert.throws(() => parseIdx(badMagic), /magic/);
  const floats = Buffer.from(good);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats), /0xd is not unsigned bytes/);
  assert.throws(() => parseIdx(good.subarray(0, 6)), /truncated/);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 1)), /holds 3 bytes.*need 4/);
});

test('selectIndices takes the first N of each class after skipping M, in file order', () => {
  const labels = Uint8Array.from([0, 1, 0, 1, 0, 2, 1, 0]);
  assert.deepEqual(selectIndices(labels, { perClass: 2 }), [0, 1, 2, 3, 5]);
  assert.deepEqual(selectIndices(labels, { perClass: 1, skipPerClass: 1 }), [2, 3]);
  assert.deepEqual(selectIndices(labels), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('greyPng decodes to the same pixels', async () => {
  const pixels = Uint8Array.from({ length: 5 * 3 }, (_, i) => (i * 37) % 256);
  const png = greyPng(pixels, 5, 3);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 5, 3, 1]);
  const data = await sharp(png).toColourspace('b-w').raw().toBuffer();
  assert.deepEqual([...data], [...pixels]);
});

test('ensureFashionFolder writes class folders from gzipped IDX files once; views link train and test', async () => {
  const dir = await makeTempDir();
  try {
    const source = join(dir, 'source');
    const cacheRoot = join(dir, 'cache');
    await mkdir(source);
    // 6 training images of 2×2 pixels with labels 0,1,0,9,0,1; 3 test images.
    const trainLabels = [0, 1, 0, 9, 0, 1];
    const trainPixels = trainLabels.flatMap((l, i) => [l, i, 10 * i, 255]);
    await writeFile(join(source, 'train-images-idx3-ubyte.gz'), gzipSync(idx([6, 2, 2], trainPixels)));
    await writeFile(join(source, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([6], trainLabels)));
    await writeFile(
      join(source, 't10k-images-idx3-ubyte.gz'),
      gzipSync(idx([3, 2, 2], new Array<number>(12).fill(5))),
    );
    await writeFile(join(source, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([3], [2, 2, 3])));

    const first = await ensureFashionFolder('train', { cacheRoot, sourceDir: source, perClass: 2 });
    assert.equal(first.written, true);
    assert.equal(first.count, 5);
    assert.deepEqual(await readdir(join(first.dir, FASHION_CLASSES[0])), ['0.png', '2.png']);
    assert.deepEqual(await readdir(join(first.dir, FASHION_CLASSES[9])), ['3.png']);
    const data = await sharp(join(first.dir, FASHION_CLASSES[1], '5.png'))
      .toColourspace('b-w')
      .raw()
      .toBuffer();
    assert.deepEqual([...data], [1, 5, 50, 255]);

    const mtime = (await stat(join(first.dir, FASHION_CLASSES[0], '0.png'))).mtimeMs;
    const again = await ensureFashionFolder('train', { cacheRoot, sourceDir: source, perClass: 2 });
    assert.equal(again.written, false);
    assert.equal(again.count, 5);
    assert.equal((await stat(join(first.dir, FASHION_CLASSES[0], '0.png'))).mtimeMs, mtime);

    const view = await ensureFashionView({ perClass: 2 }, {}, { cacheRoot, sourceDir: source });
    assert.equal(view.train, 5);
    assert.equal(view.val, 3);
    assert.deepEqual((await readdir(view.root)).sort(), ['.complete.json', 'train', 'val']);
    assert.deepEqual(await readdir(join(view.valDir, FASHION_CLASSES[2])), ['0.png', '1.png']);
    const linked = await stat(join(view.trainDir, FASHION_CLASSES[0], '2.png'));
    assert.equal(linked.nlink, 2);
    assert.deepEqual(
      await readFile(join(view.trainDir, FASHION_CLASSES[0], '2.png')),
      await readFile(join(first.dir, FASHION_CLASSES[0], '2.png')),
    );
  } finally {
    await removeDir(dir);
  }
});

test('concurrent conversions of the same folder and view leave every image in place', async () => {
  const dir = await makeTempDir();
  try {
    const source = join(dir, 'source');
    const cacheRoot = join(dir, 'cache');
    await mkdir(source);
    const labels = Array.from({ length: 40 }, (_, i) => i % 10);
    await writeFile(
      join(source, 'train-images-idx3-ubyte.gz'),
      gzipSync(
        idx(
          [40, 2, 2],
          labels.flatMap((_, i) => [i, 1, 2, 3]),
        ),
      ),
    );
    await writeFile(join(source, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([40], labels)));
    await writeFile(
      join(source, 't10k-images-idx3-ubyte.gz'),
      gzipSync(
        idx(
          [10, 2, 2],
          labels.slice(0, 10).flatMap((_, i) => [i, 9, 9, 9]),
        ),
      ),
    );
    await writeFile(join(source, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([10], labels.slice(0, 10))));
    const views = await Promise.all(
      [0, 1, 2].map(() => ensureFashionView({ perClass: 3 }, {}, { cacheRoot, sourceDir: source })),
    );
    const countFiles = async (root: string) => {
      let n = 0;
      for (const name of FASHION_CLASSES) n += (await readdir(join(root, name))).length;
      return n;
    };
    assert.equal(await countFiles(views[0].trainDir), 30);
    assert.equal(await countFiles(views[0].valDir), 10);
    assert.deepEqual(
      (await readdir(cacheRoot, { recursive: true })).filter((p) => String(p).includes('.partial-')),
      [],
    );
  } finally {
    await removeDir(dir);
  }
});

test('ensureFashionFolder names the missing source file and the package that provides it', async () => {
  const dir = await makeTempDir();
  try {
    await assert.rejects(
      ensureFashionFolder('test', { cacheRoot: join(dir, 'cache'), sourceDir: join(dir, 'none') }),
      /t10k-images-idx3-ubyte\.gz: not found — install Debian's dataset-fashion-mnist/,
    );
  } finally {
    await removeDir(dir);
  }
});
