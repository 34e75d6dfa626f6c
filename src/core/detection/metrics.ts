// COCO-style detection metrics, computed the way pycocotools' COCOeval computes them (evaluateImg +
// accumulate + summarize), so that figures can be checked against it, plus an Ultralytics-style detection
// confusion matrix. Pure: no fs, tfjs or vscode.
//
// What is the same as pycocotools (bbox, area range "all"):
// - Per class, per image, predictions in order of confidence (ties keep their input order: numpy mergesort),
//   at most `maxDetections` of them (default 100, pycocotools' maxDets=100, which it applies per image and
//   class). Each is matched, at each IoU threshold t in 0.50:0.05:0.95, to the unmatched ground-truth box of
//   the same class in the same image with the highest IoU, if that IoU ≥ t (equal IoUs: the later box, as
//   pycocotools' `<` comparison does). Matched = true positive, else false positive.
// - Per class, the predictions of all images in order of confidence (ties: image order, then the order
//   above); precision = TP / (TP + FP), recall = TP / ground-truth boxes; the precision envelope made
//   monotone from the right; precision read at the 101 recall points 0, 0.01, … 1 as the envelope at the
//   first point whose recall ≥ r (0 when recall never reaches r); AP = the mean of those 101 values.
// - A class without ground truth in the evaluated images has AP -1 (pycocotools' "absent" value) and is left
//   out of map50 and map50_95; its false positives still count in the confusion matrix.
//   map50 = mean over classes with ground truth of ap50; map50_95 = mean over those classes of the mean
//   over the 10 thresholds of AP (equal to pycocotools' mean over thresholds × recall points × classes).
//   With no ground truth at all, both are -1.
// What is left out: crowd boxes (iscrowd) and area ranges (small/medium/large) are not supported; every box
// counts, as in pycocotools' area "all".
import type {
  BoxCorners,
  DetectionClassAp,
  DetectionEvaluation,
  PrecisionRecallCurve,
} from '../../protocol/detection';
import { boxIou, stableOrderByConfidence } from './nms';

export { boxIou } from './nms';

export interface TruthBoxInput {
  classIndex: number;
  box: BoxCorners;
}

export interface PredictedBoxInput {
  classIndex: number;
  confidence: number;
  box: BoxCorners;
}

export interface EvaluatedImageInput {
  path: string;
  truth: readonly TruthBoxInput[];
  predicted: readonly PredictedBoxInput[];
}

export interface DetectionEvaluationInput {
  labels: readonly string[];
  images: readonly EvaluatedImageInput[];
  /** For the confusion matrix only (AP uses every prediction): predictions with confidence ≥ this count.
   * Default 0.25, Ultralytics' default. */
  confidenceThreshold?: number;
  /** Per image and class, as pycocotools' maxDets (default 100). */
  maxDetections?: number;
  /** Recorded as DetectionEvaluation.source and .root. */
  source?: string;
  root?: string;
}

/** The IoU threshold of `map50`, the PR curves and the confusion matrix. */
export const DETECTION_IOU_THRESHOLD = 0.5;
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.25;
export const DEFAULT_MAX_DETECTIONS = 100;

/** 0.50, 0.55, … 0.95 computed as numpy.linspace(0.5, 0.95, 10) computes them (i·step + start, last = stop). */
export const COCO_IOU_THRESHOLDS: readonly number[] = linspace(0.5, 0.95, 10);
/** 0, 0.01, … 1 as numpy.linspace(0, 1, 101): the recall points of 101-point interpolated AP. */
export const COCO_RECALL_POINTS: readonly number[] = linspace(0, 1, 101);

/** Per class: AP at each of COCO_IOU_THRESHOLDS (-1 without ground truth) and the PR curve at IoU 0.5. */
export interface ClassAveragePrecision {
  classIndex: number;
  support: number;
  /** One AP per COCO_IOU_THRESHOLDS entry; all -1 when support is 0. */
  apByThreshold: number[];
  /** Interpolated precision at COCO_RECALL_POINTS, IoU 0.5 (all 0 when support is 0). */
  precisionAt50: number[];
  /** The highest recall reached at IoU 0.5. */
  maxRecallAt50: number;
}

