import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkDetectionResults,
  isAnnotationFinding,
  isDetectionScanReport,
} from '../../../src/protocol/detectionGuards';
import { isScanReport } from '../../../src/protocol/cliResults';
import { detectionResults, detectionScanReport } from '../../fixtures/detectionReports';

test('a detection scan report is accepted; a classification report is not one, nor the other way round', () => {
  const report = detectionScanReport('/data/shapes');
  assert.equal(isDetectionScanReport(report), true);
  assert.equal(isDetectionScanReport(JSON.parse(JSON.stringify(report))), true);
  assert.equal(isScanReport(report), false);
  assert.equal(isDetectionScanReport({ ...report, task: 'classify' }), false);
  assert.equal(isDetectionScanReport({ ...report, format: 'csv' }), false);
  assert.equal(isDetectionScanReport({ ...report, classes: [{ name: 'x', boxes: -1, images: 0 }] }), false);
  assert.equal(isDetectionScanReport({ ...report, skipped: [{ path: 'a.png', reason: 'corrupt' }] }), true);
  assert.equal(isDetectionScanReport({ ...report, skipped: [{ path: 'a.png' }] }), false);
});

test('findings: kind, severity, a 1-based line and a four-number box', () => {
  const finding = detectionScanReport('/d').findings[0];
  assert.equal(isAnnotationFinding(finding), true);
  assert.equal(isAnnotationFinding({ ...finding, kind: 'typo' }), false);
  assert.equal(isAnnotationFinding({ ...finding, line: 0 }), false);
  assert.equal(isAnnotationFinding({ ...finding, box: [1, 2, 3] }), false);
  assert.equal(isAnnotationFinding({ ...finding, box: [1, 2, 3, Number.NaN] }), false);
  assert.equal(isAnnotationFinding({ ...finding, message: 'x'.repeat(5000) }), false);
});

test('detections.json: a valid file comes back as a clean copy', () => {
  const file = detectionResults('/data/shapes');
  const checked = checkDetectionResults({ ...file, extra: 'ignored' });
  assert.ok(checked.ok);
  assert.deepEqual(checked.value, file);
});

test('detections.json: each kind of damage is refused with the field that is wrong', () => {
  const file = detectionResults('/data/shapes');
  const refuse = (value: unknown, field: RegExp) => {
    const checked = checkDetectionResults(value);
    assert.equal(checked.ok, false);
    if (!checked.ok) assert.match(checked.problem, field);
  };
  refuse(null, /detections\.json must be an object/);
  refuse({ ...file, task: 'classify' }, /^task/);
  refuse({ ...file, root: 'relative/root' }, /^root must be an absolute/);
  refuse({ ...file, confidenceFloor: 2 }, /^confidenceFloor/);
  const image = file.images[0];
  refuse({ ...file, images: [{ ...image, path: '../../etc/passwd' }] }, /images\[0\]\.path.*"\.\."/);
  refuse({ ...file, images: [{ ...image, path: '/etc/passwd' }] }, /images\[0\]\.path.*absolute/);
  refuse({ ...file, images: [{ ...image, width: 0 }] }, /images\[0\]\.width/);
  refuse(
    { ...file, images: [{ ...image, predicted: [{ label: 'circle', confidence: 1.5, box: [0, 0, 1, 1] }] }] },
    /images\[0\]\.predicted\[0\]\.confidence/,
  );
  refuse(
    { ...file, images: [{ ...image, truth: [{ label: 'circle', box: [0, 0, 1] }] }] },
    /images\[0\]\.truth\[0\]\.box/,
  );
  refuse({ ...file, images: [{ ...image, truth: [{ label: '', box: [0, 0, 1, 1] }] }] }, /truth\[0\]\.label/);
});
