// Host ↔ New Training form channel (its own contract file, beside the dashboard's webviewMessages.ts).
// The form says `ready`; the host answers with `init` (what to fill in, what to offer), then sends the
// queue and estimate bases as they change. Everything that arrives on either side is `unknown` until
// `isHostToForm` / `isFormToHost` accepts it; the host validates submitted values again with the CLI's
// validator before anything is written or run.
import {
  isArrayOf,
  isBoolean,
  isFiniteNumber,
  isNonNegativeInteger,
  isOneOf,
  isRecord,
  isString,
} from './guards';
import { isRunIdReference } from './runSchema';
import { isPngDataUrl } from './cliResults';
import type { DetectionFormat } from './detection';

export interface FormDataset {
  dir: string;
  name: string;
  images: number;
  /** Classes of a classification set; of a detection set, its scan's count (0 before a scan). */
  classes: number;
  /** An object-detection set (issue 18): its format, and its counts once a scan has made them. Choosing
   * it sets the form's task to `detect`. Absent for a classification set. */
  detection?: { format: DetectionFormat; scanned: { classes: number; boxes: number } | null };
}

export interface FormBase {
  name: string;
  /** One line: downloaded or its size, what it is. */
  description: string;
  installed: boolean;
}

/** What the time estimate is computed from: the newest comparable run's measured pace. */
export interface EstimateBasis {
  datasetDir: string;
  /** Images of the data set; the form takes the training share from its splits. */
  images: number;
  classes: number;
  /** Seconds per training image measured by `runId`, or null when no comparable run exists yet. */
  secondsPerImage: number | null;
  runId: string | null;
  /** What `runId` had in common with the form when it was chosen (shown with the figure). */
  matched: string;
  /** Memory the trainer may use on the chosen backend (its budget, as the trainer computes it). */
  budgetBytes: number;
}

export interface QueueEntryView {
  id: string;
  /** 1 = next to start. */
  position: number;
  label: string;
  parentId: string | null;
}

export interface FormInit {
  datasets: FormDataset[];
  datasetDir: string | null;
  bases: FormBase[];
  /** The config the form is filled from (a run's, to change; or the defaults); checked again by the form. */
  start: Record<string, unknown>;
  /** The run being re-run with changes, or null for a new one. */
  parentId: string | null;
  base: string | null;
  /** False in Restricted Mode: the form shows why it cannot train. */
  trusted: boolean;
  queue: QueueEntryView[];
  basis: EstimateBasis | null;
}

/** One image of the augmentation preview: a training image as the trainer's first epoch draws it. */
export interface PreviewImageView {
  /** Relative to the data set root. */
  path: string;
  label: string;
  /** A PNG as a data URL (the form's CSP allows data: images, nothing else beyond the bundle). */
  src: string;
}

export const MAX_PREVIEW_IMAGES = 64;

export const FORM_ACTIONS = ['train', 'queue', 'saveConfig'] as const;
export type FormAction = (typeof FORM_ACTIONS)[number];

export type HostToForm =
  | { type: 'init'; init: FormInit }
  | { type: 'estimateBasis'; basis: EstimateBasis }
  | { type: 'queueChanged'; queue: QueueEntryView[] }
  | { type: 'submitted'; action: FormAction; message: string }
  | { type: 'notice'; level: 'info' | 'error'; message: string }
  /** The answer to `previewAugmentation` number `requestId`: its images, or why there are none. */
  | { type: 'augmentPreview'; requestId: number; images: PreviewImageView[]; error: string | null };

export type FormToHost =
  | { type: 'ready' }
  | { type: 'chooseDataset'; datasetDir: string }
  | {
      type: 'submit';
      action: FormAction;
      datasetDir: string;
      values: Record<string, string>;
      base: string | null;
    }
  /** The host builds the command itself from the values (it never copies text the webview wrote). */
  | { type: 'copyCommand'; datasetDir: string; values: Record<string, string>; base: string | null }
  | { type: 'moveQueued'; id: string; delta: -1 | 1 }
  | { type: 'cancelQueued'; id: string }
  /** Draw the data set's first training images through these values' augmentation (debounced by the form). */
  | { type: 'previewAugmentation'; requestId: number; datasetDir: string; values: Record<string, string> };

/** Bounds on what a message may carry: the form has a few dozen short fields. */
export const MAX_FORM_VALUES = 200;
export const MAX_FORM_TEXT = 4096;
const MAX_LIST = 10_000;

const isAction = isOneOf(FORM_ACTIONS);
const isShortText = (v: unknown): v is string => isString(v) && v.length <= MAX_FORM_TEXT;
const isPath = (v: unknown): v is string => isShortText(v) && v.length > 0;
const isNullable =
  <T>(guard: (v: unknown) => v is T) =>
  (v: unknown): v is T | null =>
    v === null || guard(v);
