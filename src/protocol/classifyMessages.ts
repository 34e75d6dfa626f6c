// Host → Classify Image panel: the images classified by one run, each with its top-k classes, and how
// long the classification took. The panel only says `ready`; everything it gets is checked first.
import { isArrayOf, isFiniteNumber, isNonNegativeInteger, isRecord, isString } from './guards';

export interface ClassifiedImage {
  name: string;
  /** Webview URI of the image, or '' when the panel may not load it. */
  image: string;
  label: string;
  confidence: number;
  top: { label: string; confidence: number }[];
}

export interface ClassifyResults {
  runId: string;
  images: ClassifiedImage[];
  /** Wall time of the whole classification: trainer start, model load and inference of every image. */
  latencyMs: number;
}

export type HostToClassify =
  | { type: 'classifyResults'; results: ClassifyResults }
  /** A line about a drop: what is being classified, or why nothing was. */
  | { type: 'classifyNotice'; level: 'info' | 'error'; message: string };

export type ClassifyToHost =
  | { type: 'ready' }
  /** Files dropped on the panel: the drop's uri-list entries, checked by the host before anything runs. */
  | { type: 'classifyDropped'; uris: string[] };

/** More entries than anyone drags at once; the host classifies at most MAX_DROPPED_IMAGES of them. */
export const MAX_DROPPED_URIS = 1000;

const MAX_TEXT = 4096;
const isText = (v: unknown): v is string => isString(v) && v.length <= MAX_TEXT;
const isProbability = (v: unknown): v is number => isFiniteNumber(v) && v >= 0 && v <= 1;

function isClassifiedImage(v: unknown): v is ClassifiedImage {
  return (
    isRecord(v) &&
    isText(v.name) &&
    isText(v.image) &&
    isText(v.label) &&
    isProbability(v.confidence) &&
    Array.isArray(v.top) &&
    v.top.length <= 100 &&
    isArrayOf(
      v.top,
      (t: unknown): t is { label: string; confidence: number } =>
        isRecord(t) && isText(t.label) && isProbability(t.confidence),
    )
  );
}

export function isHostToClassify(value: unknown): value is HostToClassify {
  if (isRecord(value) && value.type === 'classifyNotice')
    return (value.level === 'info' || value.level === 'error') && isText(value.message);
  return (
    isRecord(value) &&
    value.type === 'classifyResults' &&
    isRecord(value.results) &&
    isText(value.results.runId) &&
    Array.isArray(value.results.images) &&
    value.results.images.length <= 10_000 &&
    isArrayOf(value.results.images, isClassifiedImage) &&
    isNonNegativeInteger(Math.round(Number(value.results.latencyMs))) &&
    isFiniteNumber(value.results.latencyMs)
  );
}

export function isClassifyToHost(value: unknown): value is ClassifyToHost {
  if (!isRecord(value)) return false;
  if (value.type === 'ready') return true;
  return (
    value.type === 'classifyDropped' &&
    Array.isArray(value.uris) &&
    value.uris.length > 0 &&
    value.uris.length <= MAX_DROPPED_URIS &&
    isArrayOf(value.uris, isText)
  );
}