/** pycocotools' per-class evaluation at every IoU threshold (the part of `evaluateDetections` behind AP). */
export function classAveragePrecisions(
  input: Pick<DetectionEvaluationInput, 'labels' | 'images' | 'maxDetections'>,
  iouThresholds: readonly number[] = COCO_IOU_THRESHOLDS,
): ClassAveragePrecision[] {
  const numClasses = input.labels.length;
  const maxDetections = input.maxDetections ?? DEFAULT_MAX_DETECTIONS;
  validateImages(input.images, numClasses);
  const results: ClassAveragePrecision[] = [];
  for (let c = 0; c < numClasses; c++) {
    let support = 0;
    // Every kept prediction of class c over all images, in image order, then in confidence order within
    // the image; matchedAt[t] says whether it was a true positive at threshold t.
    const scores: number[] = [];
    const matchedAt: boolean[][] = [];
    for (const image of input.images) {
      const truth = image.truth.filter((t) => t.classIndex === c);
      const predictedAll = image.predicted.filter((p) => p.classIndex === c);
      support += truth.length;
      const order = stableOrderByConfidence(predictedAll.map((p) => p.confidence)).slice(0, maxDetections);
      const predicted = order.map((i) => predictedAll[i]);
      const ious = predicted.map((p) => truth.map((t) => boxIou(p.box, t.box)));
      const flags = predicted.map(() => new Array<boolean>(iouThresholds.length).fill(false));
      iouThresholds.forEach((threshold, t) => {
        const truthTaken = new Array<boolean>(truth.length).fill(false);
        for (let d = 0; d < predicted.length; d++) {
          // pycocotools caps the threshold just below 1 so that a perfect box still matches at t = 1.
          let best = Math.min(threshold, 1 - 1e-10);
          let match = -1;
          for (let g = 0; g < truth.length; g++) {
            if (truthTaken[g] || ious[d][g] < best) continue;
            best = ious[d][g];
            match = g;
          }
          if (match >= 0) {
            truthTaken[match] = true;
            flags[d][t] = true;
          }
        }
      });
      predicted.forEach((p, d) => {
        scores.push(p.confidence);
        matchedAt.push(flags[d]);
      });
    }
    const ranked = stableOrderByConfidence(scores);
    const apByThreshold: number[] = [];
    let precisionAt50: number[] = new Array<number>(COCO_RECALL_POINTS.length).fill(0);
    let maxRecallAt50 = 0;
    iouThresholds.forEach((_, t) => {
      if (support === 0) {
        apByThreshold.push(-1);
        return;
      }
      const curve = interpolatedPrecision(
        ranked.map((i) => matchedAt[i][t]),
        support,
      );
      apByThreshold.push(mean(curve.precision));
      if (t === 0) {
        precisionAt50 = curve.precision;
        maxRecallAt50 = curve.maxRecall;
      }
    });
    results.push({ classIndex: c, support, apByThreshold, precisionAt50, maxRecallAt50 });
  }
  return results;
}

/**
 * 101-point interpolated precision of a ranked list of predictions (true = true positive), as pycocotools'
 * accumulate computes it: precision made monotone from the right, read at the first rank whose recall ≥ r.
 */
export function interpolatedPrecision(
  truePositiveByRank: readonly boolean[],
  groundTruthCount: number,
  recallPoints: readonly number[] = COCO_RECALL_POINTS,
): { precision: number[]; maxRecall: number } {
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const hit of truePositiveByRank) {
    if (hit) tp++;
    else fp++;
    recall.push(tp / groundTruthCount);
    // numpy's spacing(1) keeps 0/0 away, as in pycocotools.
    precision.push(tp / (tp + fp + Number.EPSILON));
  }
  for (let i = precision.length - 1; i > 0; i--) {
    if (precision[i] > precision[i - 1]) precision[i - 1] = precision[i];
  }
  const interpolated = recallPoints.map((r) => {
    const index = firstIndexAtLeast(recall, r);
    return index < precision.length ? precision[index] : 0;
  });
  return { precision: interpolated, maxRecall: recall.length > 0 ? recall[recall.length - 1] : 0 };
}

/**
 * Detection confusion matrix, (labels + 1)², rows = true class, columns = predicted class, last row and column
 * = background. Ultralytics' ConfusionMatrix rule, transposed to our rows-are-truth convention: per image, the
 * predictions with confidence ≥ `confidenceThreshold` and the ground-truth boxes are paired one-to-one,
 * regardless of class, greedily by IoU (highest first; ties: the more confident prediction, then the earlier
 * box), among pairs with IoU ≥ `iouThreshold`. A pair counts in [true class][predicted class] (the diagonal
 * when the classes agree, a class confusion when not); an unpaired prediction is a false positive in
 * [background][predicted class]; an unpaired ground-truth box is a miss in [true class][background].
 * (Ultralytics pairs by de-duplicating IoU-sorted pairs first by prediction then by box, which can leave a few
 * pairs a greedy pass would make; the greedy pass is the rule it approximates.)
 */
