// Finds image data sets in the workspace from a cheap directory listing (no decoding): folders whose
// subfolders hold images (class folders) or whose train/val/test folders do (split folders).
import * as path from 'node:path';
import type { DatasetLayout, DatasetSplitName, DetectionFormat } from '../../protocol';
import { isHiddenName as isHidden, isImageCandidate as isImageFile, splitNameOf } from '../../core/dataset';
import { YOLO_YAML_NAMES } from '../../core/detection/listing';
import { compareNames, memoizedLister, type DirEntry, type DirectoryLister } from '../util/fsListing';

export interface DetectedClass {
  name: string;
  dir: string;
  /** Images in the folder and its subfolders. */
  count: number;
  /** Images directly in the folder: what tells a class folder from a folder of folders. */
  direct: number;
}

export interface DetectedSplit {
  name: DatasetSplitName;
  /** The folder's name as it is on disk (`val`, `valid`, `validation`, ...). */
  folder: string;
  dir: string;
  classes: DetectedClass[];
  total: number;
}

export interface DetectedDataset {
  root: string;
  name: string;
  layout: DatasetLayout;
  /** Class-folder layout: the classes. Split-folder layout: the union, counts summed over splits. */
  classes: { name: string; count: number }[];
  /** Empty for the class-folder layout. */
  splits: DetectedSplit[];
  total: number;
  /**
   * Set for an object-detection set (issue 18): the format its files look like (the scan reads them and
   * decides), with `classes` and `splits` empty and `total` the images found. `layout` means nothing then.
   */
  detection?: { format: DetectionFormat };
}

export interface DetectionOptions {
  /** Folders to search (workspace folders and extra roots from the settings). */
  roots: string[];
  /** Folder names or globs relative to a root (`data/raw`, `**\/tmp`), from the settings. */
  excludes?: string[];
  maxDepth?: number;
  /** Bound on folders visited per detection, so a huge workspace cannot stall the view. */
  maxDirectories?: number;
}

/** Never searched: tooling folders and our own runs. Hidden folders are skipped as well. */
export const ALWAYS_EXCLUDED = ['node_modules', '.git', '.image-trainer'] as const;

const SPLIT_ORDER: DatasetSplitName[] = ['train', 'validation', 'test'];

/** Depth bound when counting images inside a class folder (class/subfolder/.../image). */
const CLASS_COUNT_DEPTH = 8;

