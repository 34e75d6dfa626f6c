// A detection training run (issue 18): the same run directory, checkpoints, resume, stop requests, events
// and metrics lines as classification (training/observers.ts), around the detector's own epoch: augmented
// batches with CenterNet targets, the focal + L1 loss, and per epoch the validation losses and mAP.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../protocol/config';
import {
  DETECTION_RESULTS_FILE,
  type DetectionEpochFields,
  type DetectionEvaluation,
  type DetectionResultsFile,
} from '../../protocol/detection';
import { RUN_FILES, RUN_FORMAT_VERSION, type EpochMetrics } from '../../protocol/runRecord';
import { checkDetectionEvaluation } from '../../protocol/runSchema';
import { evaluateDetections } from '../../core/detection/metrics';
import { gridSizeOf, REGRESSION_CHANNELS } from '../../core/detection/centerTargets';
import { afterEpoch, initialScheduleState, learningRateForEpoch, NO_BEST } from '../../core/trainingControl';
import { chunk, epochOrder } from '../dataPipeline';
import { loadModelFromDir, replaceDirectory, saveModelFiles } from '../modelIO';
import { guardWrite } from '../runWriter';
import { withSeededMathRandom } from '../seededMathRandom';
import { fail, type TrainOutcome } from '../train';
import { restoreBestWeights, restoreOptimizerState } from '../training/checkpoints';
import { BestEpochTracker, epochObservers, type LoopControl, type Trainee } from '../training/observers';
import type { LockHolder } from '../training/prepareRun';
import type { TrainRunRequest } from '../training/runContext';
import { finishRun } from '../training/runEnd';
import { runStartedEvent } from '../training/runStart';
import { createOptimizer, setLearningRate } from '../training/trainStep';
import type { DetectAugmentOptions } from './augment';
import {
  assembleDetectionBatch,
  loadDetectionSamples,
  type DetectionBatch,
  type DetectionSample,
} from './detectData';
import { detectSamples, DEFAULT_DECODE, gridOf, type Detection, type DetectorSpec } from './detector';
import { DETECTION_METADATA_VERSION, type DetectionModelMetadata } from './detectionModel';
import { detectionLoss } from './loss';
import { buildDetector, DETECTOR_MODEL_NAME, DETECTOR_STRIDE } from './model';
import { imagesOf, prepareDetectionRun, type PreparedDetectionRun } from './prepareDetection';

/** Filters of the detector's first stage (later stages 2× and 4×). */
export const DETECTOR_WIDTH = 16;
/** Validation images scored per epoch at most when there is no validation split (training images). */
const TRAIN_EVAL_LIMIT = 64;

export interface DetectionParts {
  train: DetectionSample[];
  validation: DetectionSample[];
  test: DetectionSample[];
}

export async function trainDetectionRun(request: TrainRunRequest): Promise<TrainOutcome> {
  const { emit } = request;
  let prepared: PreparedDetectionRun | null = null;
  const held: LockHolder = { lock: null };
  try {
    prepared = await prepareDetectionRun(request, held);
    const { config } = prepared;
    emit(runStartedEvent(prepared));
    const parts = await loadParts(prepared, request);
    const run = prepared;
    return await withSeededMathRandom(config.seed, () => fitDetector(run, parts, request));
  } catch (err) {
    return await fail(err, prepared, emit);
  } finally {
    await held.lock?.release().catch(() => undefined);
  }
}

async function loadParts(prepared: PreparedDetectionRun, request: TrainRunRequest): Promise<DetectionParts> {
  const { emit } = request;
  const { config, set, split, datasetRoot, writer } = prepared;
  const parts = { train: split.train, validation: split.validation, test: split.test };
  const total = parts.train.length + parts.validation.length + parts.test.length;
  emit({ type: 'phaseChanged', phase: 'decoding', message: `Decoding ${total} images` });
  let done = 0;
  let lastEvent = 0;
  const loaded: Partial<DetectionParts> = {};
  const skipped = [];
  for (const part of ['train', 'validation', 'test'] as const) {
    const images = imagesOf(set, parts[part]);
    const missing = parts[part].length - images.length;
    if (missing > 0)
      emit({
        type: 'log',
        level: 'warn',
        message: `${missing} ${part} image(s) of split.json are no longer in the data set`,
      });
    const result = await loadDetectionSamples(datasetRoot, images, config.imageSize, config.channels, (d) => {
      const now = Date.now();
      if (now - lastEvent < 200 && done + d < total) return;
      lastEvent = now;
      emit({ type: 'progress', phase: 'decoding', done: done + d, total });
    });
    done += images.length;
    loaded[part] = result.samples;
    skipped.push(...result.skipped);
  }
  if (skipped.length > 0) {
    for (const s of skipped.slice(0, 5))
      emit({ type: 'log', level: 'warn', message: `skipped ${s.path}: ${s.reason}` });
    await writer.update({ dataset: { ...writer.current.dataset, skipped } });
  }
  if ((loaded.train ?? []).length === 0) throw new Error('no training image could be decoded');
  return loaded as DetectionParts;
}

