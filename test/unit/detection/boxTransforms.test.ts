import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clipBox,
  flipBoxesHorizontally,
  transformBoxes,
  type LabelledBox,
} from '../../../src/core/detection/boxTransforms';
import {
  augmentBoxes,
  drawAugmentation,
  IDENTITY_DRAW,
  renderAugmented,
  DEFAULT_DETECT_AUGMENT,
} from '../../../src/trainer/detect/augment';
import { createRng } from '../../../src/core/random';

test('a horizontal flip mirrors x and keeps y and the class', () => {
  const flipped = flipBoxesHorizontally([{ classIndex: 2, box: [10, 20, 30, 50] }], 100);
  assert.deepEqual(flipped, [{ classIndex: 2, box: [70, 20, 90, 50] }]);
});

test('scale and translate move boxes with the image', () => {
  const moved = transformBoxes([{ classIndex: 0, box: [10, 10, 20, 30] }], { scale: 2, dx: 5, dy: -4 }, 100);
  assert.deepEqual(moved, [{ classIndex: 0, box: [25, 16, 45, 56] }]);
});

test('boxes are clipped to the image, and dropped when mostly outside or too thin', () => {
  const boxes: LabelledBox[] = [
    { classIndex: 0, box: [80, 10, 100, 30] }, // 10 of 20 px wide stays in after dx = 10: kept, clipped
    { classIndex: 1, box: [95, 40, 100, 60] }, // fully out after dx = 10: dropped
    { classIndex: 2, box: [85, 70, 99, 90] }, // 5 of 14 px stays: 36 % < 40 %: dropped
  ];
  const moved = transformBoxes(boxes, { scale: 1, dx: 10, dy: 0 }, 100);
  assert.deepEqual(moved, [{ classIndex: 0, box: [90, 10, 100, 30] }]);
  assert.deepEqual(clipBox([-5, -5, 120, 50], 100, 40), [0, 0, 100, 40]);
});

test('the pixels follow the boxes: a white square stays under its augmented box', () => {
  const size = 32;
  const source = new Uint8Array(size * size * 3);
  const box: [number, number, number, number] = [4, 6, 12, 14];
  for (let y = box[1]; y < box[3]; y++)
    for (let x = box[0]; x < box[2]; x++) source.fill(255, (y * size + x) * 3, (y * size + x) * 3 + 3);
  const rng = createRng(3);
  for (let trial = 0; trial < 20; trial++) {
    const draw = { ...drawAugmentation(rng, { ...DEFAULT_DETECT_AUGMENT, colour: 0 }, size) };
    const [moved] = augmentBoxes([{ classIndex: 0, box }], draw, size);
    if (!moved) continue;
    const out = new Float32Array(size * size * 3);
    renderAugmented(source, size, 3, draw, out, 0);
    // The centre pixel of the moved box is white, a pixel well outside it is black.
    const cx = Math.floor((moved.box[0] + moved.box[2]) / 2);
    const cy = Math.floor((moved.box[1] + moved.box[3]) / 2);
    assert.ok(out[(cy * size + cx) * 3] > 0.9, `trial ${trial}: inside ${out[(cy * size + cx) * 3]}`);
    const outsideX = moved.box[2] + 3 < size ? Math.ceil(moved.box[2] + 3) : Math.floor(moved.box[0] - 4);
    if (outsideX >= 0 && outsideX < size)
      assert.ok(out[(cy * size + outsideX) * 3] < 0.1, `trial ${trial}: outside`);
  }
});

test('the identity draw leaves pixels as they were (scaled to 0..1)', () => {
  const source = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 17) % 256);
  const out = new Float32Array(source.length + 5);
  renderAugmented(source, 4, 3, IDENTITY_DRAW, out, 5);
  for (let i = 0; i < source.length; i++) assert.ok(Math.abs(out[5 + i] - source[i] / 255) < 1e-6);
  assert.deepEqual(augmentBoxes([{ classIndex: 1, box: [1, 1, 3, 3] }], IDENTITY_DRAW, 4), [
    { classIndex: 1, box: [1, 1, 3, 3] },
  ]);
});
