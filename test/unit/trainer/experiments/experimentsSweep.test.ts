// Sweeps (planning, the median stopping rule, a 4-trial sweep of real runs) and the LR range test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../../../src/protocol/runRecord';
import { ConfigError, resolveConfig } from '../../../../src/core/config';
import { parseSweepSpec, planTrials, shouldStopTrial } from '../../../../src/trainer/experiments/sweepPlan';
import { runSweep } from '../../../../src/trainer/experiments/sweep';
import {
  lrFind,
  smoothLosses,
  suggestLearningRate,
  type LrPoint,
} from '../../../../src/trainer/experiments/lrFind';
import { writeSampleDataset } from '../../../../src/trainer/sampleWriter';

const quiet = { emit: () => undefined, stop: { requested: false } };

test('grid sweeps enumerate the cartesian product (log ranges in geometric steps) up to the trial budget', () => {
  const spec = parseSweepSpec(
    {
      method: 'grid',
      search: { learningRate: { log: [1e-4, 1e-2], steps: 3 }, batchSize: [32, 64] },
      trials: 5,
    },
    'sweep.json',
  );
  const trials = planTrials(spec);
  assert.equal(trials.length, 5, 'the budget caps the 6 grid points');
  assert.deepEqual(
    trials.map((t) => t.overrides),
    [
      { learningRate: 1e-4, batchSize: 32 },
      { learningRate: 1e-4, batchSize: 64 },
      { learningRate: 0.001, batchSize: 32 },
      { learningRate: 0.001, batchSize: 64 },
      { learningRate: 0.01, batchSize: 32 },
    ],
  );
});

test('random sweeps are seeded, stay in range, and reach nested fields', () => {
  const raw = {
    search: {
      learningRate: { log: [1e-4, 1e-2] },
      'cnn.filters': { int: [8, 16] },
      optimizer: ['adam', 'sgd'],
    },
    trials: 20,
    seed: 3,
  };
  const a = planTrials(parseSweepSpec(raw, 's.json'));
  assert.deepEqual(a, planTrials(parseSweepSpec(raw, 's.json')));
  assert.notDeepEqual(a, planTrials(parseSweepSpec({ ...raw, seed: 4 }, 's.json')));
  for (const t of a) {
    const lr = t.overrides.learningRate as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-2);
    assert.ok(
      Number.isInteger(t.overrides['cnn.filters']) &&
        (t.overrides['cnn.filters'] as number) >= 8 &&
        (t.overrides['cnn.filters'] as number) <= 16,
    );
    assert.equal(resolveConfig(undefined, t.overrides).cnn.filters, t.overrides['cnn.filters']);
  }
  assert.equal(new Set(a.map((t) => t.overrides.optimizer)).size, 2);
});

test('sweep files are validated before anything trains, naming the file and the trial', () => {
  assert.throws(() => parseSweepSpec({ search: {} }, 'x.json'), /x\.json: "search" must name/);
  assert.throws(
    () => parseSweepSpec({ search: { learningRate: { log: [0, 1] } } }, 'x.json'),
    /positive min/,
  );
  assert.throws(
    () => parseSweepSpec({ search: { batchSize: [0, 32] }, method: 'grid' }, 'x.json'),
    (e: Error) => e instanceof ConfigError && /trial 1/.test(e.message),
  );
  assert.throws(() => parseSweepSpec({ search: { learningRat: [0.1] } }, 'x.json'), /learningRate/);
});

test('median stopping rule: stops a trial whose best so far is worse than the median of finished trials at that epoch', () => {
  const rule = { type: 'median' as const, warmupEpochs: 2, minTrials: 2 };
  const finished = [
    [0.5, 0.7, 0.8],
    [0.4, 0.6, 0.9],
    [0.3, 0.5, 0.6],
  ];
  // At epoch 2 the finished trials' bests are 0.7, 0.6, 0.5: median 0.6.
  assert.equal(shouldStopTrial(rule, 'valAccuracy', 2, 0.55, finished), true);
  assert.equal(shouldStopTrial(rule, 'valAccuracy', 2, 0.65, finished), false);
  assert.equal(
    shouldStopTrial(rule, 'valAccuracy', 1, 0.1, finished),
    false,
    'warm-up epochs are never stopped',
  );
  assert.equal(
    shouldStopTrial(rule, 'valAccuracy', 2, 0.1, finished.slice(0, 1)),
    false,
    'too few finished trials',
  );
  // Loss: lower is better; bests at epoch 2 are 0.5, 0.9 → median 0.7.
  assert.equal(
    shouldStopTrial(rule, 'valLoss', 2, 0.8, [
      [1, 0.5],
      [1.2, 0.9],
    ]),
    true,
  );
  assert.equal(
    shouldStopTrial(rule, 'valLoss', 2, 0.6, [
      [1, 0.5],
      [1.2, 0.9],
    ]),
    false,
  );
});

