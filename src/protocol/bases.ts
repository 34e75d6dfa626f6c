// Pretrained bases: the catalogue entry (what `bases list --json` prints), the manifest an installed base
// keeps in its cache folder, and the events of a download. Shared by the trainer (writer) and every reader.
import { isArrayOf, isFiniteNumber, isNonNegativeInteger, isOneOf, isRecord, isString } from './guards';
import { compareCodeUnits } from './order';

export const BASE_FORMATS = ['layers', 'graph'] as const;
export type BaseFormat = (typeof BASE_FORMATS)[number];

/** Pixel scaling the base expects: [0, 1] or [-1, 1] (the names of `transfer.normalisation`). */
export const BASE_PREPROCESSINGS = ['zeroOne', 'minusOneOne'] as const;
export type BasePreprocessing = (typeof BASE_PREPROCESSINGS)[number];

/** One base, as `image-trainer bases list --json` prints it (exactly these fields). */
export interface BaseEntry {
  name: string;
  format: BaseFormat;
  /** [height, width, channels] of one image. */
  inputShape: [number, number, number];
  preprocessing: BasePreprocessing;
  /** Layer a layers base is cut after; null for graph bases, which are used whole (frozen). */
  cutLayer: string | null;
  /** Bytes on disk when installed; the documented approximate size otherwise. */
  sizeBytes: number;
  /** Digest of the installed files (see baseDigest); null until installed unless the catalogue pins it. */
  sha256: string | null;
  /** The model.json URL (or the local path it was added from). */
  source: string;
  licence: string;
}

/** The fields of BaseEntry, in the order `bases list --json` prints them. */
export const BASE_ENTRY_FIELDS = [
  'name',
  'format',
  'inputShape',
  'preprocessing',
  'cutLayer',
  'sizeBytes',
  'sha256',
  'source',
  'licence',
] as const satisfies readonly (keyof BaseEntry)[];

/** Lower-case letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 64 characters. */
const BASE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function isBaseName(value: unknown): value is string {
  return typeof value === 'string' && BASE_NAME.test(value) && !value.includes('..');
}

const SHA256 = /^[0-9a-f]{64}$/;

export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256.test(value);
}

function isInputShape(value: unknown): value is [number, number, number] {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((d) => isNonNegativeInteger(d) && d > 0) &&
    (value[2] === 1 || value[2] === 3)
  );
}

export function isBaseEntry(value: unknown): value is BaseEntry {
  return (
    isRecord(value) &&
    isBaseName(value.name) &&
    isOneOf(BASE_FORMATS)(value.format) &&
    isInputShape(value.inputShape) &&
    isOneOf(BASE_PREPROCESSINGS)(value.preprocessing) &&
    (value.cutLayer === null || (isString(value.cutLayer) && value.cutLayer !== '')) &&
    isNonNegativeInteger(value.sizeBytes) &&
    (value.sha256 === null || isSha256(value.sha256)) &&
    isString(value.source) &&
    value.source !== '' &&
    isString(value.licence)
  );
}

/** Exactly the BaseEntry fields of `value` (drops anything else an entry carries). */
export function toBaseEntry(value: BaseEntry): BaseEntry {
  const out: Record<string, unknown> = {};
  for (const key of BASE_ENTRY_FIELDS) out[key] = value[key];
  return out as unknown as BaseEntry;
}

/**
 * A file path inside a model folder, as written in model.json and in the manifest: relative, forward
 * slashes, no `.`/`..`/empty segments, no scheme or drive, no backslash or control characters.
 */
export function isConfinedRelativePath(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || value.length > 1024) return false;
  if (/[\\:\x00-\x1f]/.test(value) || value.startsWith('/')) return false;
  return value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

export interface BaseFileRecord {
  path: string;
  bytes: number;
  sha256: string;
}

function isBaseFileRecord(value: unknown): value is BaseFileRecord {
  return (
    isRecord(value) &&
    isConfinedRelativePath(value.path) &&
    isNonNegativeInteger(value.bytes) &&
    isSha256(value.sha256)
  );
}

