// Hostile detection sets (issue 18): label files, annotation JSON/XML and class lists crafted to crash,
// hang or exhaust the reader, or to make the scan report fail its own guard. Every case must end in
// bounded time with findings, never a thrown error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildYoloSet,
  MAX_IMPLICIT_CLASSES,
  MAX_MALFORMED_LINES_PER_FILE,
} from '../../../src/core/detection/yolo';

const image = { path: 'images/a.png', width: 100, height: 100 };

function yolo(labels: string, extra: Partial<Parameters<typeof buildYoloSet>[0]> = {}) {
  return buildYoloSet({
    images: [image],
    imagePaths: [image.path],
    labels: [{ path: 'labels/a.txt', text: labels }],
    ...extra,
  });
}

test('YOLO: a label file of 200,000 malformed lines is a bounded list of findings, not a stack overflow', () => {
  const set = yolo('x\n'.repeat(200_000));
  const malformed = set.findings.filter((f) => f.kind === 'malformed-line' && f.file === 'labels/a.txt');
  assert.equal(malformed.length, MAX_MALFORMED_LINES_PER_FILE + 1);
  assert.ok(malformed.some((f) => /199900 more malformed lines/.test(f.message)));
  assert.equal(malformed.filter((f) => f.line !== undefined).length, MAX_MALFORMED_LINES_PER_FILE);
});

test('YOLO: a polygon line of 200,000 points reads as its bounding box', () => {
  const points: string[] = [];
  for (let i = 0; i < 200_000; i++) points.push(i === 7 ? '0.1 0.2' : i === 9 ? '0.9 0.8' : '0.5 0.5');
  const set = yolo(`0 ${points.join(' ')}`);
  assert.deepEqual(set.images[0].boxes[0].box, [10, 20, 90, 80]);
});

test('YOLO without a class list: a class id of 10^11 is an unknown class, not an array of 10^11 names', () => {
  const set = yolo('99999999999 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.2 0.2\n');
  assert.deepEqual(set.classNames, ['0']);
  assert.ok(set.findings.some((f) => f.kind === 'unknown-class' && f.line === 1));
  const high = yolo(`${MAX_IMPLICIT_CLASSES} 0.5 0.5 0.1 0.1\n`);
  assert.equal(high.classNames.length, 0);
});

test('YOLO without a class list: 150,000 boxes over many images name their classes without spreading', () => {
  const images = Array.from({ length: 1500 }, (_, i) => ({
    path: `images/${i}.png`,
    width: 100,
    height: 100,
  }));
  const line = (k: number): string => `${k % 3} ${(0.05 + (k % 90) * 0.01).toFixed(2)} 0.5 0.04 0.04`;
  const text = Array.from({ length: 100 }, (_, k) => line(k)).join('\n');
  const set = buildYoloSet({
    images,
    imagePaths: images.map((i) => i.path),
    labels: images.map((i) => ({ path: i.path.replace('images/', 'labels/').replace('.png', '.txt'), text })),
  });
  assert.deepEqual(set.classNames, ['0', '1', '2']);
  assert.equal(
    set.images.reduce((n, i) => n + i.boxes.length, 0),
    150_000,
  );
});
