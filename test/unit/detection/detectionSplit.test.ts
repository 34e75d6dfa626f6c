import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectionImage, DetectionSet } from '../../../src/protocol/detection';
import { resolveConfig } from '../../../src/core/config';
import { withDetectionDefaults, DETECTION_DEFAULTS } from '../../../src/core/detection/detectionDefaults';
import {
  BACKGROUND_LABEL,
  detectionSplit,
  dominantLabel,
} from '../../../src/trainer/detect/prepareDetection';

const box = (classIndex: number) => ({
  classIndex,
  box: [0, 0, 5, 5] as [number, number, number, number],
  source: { file: 'l.txt' },
});
const image = (name: string, classes: number[], split?: DetectionImage['split']): DetectionImage => ({
  path: `images/${name}.png`,
  width: 10,
  height: 10,
  ...(split ? { split } : {}),
  boxes: classes.map(box),
});
const setOf = (images: DetectionImage[]): DetectionSet => ({
  root: '/d',
  format: 'yolo',
  classNames: ['a', 'b'],
  images,
  findings: [],
});

test('an image is labelled with its most frequent class, ties to the lower index, or as background', () => {
  assert.equal(dominantLabel(image('x', [1, 0, 1]), ['a', 'b']), 'b');
  assert.equal(dominantLabel(image('x', [1, 0]), ['a', 'b']), 'a');
  assert.equal(dominantLabel(image('x', []), ['a', 'b']), BACKGROUND_LABEL);
});

test("a set's own split is kept: train, val → validation, test", () => {
  const set = setOf([
    image('t1', [0], 'train'),
    image('t2', [1], 'train'),
    image('v1', [1], 'val'),
    image('s1', [], 'test'),
  ]);
  const split = detectionSplit(set, resolveConfig(undefined, { task: 'detect' }));
  assert.deepEqual(
    split.train.map((e) => e.path),
    ['images/t1.png', 'images/t2.png'],
  );
  assert.deepEqual(split.validation, [{ path: 'images/v1.png', label: 'b' }]);
  assert.deepEqual(split.test, [{ path: 'images/s1.png', label: BACKGROUND_LABEL }]);
});

test('a set without splits is split by the seed: every image once, sizes by the fractions, same seed same split', () => {
  const images = Array.from({ length: 50 }, (_, i) => image(`i${String(i).padStart(2, '0')}`, [i % 2]));
  const config = resolveConfig(undefined, { task: 'detect', validationSplit: 0.2, testSplit: 0.1, seed: 9 });
  const split = detectionSplit(setOf(images), config);
  assert.equal(split.validation.length, 10);
  assert.equal(split.test.length, 5);
  assert.equal(split.train.length, 35);
  const all = [...split.train, ...split.validation, ...split.test].map((e) => e.path).sort();
  assert.deepEqual(
    all,
    images.map((i) => i.path),
  );
  assert.deepEqual(detectionSplit(setOf(images), config), split);
  assert.notDeepEqual(detectionSplit(setOf(images), { ...config, seed: 10 }).validation, split.validation);
});

test('detection defaults fill only the fields neither the flags nor the config file set', () => {
  const filled = withDetectionDefaults({ epochs: 3 }, ['batchSize']);
  assert.equal(filled.epochs, 3);
  assert.equal(filled.batchSize, undefined);
  assert.equal(filled.imageSize, DETECTION_DEFAULTS.imageSize);
  const config = resolveConfig({ batchSize: 4 }, { task: 'detect', ...filled });
  assert.equal(config.batchSize, 4);
  assert.equal(config.imageSize, DETECTION_DEFAULTS.imageSize);
  assert.equal(config.schedule.type, 'cosine');
});
