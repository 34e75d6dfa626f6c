import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BoxCorners } from '../../../../src/protocol/detection';
import {
  COCO_IOU_THRESHOLDS,
  COCO_RECALL_POINTS,
  boxIou,
  classAveragePrecisions,
  detectionConfusionMatrix,
  evaluateDetections,
  interpolatedPrecision,
  type EvaluatedImageInput,
} from '../../../../src/core/detection/metrics';

const close = (actual: number, expected: number, what: string, tolerance = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≠ ${expected}`);
/** Equal when rounded to the digits a source published (3 decimals for pycocotools' summary). */
const sameTo3Digits = (actual: number, published: number, what: string): void =>
  assert.equal(
    Math.round(actual * 1000) / 1000,
    published,
    `${what}: ${actual} does not round to ${published}`,
  );

type TruthSpec = [classIndex: number, box: BoxCorners];
type PredictionSpec = [classIndex: number, confidence: number, box: BoxCorners];
const image = (path: string, truth: TruthSpec[], predicted: PredictionSpec[]): EvaluatedImageInput => ({
  path,
  truth: truth.map(([classIndex, box]) => ({ classIndex, box })),
  predicted: predicted.map(([classIndex, confidence, box]) => ({ classIndex, confidence, box })),
});

test('the IoU and recall grids are those of pycocotools', () => {
  assert.equal(COCO_IOU_THRESHOLDS.length, 10);
  assert.equal(COCO_IOU_THRESHOLDS[0], 0.5);
  assert.equal(COCO_IOU_THRESHOLDS[9], 0.95);
  close(COCO_IOU_THRESHOLDS[5], 0.75, 'sixth threshold', 1e-12);
  assert.equal(COCO_RECALL_POINTS.length, 101);
  assert.equal(COCO_RECALL_POINTS[0], 0);
  assert.equal(COCO_RECALL_POINTS[50], 0.5);
  assert.equal(COCO_RECALL_POINTS[100], 1);
});

test('boxIou: identical, disjoint, touching, half, degenerate', () => {
  assert.equal(boxIou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(boxIou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  assert.equal(boxIou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  assert.equal(boxIou([0, 0, 2, 1], [0, 0, 1, 1]), 0.5);
  // 5×10 overlap of two 10×10 boxes: 50 / 150.
  close(boxIou([0, 0, 10, 10], [5, 0, 15, 10]), 1 / 3, 'shifted by half');
  assert.equal(boxIou([0, 0, 0, 10], [0, 0, 0, 10]), 0);
});

test('a single perfect box scores AP 1 at every threshold', () => {
  const e = evaluateDetections({
    labels: ['cat'],
    images: [image('a.png', [[0, [10, 10, 50, 50]]], [[0, 0.9, [10, 10, 50, 50]]])],
  });
  assert.equal(e.task, 'detect');
  close(e.map50, 1, 'map50', 1e-12);
  close(e.map50_95, 1, 'map50_95', 1e-12);
  assert.deepEqual(
    e.perClass.map((c) => c.support),
    [1],
  );
  assert.deepEqual(e.confusion, [
    [1, 0],
    [0, 0],
  ]);
  assert.equal(e.curves.length, 1);
  assert.equal(e.curves[0].recall.length, 101);
  assert.ok(e.curves[0].precision.every((p) => Math.abs(p - 1) < 1e-12));
  assert.equal(e.images, 1);
  assert.equal(e.iouThreshold, 0.5);
  assert.equal(e.confidenceThreshold, 0.25);
});

test('IoU exactly at a threshold matches: 0.5 IoU gives AP 1 at 0.50 and 0 above', () => {
  const classes = classAveragePrecisions({
    labels: ['a'],
    images: [image('a.png', [[0, [0, 0, 2, 1]]], [[0, 0.8, [0, 0, 1, 1]]])],
  });
  close(classes[0].apByThreshold[0], 1, 'AP at 0.5', 1e-12);
  assert.deepEqual(classes[0].apByThreshold.slice(1), new Array(9).fill(0));
  const e = evaluateDetections({
    labels: ['a'],
    images: [image('a.png', [[0, [0, 0, 2, 1]]], [[0, 0.8, [0, 0, 1, 1]]])],
  });
  close(e.map50_95, 0.1, 'one threshold in ten');
});

test('all misses: AP 0, predictions in the background row, boxes in the background column', () => {
  const e = evaluateDetections({
    labels: ['a', 'b'],
    images: [
      image('1.png', [[0, [0, 0, 10, 10]]], [[0, 0.9, [50, 50, 60, 60]]]),
      image(
        '2.png',
        [[1, [0, 0, 10, 10]]],
        [
          [1, 0.8, [30, 30, 40, 40]],
          [0, 0.7, [70, 70, 80, 80]],
        ],
      ),
    ],
  });
  assert.equal(e.map50, 0);
  assert.equal(e.map50_95, 0);
  assert.deepEqual(e.confusion, [
    [0, 0, 1],
    [0, 0, 1],
    [2, 1, 0],
  ]);
  assert.ok(e.curves.every((c) => c.precision.every((p) => p === 0)));
});

test('a duplicate of a matched box is a false positive (hand-computed 101-point AP)', () => {
  // Two boxes; ranked: A (TP), duplicate of A (FP), B (TP). Recall 0.5, 0.5, 1; precision 1, 0.5, 2/3;
  // envelope 1, 2/3, 2/3. Recall points 0…0.50 (51 of them) read 1, 0.51…1 (50) read 2/3.
  const e = evaluateDetections({
    labels: ['a'],
    images: [
      image(
        'x.png',
        [
          [0, [0, 0, 10, 10]],
          [0, [100, 100, 110, 110]],
        ],
        [
          [0, 0.9, [0, 0, 10, 10]],
          [0, 0.8, [0, 0, 10, 10]],
          [0, 0.7, [100, 100, 110, 110]],
        ],
      ),
    ],
  });
  const expected = (51 + 50 * (2 / 3)) / 101;
  close(e.perClass[0].ap50, expected, 'AP50');
  close(e.map50, expected, 'map50');
  close(e.curves[0].precision[50], 1, 'precision at recall 0.50');
  close(e.curves[0].precision[51], 2 / 3, 'precision at recall 0.51');
  assert.deepEqual(e.confusion, [
    [2, 0],
    [1, 0],
  ]);
});

test('envelope and interpolation: precision is the best at any higher recall; 0 beyond the reached recall', () => {
  // Ranked FP, TP, FP, TP with 4 boxes: recall 0, .25, .25, .5; precision 0, .5, 1/3, .5.
  const { precision, maxRecall } = interpolatedPrecision([false, true, false, true], 4);
  assert.equal(maxRecall, 0.5);
  // Envelope: .5, .5, .5, .5 → every recall point up to 0.5 reads 0.5, above reads 0.
  close(precision[0], 0.5, 'r=0');
  close(precision[25], 0.5, 'r=0.25');
  close(precision[50], 0.5, 'r=0.5');
  assert.equal(precision[51], 0);
  assert.equal(precision[100], 0);
  // No predictions at all: zero everywhere.
  assert.ok(interpolatedPrecision([], 3).precision.every((p) => p === 0));
});

test('two classes: map50 is the mean of the per-class AP50; a class without ground truth is -1 and left out', () => {
  const e = evaluateDetections({
    labels: ['a', 'b', 'ghost'],
    images: [
      image(
        '1.png',
        [
          [0, [0, 0, 10, 10]],
          [1, [20, 20, 30, 30]],
          [1, [40, 40, 50, 50]],
        ],
        [
          [0, 0.9, [0, 0, 10, 10]],
          [1, 0.8, [20, 20, 30, 30]],
          [2, 0.95, [60, 60, 70, 70]],
        ],
      ),
    ],
  });
  close(e.perClass[0].ap50, 1, 'a', 1e-12);
  // b: one of two found, precision 1 up to recall 0.5: 51 of 101 points.
  close(e.perClass[1].ap50, 51 / 101, 'b', 1e-12);
  assert.deepEqual(e.perClass[2], { label: 'ghost', ap50: -1, ap50_95: -1, support: 0 });
  close(e.map50, (1 + 51 / 101) / 2, 'map50', 1e-12);
  assert.deepEqual(
    e.curves.map((c) => c.label),
    ['a', 'b'],
  );
  // The ghost's false positive still counts: background row, ghost column; b's miss: b row, background column.
  assert.deepEqual(e.confusion, [
    [1, 0, 0, 0],
    [0, 1, 0, 1],
    [0, 0, 0, 0],
    [0, 0, 1, 0],
  ]);
});

test('no ground truth at all: map50 and map50_95 are -1, not NaN', () => {
  const e = evaluateDetections({ labels: ['a'], images: [image('1.png', [], [[0, 0.5, [0, 0, 1, 1]]])] });
  assert.equal(e.map50, -1);
  assert.equal(e.map50_95, -1);
  assert.deepEqual(e.curves, []);
});

test('confidence ties keep input order (stable), within an image and across images', () => {
  const truth: TruthSpec[] = [[0, [0, 0, 10, 10]]];
  const hit: PredictionSpec = [0, 0.5, [0, 0, 10, 10]];
  const miss: PredictionSpec = [0, 0.5, [50, 50, 60, 60]];
  const missFirst = evaluateDetections({ labels: ['a'], images: [image('1.png', truth, [miss, hit])] });
  const hitFirst = evaluateDetections({ labels: ['a'], images: [image('1.png', truth, [hit, miss])] });
  // FP then TP: precision 0, 1/2 → envelope 1/2 everywhere. TP then FP: 1 everywhere.
  close(missFirst.map50, 0.5, 'miss ranked first', 1e-12);
  close(hitFirst.map50, 1, 'hit ranked first', 1e-12);
  const acrossImages = evaluateDetections({
    labels: ['a'],
    images: [image('1.png', [], [miss]), image('2.png', truth, [hit])],
  });
  close(acrossImages.map50, 0.5, 'earlier image ranked first', 1e-12);
});

test('greedy matching: a prediction takes the highest-IoU unmatched box of its class, not the first', () => {
  // Boxes A [0,0,10,10] and B [2,0,12,10]. Prediction 1 (more confident) is B exactly (IoU with A 80/120);
  // prediction 2 [0,0,9,10] has IoU 0.9 with A and 70/120 ≈ 0.58 with B. Highest-IoU matching finds both at
  // every threshold up to 0.85; taking the first box above the threshold would pair 1 with A and lose 2 at 0.6.
  const classes = classAveragePrecisions({
    labels: ['a'],
    images: [
      image(
        '1.png',
        [
          [0, [0, 0, 10, 10]],
          [0, [2, 0, 12, 10]],
        ],
        [
          [0, 0.9, [2, 0, 12, 10]],
          [0, 0.8, [0, 0, 9, 10]],
        ],
      ),
    ],
  });
  classes[0].apByThreshold
    .slice(0, 8)
    .forEach((ap, t) => close(ap, 1, `AP at ${COCO_IOU_THRESHOLDS[t]}`, 1e-12));
  close(classes[0].maxRecallAt50, 1, 'recall');
});

test('at most maxDetections predictions per image and class (pycocotools maxDets, default 100)', () => {
  const misses: PredictionSpec[] = Array.from({ length: 100 }, (_, i) => [
    0,
    0.9,
    [100 + i * 20, 0, 110 + i * 20, 10],
  ]);
  const images = [image('1.png', [[0, [0, 0, 10, 10]]], [...misses, [0, 0.1, [0, 0, 10, 10]]])];
  const capped = evaluateDetections({ labels: ['a'], images });
  assert.equal(capped.map50, 0);
  const uncapped = evaluateDetections({ labels: ['a'], images, maxDetections: 101 });
  close(uncapped.map50, 1 / 101, 'one TP after 100 FPs: precision 1/101 at every recall point');
});

test('confusion matrix: class confusion on the same box, the confidence threshold, and one box per prediction', () => {
  const images = [
    image(
      '1.png',
      [
        [0, [0, 0, 10, 10]],
        [1, [20, 20, 30, 30]],
      ],
      [
        [1, 0.9, [0, 0, 10, 10]], // a box of class 0 predicted as 1
        [1, 0.2, [20, 20, 30, 30]], // below 0.25: ignored by the matrix
        [0, 0.6, [0, 0, 10, 10]], // second prediction on the first box: a false positive
      ],
    ),
  ];
  assert.deepEqual(detectionConfusionMatrix(images, 2), [
    [0, 1, 0],
    [0, 0, 1],
    [1, 0, 0],
  ]);
  // At threshold 0.1 the low-confidence box is found.
  assert.deepEqual(detectionConfusionMatrix(images, 2, { confidenceThreshold: 0.1 }), [
    [0, 1, 0],
    [0, 1, 0],
    [1, 0, 0],
  ]);
  // AP ignores the threshold: class 1's only box is found at 0.2 after one false positive at 0.9.
  const e = evaluateDetections({ labels: ['a', 'b'], images });
  close(e.perClass[1].ap50, 0.5, 'b');
});

test('bad input is refused with the image path', () => {
  assert.throws(
    () => evaluateDetections({ labels: ['a'], images: [image('bad.png', [[3, [0, 0, 1, 1]]], [])] }),
    /bad\.png.*class index 3/,
  );
  assert.throws(
    () =>
      evaluateDetections({ labels: ['a'], images: [image('nan.png', [], [[0, Number.NaN, [0, 0, 1, 1]]])] }),
    /nan\.png/,
  );
});

// Published worked examples.

test('torchmetrics MeanAveragePrecision docs example: one box at IoU 0.78 gives map 0.6, map_50 1, map_75 1', () => {
  // Source: torchmetrics MeanAveragePrecision documentation example (Lightning-AI/torchmetrics,
  // tm_examples/detection_map.py and the class docstring): pred [258, 41, 606, 285] score 0.536, target
  // [214, 41, 562, 285]; published: map 0.6000, map_50 1.0000, map_75 1.0000.
  const classes = classAveragePrecisions({
    labels: ['0'],
    images: [image('1', [[0, [214, 41, 562, 285]]], [[0, 0.536, [258, 41, 606, 285]]])],
  });
  const e = evaluateDetections({
    labels: ['0'],
    images: [image('1', [[0, [214, 41, 562, 285]]], [[0, 0.536, [258, 41, 606, 285]]])],
  });
  sameTo3Digits(e.map50_95, 0.6, 'map');
  sameTo3Digits(e.map50, 1, 'map_50');
  sameTo3Digits(classes[0].apByThreshold[5], 1, 'map_75');
});

test('pycocotools on four COCO val2014 images (torchmetrics reference): map 0.706, map_50 0.901, map_75 0.846, per class', () => {
  // Source: Lightning-AI/torchmetrics tests/unittests/detection/test_map.py (2021–2022 versions, `_inputs`
  // and `_compare_fn`): the first fake predictions of cocodataset/cocoapi results/
  // instances_val2014_fakebbox100_results.json for COCO images 42, 73, 74 and 133, boxes as [x1, y1, x2, y2],
  // classes renumbered 0–5, and the values pycocotools' COCOeval.summarize() printed for them:
  // AP@[.50:.95] 0.706, AP@.50 0.901, AP@.75 0.846; per class AP@[.50:.95] 0.725, 0.800, 0.454, -1, 0.650, 0.900.
  // (Image 133's prediction is listed there with two scores for one box; its score does not change any AP.)
  const images = [
    image('42', [[4, [214.15, 41.29, 562.41, 285.07]]], [[4, 0.236, [258.15, 41.29, 606.41, 285.07]]]),
    image(
      '73',
      [
        [2, [13.0, 22.75, 548.98, 632.42]],
        [2, [1.66, 3.32, 270.26, 275.23]],
      ],
      [
        [3, 0.318, [61.0, 22.75, 565.0, 632.42]],
        [2, 0.726, [12.66, 3.32, 281.26, 275.23]],
      ],
    ),
    image(
      '74',
      [
        [4, [61.87, 276.25, 358.29, 379.43]],
        [1, [2.75, 3.66, 162.15, 316.06]],
        [0, [295.55, 93.96, 313.97, 152.79]],
        [0, [326.94, 97.05, 340.49, 122.98]],
        [0, [356.62, 95.47, 372.33, 147.55]],
        [0, [462.08, 105.09, 493.74, 146.99]],
        [0, [277.11, 103.84, 292.44, 150.72]],
      ],
      [
        [4, 0.546, [87.87, 276.25, 384.29, 379.43]],
        [1, 0.3, [0.0, 3.66, 142.15, 316.06]],
        [0, 0.407, [296.55, 93.96, 314.97, 152.79]],
        [0, 0.611, [328.94, 97.05, 342.49, 122.98]],
        [0, 0.335, [356.62, 95.47, 372.33, 147.55]],
        [0, 0.805, [464.08, 105.09, 495.74, 146.99]],
        [0, 0.953, [276.11, 103.84, 291.44, 150.72]],
      ],
    ),
    image('133', [[5, [13.99, 2.87, 640.0, 421.52]]], [[5, 0.699, [0.0, 2.87, 601.0, 421.52]]]),
  ];
  const labels = ['0', '1', '2', '3', '4', '5'];
  const e = evaluateDetections({ labels, images });
  sameTo3Digits(e.map50_95, 0.706, 'AP@[.50:.95]');
  sameTo3Digits(e.map50, 0.901, 'AP@.50');
  const withSupport = classAveragePrecisions({ labels, images }).filter((c) => c.support > 0);
  const map75 = withSupport.reduce((sum, c) => sum + c.apByThreshold[5], 0) / withSupport.length;
  sameTo3Digits(map75, 0.846, 'AP@.75');
  [0.725, 0.8, 0.454, -1, 0.65, 0.9].forEach((published, c) =>
    sameTo3Digits(e.perClass[c].ap50_95, published, `class ${c} AP@[.50:.95]`),
  );
  assert.deepEqual(
    e.perClass.map((c) => c.support),
    [5, 1, 2, 0, 2, 1],
  );
});
