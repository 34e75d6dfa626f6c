import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentInto, IDENTITY_AUGMENT, sampleAugmentParams } from '../../../src/trainer/augment';
import { createRng } from '../../../src/core/random';
import { DEFAULT_AUGMENT } from '../../../src/core/config';

function image(size: number, channels: number, f: (x: number, y: number, c: number) => number): Uint8Array {
  const out = new Uint8Array(size * size * channels);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < channels; c++) out[(y * size + x) * channels + c] = f(x, y, c);
  return out;
}

test('identity parameters only normalise', () => {
  const src = image(4, 3, (x, y, c) => x * 10 + y * 40 + c);
  const out = new Float32Array(src.length + 5);
  augmentInto(src, 4, 3, IDENTITY_AUGMENT, out, 5, 1 / 255, -0.5);
  for (let i = 0; i < src.length; i++) assert.ok(Math.abs(out[5 + i] - (src[i] / 255 - 0.5)) < 1e-6);
});

test('a horizontal flip mirrors columns exactly', () => {
  const src = image(5, 1, (x) => x * 50);
  const out = new Float32Array(25);
  augmentInto(src, 5, 1, { ...IDENTITY_AUGMENT, flip: true }, out, 0, 1, 0);
  for (let y = 0; y < 5; y++)
    for (let x = 0; x < 5; x++) assert.ok(Math.abs(out[y * 5 + x] - (4 - x) * 50) < 1e-4);
});

test('a whole-pixel shift moves content and repeats the edge (Keras fill mode nearest)', () => {
  const src = image(6, 1, (x) => x * 40);
  const out = new Float32Array(36);
  augmentInto(src, 6, 1, { ...IDENTITY_AUGMENT, shiftX: 2 }, out, 0, 1, 0);
  assert.deepEqual(Array.from(out.slice(0, 6)), [0, 0, 0, 40, 80, 120]);
});

test('a 90° rotation of a symmetric size maps rows to columns', () => {
  const src = image(5, 1, (x, y) => (y === 0 ? 200 : 0));
  const out = new Float32Array(25);
  augmentInto(src, 5, 1, { ...IDENTITY_AUGMENT, angle: Math.PI / 2 }, out, 0, 1, 0);
  // The top row goes to one side column; the centre stays dark.
  const left = [0, 1, 2, 3, 4].map((y) => out[y * 5]);
  const right = [0, 1, 2, 3, 4].map((y) => out[y * 5 + 4]);
  assert.ok(left.every((v) => v > 199) || right.every((v) => v > 199), `left ${left} right ${right}`);
  assert.ok(out[12] < 1);
});

test('brightness scales and clamps at white', () => {
  const src = image(2, 1, () => 200);
  const out = new Float32Array(4);
  augmentInto(src, 2, 1, { ...IDENTITY_AUGMENT, brightness: 1.5 }, out, 0, 1 / 255, 0);
  assert.ok(out.every((v) => Math.abs(v - 1) < 1e-6));
});

test('parameters are seeded and stay within the configured ranges', () => {
  const a = sampleAugmentParams(DEFAULT_AUGMENT, 32, createRng(11).nextFloat);
  const b = sampleAugmentParams(DEFAULT_AUGMENT, 32, createRng(11).nextFloat);
  assert.deepEqual(a, b);
  const rng = createRng(3);
  for (let i = 0; i < 500; i++) {
    const p = sampleAugmentParams(DEFAULT_AUGMENT, 32, rng.nextFloat);
    assert.ok(Math.abs(p.angle) <= (DEFAULT_AUGMENT.rotation * Math.PI) / 180 + 1e-12);
    assert.ok(Math.abs(p.shiftX) <= DEFAULT_AUGMENT.widthShift * 32 + 1e-9);
    assert.ok(p.zoom >= 1 - DEFAULT_AUGMENT.zoom && p.zoom <= 1 + DEFAULT_AUGMENT.zoom);
    assert.ok(
      p.brightness >= 1 - DEFAULT_AUGMENT.brightness && p.brightness <= 1 + DEFAULT_AUGMENT.brightness,
    );
  }
});

test('a translation-only augmentation shifts by whole pixels, so training images stay sharp', () => {
  const cropOnly = { ...DEFAULT_AUGMENT, rotation: 0, zoom: 0, brightness: 0 };
  const rng = createRng(5);
  const src = image(28, 1, (x, y) => ((x * 7 + y * 13) % 5) * 60);
  const values = new Set(src);
  let fractional = 0;
  for (let i = 0; i < 200; i++) {
    const p = sampleAugmentParams(cropOnly, 28, rng.nextFloat);
    assert.ok(Number.isInteger(p.shiftX) && Number.isInteger(p.shiftY), `${p.shiftX}, ${p.shiftY}`);
    assert.ok(Math.abs(p.shiftX) <= Math.round(cropOnly.widthShift * 28));
    const out = new Float32Array(28 * 28);
    augmentInto(src, 28, 1, p, out, 0, 1, 0);
    // No resampling: every output pixel is one of the source's values.
    for (const v of out) assert.ok(values.has(v), `blended value ${v}`);
  }
  // With rotation on, shifts stay continuous (the image is resampled anyway).
  for (let i = 0; i < 50; i++) {
    const p = sampleAugmentParams(DEFAULT_AUGMENT, 28, rng.nextFloat);
    if (!Number.isInteger(p.shiftX)) fractional++;
  }
  assert.ok(fractional > 40, `only ${fractional} of 50 shifts were fractional`);
});
