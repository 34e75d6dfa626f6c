// Checks for the detection records the editor reads from outside (issue 18): the scan report that
// `image-trainer scan DIR --json` prints for a detection set, and a detection run's `detections.json`.
// Both are untrusted. The results file's check returns a clean copy or the first problem as one line;
// the paths it holds are only shapes here (relative, no `..`), the host resolves them inside the root.
// Imports nothing but the guards and the schema's path rules.
import type {
  AnnotationFinding,
  AnnotationFindingKind,
  BoxCorners,
  DetectionImageResult,
  DetectionResultsFile,
  DetectionScanReport,
  FindingSeverity,
  PredictedBox,
} from './detection';
import { isArrayOf, isFiniteNumber, isNonNegativeInteger, isOneOf, isRecord, isString } from './guards';
import { isAbsolutePathText, relativeSegments, type Checked } from './runSchema';

export const ANNOTATION_FINDING_KINDS: readonly AnnotationFindingKind[] = [
  'box-outside-image',
  'zero-area-box',
  'unknown-class',
  'malformed-line',
  'label-without-image',
  'image-without-label',
  'duplicate-box',
  'tiny-box',
  'extreme-aspect-ratio',
  'class-imbalance',
];

const SEVERITIES: readonly FindingSeverity[] = ['error', 'warning', 'info'];
/** Longest message, file or path in a scan report or results file (the readers clip to it). */
export const MAX_TEXT = 4096;
/** Longest class name (the readers rename longer ones). */
export const MAX_NAME = 1024;
/** Images in one results file: far beyond any evaluation split, small enough for a webview. */
export const MAX_RESULT_IMAGES = 100_000;
/** Boxes per image, truth or predicted. */
export const MAX_BOXES_PER_IMAGE = 10_000;
/** Distinct labels in one results file (the inspector's init holds at most this many). */
export const MAX_RESULT_LABELS = 10_000;

const isText = (v: unknown): v is string => isString(v) && v.length <= MAX_TEXT;
const isName = (v: unknown): v is string => isString(v) && v.length > 0 && v.length <= MAX_NAME;

/** Four finite numbers. Not checked for x2 > x1: a finding may be about exactly such a box. */
export function isBoxCorners(value: unknown): value is BoxCorners {
  return Array.isArray(value) && value.length === 4 && value.every(isFiniteNumber);
}

export function isAnnotationFinding(value: unknown): value is AnnotationFinding {
  if (!isRecord(value)) return false;
  const v = value;
  return (
    isOneOf(ANNOTATION_FINDING_KINDS)(v.kind) &&
    isOneOf(SEVERITIES)(v.severity) &&
    isText(v.message) &&
    isText(v.file) &&
    (v.line === undefined || (isNonNegativeInteger(v.line) && v.line >= 1)) &&
    (v.image === undefined || isText(v.image)) &&
    (v.box === undefined || isBoxCorners(v.box)) &&
    (v.className === undefined || isText(v.className))
  );
}

const isCount = isNonNegativeInteger;

export function isDetectionScanReport(value: unknown): value is DetectionScanReport {
  if (!isRecord(value)) return false;
  const v = value;
  return (
    v.task === 'detect' &&
    isText(v.root) &&
    isOneOf(['yolo', 'coco', 'voc'] as const)(v.format) &&
    isArrayOf(v.classNames, isName) &&
    isArrayOf(
      v.classes,
      (c: unknown): c is DetectionScanReport['classes'][number] =>
        isRecord(c) && isName(c.name) && isCount(c.boxes) && isCount(c.images),
    ) &&
    isArrayOf(
      v.splits,
      (s: unknown): s is DetectionScanReport['splits'][number] =>
        isRecord(s) &&
        isOneOf(['train', 'val', 'test'] as const)(s.name) &&
        isCount(s.images) &&
        isCount(s.boxes),
    ) &&
    isCount(v.images) &&
    isCount(v.backgroundImages) &&
    isCount(v.boxes) &&
    isArrayOf(v.findings, isAnnotationFinding) &&
    (v.skipped === undefined ||
      isArrayOf(
        v.skipped,
        (f: unknown): f is { path: string; reason: string } =>
          isRecord(f) && isText(f.path) && isText(f.reason),
      ))
  );
}

