// What `image-trainer scan --json` prints, and what the Datasets view's doctor shows.
import type { DatasetLayout, SkippedFile } from './runRecord';

export type DatasetSplitName = 'train' | 'validation' | 'test';

export interface ScannedClass {
  name: string;
  count: number;
  /** Per split, for the split-folder layout. */
  splits?: Partial<Record<DatasetSplitName, number>>;
}

export interface DuplicateGroup {
  /** Content hash (sha1) shared by every file in the group. */
  hash: string;
  /** Relative paths, forward slashes. The first is kept; the rest are skipped. */
  paths: string[];
  labels: string[];
  /** The same content sits in two or more classes: a label conflict. */
  conflict: boolean;
}

export type ScanWarningKind = 'empty-class' | 'imbalance' | 'few-images' | 'label-conflict' | 'split-leak';

export interface ScanWarning {
  kind: ScanWarningKind;
  message: string;
  classes?: string[];
}

export interface ScanReport {
  root: string;
  layout: DatasetLayout;
  classes: ScannedClass[];
  skipped: SkippedFile[];
  duplicates: DuplicateGroup[];
  warnings: ScanWarning[];
  /** Total accepted images. */
  total: number;
}

/** One accepted image, as the trainer's data pipeline sees it. */
export interface DatasetEntry {
  /** Relative to the data set root, forward slashes. */
  path: string;
  label: string;
  /** Set for the split-folder layout. */
  split?: DatasetSplitName;
}