export function detectorSpecOf(config: TrainingConfig, numClasses: number): DetectorSpec {
  return {
    inputSize: config.imageSize,
    channels: config.channels,
    numClasses,
    decode: { ...DEFAULT_DECODE, stride: DETECTOR_STRIDE },
  };
}

/** The box-aware augmentation a config asks for: flip, zoom (crop-and-resize) and brightness as colour jitter. */
export function detectAugmentOf(config: TrainingConfig): DetectAugmentOptions | null {
  if (!config.augment) return null;
  return {
    horizontalFlip: config.augment.horizontalFlip,
    zoom: config.augment.zoom,
    colour: config.augment.brightness,
  };
}

interface StepLosses {
  loss: number;
  classLoss: number;
  boxLoss: number;
}

export function makeDetectionStep(
  trainee: Trainee,
  spec: DetectorSpec,
): (batch: DetectionBatch) => StepLosses {
  const cells = gridSizeOf(gridOf(spec));
  // In the model's layer order, which a model loaded from its files keeps: Adam's moments are matched to
  // variables by position, so a resumed run must list them in the order the checkpoint saved them.
  const variables = trainee.model.trainableWeights.map((w) => w.read() as tf.Variable);
  return (batch) => {
    const n = batch.count;
    let parts: tf.Scalar[] = [];
    const total = tf.tidy(
      () =>
        trainee.optimizer.minimize(
          () => {
            const x = tf.tensor4d(batch.pixels, [n, spec.inputSize, spec.inputSize, spec.channels]);
            const out = trainee.model.apply(x, { training: true }) as tf.Tensor4D;
            const losses = detectionLoss(
              out,
              {
                heatmap: tf.tensor4d(batch.heatmap, [n, cells, cells, spec.numClasses]),
                regression: tf.tensor4d(batch.regression, [n, cells, cells, REGRESSION_CHANNELS]),
                mask: tf.tensor4d(batch.mask, [n, cells, cells, 1]),
              },
              spec.numClasses,
            );
            parts = [tf.keep(losses.classLoss), tf.keep(losses.boxLoss)];
            return losses.total;
          },
          true,
          variables,
        ) as tf.Scalar,
    );
    const result = {
      loss: total.dataSync()[0],
      classLoss: parts[0].dataSync()[0],
      boxLoss: parts[1].dataSync()[0],
    };
    total.dispose();
    for (const p of parts) p.dispose();
    return result;
  };
}

type DetectionEpochMetrics = EpochMetrics & DetectionEpochFields;

