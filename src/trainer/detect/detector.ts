// Running the detector: a batch of letterboxed inputs through the model, the heatmap through its sigmoid,
// peaks decoded (core/detection/centerTargets.ts), overlaps suppressed (core/detection/nms.ts), and the
// boxes mapped back to pixels of the original image. Training-time validation, `evaluate` and `predict`
// all detect through here, with the decode parameters model/metadata.json records.
import * as tf from '@tensorflow/tfjs';
import type { BoxCorners } from '../../protocol/detection';
import {
  decodeCenterOutputs,
  gridSizeOf,
  REGRESSION_CHANNELS,
  type CenterGrid,
} from '../../core/detection/centerTargets';
import { boxToOriginal, type LetterboxGeometry } from '../../core/detection/letterbox';
import { nonMaxSuppression } from '../../core/detection/nms';
import { assembleDetectionBatch, type DetectionSample } from './detectData';
import { detectionLoss } from './loss';

export interface DecodeParameters {
  /** Input pixels per output cell. */
  stride: number;
  /** Heatmap peaks decoded per image, highest first. */
  topK: number;
  /** Peaks below this confidence are dropped; low, so that mAP sees the whole precision–recall curve and
   * the inspector's slider can filter (predict applies its own --confidence). */
  confidenceFloor: number;
  /** Class-aware NMS: a box overlapping a kept box of its class by more than this is dropped. */
  nmsIouThreshold: number;
  maxBoxes: number;
}

export const DEFAULT_DECODE: Readonly<DecodeParameters> = {
  stride: 4,
  topK: 100,
  confidenceFloor: 0.01,
  nmsIouThreshold: 0.5,
  maxBoxes: 100,
};

export interface DetectorSpec {
  inputSize: number;
  channels: 1 | 3;
  numClasses: number;
  decode: DecodeParameters;
}

export interface Detection {
  classIndex: number;
  confidence: number;
  /** Original-image pixels. */
  box: BoxCorners;
}

export function gridOf(spec: DetectorSpec): CenterGrid {
  return { inputSize: spec.inputSize, stride: spec.decode.stride, numClasses: spec.numClasses };
}

type ImageOutput = { scores: Float32Array; regression: Float32Array };

/**
 * Sigmoid scores and regression of each image of a batch, as plain arrays, and the batch's mean losses
 * when its targets are given (one forward pass for both).
 */
export function detectorOutputs(
  model: tf.LayersModel,
  pixels: Float32Array,
  count: number,
  spec: DetectorSpec,
  targets?: { heatmap: Float32Array; regression: Float32Array; mask: Float32Array },
): { outputs: ImageOutput[]; classLoss: number; boxLoss: number } {
  const cells = gridSizeOf(gridOf(spec));
  const { numClasses, inputSize, channels } = spec;
  const [scores, regression, classLoss, boxLoss] = tf.tidy(() => {
    const x = tf.tensor4d(pixels, [count, inputSize, inputSize, channels]);
    const out = model.predict(x) as tf.Tensor4D;
    let losses: [number, number] = [0, 0];
    if (targets) {
      const l = detectionLoss(
        out,
        {
          heatmap: tf.tensor4d(targets.heatmap, [count, cells, cells, numClasses]),
          regression: tf.tensor4d(targets.regression, [count, cells, cells, REGRESSION_CHANNELS]),
          mask: tf.tensor4d(targets.mask, [count, cells, cells, 1]),
        },
        numClasses,
      );
      losses = [l.classLoss.dataSync()[0], l.boxLoss.dataSync()[0]];
    }
    return [
      tf.sigmoid(out.slice([0, 0, 0, 0], [count, cells, cells, numClasses])).dataSync() as Float32Array,
      out.slice([0, 0, 0, numClasses], [count, cells, cells, REGRESSION_CHANNELS]).dataSync() as Float32Array,
      ...losses,
    ] as const;
  });
  const perScores = cells * cells * numClasses;
  const perRegression = cells * cells * REGRESSION_CHANNELS;
  const outputs = Array.from({ length: count }, (_, k) => ({
    scores: scores.subarray(k * perScores, (k + 1) * perScores),
    regression: regression.subarray(k * perRegression, (k + 1) * perRegression),
  }));
  return { outputs, classLoss, boxLoss };
}

/** One image's boxes in original pixels, suppressed, highest confidence first. */
export function detectionsOf(
  output: ImageOutput,
  spec: DetectorSpec,
  geometry: LetterboxGeometry,
): Detection[] {
  const { decode } = spec;
  const peaks = decodeCenterOutputs(output.scores, output.regression, gridOf(spec), {
    topK: decode.topK,
    minConfidence: decode.confidenceFloor,
  });
  const kept = nonMaxSuppression(peaks, {
    iouThreshold: decode.nmsIouThreshold,
    maxBoxes: decode.maxBoxes,
    classAware: true,
  });
  return kept
    .map((d) => ({ classIndex: d.classIndex, confidence: d.confidence, box: boxToOriginal(d.box, geometry) }))
    .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
}

export interface SamplesResult {
  detections: Detection[][];
  /** Mean losses over the samples (unaugmented), when asked for. */
  classLoss: number;
  boxLoss: number;
}

/** Detections (and the losses) of `samples`, `batchSize` at a time, without augmentation. */
export function detectSamples(
  model: tf.LayersModel,
  samples: readonly DetectionSample[],
  spec: DetectorSpec,
  batchSize: number,
  withLoss = false,
): SamplesResult {
  const detections: Detection[][] = [];
  let classSum = 0;
  let boxSum = 0;
  const grid = gridOf(spec);
  for (let start = 0; start < samples.length; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, samples.length - start) }, (_, k) => start + k);
    const batch = assembleDetectionBatch(samples, indices, grid, spec.channels, null);
    const result = detectorOutputs(model, batch.pixels, batch.count, spec, withLoss ? batch : undefined);
    result.outputs.forEach((output, k) =>
      detections.push(detectionsOf(output, spec, samples[indices[k]].geometry)),
    );
    classSum += result.classLoss * batch.count;
    boxSum += result.boxLoss * batch.count;
  }
  const n = Math.max(1, samples.length);
  return { detections, classLoss: classSum / n, boxLoss: boxSum / n };
}
