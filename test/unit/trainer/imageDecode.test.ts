import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeBmp, parseBmpHeader } from '../../../src/core/bmp';
import { inspectImage, sniffImageFormat } from '../../../src/core/imageHeader';
import {
  ALPHA_BACKGROUND,
  decodeImage,
  decodeImageBuffer,
  ImageDecodeError,
  verifyImageBuffer,
} from '../../../src/trainer/imageDecode';
import {
  animatedGif,
  cmykJpeg,
  encodeBmp,
  encodeImage,
  encodePixels,
  exifRotatedJpeg,
  FIXTURE_FORMATS,
  makeTempDir,
  noisePixels,
  png16,
  pngClaimingSize,
  removeDir,
  solidImage,
  writeFixture,
} from '../../fixtures/imageFactory';

test('every supported format is sniffed by content and decodes to size×size×channels', async () => {
  for (const format of FIXTURE_FORMATS) {
    const buf = await encodeImage(format, { width: 20, height: 14, seed: 9 });
    assert.equal(sniffImageFormat(buf), format);
    const check = inspectImage(buf, 1e8);
    assert.ok(check.ok, format);
    assert.deepEqual([check.header.width, check.header.height], [20, 14], format);
    const rgb = await decodeImageBuffer(buf, 8, 3);
    assert.equal(rgb.length, 8 * 8 * 3, format);
    const grey = await decodeImageBuffer(buf, 5, 1);
    assert.equal(grey.length, 5 * 5, format);
    assert.equal(await verifyImageBuffer(buf, 'full'), null, format);
  }
});

test('colours survive decoding in every format (solid colour stays that colour)', async () => {
  for (const format of FIXTURE_FORMATS) {
    const buf = await solidImage(format, 10, 10, [200, 40, 90]);
    const out = await decodeImageBuffer(buf, 4, 3);
    const tolerance = format === 'jpeg' ? 6 : format === 'gif' ? 12 : 1;
    for (let i = 0; i < out.length; i += 3) {
      assert.ok(
        Math.abs(out[i] - 200) <= tolerance &&
          Math.abs(out[i + 1] - 40) <= tolerance &&
          Math.abs(out[i + 2] - 90) <= tolerance,
        `${format}: ${out.subarray(i, i + 3).join(',')}`,
      );
    }
  }
});

test("resize is 'fill': a 40×10 image of left-red/right-blue keeps red left and blue right in a square", async () => {
  const w = 40;
  const h = 10;
  const pixels = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) pixels.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
  const out = await decodeImageBuffer(await encodePixels('png', pixels, w, h, 3), 4, 3);
  for (let y = 0; y < 4; y++) {
    assert.ok(out[y * 4 * 3] > 200 && out[y * 4 * 3 + 2] < 50, 'left column red');
    assert.ok(out[(y * 4 + 3) * 3 + 2] > 200 && out[(y * 4 + 3) * 3] < 50, 'right column blue');
  }
});

test('grey output is luminance: pure green is brighter than pure blue', async () => {
  const green = await decodeImageBuffer(await solidImage('png', 4, 4, [0, 255, 0]), 2, 1);
  const blue = await decodeImageBuffer(await solidImage('png', 4, 4, [0, 0, 255]), 2, 1);
  const white = await decodeImageBuffer(await solidImage('png', 4, 4, [255, 255, 255]), 2, 1);
  assert.ok(green[0] > blue[0] + 50, `green ${green[0]} blue ${blue[0]}`);
  assert.ok(white[0] >= 250);
});

test('alpha is flattened onto black', async () => {
  assert.deepEqual(ALPHA_BACKGROUND, { r: 0, g: 0, b: 0 });
  const transparentWhite = Buffer.alloc(4 * 4 * 4);
  for (let i = 0; i < 16; i++) transparentWhite.set([255, 255, 255, 0], i * 4);
  const out = await decodeImageBuffer(await encodePixels('png', transparentWhite, 4, 4, 4), 2, 3);
  assert.deepEqual([...out], new Array(12).fill(0));
  const opaque = Buffer.from(transparentWhite);
  for (let i = 0; i < 16; i++) opaque[i * 4 + 3] = 255;
  const out2 = await decodeImageBuffer(await encodePixels('png', opaque, 4, 4, 4), 2, 3);
  assert.deepEqual([...out2], new Array(12).fill(255));
});

test('EXIF orientation is applied: a stored 20×10 left-red image with orientation 6 comes out red on top', async () => {
  const buf = await exifRotatedJpeg();
  assert.equal((await sharp(buf).metadata()).orientation, 6);
  const out = await decodeImageBuffer(buf, 2, 3);
  const [topR, , topB] = out.subarray(0, 3);
  const [botR, , botB] = out.subarray(6, 9);
  assert.ok(topR > 200 && topB < 60, `top ${out.subarray(0, 3).join(',')}`);
  assert.ok(botB > 200 && botR < 60, `bottom ${out.subarray(6, 9).join(',')}`);
});

test('CMYK JPEG, 16-bit PNG and animated GIF (first frame) decode to 8-bit sRGB', async () => {
  const cmyk = await cmykJpeg();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  assert.equal((await decodeImageBuffer(cmyk, 4, 3)).length, 48);

  const deep = await png16();
  assert.equal((await sharp(deep).metadata()).depth, 'ushort');
  const fromDeep = await decodeImageBuffer(deep, 16, 3);
  const reference = await decodeImageBuffer(
    await encodePixels('png', noisePixels(16, 12, 6), 16, 12, 3),
    16,
    3,
  );
  let maxDiff = 0;
  for (let i = 0; i < fromDeep.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fromDeep[i] - reference[i]));
  assert.ok(maxDiff <= 2, `16-bit decodes like its 8-bit source (max diff ${maxDiff})`);

  const gif = await animatedGif(3);
  const check = inspectImage(gif, 1e8);
  assert.ok(check.ok && check.header.frames === 3);
  const frame = await decodeImageBuffer(gif, 12, 3);
  assert.equal(frame.length, 12 * 12 * 3);
});

