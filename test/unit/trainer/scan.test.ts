import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetInputError, scanDataset } from '../../../src/trainer/scan';
import {
  encodeImage,
  fastPng,
  FIXTURE_FORMATS,
  makeTempDir,
  pngClaimingSize,
  removeDir,
  truncate,
  writeFixture,
} from '../../fixtures/imageFactory';

const UPPER_EXT: Record<string, string> = {
  png: '.PNG',
  jpeg: '.JPEG',
  webp: '.WEBP',
  gif: '.GIF',
  tiff: '.TIFF',
  bmp: '.BMP',
};
const LOWER_EXT: Record<string, string> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  gif: '.gif',
  tiff: '.tif',
  bmp: '.bmp',
};

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await makeTempDir();
  try {
    await fn(dir);
  } finally {
    await removeDir(dir);
  }
}

test('class folders: every format in upper and lower case, Unicode and spaces, hidden files ignored', () =>
  withDir(async (root) => {
    let seed = 1;
    for (const format of FIXTURE_FORMATS) {
      await writeFixture(
        root,
        `chat noir/${format}${UPPER_EXT[format]}`,
        await encodeImage(format, { seed: seed++ }),
      );
      await writeFixture(
        root,
        `chien 🐕/ünïcödé ${format}${LOWER_EXT[format]}`,
        await encodeImage(format, { seed: seed++ }),
      );
    }
    await writeFixture(root, '.hidden/x.png', await encodeImage('png', { seed: 99 }));
    await writeFixture(root, 'chat noir/.DS_Store', 'junk');
    await writeFixture(root, 'chat noir/.secret.png', await encodeImage('png', { seed: 98 }));
    const progress: number[] = [];
    const { report, entries } = await scanDataset(root, {
      onProgress: (done, total) => progress.push(done / total),
    });
    assert.equal(report.layout, 'class-folders');
    assert.equal(report.root, root);
    assert.deepEqual(report.classes, [
      { name: 'chat noir', count: 6 },
      { name: 'chien 🐕', count: 6 },
    ]);
    assert.deepEqual(report.skipped, []);
    assert.equal(report.total, 12);
    assert.equal(entries.length, 12);
    assert.ok(entries.some((e) => e.path === 'chien 🐕/ünïcödé bmp.bmp' && e.label === 'chien 🐕'));
    assert.deepEqual(
      progress,
      Array.from({ length: 13 }, (_, i) => i / 12),
    );
  }));

test('split folders: train/valid/test with per-split counts', () =>
  withDir(async (root) => {
    let seed = 1;
    for (const [split, n] of [
      ['train', 3],
      ['valid', 2],
      ['test', 1],
    ] as const) {
      for (const cls of ['a', 'b'])
        for (let i = 0; i < n; i++)
          await writeFixture(root, `${split}/${cls}/${i}.png`, await encodeImage('png', { seed: seed++ }));
    }
    const { report, entries } = await scanDataset(root);
    assert.equal(report.layout, 'split-folders');
    assert.deepEqual(report.classes, [
      { name: 'a', count: 6, splits: { train: 3, validation: 2, test: 1 } },
      { name: 'b', count: 6, splits: { train: 3, validation: 2, test: 1 } },
    ]);
    assert.equal(entries.filter((e) => e.split === 'validation').length, 4);
  }));

test('every bad-file case is skipped with its reason', () =>
  withDir(async (root) => {
    for (let i = 0; i < 12; i++)
      await writeFixture(
        root,
        `big/${String(i).padStart(2, '0')}.png`,
        await encodeImage('png', { seed: 100 + i }),
      );
    for (let i = 0; i < 3; i++)
      await writeFixture(root, `small/${i}.png`, await encodeImage('png', { seed: 200 + i }));
    await mkdir(join(root, 'nothing'));
    await writeFixture(root, 'small/empty.png', '');
    await writeFixture(root, 'small/text.png', 'this is not an image\n');
    await writeFixture(root, 'small/cut.jpg', truncate(await encodeImage('jpeg', { seed: 300 }), 0.6));
    await writeFixture(root, 'small/bomb.png', pngClaimingSize(100000, 100000));
    await writeFixture(root, 'small/copy.png', await encodeImage('png', { seed: 200 }));
    await writeFixture(root, 'big/conflict.png', await encodeImage('png', { seed: 400 }));
    await writeFixture(root, 'small/conflict.png', await encodeImage('png', { seed: 400 }));
    await writeFixture(root, 'small/readme.txt', 'hello');
    const { report, entries } = await scanDataset(root);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
    assert.deepEqual(reasons, {
      'big/conflict.png': 'label conflict: same image in classes big and small',
      'small/bomb.png': 'over the pixel limit (100000×100000 > 100000000)',
      'small/conflict.png': 'label conflict: same image in classes big and small',
      'small/copy.png': 'duplicate of small/0.png',
      'small/cut.jpg': 'corrupt or truncated image (JPEG: truncated (no end-of-image marker))',
      'small/empty.png': 'empty file',
      'small/readme.txt': 'unsupported format .txt',
      'small/text.png': 'not an image',
    });
    assert.deepEqual(report.classes, [
      { name: 'big', count: 12 },
      { name: 'nothing', count: 0 },
      { name: 'small', count: 3 },
    ]);
    assert.equal(entries.length, 15);
    const kinds = report.warnings.map((w) => w.kind).sort();
    assert.deepEqual(kinds, ['empty-class', 'few-images', 'imbalance', 'label-conflict']);
    assert.deepEqual(
      report.duplicates.map((d) => [d.paths, d.conflict]),
      [
        [['big/conflict.png', 'small/conflict.png'], true],
        [['small/0.png', 'small/copy.png'], false],
      ],
    );
  }));

