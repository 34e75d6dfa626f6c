// The dataset doctor's pure half: from a listing of relative paths (forward slashes) to the layout,
// the classes and the candidate files; from the per-file check results to the scan report. The fs walk
// and the image checks live in src/trainer/scan.ts.
import type { DatasetLayout, SkippedFile } from '../protocol/runRecord';
import type {
  DatasetEntry,
  DatasetSplitName,
  DuplicateGroup,
  ScanReport,
  ScanWarning,
  ScannedClass,
} from '../protocol/scan';
import type { ImageProblem } from './imageHeader';
import { compareCodeUnits } from '../protocol/order';

export { compareCodeUnits };

export interface ScanResult {
  report: ScanReport;
  /** Accepted images, sorted by path. */
  entries: DatasetEntry[];
}

export const IMAGE_EXTENSIONS: readonly string[] = [
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.bmp',
  '.tif',
  '.tiff',
];

/** A warning when the largest class has more than this many times the images of the smallest (non-empty) one. */
export const IMBALANCE_RATIO = 3;
/** A warning when a class has fewer accepted images than this (too few to learn or to validate on). */
export const FEW_IMAGES_PER_CLASS = 10;

const SPLIT_FOLDERS: Readonly<Record<string, DatasetSplitName>> = {
  train: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  test: 'test',
};

export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

/** Lower-case extension with its dot (`.png`), or '' when the name has none. */
export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

export function isImageCandidate(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extensionOf(path));
}

/** `val`, `valid` and `validation` all name the validation split; case-insensitive. */
export function splitNameOf(folder: string): DatasetSplitName | null {
  return Object.prototype.hasOwnProperty.call(SPLIT_FOLDERS, folder.toLowerCase())
    ? SPLIT_FOLDERS[folder.toLowerCase()]
    : null;
}

export interface DatasetListing {
  /** Every non-hidden folder under the root, relative. */
  dirs: string[];
  /** Every non-hidden regular file under the root, relative. */
  files: string[];
}

export interface ClassifiedFile {
  path: string;
  label: string;
  split?: DatasetSplitName;
}

export interface ClassifiedListing {
  layout: DatasetLayout;
  /** Sorted; includes class folders that hold no image (reported as empty classes). */
  classNames: string[];
  /** Files with an image extension, in a class, sorted by path: the ones to check. */
  candidates: ClassifiedFile[];
  /** Files that are no candidates (wrong extension, outside any class folder). */
  skipped: SkippedFile[];
}

/**
 * Split folders when the top level holds a `train` folder and nothing but split folders
 * (`train`, `val|valid|validation`, `test`, any case): the Keras/Ultralytics convention.
 * Anything else is class folders. Hidden entries never count.
 */
export function detectLayout(listing: DatasetListing): DatasetLayout {
  const top = listing.dirs.filter((d) => !d.includes('/'));
  const allSplits = top.length > 0 && top.every((d) => splitNameOf(d) !== null);
  return allSplits && top.some((d) => splitNameOf(d) === 'train') ? 'split-folders' : 'class-folders';
}

/** Labels come from the first folder level (the second under a split folder); deeper folders belong to their class. */
export function classifyListing(listing: DatasetListing): ClassifiedListing {
  const layout = detectLayout(listing);
  const depth = layout === 'split-folders' ? 1 : 0;
  const classes = new Set<string>();
  for (const dir of listing.dirs) {
    const parts = dir.split('/');
    if (parts.length > depth) classes.add(parts[depth]);
  }
  const candidates: ClassifiedFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const path of [...listing.files].sort(compareCodeUnits)) {
    const parts = path.split('/');
    if (parts.length < depth + 2) {
      skipped.push({
        path,
        reason:
          layout === 'split-folders' ? 'not inside a class folder of a split' : 'not inside a class folder',
      });
      continue;
    }
    const ext = extensionOf(path);
    if (!IMAGE_EXTENSIONS.includes(ext)) {
      skipped.push({
        path,
        reason: ext === '' ? 'unsupported format (no extension)' : `unsupported format ${ext}`,
      });
      continue;
    }
    const label = parts[depth];
    const split = layout === 'split-folders' ? (splitNameOf(parts[0]) ?? undefined) : undefined;
    candidates.push(split === undefined ? { path, label } : { path, label, split });
  }
  return { layout, classNames: [...classes].sort(compareCodeUnits), candidates, skipped };
}

