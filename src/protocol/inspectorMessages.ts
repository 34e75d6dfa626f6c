// Host ↔ detection inspector channel (issue 18): a detection run's predictions beside ground truth, from
// its `detections.json`. The inspector says `ready`; the host answers `inspectorInit` (the images with
// their boxes, or the reason the file cannot be shown), then pictures as the inspector asks. Images are
// named by index; no path from the webview is ever used. Everything is `unknown` until a guard accepts it.
import type { BoxCorners } from './detection';
import { isBoxCorners } from './detectionGuards';
import {
  isBoundedArrayOf,
  isFiniteNumber,
  isIndexedText,
  isNonNegativeInteger,
  isRecord,
  isString,
} from './guards';

export interface InspectorTruth {
  classIndex: number;
  box: BoxCorners;
}

export interface InspectorPrediction extends InspectorTruth {
  confidence: number;
}

export interface InspectorImage {
  index: number;
  path: string;
  width: number;
  height: number;
  truth: InspectorTruth[];
  predicted: InspectorPrediction[];
}

export interface InspectorInit {
  runId: string;
  /** Where the evaluated images came from (`val`, `test`, a folder). */
  source: string;
  /** Every label in the file (truth and predictions), indexed by classIndex. */
  labels: string[];
  confidenceFloor: number;
  /** The slider's starting value. */
  confidence: number;
  iouThreshold: number;
  pictureSize: number;
  images: InspectorImage[];
}

export type HostToInspector =
  | { type: 'inspectorInit'; init: InspectorInit | null; problem: string | null }
  | { type: 'inspectorPictures'; pictures: { index: number; uri: string }[] }
  | { type: 'inspectorNotice'; level: 'info' | 'error'; message: string };

export type InspectorToHost =
  { type: 'ready' } | { type: 'requestPictures'; indices: number[] } | { type: 'openImage'; index: number };

const MAX_TEXT = 4096;
const MAX_BATCH = 500;
const MAX_IMAGES = 100_000;
const MAX_BOXES = 10_000;
const isText = (v: unknown): v is string => isString(v) && v.length <= MAX_TEXT;
const isName = (v: unknown): v is string => isText(v) && v.length > 0;
const isUnit = (v: unknown): v is number => isFiniteNumber(v) && v >= 0 && v <= 1;

function isTruth(v: unknown): v is InspectorTruth {
  return isRecord(v) && isNonNegativeInteger(v.classIndex) && isBoxCorners(v.box);
}

function isPrediction(v: unknown): v is InspectorPrediction {
  return isRecord(v) && isTruth(v) && isUnit(v.confidence);
}

function isImage(v: unknown): v is InspectorImage {
  return (
    isRecord(v) &&
    isNonNegativeInteger(v.index) &&
    isText(v.path) &&
    isNonNegativeInteger(v.width) &&
    isNonNegativeInteger(v.height) &&
    isBoundedArrayOf(v.truth, MAX_BOXES, isTruth) &&
    isBoundedArrayOf(v.predicted, MAX_BOXES, isPrediction)
  );
}

function isInit(v: unknown): v is InspectorInit {
  return (
    isRecord(v) &&
    isText(v.runId) &&
    isText(v.source) &&
    isBoundedArrayOf(v.labels, MAX_BOXES, isName) &&
    isUnit(v.confidenceFloor) &&
    isUnit(v.confidence) &&
    isUnit(v.iouThreshold) &&
    isNonNegativeInteger(v.pictureSize) &&
    v.pictureSize >= 1 &&
    v.pictureSize <= 4096 &&
    isBoundedArrayOf(v.images, MAX_IMAGES, isImage)
  );
}

export function isHostToInspector(value: unknown): value is HostToInspector {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'inspectorInit':
      return (
        (v.init === null || isInit(v.init)) &&
        (v.problem === null || isText(v.problem)) &&
        (v.init === null) !== (v.problem === null)
      );
    case 'inspectorPictures':
      return isBoundedArrayOf(v.pictures, MAX_BATCH, isIndexedText('uri', isText));
    case 'inspectorNotice':
      return (v.level === 'info' || v.level === 'error') && isText(v.message);
    default:
      return false;
  }
}

export function isInspectorToHost(value: unknown): value is InspectorToHost {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'ready':
      return true;
    case 'requestPictures':
      return isBoundedArrayOf(v.indices, MAX_BATCH, isNonNegativeInteger);
    case 'openImage':
      return isNonNegativeInteger(v.index);
    default:
      return false;
  }
}
