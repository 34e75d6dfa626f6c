// Experiment presets (resnet, mobilenet, rnn, svm, knn) and k-fold groups, on tiny generated data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Evaluation, RunRecord } from '../../../../src/protocol/runRecord';
import { resolveConfig } from '../../../../src/core/config';
import { listRuns } from '../../../../src/core/runStore';
import { selectBackend } from '../../../../src/trainer/backend';
import { loadModelFromDir, saveModelFiles } from '../../../../src/trainer/modelIO';
import { buildModel } from '../../../../src/trainer/models';
import { KnnLayer } from '../../../../src/trainer/presets/knnLayer';
import { trainingForward } from '../../../../src/trainer/presets/presetIndex';
import { squaredHinge } from '../../../../src/trainer/loss';
import { makeTrainStep } from '../../../../src/trainer/training/trainStep';
import { trainAny } from '../../../../src/trainer/experiments/trainAny';
import { readEvaluation } from '../../../../src/trainer/experiments/groups';
import { writeSampleDataset } from '../../../../src/trainer/sampleWriter';

const quiet = { emit: () => undefined, stop: { requested: false } };

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'experiments-'));
}

test('resnet, mobilenet, rnn (LSTM and GRU) and svm train on the WASM backend: a few steps lower the loss on one batch', async () => {
  await selectBackend('wasm');
  const pixels = Float32Array.from({ length: 6 * 12 * 12 }, (_, i) => ((i * 7919) % 255) / 255);
  const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
  for (const [model, cell] of [
    ['resnet', 'lstm'],
    ['mobilenet', 'lstm'],
    ['rnn', 'lstm'],
    ['rnn', 'gru'],
    ['svm', 'lstm'],
  ] as const) {
    const config = resolveConfig({ model, imageSize: 12, channels: 1, rnn: { cell, units: 8 } });
    const net = buildModel(config, 3);
    const optimizer = tf.train.adam(0.01);
    const step = makeTrainStep(
      net,
      optimizer,
      { imageSize: 12, channels: 1 },
      { numClasses: 3, classWeights: null },
      trainingForward(net, config),
    );
    const first = step(pixels, labels).loss;
    let last = first;
    for (let i = 0; i < 6; i++) last = step(pixels, labels).loss;
    assert.ok(Number.isFinite(last), `${model}/${cell}: finite loss`);
    assert.ok(last < first, `${model}/${cell}: loss ${first} → ${last} should fall`);
    const probs = net.predict(tf.tensor4d(pixels, [6, 12, 12, 1])) as tf.Tensor;
    const rows = (await tf.sum(probs, -1).data()) as Float32Array;
    for (const r of rows)
      assert.ok(Math.abs(r - 1) < 1e-4, `${model}: outputs are probabilities (row sum ${r})`);
    probs.dispose();
    net.dispose();
    optimizer.dispose();
  }
});

test('svm trains on the squared hinge of its scores and predicts the softmax of those scores', async () => {
  await selectBackend('cpu');
  const scores = tf.tensor2d([
    [2, -1, 0.5],
    [0.2, 0.1, -3],
  ]);
  const loss = await squaredHinge(scores, tf.tensor1d([0, 2], 'int32'), 3).data();
  // Row 1: t = (1, -1, -1): margins max(0, 1 - 2)=0, max(0, 1 - 1)=0, max(0, 1.5)=1.5 → (0 + 0 + 2.25) / 3.
  // Row 2: t = (-1, -1, 1): 1.2, 1.1, 4 → (1.44 + 1.21 + 16) / 3.
  assert.ok(Math.abs(loss[0] - 0.75) < 1e-6);
  assert.ok(Math.abs(loss[1] - (1.44 + 1.21 + 16) / 3) < 1e-5);
  const config = resolveConfig({ model: 'svm', imageSize: 8, channels: 1 });
  const net = buildModel(config, 3);
  const forward = trainingForward(net, config);
  assert.equal(forward?.loss, 'squaredHinge');
  const x = tf.randomUniform([2, 8, 8, 1]) as tf.Tensor4D;
  net.layers[1].setWeights([tf.randomNormal([64, 3]), tf.tensor1d([0.1, -0.2, 0.3])]);
  const expected = await tf.softmax(forward!.apply(x)).data();
  const predicted = await (net.predict(x) as tf.Tensor).data();
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(expected[i] - predicted[i]) < 1e-5);
});

