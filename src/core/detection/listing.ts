// What the detection readers share about a data set's files: which format a listing is, where an image's
// split comes from, path arithmetic on root-relative paths (forward slashes). Pure.
import type { DetectionFormat, DetectionSplitName } from '../../protocol/detection';
import { isImageCandidate } from '../dataset';

/** An image the reader could open: its size with EXIF orientation applied. */
export interface ListedImage {
  path: string;
  width: number;
  height: number;
}

/** A text file read from the set, or why it could not be (too large, unreadable, not UTF-8). */
export interface TextFile {
  path: string;
  text: string | null;
  error?: string;
}

const SPLIT_SEGMENTS: Readonly<Record<string, DetectionSplitName>> = {
  train: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
};

export function segments(path: string): string[] {
  return path.split('/');
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function stem(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** Groups values by a key, keeping their order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function joinRel(...parts: string[]): string {
  return parts.filter((p) => p !== '' && p !== '.').join('/');
}

/**
 * A relative path normalised inside the root, or null when it is absolute, has a drive, or climbs
 * out with `..`: a path written in an annotation file is a claim, never a way out of the data set.
 */
export function normaliseInside(path: string): string | null {
  const p = path.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p) || p.includes('\0')) return null;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/** The split a folder name along the path says (`train`, `val`/`valid`/`validation`, `test`), or undefined. */
export function splitFromSegments(path: string): DetectionSplitName | undefined {
  const parts = segments(path).slice(0, -1);
  for (let i = parts.length - 1; i >= 0; i--) {
    const split = SPLIT_SEGMENTS[parts[i].toLowerCase()];
    if (split) return split;
  }
  return undefined;
}

/** The split a name like `instances_train2017.json` or `val.txt` says, or undefined. */
export function splitFromName(name: string): DetectionSplitName | undefined {
  const m = /(?:^|[_\-.])(train|val|valid|validation|test)(?=\d|[_\-.]|$)/i.exec(stem(name));
  return m ? SPLIT_SEGMENTS[m[1].toLowerCase()] : undefined;
}

export function isCocoAnnotationFile(path: string): boolean {
  const lower = path.toLowerCase();
  if (!lower.endsWith('.json')) return false;
  const name = baseName(lower);
  return (
    name.startsWith('instances_') ||
    name.endsWith('_annotations.coco.json') ||
    segments(lower).slice(0, -1).includes('annotations')
  );
}

export function isVocAnnotationFile(path: string): boolean {
  return (
    path.toLowerCase().endsWith('.xml') &&
    segments(path)
      .slice(0, -1)
      .some((s) => s === 'Annotations' || s === 'annotations')
  );
}

export function isYoloLabelFile(path: string): boolean {
  return path.toLowerCase().endsWith('.txt') && segments(path).slice(0, -1).includes('labels');
}

export const DETECTION_FORMATS: readonly DetectionFormat[] = ['yolo', 'coco', 'voc'];

export const YOLO_YAML_NAMES: readonly string[] = ['data.yaml', 'data.yml', 'dataset.yaml', 'dataset.yml'];

/**
 * The detection format of a listing (every file, root-relative), or null for anything else (a
 * classification set). COCO wins over VOC over YOLO when a folder holds several: the richer format.
 */
export function detectFormatFromListing(files: readonly string[]): DetectionFormat | null {
  if (files.some(isCocoAnnotationFile)) return 'coco';
  if (files.some(isVocAnnotationFile)) return 'voc';
  // YOLO needs images under an `images` folder and either label files or a data.yaml: a stray data.yaml
  // beside class folders leaves a classification set a classification set.
  const hasImagesFolder = files.some(
    (f) => isImageCandidate(f) && segments(f).slice(0, -1).includes('images'),
  );
  const hasYaml = files.some((f) => YOLO_YAML_NAMES.includes(f.toLowerCase()));
  if (hasImagesFolder && (hasYaml || files.some(isYoloLabelFile))) return 'yolo';
  return null;
}
