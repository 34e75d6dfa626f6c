// Host ↔ detection gallery channel (issue 18): a detection data set's images with their ground-truth
// boxes, and the annotation doctor's findings. The gallery says `ready`; the host answers with
// `detGalleryInit` (every image's size and boxes, every finding, what to focus), then thumbnails and
// previews as the gallery asks for them. Images, boxes and findings are named by index: the host looks
// files up itself, so no path from the webview is ever used. Everything is `unknown` until a guard accepts it.
import type { AnnotationFindingKind, BoxCorners, DetectionFormat, FindingSeverity } from './detection';
import { ANNOTATION_FINDING_KINDS, isBoxCorners } from './detectionGuards';
import { isBoundedArrayOf, isIndexedText, isNonNegativeInteger, isOneOf, isRecord, isString } from './guards';

export interface DetGalleryBox {
  classIndex: number;
  box: BoxCorners;
  /** 1-based line of the box in its label file, when the format has one (shown, and opened on request). */
  line: number | null;
}

export interface DetGalleryImage {
  index: number;
  /** Relative to the data set root, forward slashes (shown, never sent back). */
  path: string;
  width: number;
  height: number;
  split: string | null;
  boxes: DetGalleryBox[];
}

export interface DetGalleryFinding {
  index: number;
  kind: AnnotationFindingKind;
  severity: FindingSeverity;
  message: string;
  /** `file:line`, or the file. */
  location: string;
  /** The image (index) the finding is about, or null. */
  image: number | null;
  box: BoxCorners | null;
  classIndex: number | null;
}

export interface DetGalleryFocus {
  className: string | null;
  /** A finding to show at once (its image large, its box highlighted). */
  finding: number | null;
}

export interface DetGalleryInit {
  datasetName: string;
  format: DetectionFormat;
  classNames: string[];
  images: DetGalleryImage[];
  findings: DetGalleryFinding[];
  /** Square size of thumbnails and previews in pixels; both are letterboxed (`pad`), never cropped. */
  thumbSize: number;
  previewSize: number;
  focus: DetGalleryFocus;
}

export type HostToDetGallery =
  | { type: 'detGalleryInit'; init: DetGalleryInit }
  | { type: 'detGalleryThumbs'; thumbs: { index: number; thumb: string }[] }
  | { type: 'detGalleryPreview'; index: number; uri: string }
  | { type: 'detGalleryFocus'; focus: DetGalleryFocus }
  | { type: 'detGalleryNotice'; level: 'info' | 'error'; message: string };

export type DetGalleryToHost =
  | { type: 'ready' }
  | { type: 'requestThumbs'; indices: number[] }
  | { type: 'requestPreview'; index: number }
  /** Opens the label file at the line of a ground-truth box (image, box) or of a finding. */
  | { type: 'openBoxSource'; image: number; box: number }
  | { type: 'openFindingSource'; finding: number }
  | { type: 'openImage'; index: number };

const MAX_TEXT = 4096;
/** Images and findings one gallery holds: far beyond a hand-labelled set, bounded for the webview. */
export const MAX_GALLERY_IMAGES = 200_000;
export const MAX_GALLERY_FINDINGS = 200_000;
const MAX_BOXES = 10_000;
const MAX_BATCH = 500;
const MAX_CLASSES = 10_000;
const isText = (v: unknown): v is string => isString(v) && v.length <= MAX_TEXT;
const isName = (v: unknown): v is string => isText(v) && v.length > 0;
const isLine = (v: unknown): v is number => isNonNegativeInteger(v) && v >= 1;
const isSize = (v: unknown): v is number => isNonNegativeInteger(v) && v >= 1 && v <= 4096;

function isBox(v: unknown): v is DetGalleryBox {
  return (
    isRecord(v) &&
    isNonNegativeInteger(v.classIndex) &&
    isBoxCorners(v.box) &&
    (v.line === null || isLine(v.line))
  );
}

function isImage(v: unknown): v is DetGalleryImage {
  return (
    isRecord(v) &&
    isNonNegativeInteger(v.index) &&
    isText(v.path) &&
    isNonNegativeInteger(v.width) &&
    isNonNegativeInteger(v.height) &&
    (v.split === null || isText(v.split)) &&
    isBoundedArrayOf(v.boxes, MAX_BOXES, isBox)
  );
}

function isFinding(v: unknown): v is DetGalleryFinding {
  return (
    isRecord(v) &&
    isNonNegativeInteger(v.index) &&
    isOneOf(ANNOTATION_FINDING_KINDS)(v.kind) &&
    isOneOf(['error', 'warning', 'info'] as const)(v.severity) &&
    isText(v.message) &&
    isText(v.location) &&
    (v.image === null || isNonNegativeInteger(v.image)) &&
    (v.box === null || isBoxCorners(v.box)) &&
    (v.classIndex === null || isNonNegativeInteger(v.classIndex))
  );
}

function isFocus(v: unknown): v is DetGalleryFocus {
  return (
    isRecord(v) &&
    (v.className === null || isName(v.className)) &&
    (v.finding === null || isNonNegativeInteger(v.finding))
  );
}

function isInit(v: unknown): v is DetGalleryInit {
  return (
    isRecord(v) &&
    isText(v.datasetName) &&
    isOneOf(['yolo', 'coco', 'voc'] as const)(v.format) &&
    isBoundedArrayOf(v.classNames, MAX_CLASSES, isName) &&
    isBoundedArrayOf(v.images, MAX_GALLERY_IMAGES, isImage) &&
    isBoundedArrayOf(v.findings, MAX_GALLERY_FINDINGS, isFinding) &&
    isSize(v.thumbSize) &&
    isSize(v.previewSize) &&
    isFocus(v.focus)
  );
}

export function isHostToDetGallery(value: unknown): value is HostToDetGallery {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'detGalleryInit':
      return isInit(v.init);
    case 'detGalleryThumbs':
      return isBoundedArrayOf(v.thumbs, MAX_BATCH, isIndexedText('thumb', isText));
    case 'detGalleryPreview':
      return isNonNegativeInteger(v.index) && isText(v.uri);
    case 'detGalleryFocus':
      return isFocus(v.focus);
    case 'detGalleryNotice':
      return (v.level === 'info' || v.level === 'error') && isText(v.message);
    default:
      return false;
  }
}

export function isDetGalleryToHost(value: unknown): value is DetGalleryToHost {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'ready':
      return true;
    case 'requestThumbs':
      return isBoundedArrayOf(v.indices, MAX_BATCH, isNonNegativeInteger);
    case 'requestPreview':
    case 'openImage':
      return isNonNegativeInteger(v.index);
    case 'openBoxSource':
      return isNonNegativeInteger(v.image) && isNonNegativeInteger(v.box);
    case 'openFindingSource':
      return isNonNegativeInteger(v.finding);
    default:
      return false;
  }
}
