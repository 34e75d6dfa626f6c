// End to end, in process: generated images → train → run directory → evaluate → predict, with tensor leaks checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainerToHost } from '../../../src/protocol/trainerMessages';
import { isTrainerToHost } from '../../../src/protocol/trainerMessages';
import type { Evaluation, RunRecord, SplitRecord } from '../../../src/protocol/runRecord';
import { resolveConfig } from '../../../src/core/config';
import { listRuns, parseMetricsLines, splitMetrics } from '../../../src/core/runStore';
import { selectBackend } from '../../../src/trainer/backend';
import { trainingThreads } from '../../../src/trainer/parallel/plan';
import { trainRun } from '../../../src/trainer/train';
import { evaluateFolder, loadRunModel, predictFiles } from '../../../src/trainer/runModel';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-train-'));
const data = path.join(work, 'data');
const runsRoot = path.join(work, 'runs');

test.after(() => rmSync(work, { recursive: true, force: true }));

test('train → evaluate → predict writes a complete run and leaks no tensors', async () => {
  await selectBackend('wasm');
  await writeSampleDataset(data, { perClass: 30, size: 24, seed: 3 });
  const config = resolveConfig({
    model: 'simple-cnn',
    imageSize: 16,
    channels: 1,
    epochs: 3,
    batchSize: 16,
    testSplit: 0.1,
    seed: 5,
  });
  const events: TrainerToHost[] = [];
  const tensorsBefore = tf.memory().numTensors;
  const outcome = await trainRun({
    dataDir: data,
    runsRoot,
    config,
    emit: (e) => events.push(e),
    stop: { requested: false },
  });
  assert.equal(outcome.status, 'completed', outcome.message);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaked tensors');

  // Every event passes the protocol guard the host applies.
  for (const e of events)
    assert.ok(isTrainerToHost(e), `event fails its guard: ${JSON.stringify(e).slice(0, 200)}`);
  const types = events.map((e) => e.type);
  // Scanning comes first (the run directory is made only for a usable data set), then the run starts.
  assert.deepEqual(events[0], { type: 'phaseChanged', phase: 'scanning', message: `Scanning ${data}` });
  assert.ok(types.indexOf('runStarted') < types.indexOf('epochStarted'));
  assert.equal(types.at(-1), 'runCompleted');
  assert.equal(types.filter((t) => t === 'epochEnded').length, 3);

  const runDir = outcome.runDir!;
  for (const name of [
    'run.json',
    'metrics.jsonl',
    'split.json',
    'evaluation.json',
    'test-evaluation.json',
    'model/model.json',
    'model/weights.bin',
    'model/metadata.json',
    'checkpoints/last/model.json',
    'checkpoints/last/state.json',
    'checkpoints/best/model.json',
  ]) {
    await fs.access(path.join(runDir, name));
  }
  const record = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'completed');
  assert.equal(record.epochsCompleted, 3);
  assert.deepEqual(record.dataset.classNames, ['circle', 'cross', 'square', 'triangle']);
  assert.equal(record.backend, 'wasm');
  assert.equal(record.pid, undefined, 'a finished run keeps no pid');
  assert.equal(typeof record.testAccuracy, 'number');

  const { epochs, batches } = splitMetrics(
    parseMetricsLines(await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')),
  );
  assert.deepEqual(
    epochs.map((e) => e.epoch),
    [1, 2, 3],
  );
  for (const e of epochs) {
    for (const key of [
      'loss',
      'accuracy',
      'valLoss',
      'valAccuracy',
      'learningRate',
      'durationMs',
      'samplesPerSecond',
    ] as const) {
      assert.equal(typeof e[key], 'number', `${key} of epoch ${e.epoch}`);
    }
  }
  assert.ok(batches.length > 0, 'batch-level points are recorded');

  const split = JSON.parse(await fs.readFile(path.join(runDir, 'split.json'), 'utf8')) as SplitRecord;
  const evaluation = JSON.parse(
    await fs.readFile(path.join(runDir, 'evaluation.json'), 'utf8'),
  ) as Evaluation;
  const support = evaluation.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(support, split.validation.length, 'evaluation.json covers the validation split');
  assert.equal(evaluation.confusionByEpoch?.length, 3);
  assert.equal(split.train.length + split.validation.length + split.test.length, 120);

  const runs = await listRuns(runsRoot);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, 'completed');

  // evaluate and predict use the recorded preprocessing and agree with each other.
  const runModel = await loadRunModel(runDir);
  assert.deepEqual(runModel.metadata.preprocessing, {
    imageSize: 16,
    channels: 1,
    // The default mode, by its name since resize modes exist (metadata of older runs says 'fill').
    resize: 'stretch',
    scale: 1 / 255,
    offset: 0,
  });
  const evalAll = await evaluateFolder(runModel, data);
  assert.equal(
    evalAll.perClass.reduce((n, c) => n + c.support, 0),
    120,
  );
  const files = split.validation.map((e) => path.join(data, e.path));
  const predictions: { path: string; label: string; top: { confidence: number }[] }[] = [];
  await predictFiles(runModel, files, {
    top: 2,
    onPredictions: (p) => predictions.push(...p),
    onError: (f, m) => assert.fail(`${f}: ${m}`),
  });
  assert.equal(predictions.length, files.length);
  for (const p of predictions) {
    assert.equal(p.top.length, 2);
    assert.ok(p.top[0].confidence >= p.top[1].confidence);
  }
  const correct = predictions.filter((p, i) => p.label === split.validation[i].label).length;
  assert.ok(
    Math.abs(correct / files.length - evaluation.accuracy) < 1e-9,
    'predict and evaluation.json agree on the validation images',
  );
  runModel.model.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore, 'evaluate/predict leaked tensors');
});

