// The PNG fast path of decoding must give exactly the bytes of the sharp pipeline, for every row filter,
// and must decline (return null, so sharp decodes) every PNG whose pixels sharp would change or reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { checkPng, decodePngExact } from '../../../src/trainer/pngCheck';
import { decodeImageBuffer, decodeImageBufferWithSharp } from '../../../src/trainer/imageDecode';
import { noisePixels, pngChunk } from '../../fixtures/imageFactory';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, colourType: number, depth = 8, interlace = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = depth;
  b[9] = colourType;
  b[12] = interlace;
  return b;
}

/** PNG filter predictors, written out independently of the decoder under test. */
function predict(filter: number, left: number, up: number, upLeft: number): number {
  if (filter === 1) return left;
  if (filter === 2) return up;
  if (filter === 3) return Math.floor((left + up) / 2);
  if (filter === 4) {
    const p = left + up - upLeft;
    const pa = Math.abs(p - left);
    const pb = Math.abs(p - up);
    const pc = Math.abs(p - upLeft);
    if (pa <= pb && pa <= pc) return left;
    return pb <= pc ? up : upLeft;
  }
  return 0;
}

/** An 8-bit PNG whose row y uses filter (y + shift) % 5, image data split over two IDAT chunks. */
function filteredPng(
  pixels: Buffer,
  width: number,
  height: number,
  bpp: 1 | 3,
  options: { shift?: number; extra?: Buffer[] } = {},
): Buffer {
  const stride = width * bpp;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const filter = (y + (options.shift ?? 0)) % 5;
    raw[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const at = (dx: number, dy: number): number =>
        x + dx >= 0 && y + dy >= 0 ? pixels[(y + dy) * stride + x + dx] : 0;
      const value = pixels[y * stride + x];
      raw[y * (stride + 1) + 1 + x] = (value - predict(filter, at(-bpp, 0), at(0, -1), at(-bpp, -1))) & 0xff;
    }
  }
  const compressed = deflateSync(raw);
  const half = Math.floor(compressed.length / 2);
  return Buffer.concat([
    SIGNATURE,
    pngChunk('IHDR', ihdr(width, height, bpp === 1 ? 0 : 2)),
    ...(options.extra ?? []),
    pngChunk('IDAT', compressed.subarray(0, half)),
    pngChunk('IDAT', compressed.subarray(half)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

test('hand-filtered grey and RGB PNGs (all five row filters) decode to the bytes sharp gives', async () => {
  for (const [size, bpp] of [
    [28, 1],
    [17, 3],
    [1, 1],
  ] as const) {
    for (let shift = 0; shift < 5; shift++) {
      const pixels = noisePixels(size, size, 10 * size + shift, bpp);
      const png = filteredPng(pixels, size, size, bpp, {
        shift,
        extra: [pngChunk('tEXt', Buffer.from('Comment\0made by a test', 'latin1'))],
      });
      const fast = decodePngExact(png, size, bpp);
      assert.ok(fast, `${size}×${size}×${bpp}, shift ${shift}: the fast path applies`);
      assert.deepEqual(Buffer.from(fast), pixels, 'the source pixels come back');
      const viaSharp = await decodeImageBufferWithSharp(png, size, bpp);
      assert.deepEqual(Buffer.from(fast), Buffer.from(viaSharp), 'the same bytes as sharp');
      assert.deepEqual(Buffer.from(await decodeImageBuffer(png, size, bpp)), Buffer.from(viaSharp));
    }
  }
});

test("PNGs written by sharp's own encoder (adaptive filters, every compression level) match sharp's decode", async () => {
  for (let level = 0; level <= 9; level += 3) {
    for (const channels of [1, 3] as const) {
      const pixels = noisePixels(28, 28, level * 7 + channels, channels);
      // Smooth rows make the encoder pick a mix of filters; noise alone would pick None.
      for (let i = 0; i < pixels.length; i++) if (i % 3 !== 0) pixels[i] = (i * 5) & 0xff;
      const png = await sharp(pixels, { raw: { width: 28, height: 28, channels } })
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .png({ compressionLevel: level, adaptiveFiltering: true })
        .toBuffer();
      const fast = decodePngExact(png, 28, channels);
      assert.ok(fast, `level ${level}, ${channels} channels: the fast path applies`);
      assert.deepEqual(Buffer.from(fast), Buffer.from(await decodeImageBufferWithSharp(png, 28, channels)));
    }
  }
});

test('the fast path declines what needs conversion, and damaged files, so sharp decodes or words the error', async () => {
  const grey = noisePixels(8, 8, 1, 1);
  const rgb = noisePixels(8, 8, 2, 3);
  const greyPng = filteredPng(grey, 8, 8, 1);
  const rgbPng = filteredPng(rgb, 8, 8, 3);
  const raw = (channels: number) => ({ raw: { width: 8, height: 8, channels: channels as 1 | 2 | 3 | 4 } });
  const declined: Record<string, [Buffer, 1 | 3, number]> = {
    'another size': [greyPng, 1, 16],
    'grey asked for 3 channels': [greyPng, 3, 8],
    'RGB asked for 1 channel': [rgbPng, 1, 8],
    RGBA: [
      await sharp(noisePixels(8, 8, 3, 4), raw(4))
        .png()
        .toBuffer(),
      3,
      8,
    ],
    'grey + alpha': [
      await sharp(noisePixels(8, 8, 4, 2), raw(2))
        .png()
        .toBuffer(),
      1,
      8,
    ],
    palette: [await sharp(rgb, raw(3)).png({ palette: true }).toBuffer(), 3, 8],
    '16-bit': [await sharp(rgb, raw(3)).toColourspace('rgb16').png().toBuffer(), 3, 8],
    interlaced: [await sharp(rgb, raw(3)).png({ progressive: true }).toBuffer(), 3, 8],
    'tRNS (a transparent colour)': [
      filteredPng(grey, 8, 8, 1, { extra: [pngChunk('tRNS', Buffer.from([0, grey[0]]))] }),
      1,
      8,
    ],
    gAMA: [filteredPng(rgb, 8, 8, 3, { extra: [pngChunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]))] }), 3, 8],
    eXIf: [
      filteredPng(rgb, 8, 8, 3, { extra: [pngChunk('eXIf', Buffer.from('MM\0*\0\0\0\x08\0\0', 'latin1'))] }),
      3,
      8,
    ],
    'a bad CRC': [Buffer.from(greyPng).fill(0, greyPng.length - 20, greyPng.length - 16), 1, 8],
    'missing image data': [
      Buffer.concat([
        SIGNATURE,
        pngChunk('IHDR', ihdr(8, 8, 0)),
        pngChunk('IDAT', deflateSync(Buffer.alloc(20))),
        pngChunk('IEND', Buffer.alloc(0)),
      ]),
      1,
      8,
    ],
  };
  for (const [name, [png, channels, size]] of Object.entries(declined))
    assert.equal(decodePngExact(png, size, channels), null, name);
  // Far more image data than 8×8 grey needs: valid for libpng (it ignores the excess), left to sharp.
  const excess = Buffer.concat([
    SIGNATURE,
    pngChunk('IHDR', ihdr(8, 8, 0)),
    pngChunk('IDAT', deflateSync(Buffer.alloc(8 * 9 + 100_000))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  assert.equal(checkPng(excess), null, 'the check accepts excess data');
  assert.equal(decodePngExact(excess, 8, 1), null, 'the fast path leaves it to sharp');
  assert.equal((await decodeImageBuffer(excess, 8, 1)).length, 8 * 8);
  // Declined valid files still decode, through sharp.
  assert.equal((await decodeImageBuffer(declined.RGBA[0], 8, 3)).length, 8 * 8 * 3);
  assert.equal((await decodeImageBuffer(declined['interlaced'][0], 8, 3)).length, 8 * 8 * 3);
  // tRNS makes a colour transparent, which the pipeline flattens onto black: sharp's answer differs.
  const transparent = declined['tRNS (a transparent colour)'][0];
  assert.notDeepEqual(Buffer.from(await decodeImageBuffer(transparent, 8, 1)), grey);
});
