// A detection run's summary (issue 18): task `detect` from run.json's config.task, and its mAP@0.5 and
// mAP@0.5:0.95 from evaluation.json, or from its best epoch before there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { evaluateDetections } from '../../../src/core/detection/metrics';
import { listRuns, readRunDetails } from '../../../src/core/runStore';
import { isCompareRunData, isRunSummary } from '../../../src/protocol/webviewMessages';
import { makeRunRecord } from '../../fixtures/runRecords';

function detectionEpoch(epoch: number, map50: number, map50_95: number): string {
  return JSON.stringify({
    epoch,
    loss: 2 / epoch,
    accuracy: map50,
    valLoss: 2.5 / epoch,
    valAccuracy: map50,
    learningRate: 0.003,
    durationMs: 1000,
    samplesPerSecond: 30,
    task: 'detect',
    classLoss: 1.5 / epoch,
    boxLoss: 0.5 / epoch,
    valClassLoss: 2 / epoch,
    valBoxLoss: 0.5 / epoch,
    map50,
    map50_95,
  });
}

test('a detection run summary says task detect and its mAPs; a classification run says neither', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'it-det-summary-'));
  try {
    const detectDir = path.join(root, 'det');
    const classifyDir = path.join(root, 'cls');
    mkdirSync(detectDir);
    mkdirSync(classifyDir);
    const classNames = ['circle', 'square'];
    writeFileSync(
      path.join(detectDir, 'run.json'),
      JSON.stringify(
        makeRunRecord(
          'det',
          {
            config: resolveConfig(undefined, { epochs: 3, task: 'detect' }),
            epochsCompleted: 3,
            bestEpoch: 2,
          },
          { classNames },
        ),
      ),
    );
    writeFileSync(
      path.join(detectDir, 'metrics.jsonl'),
      [detectionEpoch(1, 0.3, 0.1), detectionEpoch(2, 0.7, 0.35), detectionEpoch(3, 0.6, 0.3)].join('\n') +
        '\n',
    );
    writeFileSync(
      path.join(classifyDir, 'run.json'),
      JSON.stringify(makeRunRecord('cls', { config: resolveConfig(undefined, { epochs: 3 }) })),
    );

    // No evaluation yet: the figures of the best epoch (2), not of the last.
    let runs = await listRuns(root);
    const running = runs.find((r) => r.id === 'det');
    assert.equal(running?.task, 'detect');
    assert.equal(running?.map50, 0.7);
    assert.equal(running?.map50_95, 0.35);
    assert.ok(running && isRunSummary(running), 'the webview guard accepts the new fields');
    const classifier = runs.find((r) => r.id === 'cls');
    assert.equal(classifier?.task, undefined);
    assert.equal(classifier?.map50, undefined);
    assert.equal(classifier?.status, 'completed');

    // With evaluation.json, its figures.
    const evaluation = evaluateDetections({
      labels: classNames,
      images: [
        {
          path: 'a.png',
          truth: [
            { classIndex: 0, box: [0, 0, 10, 10] },
            { classIndex: 1, box: [20, 20, 40, 40] },
          ],
          predicted: [
            { classIndex: 0, confidence: 0.9, box: [0, 0, 10, 11] },
            { classIndex: 1, confidence: 0.8, box: [50, 50, 60, 60] },
          ],
        },
      ],
    });
    writeFileSync(path.join(detectDir, 'evaluation.json'), JSON.stringify(evaluation));
    runs = await listRuns(root);
    const done = runs.find((r) => r.id === 'det');
    assert.equal(done?.status, 'completed', done?.error ?? '');
    assert.equal(done?.map50, evaluation.map50);
    assert.equal(done?.map50_95, evaluation.map50_95);
    assert.notEqual(done?.map50, 0.7);

    // The compare page's data carries the detection evaluation through its guard.
    const details = await readRunDetails(detectDir);
    assert.ok(details?.detectionEvaluation);
    assert.ok(
      isCompareRunData({
        runId: 'det',
        epochs: details.epochs,
        evaluation: null,
        detectionEvaluation: details.detectionEvaluation,
      }),
    );
    assert.ok(
      !isCompareRunData({
        runId: 'det',
        epochs: [],
        evaluation: null,
        detectionEvaluation: { task: 'detect' },
      }),
    );
    assert.ok(!isRunSummary({ ...done, map50: 'high' }));
    assert.ok(!isRunSummary({ ...done, task: 'segment' }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
