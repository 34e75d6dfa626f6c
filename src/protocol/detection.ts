// Object detection (issue 18): the shapes that the detection reader, the annotation doctor, the detector's
// trainer, evaluation and the dashboard share. Imports nothing from vscode, fs or tfjs.
//
// Conventions every reader and writer keeps:
// - Boxes are `[x1, y1, x2, y2]` in pixels of the original image as stored on disk, EXIF orientation
//   applied (x to the right, y down, x2 > x1 and y2 > y1 for a valid box). Each format's own convention
//   (YOLO normalised centre/size, COCO `[x, y, w, h]`, VOC 1-based corners) is converted once, in its reader.
// - Paths are relative to the data set root, forward slashes.
// - Class indices index `classNames` of the same data set.

export type DetectionFormat = 'yolo' | 'coco' | 'voc';

/** The split names detection sets use; `val` follows YOLO and COCO (`classification` says `validation`). */
export type DetectionSplitName = 'train' | 'val' | 'test';

export type BoxCorners = [x1: number, y1: number, x2: number, y2: number];

export interface GroundTruthBox {
  classIndex: number;
  box: BoxCorners;
  /** Where the box was written: the label file (relative to the root) and its 1-based line (YOLO: the
   * line; COCO: the line on which the annotation's object starts in the JSON text, and findings name its
   * id as `annotation id N`; VOC: the `<object>` line). */
  source: AnnotationSource;
}

export interface AnnotationSource {
  file: string;
  line?: number;
}

export interface DetectionImage {
  path: string;
  width: number;
  height: number;
  split?: DetectionSplitName;
  boxes: GroundTruthBox[];
}

export type AnnotationFindingKind =
  | 'box-outside-image'
  | 'zero-area-box'
  | 'unknown-class'
  | 'malformed-line'
  | 'label-without-image'
  | 'image-without-label'
  | 'duplicate-box'
  | 'tiny-box'
  | 'extreme-aspect-ratio'
  | 'class-imbalance';

export type FindingSeverity = 'error' | 'warning' | 'info';

export interface AnnotationFinding {
  kind: AnnotationFindingKind;
  severity: FindingSeverity;
  /** One line a person reads: what is wrong and what to do. */
  message: string;
  /** The file the finding is about (a label file, an annotations JSON, an XML, or an image). */
  file: string;
  /** 1-based line in `file`, when the format has lines that name the problem. */
  line?: number;
  /** The image the box belongs to, when there is one. */
  image?: string;
  /** The offending box, in image pixels, for the gallery to highlight. */
  box?: BoxCorners;
  className?: string;
}

export interface DetectionClassCount {
  name: string;
  boxes: number;
  /** Images with at least one box of this class. */
  images: number;
}

export interface DetectionSplitCount {
  name: DetectionSplitName;
  images: number;
  boxes: number;
}

/** What `image-trainer scan DIR --json` prints for a detection set. */
export interface DetectionScanReport {
  task: 'detect';
  root: string;
  format: DetectionFormat;
  classNames: string[];
  classes: DetectionClassCount[];
  splits: DetectionSplitCount[];
  /** Images read (with or without boxes). */
  images: number;
  /** Images without a label file or with an empty one: background images, counted, not errors. */
  backgroundImages: number;
  boxes: number;
  findings: AnnotationFinding[];
  /** Files the reader could not use whatever their labels (unreadable or corrupt images, links out of the
   * root), with the reason; absent when there are none. Added by the reader (ddata). */
  skipped?: SkippedDetectionFile[];
}

export interface SkippedDetectionFile {
  path: string;
  reason: string;
}

/** One predicted box, as `predict RUN IMAGE --json` prints it (pixels of the original image). */
export interface PredictedBox {
  label: string;
  confidence: number;
  box: BoxCorners;
}

export interface DetectionPrediction {
  path: string;
  boxes: PredictedBox[];
}

export interface DetectionClassAp {
  label: string;
  ap50: number;
  ap50_95: number;
  /** Ground-truth boxes of this class in the evaluated images. */
  support: number;
}

export interface PrecisionRecallCurve {
  label: string;
  /** At IoU 0.5: the 101 recall points 0, 0.01, ... 1 and the interpolated precision at each. */
  recall: number[];
  precision: number[];
}

/** `evaluation.json` of a detection run (and `evaluate RUN DIR --json`). */
export interface DetectionEvaluation {
  task: 'detect';
  labels: string[];
  /** Mean over classes with support of `ap50`. */
  map50: number;
  map50_95: number;
  perClass: DetectionClassAp[];
  curves: PrecisionRecallCurve[];
  /**
   * (labels + 1) × (labels + 1), rows = true class, columns = predicted class; the last row and column are
   * background (a false positive is counted in the background row, a missed box in the background column),
   * at IoU 0.5 and the confidence threshold below.
   */
  confusion: number[][];
  confidenceThreshold: number;
  iouThreshold: number;
  /** Where the evaluated images came from (`val`, `test`, or a folder), and the root their paths are in. */
  source?: string;
  root?: string;
  images: number;
}

/**
 * Extra fields of a detection run's `metrics.jsonl` epoch lines (beside `loss`, `valLoss`, `learningRate`,
 * `durationMs`, `samplesPerSecond` of EpochMetrics; `accuracy`/`valAccuracy` are written as the epoch's
 * map50 on validation so that existing readers keep a "higher is better" figure).
 */
export interface DetectionEpochFields {
  task: 'detect';
  /** Centre-heatmap (class) loss and box-size/offset loss; `loss` is their weighted sum. */
  classLoss: number;
  boxLoss: number;
  valClassLoss?: number | null;
  valBoxLoss?: number | null;
  map50?: number | null;
  map50_95?: number | null;
}

/** One evaluated image, ground truth beside predictions, for the dashboard's inspector. */
export interface DetectionImageResult {
  path: string;
  width: number;
  height: number;
  truth: { label: string; box: BoxCorners }[];
  /** Every prediction kept after NMS down to the low confidence floor, so a slider can filter. */
  predicted: PredictedBox[];
}

/** `detections.json` in a detection run directory, written with `evaluation.json`. */
export interface DetectionResultsFile {
  task: 'detect';
  /** Absolute folder the paths are relative to. */
  root: string;
  source: string;
  confidenceFloor: number;
  images: DetectionImageResult[];
}

/** The file in a detection run directory that holds DetectionResultsFile. */
export const DETECTION_RESULTS_FILE = 'detections.json';

/** A detection data set as the trainer reads it (`readDetectionSet`): images sorted by path; an image with
 * a box-level error keeps only its valid boxes, and the error is in `findings`. */
export interface DetectionSet {
  root: string;
  format: DetectionFormat;
  classNames: string[];
  images: DetectionImage[];
  findings: AnnotationFinding[];
  /** As in DetectionScanReport: files that could not be used, with the reason. */
  skipped?: SkippedDetectionFile[];
}
