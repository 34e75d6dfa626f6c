import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSampleDataset, SAMPLE_CLASSES } from '../../../src/core/sampleDataset';

test('the sample data set is deterministic per seed, balanced, and varied', () => {
  const a = [...generateSampleDataset({ perClass: 5, size: 16, seed: 1 })];
  const b = [...generateSampleDataset({ perClass: 5, size: 16, seed: 1 })];
  const c = [...generateSampleDataset({ perClass: 5, size: 16, seed: 2 })];
  assert.equal(a.length, 5 * SAMPLE_CLASSES.length);
  assert.deepEqual(
    a.map((i) => i.pixels),
    b.map((i) => i.pixels),
  );
  assert.notDeepEqual(a[0].pixels, c[0].pixels);
  for (const label of SAMPLE_CLASSES) assert.equal(a.filter((i) => i.label === label).length, 5);
  assert.equal(new Set(a.map((i) => i.path)).size, a.length);
  assert.equal(
    new Set(a.map((i) => Buffer.from(i.pixels).toString('base64'))).size,
    a.length,
    'no two images alike',
  );
});

test('each image shows a shape: its pixels are not one flat colour', () => {
  for (const image of generateSampleDataset({ perClass: 3, size: 24, seed: 4 })) {
    assert.equal(image.pixels.length, 24 * 24 * 3);
    let min = 255;
    let max = 0;
    for (let i = 0; i < image.pixels.length; i += 3) {
      const lum = 0.299 * image.pixels[i] + 0.587 * image.pixels[i + 1] + 0.114 * image.pixels[i + 2];
      min = Math.min(min, lum);
      max = Math.max(max, lum);
    }
    assert.ok(max - min > 40, `${image.path}: contrast ${max - min}`);
  }
});
