import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCenterOutputs,
  encodeCenterTargets,
  gaussianRadius,
  REGRESSION_CHANNELS,
  type CenterGrid,
} from '../../../src/core/detection/centerTargets';
import type { LabelledBox } from '../../../src/core/detection/boxTransforms';
import { boxToInput, boxToOriginal, letterboxGeometry } from '../../../src/core/detection/letterbox';

const grid: CenterGrid = { inputSize: 128, stride: 4, numClasses: 3 };
const cells = 32;

function assertBoxClose(actual: number[], expected: number[], tolerance: number): void {
  assert.equal(actual.length, 4);
  for (let i = 0; i < 4; i++)
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`,
    );
}

test('encode → decode recovers every box, its class and a confidence of 1', () => {
  const boxes: LabelledBox[] = [
    { classIndex: 0, box: [10.5, 12, 40, 30.25] },
    { classIndex: 2, box: [60, 70, 123, 127] },
    { classIndex: 1, box: [90, 5, 101, 19] },
  ];
  const targets = encodeCenterTargets(boxes, grid);
  assert.equal(targets.centres, 3);
  assert.equal(
    targets.mask.reduce((a, b) => a + b, 0),
    3,
  );
  const decoded = decodeCenterOutputs(targets.heatmap, targets.regression, grid, {
    topK: 10,
    minConfidence: 0.5,
  });
  assert.equal(decoded.length, 3);
  for (const truth of boxes) {
    const match = decoded.find((d) => d.classIndex === truth.classIndex);
    assert.ok(match, `class ${truth.classIndex} decoded`);
    assert.equal(match.confidence, 1);
    assertBoxClose(match.box, truth.box, 1e-4);
  }
});

test('the heatmap holds a Gaussian around each centre in its class channel only', () => {
  const targets = encodeCenterTargets([{ classIndex: 1, box: [40, 40, 72, 72] }], grid);
  // centre (56, 56) px → cell (14, 14)
  const at = (x: number, y: number, c: number): number => targets.heatmap[(y * cells + x) * 3 + c];
  assert.equal(at(14, 14, 1), 1);
  assert.ok(at(15, 14, 1) > 0 && at(15, 14, 1) < 1);
  assert.ok(at(16, 14, 1) < at(15, 14, 1));
  assert.equal(at(14, 14, 0), 0);
  assert.equal(at(14, 14, 2), 0);
  assert.equal(at(0, 0, 1), 0);
  const r = (14 * cells + 14) * REGRESSION_CHANNELS;
  assert.deepEqual([...targets.regression.slice(r, r + 4)], [8, 8, 0, 0]);
});

test('decoding keeps only 3×3 peaks above the threshold, highest first, at most topK', () => {
  const scores = new Float32Array(cells * cells * 3);
  const regression = new Float32Array(cells * cells * REGRESSION_CHANNELS);
  const set = (x: number, y: number, c: number, v: number): void => {
    scores[(y * cells + x) * 3 + c] = v;
    regression.set([2, 2, 0.5, 0.5], (y * cells + x) * REGRESSION_CHANNELS);
  };
  set(5, 5, 0, 0.9);
  set(6, 5, 0, 0.8); // a neighbour of a higher score: not a peak
  set(6, 5, 1, 0.7); // same cell, other class: a peak of its own
  set(20, 20, 2, 0.3); // under the threshold
  set(25, 3, 0, 0.6);
  const decoded = decodeCenterOutputs(scores, regression, grid, { topK: 10, minConfidence: 0.4 });
  assert.deepEqual(
    decoded.map((d) => [d.classIndex, Math.round(d.confidence * 10) / 10]),
    [
      [0, 0.9],
      [1, 0.7],
      [0, 0.6],
    ],
  );
  assertBoxClose(decoded[0].box, [18, 18, 26, 26], 1e-6);
  assert.equal(decodeCenterOutputs(scores, regression, grid, { topK: 2, minConfidence: 0.4 }).length, 2);
});

test('a plateau of equal scores gives one peak', () => {
  const scores = new Float32Array(cells * cells * 3);
  const regression = new Float32Array(cells * cells * REGRESSION_CHANNELS);
  scores[(3 * cells + 3) * 3] = 0.5;
  scores[(3 * cells + 4) * 3] = 0.5;
  assert.equal(decodeCenterOutputs(scores, regression, grid, { topK: 10, minConfidence: 0.1 }).length, 1);
});

test('gaussianRadius grows with the box and keeps IoU ≥ 0.7 for a shifted box', () => {
  assert.ok(gaussianRadius(20, 20) > gaussianRadius(5, 5));
  const r = gaussianRadius(10, 10);
  assert.ok(r > 0 && r < 5);
});

test('letterbox: long side fills the input, boxes map there and back exactly', () => {
  const geometry = letterboxGeometry(300, 150, 128);
  assert.equal(geometry.scaledWidth, 128);
  assert.equal(geometry.scaledHeight, 64);
  const box: [number, number, number, number] = [30, 15, 150, 120];
  const input = boxToInput(box, geometry);
  assertBoxClose(input, [(30 * 128) / 300, (15 * 64) / 150, (150 * 128) / 300, (120 * 64) / 150], 1e-9);
  assertBoxClose(boxToOriginal(input, geometry), box, 1e-9);
  // Boxes predicted in the padding are clipped to the image.
  assertBoxClose(
    boxToOriginal([100, 50, 128, 128], geometry),
    [(100 * 300) / 128, (50 * 150) / 64, 300, 150],
    1e-9,
  );
});

test('encode rejects an input size that is not a multiple of the stride', () => {
  assert.throws(() => encodeCenterTargets([], { inputSize: 130, stride: 4, numClasses: 1 }), /multiple/);
});