test('a 4-trial sweep: every trial is a normal run grouped under the sweep id; the summary names the best', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sweep-'));
  await writeSampleDataset(path.join(root, 'data'), { perClass: 8, size: 12, seed: 9 });
  const runsRoot = path.join(root, 'runs');
  const spec = parseSweepSpec(
    {
      base: { model: 'svm', imageSize: 12, channels: 1, epochs: 2, backend: 'wasm' },
      search: { learningRate: [0.001, 0.03], batchSize: [8, 16] },
      method: 'grid',
      earlyTermination: { type: 'median', warmupEpochs: 1, minTrials: 2 },
    },
    'sweep.json',
  );
  const outcome = await runSweep({
    spec,
    file: path.join(root, 'sweep.json'),
    dataDir: path.join(root, 'data'),
    runsRoot,
    ...quiet,
  });
  assert.equal(outcome.trials.length, 4);
  const group = JSON.parse(await fs.readFile(outcome.groupFile, 'utf8'));
  assert.equal(group.kind, 'sweep');
  assert.equal(group.status, 'completed');
  for (const [i, trial] of outcome.trials.entries()) {
    const record = JSON.parse(
      await fs.readFile(path.join(runsRoot, trial.runId!, 'run.json'), 'utf8'),
    ) as RunRecord;
    assert.equal(record.group, outcome.sweepId);
    assert.equal(record.config.learningRate, trial.overrides.learningRate);
    assert.equal(record.config.batchSize, trial.overrides.batchSize);
    assert.equal(group.trials[i].runId, trial.runId);
    if (trial.status === 'terminated') assert.equal(record.status, 'stopped');
    else assert.equal(record.status, 'completed');
  }
  const bests = outcome.trials.map((t) => t.best ?? -1);
  assert.equal(group.best.best, Math.max(...bests));
  await fs.rm(root, { recursive: true, force: true });
});

test('LR range test: smoothing with bias correction, steepest-descent and min-loss/10 suggestions', () => {
  assert.deepEqual(
    smoothLosses([2, 2, 2]).map((v) => Number(v.toFixed(12))),
    [2, 2, 2],
  );
  // A loss that falls fastest around lr = 1e-3 and is lowest at 1e-2, then explodes.
  const rates = Array.from({ length: 41 }, (_, i) => 1e-6 * 10 ** (i / 8));
  const points: LrPoint[] = rates.map((learningRate, i) => {
    const x = Math.log10(learningRate);
    const loss = x < -2 ? 2 - 1.5 / (1 + Math.exp(-4 * (x + 3))) : 0.5 + 3 * (x + 2) ** 2;
    return { step: i + 1, learningRate, loss, smoothedLoss: loss };
  });
  const s = suggestLearningRate(points);
  assert.ok(s.steepest! > 5e-4 && s.steepest! < 2e-3, `steepest ${s.steepest}`);
  assert.ok(Math.abs(Math.log10(s.minLossOver10!) + 3) < 0.2, `min-loss/10 ${s.minLossOver10}`);
  assert.equal(s.suggested, s.steepest);
});

test('lr-find on generated images writes the curve with rising rates and a suggestion', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lrfind-'));
  await writeSampleDataset(path.join(root, 'data'), { perClass: 8, size: 12, seed: 2 });
  const config = resolveConfig({ model: 'svm', imageSize: 12, channels: 1, batchSize: 8, backend: 'wasm' });
  const result = await lrFind({
    dataDir: path.join(root, 'data'),
    runsRoot: path.join(root, 'runs'),
    config,
    options: { min: 1e-5, max: 10, steps: 25 },
    ...quiet,
  });
  const saved = JSON.parse(await fs.readFile(result.file, 'utf8'));
  assert.equal(saved.kind, 'lrFind');
  assert.equal(path.basename(path.dirname(result.file)), 'lr-find');
  assert.ok(saved.points.length >= 3);
  for (let i = 1; i < saved.points.length; i++)
    assert.ok(saved.points[i].learningRate > saved.points[i - 1].learningRate);
  assert.ok(saved.suggestion.suggested > 1e-5 && saved.suggestion.suggested < 10);
  await fs.rm(root, { recursive: true, force: true });
});
