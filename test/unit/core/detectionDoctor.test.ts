import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnnotationFinding, DetectionImage } from '../../../src/protocol/detection';
import { buildYoloSet } from '../../../src/core/detection/yolo';
import {
  checkImageBoxes,
  classImbalanceFindings,
  DOCTOR_THRESHOLDS,
  MAX_BOXES_PER_IMAGE,
} from '../../../src/core/detection/doctor';
import { buildDetectionScanReport } from '../../../src/core/detection/assemble';

const YAML = { path: 'data.yaml', text: 'names: [cat, dog]\n' };

function byKind(findings: AnnotationFinding[]): Record<string, { line?: number; severity: string }[]> {
  const out: Record<string, { line?: number; severity: string }[]> = {};
  for (const f of findings) (out[f.kind] ??= []).push({ line: f.line, severity: f.severity });
  return out;
}

test('the doctor finds every box-level mistake with its file and line, and keeps only valid boxes', () => {
  const label = [
    '0 0.5 0.5 0.2 0.2', // 1: fine, [40, 40, 60, 60]
    '5 0.5 0.5 0.2 0.2', // 2: unknown class id
    '0 0.5 0.5 0 0.2', // 3: zero width
    '0 1.2 0.5 0.2 0.2', // 4: wholly outside
    '0 0.95 0.5 0.2 0.2', // 5: partly outside, clipped
    '0 0.5 0.5 abc 0.2', // 6: malformed
    '0 0.505 0.5 0.2 0.2', // 7: duplicate of line 1 (IoU 0.95)
    '1 0.1 0.1 0.02 0.02', // 8: tiny (2 × 2 px)
    '1 0.5 0.9 0.9 0.04', // 9: 90 × 4 px, aspect 22.5
    '', // blank lines are fine
    '0 0.5 0.5', // 11: too few fields
  ].join('\n');
  const set = buildYoloSet({
    images: [
      { path: 'images/a.png', width: 100, height: 100 },
      { path: 'images/bg.png', width: 100, height: 100 },
    ],
    imagePaths: ['images/a.png', 'images/bg.png'],
    labels: [
      { path: 'labels/a.txt', text: label },
      { path: 'labels/orphan.txt', text: '0 0.5 0.5 0.1 0.1\n' },
    ],
    yaml: YAML,
  });
  assert.deepEqual(byKind(set.findings), {
    'unknown-class': [{ line: 2, severity: 'error' }],
    'zero-area-box': [{ line: 3, severity: 'error' }],
    'box-outside-image': [
      { line: 4, severity: 'error' },
      { line: 5, severity: 'warning' },
    ],
    'malformed-line': [
      { line: 6, severity: 'error' },
      { line: 11, severity: 'error' },
    ],
    'duplicate-box': [{ line: 7, severity: 'warning' }],
    'tiny-box': [{ line: 8, severity: 'warning' }],
    'extreme-aspect-ratio': [{ line: 9, severity: 'warning' }],
    'label-without-image': [{ line: undefined, severity: 'warning' }],
    'image-without-label': [{ line: undefined, severity: 'info' }],
  });
  const a = set.images.find((i) => i.path === 'images/a.png') as DetectionImage;
  assert.deepEqual(
    a.boxes.map((b) => [b.source.line, b.box]),
    [
      [1, [40, 40, 60, 60]],
      [5, [85, 40, 100, 60]],
      [7, [40.5, 40, 60.5, 60]],
      [8, [9, 9, 11, 11]],
      [9, [5, 88, 95, 92]],
    ],
  );
  for (const f of set.findings) {
    assert.ok(!f.message.includes('\n'), 'one line');
    assert.ok(f.file === 'labels/a.txt' || f.file === 'labels/orphan.txt' || f.file === 'images/bg.png');
  }
  const unknown = set.findings.find((f) => f.kind === 'unknown-class') as AnnotationFinding;
  assert.match(unknown.message, /class id 5 is not one of the 2 classes/);
  assert.equal(unknown.image, 'images/a.png');
  const dup = set.findings.find((f) => f.kind === 'duplicate-box') as AnnotationFinding;
  assert.match(dup.message, /labels\/a\.txt:1/);
  // Errors first in the report, then warnings, then notes.
  const order = set.findings.map((f) => f.severity);
  assert.deepEqual(
    order,
    [...order].sort(
      (x, y) => ['error', 'warning', 'info'].indexOf(x) - ['error', 'warning', 'info'].indexOf(y),
    ),
  );
  const report = buildDetectionScanReport({ root: '/r', ...set });
  assert.equal(report.backgroundImages, 1);
  assert.equal(report.boxes, 5);
  assert.deepEqual(
    report.classes.map((c) => [c.name, c.boxes, c.images]),
    [
      ['cat', 3, 1],
      ['dog', 2, 1],
    ],
  );
});

