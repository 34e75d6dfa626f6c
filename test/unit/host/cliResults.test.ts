import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPredictionList, isScanReport } from '../../../src/protocol/cliResults';
import { describeRequest } from '../../../src/host/training/trainRequest';

const report = {
  root: '/d',
  layout: 'class-folders',
  classes: [{ name: 'a', count: 2 }],
  skipped: [{ path: 'a/x.png', reason: 'empty file' }],
  duplicates: [{ hash: 'h', paths: ['a/1.png', 'a/2.png'], labels: ['a'], conflict: false }],
  warnings: [{ kind: 'few-images', message: 'a has 2 images', classes: ['a'] }],
  total: 2,
};

test('scan reports are accepted only with every field the Datasets view reads', () => {
  assert.ok(isScanReport(report));
  assert.ok(isScanReport({ ...report, extra: 1 }), 'unknown fields are fine');
  for (const broken of [
    { ...report, layout: 'flat' },
    { ...report, total: '2' },
    { ...report, skipped: [{ path: 1, reason: 'x' }] },
    { ...report, duplicates: [{ hash: 'h', paths: ['a'], labels: ['a'] }] },
    { ...report, warnings: null },
    [],
  ]) {
    assert.equal(isScanReport(broken), false, JSON.stringify(broken));
  }
});

test('predictions are checked before they are shown', () => {
  const prediction = { path: '/i.png', label: 'a', confidence: 0.9, top: [{ label: 'a', confidence: 0.9 }] };
  assert.ok(isPredictionList([prediction]));
  assert.ok(isPredictionList([]));
  assert.equal(isPredictionList([{ ...prediction, top: [{ label: 'a' }] }]), false);
  assert.equal(isPredictionList(prediction), false);
});

test('requests are described in one line for prompts and logs', () => {
  assert.equal(
    describeRequest({ datasetDir: '/ws/shapes', runsRoot: '/r', model: 'cnn' }),
    'shapes with cnn',
  );
  assert.equal(
    describeRequest({ datasetDir: '/ws/shapes/', runsRoot: '/r', configFile: '/ws/a.imagetrainer.json' }),
    'shapes with a.imagetrainer.json',
  );
  assert.equal(
    describeRequest({ datasetDir: '/ws/shapes', runsRoot: '/r', resumeRunDir: '/r/run-7' }),
    'resume run-7',
  );
});