const isBoundedList = <T>(v: unknown, guard: (x: unknown) => x is T): v is T[] =>
  Array.isArray(v) && v.length <= MAX_LIST && isArrayOf(v, guard);

export function isFormValues(value: unknown): value is Record<string, string> {
  if (!isRecord(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= MAX_FORM_VALUES &&
    entries.every(([key, v]) => /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(key) && isShortText(v))
  );
}

const isDetectionFormat = isOneOf(['yolo', 'coco', 'voc'] as const);

function isFormDetection(v: unknown): v is NonNullable<FormDataset['detection']> {
  return (
    isRecord(v) &&
    isDetectionFormat(v.format) &&
    (v.scanned === null ||
      (isRecord(v.scanned) &&
        isNonNegativeInteger(v.scanned.classes) &&
        isNonNegativeInteger(v.scanned.boxes)))
  );
}

function isFormDataset(v: unknown): v is FormDataset {
  return (
    isRecord(v) &&
    isPath(v.dir) &&
    isShortText(v.name) &&
    isNonNegativeInteger(v.images) &&
    isNonNegativeInteger(v.classes) &&
    (v.detection === undefined || isFormDetection(v.detection))
  );
}

function isFormBase(v: unknown): v is FormBase {
  return isRecord(v) && isPath(v.name) && isShortText(v.description) && isBoolean(v.installed);
}

export function isEstimateBasis(v: unknown): v is EstimateBasis {
  return (
    isRecord(v) &&
    isPath(v.datasetDir) &&
    isNonNegativeInteger(v.images) &&
    isNonNegativeInteger(v.classes) &&
    (v.secondsPerImage === null || (isFiniteNumber(v.secondsPerImage) && v.secondsPerImage > 0)) &&
    isNullable(isRunIdReference)(v.runId) &&
    isShortText(v.matched) &&
    isFiniteNumber(v.budgetBytes) &&
    v.budgetBytes > 0
  );
}

function isQueueEntryView(v: unknown): v is QueueEntryView {
  return (
    isRecord(v) &&
    isPath(v.id) &&
    isNonNegativeInteger(v.position) &&
    isShortText(v.label) &&
    isNullable(isRunIdReference)(v.parentId)
  );
}

function isPreviewImageView(v: unknown): v is PreviewImageView {
  return isRecord(v) && isShortText(v.path) && isShortText(v.label) && isPngDataUrl(v.src);
}

function isFormInit(v: unknown): v is FormInit {
  return (
    isRecord(v) &&
    isBoundedList(v.datasets, isFormDataset) &&
    isNullable(isPath)(v.datasetDir) &&
    isBoundedList(v.bases, isFormBase) &&
    // The form resolves it with the config validator and falls back to the defaults if it fails.
    isRecord(v.start) &&
    isNullable(isRunIdReference)(v.parentId) &&
    isNullable(isPath)(v.base) &&
    isBoolean(v.trusted) &&
    isBoundedList(v.queue, isQueueEntryView) &&
    isNullable(isEstimateBasis)(v.basis)
  );
}

export function isHostToForm(value: unknown): value is HostToForm {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'init':
      return isFormInit(v.init);
    case 'estimateBasis':
      return isEstimateBasis(v.basis);
    case 'queueChanged':
      return isBoundedList(v.queue, isQueueEntryView);
    case 'submitted':
      return isAction(v.action) && isShortText(v.message);
    case 'notice':
      return (v.level === 'info' || v.level === 'error') && isShortText(v.message);
    case 'augmentPreview':
      return (
        isNonNegativeInteger(v.requestId) &&
        Array.isArray(v.images) &&
        v.images.length <= MAX_PREVIEW_IMAGES &&
        isArrayOf(v.images, isPreviewImageView) &&
        isNullable(isShortText)(v.error)
      );
    default:
      return false;
  }
}

export function isFormToHost(value: unknown): value is FormToHost {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'ready':
      return true;
    case 'chooseDataset':
      return isPath(v.datasetDir);
    case 'submit':
      return (
        isAction(v.action) && isPath(v.datasetDir) && isFormValues(v.values) && isNullable(isPath)(v.base)
      );
    case 'copyCommand':
      return isPath(v.datasetDir) && isFormValues(v.values) && isNullable(isPath)(v.base);
    case 'moveQueued':
      return isPath(v.id) && (v.delta === -1 || v.delta === 1);
    case 'cancelQueued':
      return isPath(v.id);
    case 'previewAugmentation':
      return isNonNegativeInteger(v.requestId) && isPath(v.datasetDir) && isFormValues(v.values);
    default:
      return false;
  }
}