// ---- detections.json ------------------------------------------------------------------------------

class ResultsProblem extends Error {}

function fail(field: string, expected: string): never {
  throw new ResultsProblem(`${field} must be ${expected}`);
}

function readBox(value: unknown, field: string): BoxCorners {
  if (!isBoxCorners(value)) fail(field, 'a box [x1, y1, x2, y2] of four finite numbers');
  return [value[0], value[1], value[2], value[3]];
}

function readLabel(value: unknown, field: string): string {
  if (!isName(value)) fail(field, `a non-empty label of at most ${MAX_NAME} characters`);
  return value;
}

function readList(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) fail(field, 'a list');
  if (value.length > max) fail(field, `a list of at most ${max} entries`);
  return value;
}

function readImage(value: unknown, field: string): DetectionImageResult {
  if (!isRecord(value)) fail(field, 'an object');
  const p = value.path;
  if (!isString(p)) fail(`${field}.path`, 'a path relative to root');
  const segments = relativeSegments(p);
  if (typeof segments === 'string') fail(`${field}.path`, `a path relative to root (${segments})`);
  const size = (v: unknown, f: string): number => {
    if (!isNonNegativeInteger(v) || v < 1) fail(f, 'a whole number of pixels, at least 1');
    return v;
  };
  const truth = readList(value.truth, `${field}.truth`, MAX_BOXES_PER_IMAGE).map((t, i) => {
    const f = `${field}.truth[${i}]`;
    if (!isRecord(t)) fail(f, 'an object');
    return { label: readLabel(t.label, `${f}.label`), box: readBox(t.box, `${f}.box`) };
  });
  const predicted = readList(value.predicted, `${field}.predicted`, MAX_BOXES_PER_IMAGE).map(
    (b, i): PredictedBox => {
      const f = `${field}.predicted[${i}]`;
      if (!isRecord(b)) fail(f, 'an object');
      const confidence = b.confidence;
      if (!isFiniteNumber(confidence) || confidence < 0 || confidence > 1)
        fail(`${f}.confidence`, 'a number from 0 to 1');
      return { label: readLabel(b.label, `${f}.label`), confidence, box: readBox(b.box, `${f}.box`) };
    },
  );
  return {
    path: p,
    width: size(value.width, `${field}.width`),
    height: size(value.height, `${field}.height`),
    truth,
    predicted,
  };
}

/**
 * Checks a parsed `detections.json`. `root` must be an absolute path (a claim: the host compares it with
 * the run's data set root before it opens anything), every image path relative without `..`.
 */
export function checkDetectionResults(value: unknown): Checked<DetectionResultsFile> {
  try {
    if (!isRecord(value)) fail('detections.json', 'an object');
    if (value.task !== 'detect') fail('task', '"detect"');
    const root = value.root;
    if (!isString(root) || root.length > MAX_TEXT || !isAbsolutePathText(root) || root.includes('\0'))
      fail('root', 'an absolute folder path');
    if (!isText(value.source)) fail('source', 'a text');
    const floor = value.confidenceFloor;
    if (!isFiniteNumber(floor) || floor < 0 || floor > 1) fail('confidenceFloor', 'a number from 0 to 1');
    const images = readList(value.images, 'images', MAX_RESULT_IMAGES).map((image, i) =>
      readImage(image, `images[${i}]`),
    );
    // Each image may be small and still name new labels: the inspector would refuse the whole page.
    const labels = new Set<string>();
    for (const image of images)
      for (const b of [...image.truth, ...image.predicted]) {
        labels.add(b.label);
        if (labels.size > MAX_RESULT_LABELS)
          fail('images', `boxes of at most ${MAX_RESULT_LABELS} distinct labels`);
      }
    return {
      ok: true,
      value: { task: 'detect', root, source: value.source, confidenceFloor: floor, images },
    };
  } catch (error) {
    if (error instanceof ResultsProblem) return { ok: false, problem: error.message };
    if (error instanceof RangeError) return { ok: false, problem: 'nested too deeply' };
    throw error;
  }
}