test('BMP reader: 24-bit, 32-bit, 8-bit palette, bottom-up and top-down give the same pixels', () => {
  const w = 5;
  const h = 3;
  const pixels = noisePixels(w, h, 4);
  const expectRgb = (decoded: { data: Uint8Array; channels: number }): void => {
    for (let i = 0; i < w * h; i++) {
      assert.deepEqual(
        [...decoded.data.subarray(i * decoded.channels, i * decoded.channels + 3)],
        [...pixels.subarray(i * 3, i * 3 + 3)],
      );
    }
  };
  expectRgb(decodeBmp(encodeBmp(pixels, w, h, 3)));
  expectRgb(decodeBmp(encodeBmp(pixels, w, h, 3, { topDown: true })));
  expectRgb(decodeBmp(encodeBmp(pixels, w, h, 3, { bitsPerPixel: 32 })));
  const grey = decodeBmp(encodeBmp(pixels, w, h, 3, { bitsPerPixel: 8 }));
  assert.equal(grey.channels, 3);
  assert.equal(grey.data[0], grey.data[1]);
  assert.equal(parseBmpHeader(encodeBmp(pixels, w, h, 3, { topDown: true })).topDown, true);
});

test('BMP reader: RLE8 runs, absolute runs and end-of-line escapes', () => {
  // 4×2 image, palette index 1 = red, 2 = green; bottom row: 1 1 2 2, top row: absolute 2 1 2 1.
  const palette = Buffer.alloc(256 * 4);
  palette.writeUInt32LE(0xff0000, 4);
  palette.writeUInt32LE(0x00ff00, 8);
  const data = Buffer.from([2, 1, 2, 2, 0, 0, 0, 4, 2, 1, 2, 1, 0, 1]);
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'ascii');
  header.writeUInt32LE(54 + palette.length, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(4, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(8, 28);
  header.writeUInt32LE(1, 30);
  const bmp = decodeBmp(Buffer.concat([header, palette, data]));
  const px = (x: number, y: number): number[] => [...bmp.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
  assert.deepEqual(px(0, 1), [255, 0, 0]);
  assert.deepEqual(px(3, 1), [0, 255, 0]);
  assert.deepEqual(px(0, 0), [0, 255, 0]);
  assert.deepEqual(px(1, 0), [255, 0, 0]);
  assert.throws(() => decodeBmp(Buffer.concat([header, palette, data.subarray(0, 6)])), /truncated/);
});

test('problems are typed: not an image, pixel limit, truncated', async () => {
  await assert.rejects(
    decodeImageBuffer(Buffer.from('hello, not a PNG'), 4, 3),
    (e: unknown) => e instanceof ImageDecodeError && e.problem.kind === 'not-an-image',
  );
  await assert.rejects(
    decodeImageBuffer(pngClaimingSize(100000, 100000), 4, 3),
    (e: unknown) => e instanceof ImageDecodeError && e.problem.kind === 'over-pixel-limit',
  );
  const small = await encodeImage('png', { width: 30, height: 30 });
  assert.deepEqual(await verifyImageBuffer(small, 'header', { maxPixels: 899 }), {
    kind: 'over-pixel-limit',
    width: 30,
    height: 30,
    limit: 899,
  });
  assert.equal(await verifyImageBuffer(small, 'header', { maxPixels: 900 }), null);
  const flippedWidth = Buffer.from(small);
  flippedWidth[17] ^= 0x40; // width 30 → 0x40001e: damage, to be told apart from a real bomb by the IHDR CRC
  assert.deepEqual(inspectImage(flippedWidth, 1e8), {
    ok: false,
    problem: { kind: 'corrupt', detail: 'PNG: bad CRC in IHDR chunk' },
  });
  const cut = small.subarray(0, small.length - 20);
  assert.equal((await verifyImageBuffer(cut, 'full'))?.kind, 'corrupt');
});

test('a decode that outlives its timeout rejects with a timeout problem', async () => {
  const big = await encodeImage('png', { width: 1500, height: 1500 });
  await assert.rejects(
    decodeImageBuffer(big, 8, 3, { timeoutMs: 1 }),
    (e: unknown) => e instanceof ImageDecodeError && e.problem.kind === 'timeout',
  );
});

test('decodeImage reads a file and names it in errors', async () => {
  const dir = await makeTempDir();
  try {
    const good = await writeFixture(dir, 'ok image.PNG', await encodeImage('png'));
    assert.equal((await decodeImage(good, 3, 1)).length, 9);
    const bad = await writeFixture(dir, 'bad.jpg', 'plain text');
    await assert.rejects(
      decodeImage(bad, 3, 3),
      (e: unknown) => e instanceof ImageDecodeError && e.message === `${bad}: not an image`,
    );
    await assert.rejects(
      decodeImage(`${dir}/missing.png`, 3, 3),
      (e: unknown) => e instanceof ImageDecodeError && e.problem.kind === 'unreadable',
    );
  } finally {
    await removeDir(dir);
  }
});
