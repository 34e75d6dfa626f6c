// The detector end to end, in process: a handful of procedural images → train (loss goes down) → run
// directory → resume → evaluate; predict's JSON and its pixel mapping on a letterboxed non-square image;
// and no tensor leaks in the training step or in detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type {
  DetectionEvaluation,
  DetectionPrediction,
  DetectionResultsFile,
} from '../../../src/protocol/detection';
import type { EpochMetrics, RunRecord, SplitRecord } from '../../../src/protocol/runRecord';
import { isTrainerToHost, type TrainerToHost } from '../../../src/protocol/trainerMessages';
import { resolveConfig } from '../../../src/core/config';
import { listRuns, parseMetricsLines, readRunDetails, splitMetrics } from '../../../src/core/runStore';
import { selectBackend } from '../../../src/trainer/backend';
import { main } from '../../../src/trainer/cli';
import { trainRun } from '../../../src/trainer/train';
import { writeDetectionSample } from '../../../src/trainer/detect/detectionSample';
import { buildDetector, DETECTOR_STRIDE } from '../../../src/trainer/detect/model';
import { makeDetectionStep, detectorSpecOf } from '../../../src/trainer/detect/trainDetection';
import { assembleDetectionBatch, sampleOf } from '../../../src/trainer/detect/detectData';
import { detectSamples, gridOf } from '../../../src/trainer/detect/detector';
import { saveModelFiles } from '../../../src/trainer/modelIO';
import { encodePhoto } from '../../fixtures/photoFactory';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-detect-'));
const data = path.join(work, 'data');
const runsRoot = path.join(work, 'runs');

test.after(() => rmSync(work, { recursive: true, force: true }));

const tinyConfig = (epochs: number) =>
  resolveConfig(undefined, {
    task: 'detect',
    imageSize: 64,
    epochs,
    batchSize: 4,
    learningRate: 0.005,
    seed: 3,
    augment: { rotation: 0, widthShift: 0, heightShift: 0, horizontalFlip: true, zoom: 0.2, brightness: 0.2 },
  });

/** The epoch lines as written (the shared reader keeps only the classification fields). */
function epochLines(text: string): (EpochMetrics & Record<string, unknown>)[] {
  const epochs = new Set(splitMetrics(parseMetricsLines(text)).epochs.map((e) => e.epoch));
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.kind !== 'batch' && epochs.has(line.epoch as number)) as (EpochMetrics &
    Record<string, unknown>)[];
}

