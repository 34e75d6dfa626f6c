// evaluation.json of a detection run (issue 18): the shared schema accepts what evaluateDetections writes
// and classification evaluations alike, refuses a malformed file with its first problem, and the run
// store shows a detection run's evaluation on its details (a malformed one makes the run damaged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateDetections } from '../../../src/core/detection/metrics';
import { evaluationFromPredictions } from '../../../src/core/metrics';
import { readRunDetails } from '../../../src/core/runStore';
import type { DetectionEvaluation } from '../../../src/protocol/detection';
import {
  checkDetectionEvaluation,
  checkEpochMetrics,
  checkRunEvaluation,
} from '../../../src/protocol/runSchema';
import { isDetectionEvaluation, isRunDetails } from '../../../src/protocol/webviewMessages';
import { writeJsonAtomic } from '../../../src/trainer/runWriter';
import { makeRunRecord } from '../../fixtures/runRecords';

function detectionEvaluation(): DetectionEvaluation {
  return evaluateDetections({
    labels: ['a', 'b'],
    source: 'val',
    images: [
      {
        path: 'one.png',
        truth: [
          { classIndex: 0, box: [0, 0, 10, 10] },
          { classIndex: 1, box: [20, 20, 40, 40] },
        ],
        predicted: [
          { classIndex: 0, confidence: 0.9, box: [0, 0, 10, 11] },
          { classIndex: 0, confidence: 0.6, box: [50, 50, 60, 60] },
        ],
      },
    ],
  });
}

const mutated = (change: (e: Record<string, unknown>) => void): unknown => {
  const copy = JSON.parse(JSON.stringify(detectionEvaluation())) as Record<string, unknown>;
  change(copy);
  return copy;
};

test('the detection schema accepts what evaluateDetections writes, and keeps only known fields', () => {
  const evaluation = detectionEvaluation();
  const checked = checkRunEvaluation(JSON.parse(JSON.stringify({ ...evaluation, extra: 1 })));
  assert.ok(checked.ok, checked.ok ? '' : checked.problem);
  assert.deepEqual(checked.value, evaluation);
  assert.ok(isDetectionEvaluation(evaluation));
});

test('a classification evaluation still passes the same reader', () => {
  const classification = evaluationFromPredictions({
    labels: ['a', 'b'],
    trueIdx: [0, 1],
    predIdx: [0, 0],
    confidences: [0.9, 0.8],
    paths: ['a/1.png', 'b/1.png'],
  });
  const checked = checkRunEvaluation(JSON.parse(JSON.stringify(classification)));
  assert.ok(checked.ok);
  assert.equal((checked.value as { task?: string }).task, undefined);
});

test('malformed detection evaluations are refused with the first problem, never half-read', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'matrix without a background row',
      mutated((e) => (e.confusion as number[][]).pop()),
      /confusion must be a 3×3/,
    ],
    ['AP above 1', mutated((e) => (e.map50 = 1.5)), /map50 must be a number from 0 to 1, or -1/],
    ['AP below -1', mutated((e) => ((e.perClass as { ap50: number }[])[0].ap50 = -2)), /perClass\[0\]\.ap50/],
    [
      'unknown label in a curve',
      mutated((e) => ((e.curves as { label: string }[])[0].label = 'zebra')),
      /curves\[0\]\.label "zebra"/,
    ],
    [
      'curve lengths differ',
      mutated((e) => (e.curves as { recall: number[] }[])[0].recall.pop()),
      /as many recall as precision/,
    ],
    [
      'class listed twice',
      mutated((e) => (e.perClass as unknown[]).push((e.perClass as unknown[])[0])),
      /names "a" twice/,
    ],
    ['negative count', mutated((e) => ((e.confusion as number[][])[0][0] = -1)), /confusion\[0\]\[0\]/],
    ['no images field', mutated((e) => delete e.images), /images must be a whole number/],
    ['threshold out of range', mutated((e) => (e.confidenceThreshold = 2)), /confidenceThreshold/],
  ];
  for (const [what, value, reason] of cases) {
    const checked = checkRunEvaluation(value);
    assert.equal(checked.ok, false, what);
    if (!checked.ok) assert.match(checked.problem, reason, what);
  }
  const unknownTask = checkRunEvaluation({ ...detectionEvaluation(), task: 'segment' });
  assert.equal(unknownTask.ok, false);
  if (!unknownTask.ok) assert.match(unknownTask.problem, /task must be "detect", "classify" or absent/);
  assert.equal(checkDetectionEvaluation({ ...detectionEvaluation(), task: undefined }).ok, false);
});

test('detection fields of an epoch line are kept, and checked', () => {
  const line = {
    epoch: 1,
    loss: 2,
    accuracy: 0.4,
    valLoss: 2.5,
    valAccuracy: 0.3,
    learningRate: 0.001,
    durationMs: 10,
    samplesPerSecond: 4,
    task: 'detect',
    classLoss: 1.5,
    boxLoss: 0.5,
    valClassLoss: 1.8,
    valBoxLoss: null,
    map50: 0.3,
    map50_95: 0.12,
  };
  const checked = checkEpochMetrics(line);
  assert.ok(checked.ok);
  assert.equal(checked.value.classLoss, 1.5);
  assert.equal(checked.value.valBoxLoss, null);
  assert.equal(checked.value.map50_95, 0.12);
  assert.equal(checked.value.task, 'detect');
  assert.equal(checkEpochMetrics({ ...line, boxLoss: 'x' }).ok, false);
  assert.equal(checkEpochMetrics({ ...line, task: 'segment' }).ok, false);
});

test('the run store puts a detection evaluation on the details; a malformed one makes the run damaged', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'it-detect-eval-'));
  try {
    const id = '2026-03-01T00-00-00-000Z-det1';
    const dir = path.join(work, id);
    await fs.mkdir(dir);
    await writeJsonAtomic(path.join(dir, 'run.json'), makeRunRecord(id));
    await writeJsonAtomic(path.join(dir, 'evaluation.json'), detectionEvaluation());
    const details = await readRunDetails(dir);
    assert.ok(details);
    assert.equal(details.summary.status, 'completed');
    assert.equal(details.evaluation, null);
    assert.deepEqual(details.detectionEvaluation, detectionEvaluation());
    assert.ok(isRunDetails(JSON.parse(JSON.stringify(details))), 'the webview accepts what the host sends');

    await writeJsonAtomic(path.join(dir, 'evaluation.json'), { ...detectionEvaluation(), map50: 'high' });
    const damaged = await readRunDetails(dir);
    assert.equal(damaged?.summary.status, 'damaged');
    assert.match(damaged?.summary.error ?? '', /evaluation\.json.*map50 must be/);
    assert.equal(damaged?.detectionEvaluation, undefined);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the webview guard refuses run details with a malformed detection evaluation', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'it-detect-guard-'));
  try {
    const id = '2026-03-02T00-00-00-000Z-det2';
    const dir = path.join(work, id);
    await fs.mkdir(dir);
    await writeJsonAtomic(path.join(dir, 'run.json'), makeRunRecord(id));
    const details = JSON.parse(JSON.stringify(await readRunDetails(dir))) as Record<string, unknown>;
    assert.ok(isRunDetails({ ...details, detectionEvaluation: detectionEvaluation() }));
    assert.ok(isRunDetails({ ...details, detectionEvaluation: null }));
    assert.equal(isRunDetails({ ...details, detectionEvaluation: { task: 'detect' } }), false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