/** The one-line skip reason for an image problem (shown by `scan`, stored in run.json). */
export function describeImageProblem(problem: ImageProblem): string {
  switch (problem.kind) {
    case 'empty':
      return 'empty file';
    case 'not-an-image':
      return 'not an image';
    case 'corrupt':
      return `corrupt or truncated image (${problem.detail})`;
    case 'over-pixel-limit':
      return `over the pixel limit (${problem.width}×${problem.height} > ${problem.limit})`;
    case 'too-large':
      return `file too large (${formatMiB(problem.bytes)} > ${formatMiB(problem.limit)})`;
    case 'timeout':
      return `decoding took longer than ${problem.ms} ms`;
    case 'unreadable':
      return `unreadable (${problem.detail})`;
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** One candidate after its check: a content hash when it could be read, a problem when it is unusable. */
export interface CheckedFile extends ClassifiedFile {
  hash: string | null;
  problem: ImageProblem | null;
}

export interface DuplicateResolution {
  groups: DuplicateGroup[];
  /** Paths to drop, with reasons. */
  skipped: SkippedFile[];
}

/**
 * Groups usable files by content hash. Same label: the first path (code-unit order) is kept, the
 * rest are `duplicate of <first>`. Different labels (a label conflict): every copy is skipped, since
 * we cannot know which label is right. `labels[i]` is the label of `paths[i]`.
 */
export function resolveDuplicates(files: readonly CheckedFile[]): DuplicateResolution {
  const byHash = new Map<string, CheckedFile[]>();
  for (const f of files) {
    if (f.problem !== null || f.hash === null) continue;
    const group = byHash.get(f.hash);
    if (group) group.push(f);
    else byHash.set(f.hash, [f]);
  }
  const groups: DuplicateGroup[] = [];
  const skipped: SkippedFile[] = [];
  for (const [hash, members] of byHash) {
    if (members.length < 2) continue;
    members.sort((a, b) => compareCodeUnits(a.path, b.path));
    const labels = members.map((m) => m.label);
    const distinct = [...new Set(labels)].sort(compareCodeUnits);
    const conflict = distinct.length > 1;
    groups.push({ hash, paths: members.map((m) => m.path), labels, conflict });
    if (conflict) {
      const reason = `label conflict: same image in classes ${joinNames(distinct)}`;
      for (const m of members) skipped.push({ path: m.path, reason });
    } else {
      for (const m of members.slice(1))
        skipped.push({ path: m.path, reason: `duplicate of ${members[0].path}` });
    }
  }
  groups.sort((a, b) => compareCodeUnits(a.paths[0], b.paths[0]));
  return { groups, skipped };
}

function joinNames(names: readonly string[]): string {
  return names.length <= 2
    ? names.join(' and ')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export interface ReportInput {
  root: string;
  layout: DatasetLayout;
  classNames: string[];
  checked: CheckedFile[];
  /** Skipped before the check: walk problems (links, names) and non-candidates. */
  skipped: SkippedFile[];
}

/** Assembles the report and the accepted entries from the checked candidates. */
export function buildScanResult(input: ReportInput): ScanResult {
  const { groups, skipped: duplicateSkips } = resolveDuplicates(input.checked);
  const dropped = new Map(duplicateSkips.map((s) => [s.path, s.reason]));
  const skipped: SkippedFile[] = [...input.skipped, ...duplicateSkips];
  const entries: DatasetEntry[] = [];
  for (const f of input.checked) {
    if (f.problem !== null) skipped.push({ path: f.path, reason: describeImageProblem(f.problem) });
    else if (!dropped.has(f.path))
      entries.push(
        f.split === undefined
          ? { path: f.path, label: f.label }
          : { path: f.path, label: f.label, split: f.split },
      );
  }
  entries.sort((a, b) => compareCodeUnits(a.path, b.path));
  skipped.sort((a, b) => compareCodeUnits(a.path, b.path));
  const classes = countClasses(input.classNames, entries, input.layout);
  const report: ScanReport = {
    root: input.root,
    layout: input.layout,
    classes,
    skipped,
    duplicates: groups,
    warnings: datasetWarnings(classes, groups, input.layout),
    total: entries.length,
  };
  return { report, entries };
}

export function countClasses(
  classNames: readonly string[],
  entries: readonly DatasetEntry[],
  layout: DatasetLayout,
): ScannedClass[] {
  const byName = new Map<string, ScannedClass>();
  for (const name of classNames)
    byName.set(name, layout === 'split-folders' ? { name, count: 0, splits: {} } : { name, count: 0 });
  for (const e of entries) {
    let c = byName.get(e.label);
    if (!c) {
      c = layout === 'split-folders' ? { name: e.label, count: 0, splits: {} } : { name: e.label, count: 0 };
      byName.set(e.label, c);
    }
    c.count++;
    if (c.splits && e.split) c.splits[e.split] = (c.splits[e.split] ?? 0) + 1;
  }
  return [...byName.values()].sort((a, b) => compareCodeUnits(a.name, b.name));
}

/** Empty classes, imbalance (largest/smallest > IMBALANCE_RATIO), few images, label conflicts, split leaks. */
export function datasetWarnings(
  classes: readonly ScannedClass[],
  groups: readonly DuplicateGroup[],
  layout: DatasetLayout,
): ScanWarning[] {
  const warnings: ScanWarning[] = [];
  const empty = classes.filter((c) => c.count === 0).map((c) => c.name);
  if (empty.length > 0) {
    warnings.push({
      kind: 'empty-class',
      message: `${plural(empty.length, 'class has', 'classes have')} no usable images: ${empty.join(', ')}`,
      classes: empty,
    });
  }
  if (layout === 'split-folders') {
    const noTrain = classes.filter((c) => c.count > 0 && !c.splits?.train).map((c) => c.name);
    if (noTrain.length > 0) {
      warnings.push({
        kind: 'empty-class',
        message: `no training images for ${noTrain.join(', ')} (only in validation or test folders)`,
        classes: noTrain,
      });
    }
  }
  const nonEmpty = classes.filter((c) => c.count > 0);
  if (nonEmpty.length >= 2) {
    const largest = nonEmpty.reduce((a, b) => (b.count > a.count ? b : a));
    const smallest = nonEmpty.reduce((a, b) => (b.count < a.count ? b : a));
    if (largest.count > IMBALANCE_RATIO * smallest.count) {
      warnings.push({
        kind: 'imbalance',
        message: `heavy imbalance: ${largest.name} has ${largest.count} images, ${smallest.name} only ${smallest.count} (consider class weights: balanced)`,
        classes: [largest.name, smallest.name],
      });
    }
  }
  const few = nonEmpty.filter((c) => c.count < FEW_IMAGES_PER_CLASS).map((c) => c.name);
  if (few.length > 0) {
    warnings.push({
      kind: 'few-images',
      message: `fewer than ${FEW_IMAGES_PER_CLASS} images in ${few.join(', ')}`,
      classes: few,
    });
  }
  const conflicts = groups.filter((g) => g.conflict);
  if (conflicts.length > 0) {
    const involved = [...new Set(conflicts.flatMap((g) => g.labels))].sort(compareCodeUnits);
    warnings.push({
      kind: 'label-conflict',
      message: `${plural(conflicts.length, 'image sits', 'images sit')} in more than one class (all copies skipped): ${involved.join(', ')}`,
      classes: involved,
    });
  }
  if (layout === 'split-folders') {
    const leaks = groups.filter((g) => new Set(g.paths.map((p) => splitNameOf(p.split('/')[0]))).size > 1);
    if (leaks.length > 0) {
      warnings.push({
        kind: 'split-leak',
        message: `${plural(leaks.length, 'image appears', 'images appear')} in more than one split folder (one copy kept): ${leaks[0].paths.join(', ')}${leaks.length > 1 ? ', …' : ''}`,
      });
    }
  }
  return warnings;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