/** A minimal glob: `*` matches within a path segment, `**` across segments. */
export function globToRegExp(glob: string): RegExp {
  const normalized = glob.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  let source = '';
  for (let i = 0; i < normalized.length; i++) {
    const ch = normalized[i];
    if (ch === '*' && normalized[i + 1] === '*') {
      source += '.*';
      i++;
      if (normalized[i + 1] === '/') i++;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export class ExcludeMatcher {
  private readonly patterns: RegExp[];

  constructor(excludes: readonly string[] = []) {
    this.patterns = excludes.filter((e) => e.trim() !== '').map((e) => globToRegExp(e.trim()));
  }

  /** `relative` is the folder's path from its search root with forward slashes. */
  excludes(name: string, relative: string): boolean {
    if (isHidden(name) || (ALWAYS_EXCLUDED as readonly string[]).includes(name)) return true;
    return this.patterns.some((p) => p.test(name) || p.test(relative));
  }
}

/** Detects data sets; a data set's own folders are not searched for more data sets. */
export async function detectDatasets(
  lister: DirectoryLister,
  options: DetectionOptions,
): Promise<DetectedDataset[]> {
  const detector = new Detector(memoizedLister(lister), options);
  const found = new Map<string, DetectedDataset>();
  for (const root of options.roots) {
    for (const dataset of await detector.search(path.resolve(root))) found.set(dataset.root, dataset);
  }
  return [...found.values()].sort((a, b) => compareNames(a.root, b.root));
}

class Detector {
  private readonly matcher: ExcludeMatcher;
  private readonly maxDepth: number;
  private budget: number;

  constructor(
    private readonly lister: DirectoryLister,
    options: DetectionOptions,
  ) {
    this.matcher = new ExcludeMatcher(options.excludes);
    this.maxDepth = options.maxDepth ?? 4;
    this.budget = options.maxDirectories ?? 5000;
  }

  async search(root: string): Promise<DetectedDataset[]> {
    const result: DetectedDataset[] = [];
    const visit = async (dir: string, depth: number): Promise<void> => {
      if (this.budget-- <= 0) return;
      const dataset = await this.datasetAt(dir);
      if (dataset) {
        result.push(dataset);
        return;
      }
      if (depth >= this.maxDepth) return;
      for (const sub of await this.subfolders(dir, root)) await visit(sub, depth + 1);
    };
    await visit(root, 0);
    return result;
  }

  private async subfolders(dir: string, root: string): Promise<string[]> {
    const entries = await this.lister.list(dir);
    return entries
      .filter((e) => e.kind === 'directory')
      .filter((e) => !this.matcher.excludes(e.name, toRelative(root, path.join(dir, e.name))))
      .map((e) => e.name)
      .sort(compareNames)
      .map((name) => path.join(dir, name));
  }

  private async datasetAt(dir: string): Promise<DetectedDataset | undefined> {
    const entries = await this.lister.list(dir);
    const format = await detectionFormatAt(this.lister, dir, entries);
    if (format) {
      return {
        root: dir,
        name: path.basename(dir),
        layout: 'class-folders',
        classes: [],
        splits: [],
        total: await countImages(this.lister, dir, DETECTION_COUNT_DEPTH),
        detection: { format },
      };
    }
    const folders = entries.filter((e) => e.kind === 'directory' && !isHidden(e.name)).map((e) => e.name);
    // The trainer's rule (core/dataset.ts detectLayout): split folders when the top level holds `train`
    // and nothing but split folders.
    const splitFolders = folders.filter((f) => splitNameOf(f) !== null);
    if (splitFolders.length === folders.length && splitFolders.some((f) => splitNameOf(f) === 'train')) {
      const splits: DetectedSplit[] = [];
      for (const folder of splitFolders) {
        const splitDir = path.join(dir, folder);
        const classes = await classesIn(this.lister, splitDir);
        if (classes === undefined) continue;
        splits.push({
          name: splitNameOf(folder) as DatasetSplitName,
          folder,
          dir: splitDir,
          classes,
          total: sum(classes),
        });
      }
      const train = splits.find((s) => s.name === 'train');
      if (train && looksLikeClasses(train.classes)) {
        splits.sort((a, b) => SPLIT_ORDER.indexOf(a.name) - SPLIT_ORDER.indexOf(b.name));
        const classes = mergeClasses(splits);
        return {
          root: dir,
          name: path.basename(dir),
          layout: 'split-folders',
          classes,
          splits,
          total: sum(classes),
        };
      }
    }
    const classes = await classesIn(this.lister, dir);
    if (classes === undefined || !looksLikeClasses(classes)) return undefined;
    return {
      root: dir,
      name: path.basename(dir),
      layout: 'class-folders',
      classes,
      splits: [],
      total: sum(classes),
    };
  }
}

/** Depth bound when counting a detection set's images (root/images/train/…/image). */
const DETECTION_COUNT_DEPTH = 5;

const YOLO_FILES = new Set(YOLO_YAML_NAMES);
const SPLIT_NAMES = ['train', 'val', 'valid', 'validation', 'test'];

/**
 * Whether `dir` looks like an object-detection set, from names alone (no file is read): YOLO (`images/`
 * beside `labels/` or a `data.yaml`, also one level down in split folders), COCO (`instances_*.json` or
 * Roboflow's `_annotations.coco.json`, at the top, in `annotations/` or in split folders), Pascal VOC
 * (`Annotations/` with XML files), as the reader's detectFormatFromListing decides from a full listing.
 * The scan reads the files and has the last word; this only decides what the Datasets view lists.
 */
export async function detectionFormatAt(
  lister: DirectoryLister,
  dir: string,
  entries?: DirEntry[],
): Promise<DetectionFormat | null> {
  const listed = entries ?? (await lister.list(dir));
  const top = await formatOfFolder(lister, dir, listed);
  if (top) return top;
  // Split folders (Roboflow exports: train/images + train/labels, train/_annotations.coco.json, …).
  const splits = listed.filter((e) => e.kind === 'directory' && SPLIT_NAMES.includes(e.name.toLowerCase()));
  if (!splits.some((s) => s.name.toLowerCase() === 'train')) return null;
  for (const split of splits) {
    const splitDir = path.join(dir, split.name);
    const found = await formatOfFolder(lister, splitDir, await lister.list(splitDir));
    if (found) return found;
  }
  return null;
}

async function formatOfFolder(
  lister: DirectoryLister,
  dir: string,
  entries: DirEntry[],
): Promise<DetectionFormat | null> {
  const files = entries.filter((e) => e.kind === 'file').map((e) => e.name);
  const folders = entries.filter((e) => e.kind === 'directory').map((e) => e.name);
  // The reader's order (core/detection/listing.ts): COCO over VOC over YOLO when a folder has several.
  if (files.some(isCocoFile)) return 'coco';
  const annotationFolders = folders.filter((f) => f === 'annotations' || f === 'Annotations');
  for (const folder of annotationFolders) {
    const inside = await lister.list(path.join(dir, folder));
    if (inside.some((e) => e.kind === 'file' && isCocoFile(e.name))) return 'coco';
  }
  for (const folder of annotationFolders) {
    const inside = await lister.list(path.join(dir, folder));
    if (inside.some((e) => e.kind === 'file' && e.name.toLowerCase().endsWith('.xml'))) return 'voc';
  }
  // YOLO needs its `images` folder: a stray data.yaml beside class folders is not a detection set.
  if (
    folders.includes('images') &&
    (folders.includes('labels') || files.some((f) => YOLO_FILES.has(f.toLowerCase())))
  )
    return 'yolo';
  return null;
}

function isCocoFile(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower.endsWith('.json') && (lower.startsWith('instances_') || lower.endsWith('_annotations.coco.json'))
  );
}

/**
 * The class folders of `dir`, as the trainer labels them: every non-hidden subfolder (one without
 * images is an empty class, a finding). Undefined when `dir` has loose images of its own.
 */
async function classesIn(lister: DirectoryLister, dir: string): Promise<DetectedClass[] | undefined> {
  const entries = await lister.list(dir);
  if (entries.some((e) => e.kind === 'file' && isImageFile(e.name))) return undefined;
  const classes: DetectedClass[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'directory' || isHidden(entry.name)) continue;
    const classDir = path.join(dir, entry.name);
    const direct = (await lister.list(classDir)).filter(
      (e) => e.kind === 'file' && !isHidden(e.name) && isImageFile(e.name),
    ).length;
    classes.push({
      name: entry.name,
      dir: classDir,
      count: await countImages(lister, classDir, CLASS_COUNT_DEPTH),
      direct,
    });
  }
  return classes.sort((a, b) => compareNames(a.name, b.name));
}

/**
 * Two or more subfolders with images of their own. Counting alone would make every parent of a data
 * set (or a workspace with `assets/` and `photos/`) look like one.
 */
function looksLikeClasses(classes: DetectedClass[]): boolean {
  return classes.filter((c) => c.direct > 0).length >= 2;
}

async function countImages(lister: DirectoryLister, dir: string, depth: number): Promise<number> {
  let images = 0;
  for (const entry of await lister.list(dir)) {
    if (isHidden(entry.name)) continue;
    if (entry.kind === 'file' && isImageFile(entry.name)) images++;
    else if (entry.kind === 'directory' && depth > 1)
      images += await countImages(lister, path.join(dir, entry.name), depth - 1);
  }
  return images;
}

/** Image files under a class folder, relative paths sorted, for the tree's paged image list. */
export async function listImages(
  lister: DirectoryLister,
  classDir: string,
  depth = CLASS_COUNT_DEPTH,
): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string, left: number): Promise<void> => {
    const entries = (await lister.list(dir))
      .filter((e) => !isHidden(e.name))
      .sort((a, b) => compareNames(a.name, b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.kind === 'file' && isImageFile(entry.name)) files.push(full);
      else if (entry.kind === 'directory' && left > 1) await walk(full, left - 1);
    }
  };
  await walk(classDir, depth);
  return files;
}

function mergeClasses(splits: DetectedSplit[]): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const split of splits)
    for (const c of split.classes) counts.set(c.name, (counts.get(c.name) ?? 0) + c.count);
  return [...counts.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => compareNames(a.name, b.name));
}

function sum(classes: { count: number }[]): number {
  return classes.reduce((total, c) => total + c.count, 0);
}

function toRelative(root: string, full: string): string {
  return path.relative(root, full).split(path.sep).join('/');
}
