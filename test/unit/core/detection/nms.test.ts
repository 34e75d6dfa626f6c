import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BoxCorners } from '../../../../src/protocol/detection';
import { nonMaxSuppression, stableOrderByConfidence } from '../../../../src/core/detection/nms';

const box = (classIndex: number, confidence: number, corners: BoxCorners, id: string) => ({
  classIndex,
  confidence,
  box: corners,
  id,
});

test('NMS keeps the most confident of overlapping boxes of a class, in confidence order', () => {
  const boxes = [
    box(0, 0.6, [1, 0, 11, 10], 'shifted'), // IoU with 'best' = 90/110 ≈ 0.82
    box(0, 0.9, [0, 0, 10, 10], 'best'),
    box(0, 0.7, [50, 50, 60, 60], 'far'),
  ];
  assert.deepEqual(
    nonMaxSuppression(boxes, { iouThreshold: 0.5 }).map((b) => b.id),
    ['best', 'far'],
  );
  // Above the overlap nothing is suppressed.
  assert.deepEqual(
    nonMaxSuppression(boxes, { iouThreshold: 0.9 }).map((b) => b.id),
    ['best', 'far', 'shifted'],
  );
});

test('NMS per class by default, class-agnostic on request', () => {
  const boxes = [box(0, 0.9, [0, 0, 10, 10], 'cat'), box(1, 0.8, [0, 0, 10, 10], 'dog')];
  assert.deepEqual(
    nonMaxSuppression(boxes, { iouThreshold: 0.5 }).map((b) => b.id),
    ['cat', 'dog'],
  );
  assert.deepEqual(
    nonMaxSuppression(boxes, { iouThreshold: 0.5, classAware: false }).map((b) => b.id),
    ['cat'],
  );
});

test('NMS suppresses only above the threshold (IoU equal to it is kept) and stops at maxBoxes', () => {
  // IoU exactly 0.5.
  const boxes = [box(0, 0.9, [0, 0, 2, 1], 'wide'), box(0, 0.8, [0, 0, 1, 1], 'half')];
  assert.equal(nonMaxSuppression(boxes, { iouThreshold: 0.5 }).length, 2);
  assert.equal(nonMaxSuppression(boxes, { iouThreshold: 0.49 }).length, 1);
  const many = Array.from({ length: 10 }, (_, i) => box(0, i / 10, [i * 20, 0, i * 20 + 10, 10], String(i)));
  assert.deepEqual(
    nonMaxSuppression(many, { iouThreshold: 0.5, maxBoxes: 3 }).map((b) => b.id),
    ['9', '8', '7'],
  );
  assert.deepEqual(nonMaxSuppression(many, { iouThreshold: 0.5, maxBoxes: 0 }), []);
});

test('NMS ties keep input order, NaN confidences are dropped, the input is not reordered', () => {
  const boxes = [
    box(0, 0.5, [0, 0, 10, 10], 'first'),
    box(0, Number.NaN, [100, 0, 110, 10], 'nan'),
    box(0, 0.5, [0, 0, 10, 10], 'second'),
  ];
  assert.deepEqual(
    nonMaxSuppression(boxes, { iouThreshold: 0.5 }).map((b) => b.id),
    ['first'],
  );
  assert.deepEqual(
    boxes.map((b) => b.id),
    ['first', 'nan', 'second'],
  );
  assert.deepEqual(stableOrderByConfidence([0.5, Number.NaN, 0.9, 0.5]), [2, 0, 3, 1]);
  assert.throws(() => nonMaxSuppression(boxes, { iouThreshold: Number.NaN }), RangeError);
});
