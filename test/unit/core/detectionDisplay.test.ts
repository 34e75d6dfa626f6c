import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boxOnPicture,
  classColourSlot,
  pictureTransform,
  CLASS_COLOUR_SLOTS,
} from '../../../src/core/detection/boxDisplay';
import { matchPredictions } from '../../../src/core/detection/predictionMatching';

test('pad (contain): a 400×200 image in a 128 square is scaled by 0.32 and centred vertically', () => {
  const t = pictureTransform(400, 200, 128, 128, 'pad');
  assert.equal(t.scaleX, 0.32);
  assert.equal(t.scaleY, 0.32);
  assert.equal(t.offsetX, 0);
  assert.equal(t.offsetY, 32);
  // The whole image maps onto the band that holds it.
  assert.deepEqual(boxOnPicture([0, 0, 400, 200], t, 128, 128), {
    left: 0,
    top: 32,
    width: 128,
    height: 64,
    clipped: false,
  });
  const box = boxOnPicture([100, 50, 200, 150], t, 128, 128);
  assert.deepEqual(box, { left: 32, top: 48, width: 32, height: 32, clipped: false });
});

test('crop (cover): the same image is scaled to fill the height, its sides cut, boxes there clipped', () => {
  const t = pictureTransform(400, 200, 128, 128, 'crop');
  assert.equal(t.scaleX, 0.64);
  assert.equal(t.offsetX, -64);
  assert.equal(t.offsetY, 0);
  const centre = boxOnPicture([150, 50, 250, 150], t, 128, 128);
  assert.deepEqual(centre, { left: 32, top: 32, width: 64, height: 64, clipped: false });
  const edge = boxOnPicture([0, 0, 150, 100], t, 128, 128);
  assert.ok(edge);
  assert.equal(edge.left, 0);
  assert.equal(edge.width, 150 * 0.64 - 64);
  assert.equal(edge.clipped, true);
  assert.equal(boxOnPicture([0, 0, 50, 50], t, 128, 128), null, 'a box wholly in the cut band is not drawn');
});

test('stretch maps each axis on its own; a box outside the image is clipped, a zero-area one still marked', () => {
  const t = pictureTransform(200, 100, 100, 100, 'stretch');
  assert.deepEqual(boxOnPicture([20, 10, 60, 50], t, 100, 100), {
    left: 10,
    top: 10,
    width: 20,
    height: 40,
    clipped: false,
  });
  const outside = boxOnPicture([180, 80, 260, 140], t, 100, 100);
  assert.deepEqual(outside, { left: 90, top: 80, width: 10, height: 20, clipped: true });
  const zero = boxOnPicture([40, 40, 40, 60], t, 100, 100);
  assert.equal(zero?.width, 1);
  // Reversed corners (x2 < x1, a malformed box a finding points at) are drawn where they are.
  assert.deepEqual(boxOnPicture([60, 50, 20, 10], t, 100, 100), boxOnPicture([20, 10, 60, 50], t, 100, 100));
  assert.deepEqual(pictureTransform(0, 100, 100, 100, 'pad'), {
    scaleX: 0,
    scaleY: 0,
    offsetX: 0,
    offsetY: 0,
  });
});

test('class colour slots cycle and never index outside the palette', () => {
  assert.equal(classColourSlot(0), 0);
  assert.equal(classColourSlot(CLASS_COLOUR_SLOTS + 3), 3);
  assert.equal(classColourSlot(-1), 0);
  assert.equal(classColourSlot(1.5), 0);
});

test('matching: the most confident prediction takes the truth box; the duplicate is a false positive', () => {
  const truth = [
    { label: 'cat', box: [0, 0, 100, 100] as [number, number, number, number] },
    { label: 'dog', box: [200, 200, 300, 300] as [number, number, number, number] },
  ];
  const predicted = [
    { label: 'cat', confidence: 0.6, box: [2, 2, 100, 100] as [number, number, number, number] },
    { label: 'cat', confidence: 0.9, box: [0, 0, 98, 98] as [number, number, number, number] },
    // Right place, wrong class: a false positive, and the dog is missed.
    { label: 'cat', confidence: 0.8, box: [200, 200, 300, 300] as [number, number, number, number] },
    { label: 'dog', confidence: 0.1, box: [200, 200, 300, 300] as [number, number, number, number] },
  ];
  const m = matchPredictions(truth, predicted, 0.25);
  assert.deepEqual(m.shown, [0, 1, 2]);
  assert.deepEqual([...m.matched.entries()], [[1, 0]]);
  assert.deepEqual(m.falsePositives, [0, 2]);
  assert.deepEqual(m.misses, [1]);
  // Lowering the threshold lets the weak dog prediction in: it finds its box, no miss remains.
  const low = matchPredictions(truth, predicted, 0.05);
  assert.deepEqual(low.misses, []);
  assert.equal(low.matched.get(3), 1);
  // Raising it above every prediction: nothing shown, both boxes missed.
  const high = matchPredictions(truth, predicted, 0.95);
  assert.deepEqual(high.shown, []);
  assert.deepEqual(high.misses, [0, 1]);
});

test('matching: IoU exactly at the threshold counts; just below does not', () => {
  const truth = [{ label: 'a', box: [0, 0, 10, 10] as [number, number, number, number] }];
  // [0,0,10,5]: intersection 50, union 100 → IoU 0.5.
  const at = matchPredictions(truth, [{ label: 'a', confidence: 0.5, box: [0, 0, 10, 5] }], 0.25);
  assert.deepEqual(at.falsePositives, []);
  const below = matchPredictions(truth, [{ label: 'a', confidence: 0.5, box: [0, 0, 10, 4.9] }], 0.25);
  assert.deepEqual(below.falsePositives, [0]);
  assert.deepEqual(below.misses, [0]);
});