export function detectionConfusionMatrix(
  images: readonly EvaluatedImageInput[],
  numClasses: number,
  options: { confidenceThreshold?: number; iouThreshold?: number } = {},
): number[][] {
  const confidenceThreshold = options.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
  const iouThreshold = options.iouThreshold ?? DETECTION_IOU_THRESHOLD;
  validateImages(images, numClasses);
  const background = numClasses;
  const matrix = Array.from({ length: numClasses + 1 }, () => new Array<number>(numClasses + 1).fill(0));
  for (const image of images) {
    const confident = stableOrderByConfidence(image.predicted.map((p) => p.confidence))
      .map((i) => image.predicted[i])
      .filter((p) => p.confidence >= confidenceThreshold);
    const pairs: { d: number; g: number; iou: number }[] = [];
    confident.forEach((p, d) => {
      image.truth.forEach((t, g) => {
        const iou = boxIou(p.box, t.box);
        if (iou >= iouThreshold) pairs.push({ d, g, iou });
      });
    });
    pairs.sort((a, b) => b.iou - a.iou || a.d - b.d || a.g - b.g);
    const predictionPaired = new Array<boolean>(confident.length).fill(false);
    const truthPaired = new Array<boolean>(image.truth.length).fill(false);
    for (const { d, g } of pairs) {
      if (predictionPaired[d] || truthPaired[g]) continue;
      predictionPaired[d] = true;
      truthPaired[g] = true;
      matrix[image.truth[g].classIndex][confident[d].classIndex]++;
    }
    image.truth.forEach((t, g) => {
      if (!truthPaired[g]) matrix[t.classIndex][background]++;
    });
    confident.forEach((p, d) => {
      if (!predictionPaired[d]) matrix[background][p.classIndex]++;
    });
  }
  return matrix;
}

/**
 * `evaluation.json` of a detection run: per-class AP at IoU 0.5 and 0.5:0.95, their means over classes with
 * ground truth, PR curves at IoU 0.5 (one per class with ground truth, in label order), and the confusion
 * matrix at IoU 0.5 and the confidence threshold.
 */
export function evaluateDetections(input: DetectionEvaluationInput): DetectionEvaluation {
  const confidenceThreshold = input.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
  const classes = classAveragePrecisions(input);
  const perClass: DetectionClassAp[] = classes.map((c) => ({
    label: input.labels[c.classIndex],
    ap50: c.apByThreshold[0],
    ap50_95: c.support > 0 ? mean(c.apByThreshold) : -1,
    support: c.support,
  }));
  const withSupport = perClass.filter((c) => c.support > 0);
  const curves: PrecisionRecallCurve[] = classes
    .filter((c) => c.support > 0)
    .map((c) => ({
      label: input.labels[c.classIndex],
      recall: [...COCO_RECALL_POINTS],
      precision: c.precisionAt50,
    }));
  const evaluation: DetectionEvaluation = {
    task: 'detect',
    labels: [...input.labels],
    map50: withSupport.length > 0 ? mean(withSupport.map((c) => c.ap50)) : -1,
    map50_95: withSupport.length > 0 ? mean(withSupport.map((c) => c.ap50_95)) : -1,
    perClass,
    curves,
    confusion: detectionConfusionMatrix(input.images, input.labels.length, {
      confidenceThreshold,
      iouThreshold: DETECTION_IOU_THRESHOLD,
    }),
    confidenceThreshold,
    iouThreshold: DETECTION_IOU_THRESHOLD,
    images: input.images.length,
  };
  if (input.source !== undefined) evaluation.source = input.source;
  if (input.root !== undefined) evaluation.root = input.root;
  return evaluation;
}

function validateImages(images: readonly EvaluatedImageInput[], numClasses: number): void {
  for (const image of images) {
    for (const t of image.truth) {
      if (!isClassIndex(t.classIndex, numClasses)) {
        throw new RangeError(
          `${image.path}: ground-truth class index ${t.classIndex} is not one of ${numClasses} classes`,
        );
      }
    }
    for (const p of image.predicted) {
      if (!isClassIndex(p.classIndex, numClasses)) {
        throw new RangeError(
          `${image.path}: predicted class index ${p.classIndex} is not one of ${numClasses} classes`,
        );
      }
      if (!Number.isFinite(p.confidence)) {
        throw new RangeError(
          `${image.path}: a prediction's confidence is ${p.confidence}, not a finite number`,
        );
      }
    }
  }
}

function isClassIndex(value: number, numClasses: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < numClasses;
}

/** First index whose value ≥ target in a non-decreasing array (numpy.searchsorted, side 'left'). */
function firstIndexAtLeast(sorted: readonly number[], target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function linspace(start: number, stop: number, count: number): number[] {
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : i * step + start));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
