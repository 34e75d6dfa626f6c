// What `image-trainer export --json` prints (every format), as the host reads it: unknown until accepted.
import { isArrayOf, isBoolean, isFiniteNumber, isRecord, isString } from './guards';

export interface ExportParitySummary {
  images: number;
  sameTop1: number;
  /** Infinity is printed as null by JSON. */
  maxProbabilityDifference: number | null;
  passed: boolean;
}

export interface ExportResultSummary {
  format: string;
  dir: string;
  files: string[];
  parity: ExportParitySummary;
}

export function isExportResult(value: unknown): value is ExportResultSummary {
  if (!isRecord(value) || !isRecord(value.parity)) return false;
  const p = value.parity;
  return (
    isString(value.format) &&
    isString(value.dir) &&
    isArrayOf(value.files, isString) &&
    isFiniteNumber(p.images) &&
    isFiniteNumber(p.sameTop1) &&
    (p.maxProbabilityDifference === null || isFiniteNumber(p.maxProbabilityDifference)) &&
    isBoolean(p.passed)
  );
}
