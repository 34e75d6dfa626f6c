// Guards for what the short CLI commands print with --json (scan, predict): unknown until accepted.
// `evaluate --json` prints an Evaluation: see isEvaluation in webviewMessages.ts.
import { isArrayOf, isFiniteNumber, isRecord, isString } from './guards';
import type { Prediction } from './runRecord';
import type { ScanReport } from './scan';

export function isScanReport(value: unknown): value is ScanReport {
  return (
    isRecord(value) &&
    isString(value.root) &&
    (value.layout === 'class-folders' || value.layout === 'split-folders') &&
    isArrayOf(
      value.classes,
      (c): c is ScanReport['classes'][number] => isRecord(c) && isString(c.name) && isFiniteNumber(c.count),
    ) &&
    isArrayOf(
      value.skipped,
      (s): s is ScanReport['skipped'][number] => isRecord(s) && isString(s.path) && isString(s.reason),
    ) &&
    isArrayOf(
      value.duplicates,
      (d): d is ScanReport['duplicates'][number] =>
        isRecord(d) &&
        isString(d.hash) &&
        isArrayOf(d.paths, isString) &&
        isArrayOf(d.labels, isString) &&
        typeof d.conflict === 'boolean',
    ) &&
    isArrayOf(
      value.warnings,
      (w): w is ScanReport['warnings'][number] => isRecord(w) && isString(w.kind) && isString(w.message),
    ) &&
    isFiniteNumber(value.total)
  );
}

function isTopEntry(value: unknown): value is Prediction['top'][number] {
  return isRecord(value) && isString(value.label) && isFiniteNumber(value.confidence);
}

export function isPrediction(value: unknown): value is Prediction {
  return (
    isRecord(value) &&
    isString(value.path) &&
    isString(value.label) &&
    isFiniteNumber(value.confidence) &&
    isArrayOf(value.top, isTopEntry)
  );
}

export function isPredictionList(value: unknown): value is Prediction[] {
  return isArrayOf(value, isPrediction);
}

/** One trial of `image-trainer sweep --json`'s closing `sweepCompleted` line. */
export interface SweepTrialResult {
  index: number;
  overrides: Record<string, unknown>;
  runId: string | null;
  status: string;
  /** Best value of the sweep's metric over the trial's epochs. */
  best: number | null;
}

export interface SweepCompleted {
  type: 'sweepCompleted';
  sweepId: string;
  groupFile: string;
  best: SweepTrialResult | null;
  trials: SweepTrialResult[];
}

function isSweepTrialResult(value: unknown): value is SweepTrialResult {
  return (
    isRecord(value) &&
    isFiniteNumber(value.index) &&
    isRecord(value.overrides) &&
    (value.runId === null || isString(value.runId)) &&
    isString(value.status) &&
    (value.best === null || isFiniteNumber(value.best))
  );
}

export function isSweepCompleted(value: unknown): value is SweepCompleted {
  return (
    isRecord(value) &&
    value.type === 'sweepCompleted' &&
    isString(value.sweepId) &&
    isString(value.groupFile) &&
    (value.best === null || isSweepTrialResult(value.best)) &&
    isArrayOf(value.trials, isSweepTrialResult)
  );
}

/** `image-trainer preview-augment DIR --json`: the first training images of epoch 1, augmented, as PNGs. */
export interface AugmentPreviewResult {
  root: string;
  seed: number;
  epoch: number;
  imageSize: number;
  channels: number;
  augmented: boolean;
  images: AugmentPreviewImage[];
}

export interface AugmentPreviewImage {
  /** Relative to the data set root. */
  path: string;
  label: string;
  /** `data:image/png;base64,…` */
  png: string;
}

/** A 1024-pixel RGB preview image fits; anything longer is refused rather than shown. */
export const MAX_PNG_DATA_URL = 8 * 1024 * 1024;
const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;
const MAX_PREVIEW_TEXT = 4096;

export function isPngDataUrl(value: unknown): value is string {
  return isString(value) && value.length <= MAX_PNG_DATA_URL && PNG_DATA_URL.test(value);
}

export function isAugmentPreviewImage(value: unknown): value is AugmentPreviewImage {
  return (
    isRecord(value) &&
    isString(value.path) &&
    value.path.length <= MAX_PREVIEW_TEXT &&
    isString(value.label) &&
    value.label.length <= MAX_PREVIEW_TEXT &&
    isPngDataUrl(value.png)
  );
}

export function isAugmentPreviewResult(value: unknown): value is AugmentPreviewResult {
  return (
    isRecord(value) &&
    isString(value.root) &&
    isFiniteNumber(value.seed) &&
    isFiniteNumber(value.epoch) &&
    isFiniteNumber(value.imageSize) &&
    (value.channels === 1 || value.channels === 3) &&
    typeof value.augmented === 'boolean' &&
    Array.isArray(value.images) &&
    value.images.length <= 64 &&
    isArrayOf(value.images, isAugmentPreviewImage)
  );
}