async function fitDetector(
  prepared: PreparedDetectionRun,
  parts: DetectionParts,
  request: TrainRunRequest,
): Promise<TrainOutcome> {
  const { writer, config, classNames } = prepared;
  const { emit, stop } = request;
  const spec = detectorSpecOf(config, classNames.length);
  const model = prepared.resume
    ? await loadModelFromDir(prepared.resume.dir)
    : buildDetector({
        inputSize: config.imageSize,
        channels: config.channels,
        numClasses: classNames.length,
        width: DETECTOR_WIDTH,
        stride: DETECTOR_STRIDE,
      });
  const trainee: Trainee = { model, optimizer: createOptimizer(config) };
  await restoreOptimizerState(trainee.optimizer, prepared.resume, emit);
  const step = makeDetectionStep(trainee, spec);
  const augment = detectAugmentOf(config);
  const control: LoopControl = { stopTraining: false };
  // mAP@0.5 is the figure a detection run is judged by: best checkpoint and early stopping watch it.
  const best = new BestEpochTracker(
    prepared.resume?.state.tracker ?? NO_BEST,
    config.earlyStopping?.monitor ?? 'valAccuracy',
  );
  const { observers, earlyStopping } = epochObservers({ writer, trainee, best, control, config, emit, stop });
  const evalSamples = parts.validation.length > 0 ? parts.validation : parts.train.slice(0, TRAIN_EVAL_LIMIT);
  const evalBatch = Math.max(1, Math.min(32, config.batchSize * 2));
  emit({
    type: 'phaseChanged',
    phase: 'training',
    message: `Training the detector on ${parts.train.length} images, validating on ${parts.validation.length}`,
  });
  const startEpoch = (prepared.resume?.state.epoch ?? 0) + 1;
  let schedule = prepared.resume?.state.schedule ?? initialScheduleState(config.learningRate);
  let lastEpoch = startEpoch - 1;
  for (let epoch = startEpoch; epoch <= config.epochs; epoch++) {
    const learningRate = learningRateForEpoch(
      config.schedule,
      config.learningRate,
      epoch,
      config.epochs,
      schedule,
    );
    setLearningRate(trainee.optimizer, learningRate);
    const started = Date.now();
    const batches = chunk(epochOrder(parts.train.length, config.seed, epoch), config.batchSize);
    for (const o of observers) await o.onEpochBegin?.({ epoch, totalBatches: batches.length, learningRate });
    const sums = { loss: 0, classLoss: 0, boxLoss: 0, seen: 0 };
    for (let b = 0; b < batches.length; b++) {
      const batch = assembleDetectionBatch(
        parts.train,
        batches[b],
        gridOf(spec),
        config.channels,
        augment ? { options: augment, seed: config.seed, epoch } : null,
      );
      const result = step(batch);
      if (!Number.isFinite(result.loss))
        throw new Error(
          `the loss became ${result.loss} at epoch ${epoch}, batch ${b + 1} — lower --learning-rate`,
        );
      sums.loss += result.loss * batch.count;
      sums.classLoss += result.classLoss * batch.count;
      sums.boxLoss += result.boxLoss * batch.count;
      sums.seen += batch.count;
      for (const o of observers)
        await o.onBatchEnd?.({
          epoch,
          batch: b + 1,
          totalBatches: batches.length,
          loss: sums.loss / sums.seen,
          accuracy: 0,
          batchLoss: result.loss,
          batchAccuracy: 0,
        });
      if (control.stopTraining) break;
    }
    const trainSeconds = (Date.now() - started) / 1000;
    emit({ type: 'phaseChanged', phase: 'evaluating', message: `Validating epoch ${epoch}` });
    const scored = detectSamples(trainee.model, evalSamples, spec, evalBatch, parts.validation.length > 0);
    const evaluation = evaluationOf(classNames, evalSamples, scored.detections, prepared.datasetRoot, 'val');
    const map50 = Math.max(0, evaluation.map50);
    const map50_95 = Math.max(0, evaluation.map50_95);
    const hasValidation = parts.validation.length > 0;
    const metrics: DetectionEpochMetrics = {
      epoch,
      task: 'detect',
      loss: sums.loss / Math.max(1, sums.seen),
      classLoss: sums.classLoss / Math.max(1, sums.seen),
      boxLoss: sums.boxLoss / Math.max(1, sums.seen),
      accuracy: map50,
      valLoss: hasValidation ? scored.classLoss + scored.boxLoss : null,
      valClassLoss: hasValidation ? scored.classLoss : null,
      valBoxLoss: hasValidation ? scored.boxLoss : null,
      valAccuracy: hasValidation ? map50 : null,
      map50,
      map50_95,
      learningRate,
      durationMs: Date.now() - started,
      samplesPerSecond: sums.seen / Math.max(1e-3, trainSeconds),
      ...(sums.seen < parts.train.length ? { partial: true } : {}),
    };
    schedule = afterEpoch(config.schedule, schedule, metrics);
    emit({ type: 'phaseChanged', phase: 'saving', message: `Saving checkpoints of epoch ${epoch}` });
    for (const o of observers) await o.onEpochEnd?.({ metrics, schedule });
    lastEpoch = epoch;
    if (control.stopTraining) break;
  }

  const bestEpoch = best.tracker.bestEpoch;
  if (config.earlyStopping?.restoreBest && bestEpoch !== null && bestEpoch !== lastEpoch)
    await restoreBestWeights(writer, trainee.model, bestEpoch, best.monitor, emit);
  await writeDetectionArtefacts(prepared, trainee.model, spec, parts, request);
  trainee.model.dispose();
  trainee.optimizer.dispose();

  return finishRun(prepared, request, { lastEpoch, bestEpoch, endedEarly: earlyStopping.stopped });
}