test('a stop request ends the run as stopped with intact records, and resume finishes it', async () => {
  await selectBackend('wasm');
  const config = resolveConfig({
    model: 'simple-cnn',
    imageSize: 16,
    channels: 1,
    epochs: 3,
    batchSize: 16,
    seed: 9,
  });
  const stop = { requested: false };
  const first = await trainRun({
    dataDir: data,
    runsRoot,
    config,
    stop,
    emit: (e) => {
      if (e.type === 'epochEnded' && e.metrics.epoch === 1) stop.requested = true;
    },
  });
  assert.equal(first.status, 'stopped');
  const record = JSON.parse(await fs.readFile(path.join(first.runDir!, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'stopped');
  assert.equal(record.epochsCompleted, 1);

  const tensorsBefore = tf.memory().numTensors;
  const resumed = await trainRun({
    runsRoot,
    config,
    resumeRunDir: first.runDir!,
    emit: () => undefined,
    stop: { requested: false },
  });
  assert.equal(resumed.status, 'completed', resumed.message);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'resume leaked tensors');
  const after = JSON.parse(await fs.readFile(path.join(first.runDir!, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(after.epochsCompleted, 3);
  assert.deepEqual(after.resumedFrom, [1]);
  const { epochs } = splitMetrics(
    parseMetricsLines(await fs.readFile(path.join(first.runDir!, 'metrics.jsonl'), 'utf8')),
  );
  assert.deepEqual(
    epochs.map((e) => e.epoch),
    [1, 2, 3],
  );
});

test('threads: auto measures and records its choice; forced threads split batches and still learn', async () => {
  assert.equal(trainingThreads({ threads: 0, batchSize: 32 }, 2), 2);
  assert.equal(trainingThreads({ threads: 0, batchSize: 8 }, 2), 1, 'shards of 4 are too small');
  assert.equal(trainingThreads({ threads: 3, batchSize: 64 }, 2), 3, 'an explicit count is kept');

  await selectBackend('wasm');
  const dataDir = path.join(work, 'parallel-data');
  await writeSampleDataset(dataDir, { perClass: 60, size: 24, seed: 8 });
  const run = async (threads: number) => {
    const events: TrainerToHost[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const outcome = await trainRun({
      dataDir,
      runsRoot: path.join(work, `parallel-runs-${threads}`),
      config: resolveConfig({
        model: 'cnn',
        cnn: { blocks: 3, filters: 8, convsPerBlock: 1, denseUnits: 32, dropout: 0 },
        imageSize: 16,
        channels: 1,
        epochs: 8,
        batchSize: 16,
        learningRate: 0.003,
        seed: 11,
        schedule: { type: 'cosine', minLearningRate: 0.0001 },
        threads,
      }),
      emit: (e) => events.push(e),
      stop: { requested: false },
    });
    assert.equal(outcome.status, 'completed', outcome.message);
    assert.equal(tf.memory().numTensors, tensorsBefore, `threads ${threads}: leaked tensors`);
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    const epochs = events.flatMap((e) => (e.type === 'epochEnded' ? [e.metrics] : []));
    const record = JSON.parse(await fs.readFile(path.join(outcome.runDir!, 'run.json'), 'utf8')) as RunRecord;
    return { logs, last: epochs.at(-1)!, threads: record.threads };
  };
  const single = await run(1);
  const split = await run(2);
  const auto = await run(0);
  assert.equal(single.threads?.decidedBy, 'setting');
  assert.equal(single.threads?.chosen, 1);
  assert.deepEqual(split.threads && { chosen: split.threads.chosen, decidedBy: split.threads.decidedBy }, {
    chosen: 2,
    decidedBy: 'setting',
  });
  // Auto times its first steps on one thread; whatever it then keeps, the timing is recorded.
  assert.equal(auto.threads?.decidedBy, 'probe');
  assert.equal(auto.threads?.timings[0].threads, 1);
  assert.ok((auto.threads?.timings[0].msPerStep ?? 0) > 0);
  assert.ok(
    auto.logs.some((m) => m.startsWith('Threads: ')),
    auto.logs.join('\n'),
  );
  assert.ok(!single.logs.some((m) => m.includes('threads (data parallelism')), single.logs.join('\n'));
  assert.ok(
    split.logs.some((m) => m.includes('split over 2 threads')),
    `no data-parallel log line: ${split.logs.join('\n')}`,
  );
  // Same data, seed (so the same initial weights) and schedule: the split batches learn about as well
  // as whole ones (4 classes: chance 0.25); batch norm sees half-batches, so the figures are not equal.
  assert.ok(split.last.accuracy > 0.6, `parallel training accuracy ${split.last.accuracy}`);
  assert.ok(
    Math.abs(split.last.loss - single.last.loss) < 0.35,
    `loss ${split.last.loss} (2 threads) vs ${single.last.loss} (1 thread)`,
  );
});

test('the seed fixes the initial weights and dropout masks: two runs of one config train identically', async () => {
  await selectBackend('wasm');
  const dataDir = path.join(work, 'seeded-data');
  await writeSampleDataset(dataDir, { perClass: 20, size: 16, seed: 4 });
  const lossesOf = async (seed: number): Promise<number[]> => {
    const events: TrainerToHost[] = [];
    const outcome = await trainRun({
      dataDir,
      runsRoot: path.join(work, 'seeded-runs'),
      // simple-cnn has dropout 0.5: its masks must repeat too.
      config: resolveConfig({
        model: 'simple-cnn',
        imageSize: 16,
        channels: 1,
        epochs: 2,
        batchSize: 8,
        seed,
      }),
      emit: (e) => events.push(e),
      stop: { requested: false },
    });
    assert.equal(outcome.status, 'completed', outcome.message);
    return events.flatMap((e) => (e.type === 'epochEnded' ? [e.metrics.loss, e.metrics.valLoss ?? NaN] : []));
  };
  const first = await lossesOf(21);
  const again = await lossesOf(21);
  const other = await lossesOf(22);
  assert.deepEqual(again, first, 'the same seed must give the same losses, bit for bit');
  assert.notDeepEqual(other, first, 'another seed gives other initial weights');
  // Training puts Math.random back when it ends.
  assert.notEqual(Math.random(), Math.random());
});