test('half a pixel over the edge is clipped without a finding; more is reported', () => {
  const image = { path: 'a.png', width: 100, height: 50 };
  const source = { file: 'l.txt', line: 1 };
  const quiet = checkImageBoxes(
    image,
    [{ classIndex: 0, classLabel: '0', box: [-0.4, 0, 100.5, 50], source }],
    ['x'],
  );
  assert.deepEqual(quiet.findings, []);
  assert.deepEqual(quiet.boxes[0].box, [0, 0, 100, 50]);
  const loud = checkImageBoxes(
    image,
    [{ classIndex: 0, classLabel: '0', box: [-3, 0, 50, 50], source }],
    ['x'],
  );
  assert.equal(loud.findings[0].kind, 'box-outside-image');
  assert.deepEqual(loud.boxes[0].box, [0, 0, 50, 50]);
});

test('tiny: under 4 px a side, or under 1/10,000 of the image area', () => {
  const source = { file: 'l.txt', line: 1 };
  const check = (w: number, h: number, box: [number, number, number, number]) =>
    checkImageBoxes(
      { path: 'a.png', width: w, height: h },
      [{ classIndex: 0, classLabel: '0', box, source }],
      ['x'],
    ).findings.map((f) => f.kind);
  assert.deepEqual(check(100, 100, [0, 0, 4, 4]), []);
  assert.deepEqual(check(100, 100, [0, 0, 3.9, 10]), ['tiny-box']);
  // 4000 × 3000: 1/10,000 of the area is 1200 px²; 30 × 30 is under it, 40 × 40 is not.
  assert.deepEqual(check(4000, 3000, [0, 0, 30, 30]), ['tiny-box']);
  assert.deepEqual(check(4000, 3000, [0, 0, 40, 40]), []);
  assert.equal(DOCTOR_THRESHOLDS.extremeAspectRatio, 20);
  assert.deepEqual(check(1000, 1000, [0, 0, 200, 10]), []);
  assert.deepEqual(check(1000, 1000, [0, 0, 210, 10]), ['extreme-aspect-ratio']);
});

test('class imbalance: 10:1 or more between the most and least labelled class, and empty classes', () => {
  const image = (boxes: number[]): DetectionImage => ({
    path: 'a.png',
    width: 10,
    height: 10,
    boxes: boxes.map((classIndex, i) => ({
      classIndex,
      box: [0, 0, 5, 5],
      source: { file: 'l.txt', line: i + 1 },
    })),
  });
  const ten = [...Array(10).fill(0), 1];
  assert.deepEqual(
    classImbalanceFindings(['a', 'b'], [image(ten)], 'data.yaml').map((f) => [f.kind, f.className, f.file]),
    [['class-imbalance', 'b', 'data.yaml']],
  );
  assert.deepEqual(classImbalanceFindings(['a', 'b'], [image([...Array(9).fill(0), 1])], 'data.yaml'), []);
  const empty = classImbalanceFindings(['a', 'b', 'c'], [image([0, 1])], 'data.yaml');
  assert.equal(empty.length, 1);
  assert.match(empty[0].message, /class "c" has no boxes/);
});

test('more boxes for one image than the cap: the first 5000 are used, with a warning (the duplicate check stays bounded)', () => {
  const count = MAX_BOXES_PER_IMAGE + 20;
  const candidates = Array.from({ length: count }, (_, i) => ({
    classIndex: 0,
    classLabel: 'class id 0',
    box: [i % 90, 0, (i % 90) + 10, 10] as [number, number, number, number],
    source: { file: 'labels/a.txt', line: i + 1 },
  }));
  const checked = checkImageBoxes({ path: 'images/a.png', width: 100, height: 100 }, candidates, ['x']);
  assert.equal(checked.boxes.length, MAX_BOXES_PER_IMAGE);
  const cap = checked.findings.find((f) => f.kind === 'malformed-line');
  assert.equal(cap?.line, MAX_BOXES_PER_IMAGE + 1);
  assert.equal(cap?.severity, 'warning');
  assert.match(cap?.message ?? '', /only the first 5000 are used/);
});