test('a tiny detection run lowers its loss and writes a complete run directory; resume continues it', async () => {
  await selectBackend('wasm');
  await writeDetectionSample(data, { format: 'yolo', images: 12, size: 64, seed: 2 });
  const events: TrainerToHost[] = [];
  const outcome = await trainRun({
    dataDir: data,
    runsRoot,
    config: tinyConfig(4),
    emit: (e) => events.push(e),
    stop: { requested: false },
  });
  assert.equal(outcome.status, 'completed', outcome.message);
  for (const e of events)
    assert.ok(isTrainerToHost(e), `event fails its guard: ${JSON.stringify(e).slice(0, 200)}`);
  assert.equal(events.filter((e) => e.type === 'epochEnded').length, 4);
  const runDir = outcome.runDir!;

  const record = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.config.task, 'detect');
  assert.equal(record.status, 'completed');
  assert.equal(record.epochsCompleted, 4);
  assert.deepEqual(record.dataset.classNames, ['circle', 'square', 'triangle']);

  const lines = epochLines(await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(
    lines.map((l) => l.epoch),
    [1, 2, 3, 4],
  );
  for (const l of lines) {
    assert.equal(l.task, 'detect');
    for (const field of ['classLoss', 'boxLoss', 'map50', 'map50_95', 'valClassLoss', 'valBoxLoss'])
      assert.equal(typeof l[field], 'number', `${field} of epoch ${l.epoch}`);
    assert.equal(l.valAccuracy, l.map50);
    assert.ok(Math.abs(l.loss - (l.classLoss as number) - (l.boxLoss as number)) < 1e-3);
  }
  assert.ok(lines[3].loss < lines[0].loss, `loss ${lines[0].loss} → ${lines[3].loss} did not decrease`);

  const split = JSON.parse(await fs.readFile(path.join(runDir, 'split.json'), 'utf8')) as SplitRecord;
  // The sample's own split: its val images are the run's validation images.
  assert.ok(split.validation.length > 0 && split.validation.every((e) => e.path.startsWith('images/val/')));
  assert.ok(split.train.every((e) => e.path.startsWith('images/train/')));

  const evaluation = JSON.parse(
    await fs.readFile(path.join(runDir, 'evaluation.json'), 'utf8'),
  ) as DetectionEvaluation;
  assert.equal(evaluation.task, 'detect');
  assert.equal(evaluation.source, 'val');
  assert.equal(evaluation.images, split.validation.length);
  assert.ok(evaluation.map50 >= 0 && evaluation.map50 <= 1);
  const results = JSON.parse(
    await fs.readFile(path.join(runDir, 'detections.json'), 'utf8'),
  ) as DetectionResultsFile;
  assert.equal(results.images.length, split.validation.length);
  assert.ok(results.images.every((i) => i.width === 64 && i.height === 64 && i.truth.length > 0));
  const metadata = JSON.parse(await fs.readFile(path.join(runDir, 'model', 'metadata.json'), 'utf8'));
  assert.equal(metadata.detection.task, 'detect');
  assert.equal(metadata.detection.stride, DETECTOR_STRIDE);
  assert.deepEqual(metadata.labels, ['circle', 'square', 'triangle']);

  // The shared readers (Runs view, dashboard) take the detection records as they are: not damaged.
  const [listed] = await listRuns(runsRoot);
  assert.equal(listed.status, 'completed', listed.error ?? '');
  const details = await readRunDetails(runDir);
  assert.equal(details?.detectionEvaluation?.task, 'detect');
  assert.equal(details?.detectionEvaluation?.map50, evaluation.map50);
  assert.equal(details?.epochs.at(-1)?.classLoss, lines[3].classLoss);

  // Resume for two more epochs: epochs 5 and 6 once each after the first four, from the checkpoint.
  const resumed = await trainRun({
    runsRoot,
    config: tinyConfig(4),
    resumeRunDir: runDir,
    epochsOverride: 6,
    emit: () => undefined,
    stop: { requested: false },
  });
  assert.equal(resumed.status, 'completed', resumed.message);
  const after = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(after.epochsCompleted, 6);
  assert.deepEqual(after.resumedFrom, [4]);
  const allLines = epochLines(await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(
    allLines.map((l) => l.epoch),
    [1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(allLines.slice(0, 4), lines);

  // evaluate RUN DIR --json evaluates the set's val split (no test split) and prints the evaluation.
  const out: string[] = [];
  const io = {
    cwd: work,
    stdout: (t: string) => out.push(t),
    stderr: () => undefined,
    isTTY: false,
    env: process.env,
  };
  assert.equal(await main(['evaluate', runDir, data, '--json'], io), 0);
  const printed = JSON.parse(out.join('')) as DetectionEvaluation;
  assert.equal(printed.task, 'detect');
  assert.equal(printed.source, 'val');
  assert.equal(printed.images, split.validation.length);
  out.length = 0;
  assert.equal(await main(['evaluate', runDir, data, '--split', 'train', '--json'], io), 0);
  assert.equal((JSON.parse(out.join('')) as DetectionEvaluation).images, split.train.length);
});

test('a stop request ends a detection run as stopped, with its checkpoint', async () => {
  await selectBackend('wasm');
  const stop = { requested: false };
  const outcome = await trainRun({
    dataDir: data,
    runsRoot,
    config: tinyConfig(5),
    emit: (e) => {
      if (e.type === 'batchEnded') stop.requested = true;
    },
    stop,
  });
  assert.equal(outcome.status, 'stopped', outcome.message);
  const record = JSON.parse(await fs.readFile(path.join(outcome.runDir!, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'stopped');
  await fs.access(path.join(outcome.runDir!, 'checkpoints', 'last', 'model.json'));
});

test('predict --json maps boxes back to pixels of a letterboxed non-square image', async () => {
  await selectBackend('wasm');
  // A detector stand-in whose output is known: 4×4 average pooling (stride 4), then a 1×1 convolution
  // giving class 0 the logit 12·brightness − 10, a size of 2 × 2 cells and an offset of half a cell.
  const inputSize = 64;
  const model = tf.sequential({
    layers: [
      tf.layers.averagePooling2d({ inputShape: [inputSize, inputSize, 3], poolSize: 4, strides: 4 }),
      tf.layers.conv2d({ filters: 1 + 4, kernelSize: 1, name: 'detections' }),
    ],
  });
  const kernel = new Float32Array(3 * 5);
  for (let c = 0; c < 3; c++) kernel[c * 5] = 12 / 3;
  model
    .getLayer('detections')
    .setWeights([tf.tensor4d(kernel, [1, 1, 3, 5]), tf.tensor1d([-10, 2, 2, 0.5, 0.5])]);
  const runDir = path.join(work, 'stand-in-run');
  await fs.mkdir(path.join(runDir, 'model'), { recursive: true });
  await saveModelFiles(model, path.join(runDir, 'model'));
  model.dispose();
  await fs.writeFile(
    path.join(runDir, 'model', 'metadata.json'),
    JSON.stringify({
      formatVersion: 1,
      labels: ['blob'],
      preprocessing: { imageSize: inputSize, channels: 3, resize: 'pad', scale: 1 / 255, offset: 0 },
      model: 'centernet',
      createdAt: new Date().toISOString(),
      detection: {
        version: 1,
        task: 'detect',
        letterbox: 'top-left',
        outputs: 'heatmap-logits+size+offset',
        stride: 4,
        topK: 100,
        confidenceFloor: 0.01,
        nmsIouThreshold: 0.5,
        maxBoxes: 100,
      },
    }),
  );
  // 200 × 100: scale 0.32 into 64 × 32 at the top-left. A white block on original [100, 50, 112.5, 62.5]
  // covers input cell (8, 4) exactly: a box of 2 × 2 cells centred on it is input [30, 14, 38, 22].
  const width = 200;
  const height = 100;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 50; y < 62.5; y++)
    for (let x = 100; x < 112.5; x++) pixels.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  const image = path.join(work, 'wide.png');
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(image);

  const out: string[] = [];
  const io = {
    cwd: work,
    stdout: (t: string) => out.push(t),
    stderr: () => undefined,
    isTTY: false,
    env: process.env,
  };
  assert.equal(await main(['predict', runDir, image, '--json'], io), 0);
  const predictions = JSON.parse(out.join('')) as DetectionPrediction[];
  assert.equal(predictions.length, 1);
  assert.equal(predictions[0].path, image);
  assert.equal(predictions[0].boxes.length, 1, JSON.stringify(predictions[0].boxes));
  const [box] = predictions[0].boxes;
  assert.equal(box.label, 'blob');
  assert.ok(box.confidence > 0.8 && box.confidence < 0.95, `confidence ${box.confidence}`);
  const expected = [30 / 0.32, 14 / 0.32, 38 / 0.32, 22 / 0.32];
  box.box.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 0.01, `${box.box} vs ${expected}`));

  // The same picture stored sideways with EXIF orientation 6: the box is in pixels of the upright image.
  const sideways = path.join(work, 'wide-exif6.jpg');
  await fs.writeFile(
    sideways,
    await encodePhoto({ width, height, data: pixels }, { orientation: 6, quality: 95 }),
  );
  out.length = 0;
  assert.equal(await main(['predict', runDir, sideways, '--json'], io), 0);
  const [turned] = JSON.parse(out.join('')) as DetectionPrediction[];
  assert.equal(turned.boxes.length, 1, JSON.stringify(turned.boxes));
  turned.boxes[0].box.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) < 0.01, `${turned.boxes[0].box} vs ${expected}`),
  );

  // --confidence above the box's confidence leaves it out; a bad value is a usage error.
  out.length = 0;
  assert.equal(await main(['predict', runDir, image, '--json', '--confidence', '0.95'], io), 0);
  assert.deepEqual((JSON.parse(out.join('')) as DetectionPrediction[])[0].boxes, []);
  const errors: string[] = [];
  const errorIo = { ...io, stderr: (t: string) => errors.push(t) };
  assert.equal(await main(['predict', runDir, image, '--confidence', '2'], errorIo), 2);
  assert.match(errors.join(''), /--confidence must be a number from 0 to 1/);
});

test('the training step and detection leak no tensors', async () => {
  await selectBackend('wasm');
  const config = tinyConfig(1);
  const spec = detectorSpecOf(config, 2);
  const model = buildDetector({
    inputSize: 64,
    channels: 3,
    numClasses: 2,
    width: 4,
    stride: DETECTOR_STRIDE,
  });
  const optimizer = tf.train.adam(0.001);
  const step = makeDetectionStep({ model, optimizer }, spec);
  const samples = [0, 1, 2].map((k) =>
    sampleOf(
      `img${k}.png`,
      64,
      64,
      new Uint8Array(64 * 64 * 3).fill(40 * k),
      [{ classIndex: k % 2, box: [10, 10, 30, 40], source: { file: 'x' } }],
      64,
    ),
  );
  const batch = assembleDetectionBatch(samples, [0, 1, 2], gridOf(spec), 3, null);
  step(batch);
  detectSamples(model, samples, spec, 2, true);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const losses = step(batch);
    assert.ok(Number.isFinite(losses.loss));
  }
  detectSamples(model, samples, spec, 2, true);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
  optimizer.dispose();
});