test('knn layer: vote shares of the k nearest memorised samples, kept through save and load', async () => {
  await selectBackend('cpu');
  const input = tf.input({ shape: [2] });
  const knn = new KnnLayer({ capacity: 4, numClasses: 2, k: 3, metric: 'euclidean', name: 'knn' });
  const model = tf.model({ inputs: input, outputs: knn.apply(input) as tf.SymbolicTensor });
  knn.memorise(
    tf.tensor2d([
      [0, 0],
      [0, 1],
    ]),
    Int32Array.from([0, 0]),
  );
  knn.memorise(
    tf.tensor2d([
      [5, 5],
      [6, 5],
    ]),
    Int32Array.from([1, 1]),
  );
  // Query (0.2, 0.2): nearest are the two class-0 points, then (5, 5) → shares 2/3, 1/3.
  // Query (5.5, 5): nearest (5, 5), (6, 5) then (0, 1) → 1/3, 2/3.
  const query = tf.tensor2d([
    [0.2, 0.2],
    [5.5, 5],
  ]);
  const shares = Array.from(await (model.predict(query) as tf.Tensor).data());
  const want = [2 / 3, 1 / 3, 1 / 3, 2 / 3];
  shares.forEach((s, i) => assert.ok(Math.abs(s - want[i]) < 1e-6, `share ${i}: ${s} vs ${want[i]}`));
  const dir = await tempDir();
  await saveModelFiles(model, dir);
  const loaded = await loadModelFromDir(dir);
  const again = Array.from(await (loaded.predict(query) as tf.Tensor).data());
  again.forEach((s, i) => assert.ok(Math.abs(s - want[i]) < 1e-6, `after loading, share ${i}: ${s}`));
  await fs.rm(dir, { recursive: true, force: true });
});

test('knn runs write the normal run records (one epoch line) and a model that predict loads', async () => {
  const root = await tempDir();
  await writeSampleDataset(path.join(root, 'data'), { perClass: 10, size: 12, seed: 3 });
  const config = resolveConfig({
    model: 'knn',
    imageSize: 12,
    channels: 1,
    epochs: 5,
    backend: 'wasm',
    knn: { k: 3 },
  });
  const outcome = await trainAny({
    dataDir: path.join(root, 'data'),
    runsRoot: path.join(root, 'runs'),
    config,
    ...quiet,
  });
  assert.equal(outcome.status, 'completed');
  const runDir = outcome.runDir!;
  for (const file of [
    'run.json',
    'metrics.jsonl',
    'split.json',
    'evaluation.json',
    'model/model.json',
    'model/metadata.json',
  ]) {
    await fs.access(path.join(runDir, file));
  }
  const epochLines = (await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l && !l.includes('"kind":"batch"'));
  assert.equal(epochLines.length, 1, 'knn memorises in one epoch whatever --epochs says');
  const record = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.config.epochs, 1);
  const evaluation = await readEvaluation(runDir);
  assert.ok(evaluation && evaluation.accuracy >= 0 && evaluation.accuracy <= 1);
  const { loadRunModel } = await import('../../../../src/trainer/runModel');
  const runModel = await loadRunModel(runDir);
  assert.equal(runModel.model.outputs[0].shape[1], 4);
  runModel.model.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

test('3-fold: three grouped runs on disjoint validation folds; the group summary is the mean of its folds', async () => {
  const root = await tempDir();
  await writeSampleDataset(path.join(root, 'data'), { perClass: 9, size: 12, seed: 5 });
  const runsRoot = path.join(root, 'runs');
  const config = resolveConfig({
    model: 'svm',
    imageSize: 12,
    channels: 1,
    epochs: 2,
    backend: 'wasm',
    learningRate: 0.01,
  });
  const outcome = await trainAny({ dataDir: path.join(root, 'data'), runsRoot, config, kFolds: 3, ...quiet });
  assert.equal(outcome.status, 'completed');
  const group = JSON.parse(await fs.readFile(outcome.groupFile!, 'utf8'));
  assert.equal(group.kind, 'kfold');
  assert.equal(group.runs.length, 3);
  const runs = (await listRuns(runsRoot)).filter((r) => r.group === group.id);
  assert.equal(runs.length, 3, 'the groups folder is not mistaken for a run');
  const evaluations: Evaluation[] = [];
  const validationPaths = new Set<string>();
  for (const run of group.runs) {
    const runDir = path.join(runsRoot, run.runId);
    const record = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
    assert.equal(record.group, group.id);
    assert.equal(record.fold?.count, 3);
    const split = JSON.parse(await fs.readFile(path.join(runDir, 'split.json'), 'utf8'));
    for (const e of split.validation) {
      assert.ok(!validationPaths.has(e.path), `${e.path} validates in one fold only`);
      validationPaths.add(e.path);
    }
    evaluations.push((await readEvaluation(runDir))!);
  }
  assert.equal(validationPaths.size, 36, 'the folds cover every image');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const accuracies = evaluations.map((e) => e.accuracy);
  assert.ok(Math.abs(group.summary.evaluation.accuracy.mean - mean(accuracies)) < 1e-12);
  const std = Math.sqrt(mean(accuracies.map((a) => (a - mean(accuracies)) ** 2)));
  assert.ok(Math.abs(group.summary.evaluation.accuracy.std - std) < 1e-12);
  assert.ok(
    Math.abs(group.summary.evaluation.macro.f1.mean - mean(evaluations.map((e) => e.macro.f1))) < 1e-12,
  );
  const summed = evaluations[0].confusion.map((row, r) =>
    row.map((_, c) => evaluations.reduce((s, e) => s + e.confusion[r][c], 0)),
  );
  assert.deepEqual(group.summary.evaluation.confusion, summed);
  assert.ok(group.summary.finalEpoch.valAccuracy, 'final-epoch figures are summarised too');
  await fs.rm(root, { recursive: true, force: true });
});