export function evaluationOf(
  labels: readonly string[],
  samples: readonly DetectionSample[],
  detections: readonly Detection[][],
  root: string,
  source: string,
): DetectionEvaluation {
  return evaluateDetections({
    labels,
    images: samples.map((sample, k) => ({
      path: sample.path,
      truth: sample.truth,
      predicted: detections[k],
    })),
    source,
    root,
  });
}

export function resultsFileOf(
  labels: readonly string[],
  samples: readonly DetectionSample[],
  detections: readonly Detection[][],
  root: string,
  source: string,
  confidenceFloor: number,
): DetectionResultsFile {
  return {
    task: 'detect',
    root,
    source,
    confidenceFloor,
    images: samples.map((sample, k) => ({
      path: sample.path,
      width: sample.geometry.width,
      height: sample.geometry.height,
      truth: sample.truth.map((t) => ({ label: labels[t.classIndex], box: t.box })),
      predicted: detections[k].map((d) => ({
        label: labels[d.classIndex],
        confidence: d.confidence,
        box: d.box,
      })),
    })),
  };
}

/** model/ (weights + metadata with the task, labels, preprocessing and decode parameters), evaluation.json,
 * detections.json, and test-evaluation.json when there is a test split. */
async function writeDetectionArtefacts(
  prepared: PreparedDetectionRun,
  model: tf.LayersModel,
  spec: DetectorSpec,
  parts: DetectionParts,
  request: TrainRunRequest,
): Promise<void> {
  const { writer, config, classNames, datasetRoot } = prepared;
  const { emit } = request;
  emit({ type: 'phaseChanged', phase: 'saving', message: 'Saving the model' });
  const metadata: DetectionModelMetadata = {
    formatVersion: RUN_FORMAT_VERSION,
    labels: classNames,
    preprocessing: {
      imageSize: config.imageSize,
      channels: config.channels,
      resize: 'pad',
      scale: 1 / 255,
      offset: 0,
    },
    model: DETECTOR_MODEL_NAME,
    createdAt: new Date().toISOString(),
    detection: {
      version: DETECTION_METADATA_VERSION,
      task: 'detect',
      letterbox: 'top-left',
      ...spec.decode,
      outputs: 'heatmap-logits+size+offset',
    },
  };
  await replaceDirectory(
    writer.path(RUN_FILES.model),
    async (temp) => {
      await saveModelFiles(model, temp);
      const file = path.join(temp, RUN_FILES.modelMetadata);
      await guardWrite(file, () => fs.writeFile(file, JSON.stringify(metadata, null, 2)));
    },
    { root: writer.runDir },
  );
  emit({ type: 'phaseChanged', phase: 'evaluating', message: 'Evaluating' });
  const evalBatch = Math.max(1, Math.min(32, config.batchSize * 2));
  const [source, samples] = parts.validation.length > 0 ? ['val', parts.validation] : ['train', parts.train];
  const result = detectSamples(model, samples, spec, evalBatch);
  const evaluation = evaluationOf(classNames, samples, result.detections, datasetRoot, source);
  await writer.writeJson(RUN_FILES.evaluation, evaluation, checkDetectionEvaluation);
  await writer.writeJson(
    DETECTION_RESULTS_FILE,
    resultsFileOf(classNames, samples, result.detections, datasetRoot, source, spec.decode.confidenceFloor),
  );
  emit({
    type: 'evaluationWritten',
    accuracy: Math.max(0, evaluation.map50),
    path: writer.path(RUN_FILES.evaluation),
  });
  emit({
    type: 'log',
    level: 'info',
    message: `mAP@0.5 ${evaluation.map50.toFixed(3)}, mAP@0.5:0.95 ${evaluation.map50_95.toFixed(3)} on ${samples.length} ${source} images`,
  });
  if (parts.test.length > 0) {
    const tested = detectSamples(model, parts.test, spec, evalBatch);
    const test = evaluationOf(classNames, parts.test, tested.detections, datasetRoot, 'test');
    await writer.writeJson('test-evaluation.json', test, checkDetectionEvaluation);
    await writer.update({ testAccuracy: Math.max(0, test.map50) });
    emit({
      type: 'log',
      level: 'info',
      message: `Test mAP@0.5 ${test.map50.toFixed(3)} on ${parts.test.length} held-out images`,
    });
  }
}