export const BASE_MANIFEST_FILE = 'base.json';
export const BASE_MANIFEST_VERSION = 1;

/** `base.json` in an installed base's folder: the entry plus every file's size and sha256 (recorded at install). */
export interface InstalledBaseManifest extends BaseEntry {
  formatVersion: number;
  /** `sha256` of an installed base is never null: it is baseDigest(files). */
  sha256: string;
  files: BaseFileRecord[];
  installedAt: string;
  /** Catalogue entry or `bases add`. */
  origin: 'catalogue' | 'added';
}

export function isInstalledBaseManifest(value: unknown): value is InstalledBaseManifest {
  return (
    isRecord(value) &&
    value.formatVersion === BASE_MANIFEST_VERSION &&
    isBaseEntry(value) &&
    isSha256(value.sha256) &&
    isArrayOf(value.files, isBaseFileRecord) &&
    value.files.length > 0 &&
    value.files.some((f) => f.path === 'model.json') &&
    new Set(value.files.map((f) => f.path)).size === value.files.length &&
    isString(value.installedAt) &&
    isOneOf(['catalogue', 'added'] as const)(value.origin)
  );
}

/**
 * The text whose sha256 is a base's digest: one `<sha256>  <path>` line per file, sorted by path (the
 * `sha256sum` layout), so one digest pins model.json and every weight file.
 */
export function baseDigestText(files: readonly Pick<BaseFileRecord, 'path' | 'sha256'>[]): string {
  return [...files]
    .sort((a, b) => compareCodeUnits(a.path, b.path))
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join('');
}

/** Events of `bases get` / `bases add` with --json, one JSON object a line. */
export type BaseDownloadEvent =
  | {
      type: 'baseDownloadStarted';
      name: string;
      source: string;
      files: number;
      bytesTotal: number;
      /** model.json plus what an interrupted download left. */
      bytesDone: number;
      /** Weight-file bytes kept from an interrupted download (0 for a fresh one). */
      resumedBytes: number;
    }
  | {
      type: 'baseDownloadProgress';
      name: string;
      file: string;
      bytesDone: number;
      bytesTotal: number;
      /** Estimated time left; null until there is a rate to go by. */
      etaMs: number | null;
    }
  | { type: 'baseInstalled'; name: string; dir: string; base: BaseEntry; resumedBytes: number }
  | { type: 'baseDownloadStopped'; name: string; bytesDone: number; bytesTotal: number }
  | { type: 'baseDownloadFailed'; name: string; message: string }
  | { type: 'baseRemoved'; name: string; dir: string };

const NAMED = (v: Record<string, unknown>): boolean => isString(v.name);

export function isBaseDownloadEvent(value: unknown): value is BaseDownloadEvent {
  if (!isRecord(value) || !NAMED(value)) return false;
  switch (value.type) {
    case 'baseDownloadStarted':
      return (
        isString(value.source) &&
        isNonNegativeInteger(value.files) &&
        isNonNegativeInteger(value.bytesTotal) &&
        isNonNegativeInteger(value.bytesDone) &&
        isNonNegativeInteger(value.resumedBytes)
      );
    case 'baseDownloadProgress':
      return (
        isString(value.file) &&
        isNonNegativeInteger(value.bytesDone) &&
        isNonNegativeInteger(value.bytesTotal) &&
        (value.etaMs === null || isFiniteNumber(value.etaMs))
      );
    case 'baseInstalled':
      return isString(value.dir) && isBaseEntry(value.base) && isNonNegativeInteger(value.resumedBytes);
    case 'baseDownloadStopped':
      return isNonNegativeInteger(value.bytesDone) && isNonNegativeInteger(value.bytesTotal);
    case 'baseDownloadFailed':
      return isString(value.message);
    case 'baseRemoved':
      return isString(value.dir);
    default:
      return false;
  }
}