test('header verification catches truncation without decoding pixels; full also catches corrupt data', () =>
  withDir(async (root) => {
    await writeFixture(root, 'a/ok.png', await encodeImage('png', { seed: 1 }));
    await writeFixture(root, 'a/cut.png', truncate(await encodeImage('png', { seed: 2 }), 0.7));
    // A complete PNG container whose compressed data is garbage: only a decode can tell.
    const good = await encodeImage('png', { seed: 3, width: 40, height: 40 });
    const garbled = Buffer.from(good);
    const idat = garbled.indexOf('IDAT');
    for (let i = idat + 8; i < idat + 40; i++) garbled[i] = 0xaa;
    await writeFixture(root, 'a/garbled.png', garbled);
    const header = await scanDataset(root, { verify: 'header' });
    assert.deepEqual(
      header.report.skipped.map((s) => s.path),
      ['a/cut.png'],
    );
    const full = await scanDataset(root, { verify: 'full' });
    assert.deepEqual(
      full.report.skipped.map((s) => s.path),
      ['a/cut.png', 'a/garbled.png'],
    );
    assert.match(full.report.skipped[1].reason, /^corrupt or truncated image \(/);
  }));

test('a custom pixel limit applies', () =>
  withDir(async (root) => {
    await writeFixture(root, 'a/wide.png', await encodeImage('png', { width: 50, height: 20 }));
    await writeFixture(root, 'a/small.png', await encodeImage('png', { width: 10, height: 10 }));
    const { report } = await scanDataset(root, { maxPixels: 500 });
    assert.deepEqual(report.skipped, [{ path: 'a/wide.png', reason: 'over the pixel limit (50×20 > 500)' }]);
  }));

test('a missing or non-folder root is an input error', async () => {
  await assert.rejects(
    scanDataset('/definitely/not/here'),
    (e: unknown) => e instanceof DatasetInputError && /not found/.test(e.message),
  );
  await withDir(async (root) => {
    const file = await writeFixture(root, 'f.png', 'x');
    await assert.rejects(
      scanDataset(file),
      (e: unknown) => e instanceof DatasetInputError && /not a folder/.test(e.message),
    );
  });
});

test('progress is reported in about 200 steps on a large folder', () =>
  withDir(async (root) => {
    for (let i = 0; i < 450; i++) await writeFixture(root, `c/${i}.png`, fastPng(2, 2, i));
    const calls: [number, number][] = [];
    await scanDataset(root, { onProgress: (done, total) => calls.push([done, total]) });
    assert.deepEqual(calls[0], [0, 450]);
    assert.deepEqual(calls[calls.length - 1], [450, 450]);
    assert.equal(calls.length, 1 + 225); // the start, then every 2nd file (450 / 200 rounds down to 2)
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] > calls[i - 1][0]);
  }));

test('the scan result is deterministic', () =>
  withDir(async (root) => {
    for (let i = 0; i < 6; i++)
      await writeFixture(root, `${i % 2 ? 'x' : 'y'}/${i}.png`, await encodeImage('png', { seed: i }));
    await writeFixture(root, 'x/dup.png', await encodeImage('png', { seed: 1 }));
    const a = await scanDataset(root, { concurrency: 1 });
    const b = await scanDataset(root, { concurrency: 4 });
    assert.deepEqual(a, b);
  }));
