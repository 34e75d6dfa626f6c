// The PNG fast path must agree with a real decode: valid variants pass, and damage that keeps the
// chunk CRCs right (so only the zlib stream, the data length or the filter bytes are wrong) fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { checkPng } from '../../../src/trainer/pngCheck';
import { flipBits, noisePixels } from '../../fixtures/imageFactory';

async function sharpDecodes(buf: Buffer): Promise<boolean> {
  try {
    await sharp(buf, { failOn: 'error' }).raw().toBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Replaces the image data (all IDAT chunks) with one IDAT holding `data`, with a correct CRC. */
function withImageData(png: Buffer, data: Buffer): Buffer {
  const parts: Buffer[] = [png.subarray(0, 8)];
  let at = 8;
  let replaced = false;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') {
      if (!replaced) {
        const head = Buffer.alloc(8);
        head.writeUInt32BE(data.length, 0);
        head.write('IDAT', 4, 'latin1');
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
        parts.push(head, data, crc);
        replaced = true;
      }
    } else {
      parts.push(png.subarray(at, at + 12 + length));
    }
    at += 12 + length;
  }
  return Buffer.concat(parts);
}

function imageData(png: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return Buffer.concat(parts);
}

test('valid PNG variants pass: RGB, RGBA, grey, grey+alpha, palette, 16-bit, 1-bit, interlaced', async () => {
  const rgb = noisePixels(13, 7, 1);
  const variants: Record<string, Buffer> = {
    rgb: await sharp(rgb, { raw: { width: 13, height: 7, channels: 3 } })
      .png()
      .toBuffer(),
    rgba: await sharp(noisePixels(13, 7, 2, 4), { raw: { width: 13, height: 7, channels: 4 } })
      .png()
      .toBuffer(),
    grey: await sharp(noisePixels(13, 7, 3, 1), { raw: { width: 13, height: 7, channels: 1 } })
      .png()
      .toBuffer(),
    greyAlpha: await sharp(noisePixels(13, 7, 4, 2), { raw: { width: 13, height: 7, channels: 2 } })
      .png()
      .toBuffer(),
    palette: await sharp(rgb, { raw: { width: 13, height: 7, channels: 3 } })
      .png({ palette: true })
      .toBuffer(),
    deep: await sharp(rgb, { raw: { width: 13, height: 7, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer(),
    oneBit: await sharp(noisePixels(13, 7, 5, 1), { raw: { width: 13, height: 7, channels: 1 } })
      .png({ palette: true, colours: 2 })
      .toBuffer(),
    interlaced: await sharp(rgb, { raw: { width: 13, height: 7, channels: 3 } })
      .png({ progressive: true })
      .toBuffer(),
    tinyInterlaced: await sharp(rgb.subarray(0, 3), { raw: { width: 1, height: 1, channels: 3 } })
      .png({ progressive: true })
      .toBuffer(),
  };
  assert.equal(variants.interlaced[28], 1, 'the interlaced variant really is interlaced');
  assert.equal(variants.oneBit[24], 1, 'the two-colour palette is written with 1 bit per pixel');
  for (const [name, png] of Object.entries(variants)) {
    assert.equal(checkPng(png), null, name);
    assert.equal(await sharpDecodes(png), true, name);
  }
});

test('damage behind valid CRCs is caught, and a real decode agrees', async () => {
  const png = await sharp(noisePixels(20, 10, 7), { raw: { width: 20, height: 10, channels: 3 } })
    .png()
    .toBuffer();
  const raw = inflateSync(imageData(png));
  const short = withImageData(png, deflateSync(raw.subarray(0, raw.length - 31)));
  const badFilter = Buffer.from(raw);
  badFilter[(1 + 60) * 3] = 9;
  const cases: Record<string, Buffer> = {
    'garbled zlib stream': withImageData(png, flipBits(imageData(png), 3, 12, 2)),
    'not enough image data': short,
    'bad filter byte': withImageData(png, deflateSync(badFilter)),
    'cut zlib stream': withImageData(png, imageData(png).subarray(0, 40)),
  };
  for (const [name, buf] of Object.entries(cases)) {
    assert.notEqual(checkPng(buf), null, name);
    assert.equal(await sharpDecodes(buf), false, `${name}: sharp agrees`);
  }
  assert.match(checkPng(short) ?? '', /not enough image data/);
  assert.match(checkPng(withImageData(png, deflateSync(badFilter))) ?? '', /bad filter type 9/);
});

test('bit flips anywhere after the signature: the fast path never accepts what a decode rejects', async () => {
  const png = await sharp(noisePixels(16, 16, 8), { raw: { width: 16, height: 16, channels: 3 } })
    .png()
    .toBuffer();
  for (let seed = 1; seed <= 60; seed++) {
    const flipped = flipBits(png, seed, 1 + (seed % 4), 8);
    if (checkPng(flipped) === null) assert.equal(await sharpDecodes(flipped), true, `seed ${seed}`);
  }
});
