// YOLO labels: `images/…/x.png` with `labels/…/x.txt` (the last `images` folder of the path replaced by
// `labels`), one `class cx cy w h` line per box, normalised to the image's width and height; class names
// from data.yaml (`names`), else `classes.txt`. Also reads polygon lines (YOLO segmentation: class x1 y1
// x2 y2 …) as their bounding box, and label files beside their images (labelImg's YOLO mode). Pure.
import type {
  AnnotationFinding,
  BoxCorners,
  DetectionImage,
  DetectionSplitName,
} from '../../protocol/detection';
import { roundBox } from './boxes';
import { parseDataYaml, type DataYaml } from './dataYaml';
import {
  BoxBudget,
  checkClassNames,
  imageWithoutLabel,
  labelWithoutImage,
  malformed,
  type CandidateBox,
} from './doctor';
import {
  baseName,
  dirName,
  groupBy,
  joinRel,
  normaliseInside,
  segments,
  splitFromSegments,
  type ListedImage,
  type TextFile,
} from './listing';
import { checkedDetectionImage, finishDetectionSet, type AssembledSet } from './assemble';

export interface YoloInput {
  /** Images that could be read. */
  images: readonly ListedImage[];
  /** Every image path in the listing, readable or not (a label of an unreadable image is no orphan). */
  imagePaths: readonly string[];
  /** Every `.txt` file that may be a label file: under a `labels` folder, or beside an image. */
  labels: readonly TextFile[];
  yaml?: TextFile;
  classesFile?: TextFile;
  /** The split-list files data.yaml names (`yoloSplitListPaths`), read. */
  splitLists?: readonly TextFile[];
  /** Boxes read from the set at most (default MAX_BOXES_PER_SET). */
  maxBoxes?: number;
}

/** The label file of an image under an `images` folder: the last `images` segment becomes `labels`. */
export function yoloLabelPath(imagePath: string): string | null {
  const parts = segments(imagePath);
  for (let i = parts.length - 2; i >= 0; i--) {
    if (parts[i] === 'images') {
      const out = parts.slice();
      out[i] = 'labels';
      return replaceExtension(out.join('/'), '.txt');
    }
  }
  return null;
}

function replaceExtension(path: string, ext: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return (dot > slash + 1 ? path.slice(0, dot) : path) + ext;
}

/** Parses one label file into candidate boxes in pixels (not yet checked against the image). */
export function parseYoloLabels(
  text: string,
  file: string,
  width: number,
  height: number,
  image?: string,
): { candidates: CandidateBox[]; findings: AnnotationFinding[] } {
  const candidates: CandidateBox[] = [];
  const findings: AnnotationFinding[] = [];
  const lines = text.split(/\r?\n|\r/);
  let malformedLines = 0;
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    const numbers = fields.map(Number);
    const polygon = fields.length >= 7 && fields.length % 2 === 1;
    if (
      (fields.length !== 5 && !polygon) ||
      numbers.some((n) => !Number.isFinite(n)) ||
      !/^\d+(\.0*)?$/.test(fields[0])
    ) {
      // A file of millions of bad lines is one problem: name the first ones and count the rest.
      if (++malformedLines > MAX_MALFORMED_LINES_PER_FILE) return;
      findings.push(
        malformed(
          file,
          line,
          `expected "class cx cy w h" (a class id and four numbers from 0 to 1), got "${clip(trimmed)}"; fix or delete the line`,
          image,
        ),
      );
      return;
    }
    const classIndex = numbers[0];
    let box: BoxCorners;
    if (polygon) {
      // A loop, not Math.min(...xs): a polygon line of a million points would overflow the stack.
      let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let k = 1; k + 1 < numbers.length; k += 2) {
        minX = Math.min(minX, numbers[k]);
        maxX = Math.max(maxX, numbers[k]);
        minY = Math.min(minY, numbers[k + 1]);
        maxY = Math.max(maxY, numbers[k + 1]);
      }
      box = [minX * width, minY * height, maxX * width, maxY * height];
    } else {
      const [, cx, cy, w, h] = numbers;
      box = [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height];
    }
    // Pixel coordinates written where YOLO wants fractions: say so, since the box lands far outside.
    const inPixels = numbers.slice(1).some((v) => v > 1.5);
    candidates.push({
      classIndex,
      classLabel: `class id ${classIndex}`,
      box: roundBox(box),
      source: { file, line },
      ...(inPixels
        ? { context: 'values above 1 (YOLO coordinates are fractions of the image, 0 to 1)' }
        : {}),
    });
  });
  if (malformedLines > MAX_MALFORMED_LINES_PER_FILE)
    findings.push(
      malformed(
        file,
        undefined,
        `${malformedLines - MAX_MALFORMED_LINES_PER_FILE} more malformed lines after the ${MAX_MALFORMED_LINES_PER_FILE} listed; check this is a YOLO label file`,
        image,
      ),
    );
  return { candidates, findings };
}

/** Malformed lines reported one by one per label file; the rest are counted in one finding. */
export const MAX_MALFORMED_LINES_PER_FILE = 100;

/**
 * Classes named after their ids when a set has no class list (no data.yaml names, no classes.txt): ids
 * 0 … 999. A higher id is an unknown class, never a list of a billion names.
 */
export const MAX_IMPLICIT_CLASSES = 1000;

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** One label line for a box (pixel corners) in a width × height image; 8 decimals keep it exact to 1e-3 px. */
export function formatYoloLine(classIndex: number, box: BoxCorners, width: number, height: number): string {
  const f = (v: number): string => String(Number(v.toFixed(8)));
  const [x1, y1, x2, y2] = box;
  return `${classIndex} ${f((x1 + x2) / 2 / width)} ${f((y1 + y2) / 2 / height)} ${f((x2 - x1) / width)} ${f((y2 - y1) / height)}`;
}

interface SplitFolder {
  folder: string;
  split: DetectionSplitName;
}

/** data.yaml's `train`/`val`/`test` entries, root-relative; entries that leave the root are dropped. */
function yamlSplitEntries(yaml: DataYaml, yamlDir: string): SplitFolder[] {
  const base = yaml.path !== undefined ? normaliseInside(joinRel(yamlDir, yaml.path)) : null;
  const folders: SplitFolder[] = [];
  for (const split of ['train', 'val', 'test'] as const) {
    for (const entry of yaml[split] ?? []) {
      // Ultralytics resolves against `path`, exporters (Roboflow) write `../train/images`: try both.
      const options = [
        normaliseInside(joinRel(base ?? yamlDir, entry)),
        normaliseInside(entry.replace(/^(\.\.\/)+/, '')),
      ];
      for (const folder of options) if (folder !== null) folders.push({ folder, split });
    }
  }
  return folders;
}

/**
 * The split-list files (`train: train.txt`, one image path a line) a data.yaml names, root-relative:
 * the caller reads them and passes them back as `splitLists`.
 */
export function yoloSplitListPaths(yamlText: string, yamlPath: string): string[] {
  const { yaml } = parseDataYaml(yamlText);
  const paths = yamlSplitEntries(yaml, dirName(yamlPath)).map((e) => e.folder);
  return [...new Set(paths)].filter((p) => p.toLowerCase().endsWith('.txt'));
}

/** Image → split from list files: each line an image path relative to the list's folder (or `./…`). */
function splitsFromLists(
  entries: readonly SplitFolder[],
  lists: readonly TextFile[],
  imagePaths: readonly string[],
): Map<string, DetectionSplitName> {
  const known = new Set(imagePaths);
  const byBaseName = groupBy(imagePaths, baseName);
  const result = new Map<string, DetectionSplitName>();
  for (const entry of entries) {
    const list = lists.find((l) => l.path === entry.folder);
    for (const raw of list?.text?.split(/\r?\n/) ?? []) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const relative = normaliseInside(joinRel(dirName(entry.folder), line));
      const path =
        relative !== null && known.has(relative)
          ? relative
          : (byBaseName.get(baseName(line.replace(/\\/g, '/'))) ?? []).length === 1
            ? (byBaseName.get(baseName(line.replace(/\\/g, '/'))) as string[])[0]
            : null;
      if (path !== null && !result.has(path)) result.set(path, entry.split);
    }
  }
  return result;
}

export function buildYoloSet(input: YoloInput): AssembledSet {
  const findings: AnnotationFinding[] = [];
  let classNames: string[] | null = null;
  let classFile = '';
  let splitFolders: SplitFolder[] = [];
  let listed = new Map<string, DetectionSplitName>();
  if (input.yaml) {
    classFile = input.yaml.path;
    if (input.yaml.text === null) {
      findings.push(
        malformed(
          input.yaml.path,
          undefined,
          `cannot read the class list (${input.yaml.error ?? 'unreadable'}); fix the file`,
        ),
      );
    } else {
      const parsed = parseDataYaml(input.yaml.text);
      for (const p of parsed.problems)
        findings.push(malformed(input.yaml.path, p.line, `${p.message}; fix data.yaml`));
      if (parsed.yaml.names) {
        const checked = checkClassNames(parsed.yaml.names, input.yaml.path, parsed.namesLine);
        classNames = checked.classNames;
        for (const f of checked.findings) findings.push(f);
      }
      const entries = yamlSplitEntries(parsed.yaml, dirName(input.yaml.path));
      splitFolders = entries.filter((e) => !e.folder.toLowerCase().endsWith('.txt'));
      listed = splitsFromLists(
        entries.filter((e) => e.folder.toLowerCase().endsWith('.txt')),
        input.splitLists ?? [],
        input.imagePaths,
      );
    }
  }
  if (classNames === null && input.classesFile?.text) {
    classFile = input.classesFile.path;
    const checked = checkClassNames(
      input.classesFile.text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== ''),
      classFile,
    );
    classNames = checked.classNames;
    for (const f of checked.findings) findings.push(f);
  }
  const labelsByPath = new Map(input.labels.map((l) => [l.path, l]));
  const budget = new BoxBudget(input.maxBoxes);
  const used = new Set<string>();
  const parsedImages: { image: ListedImage; split?: DetectionSplitName; candidates: CandidateBox[] }[] = [];
  for (const image of input.images) {
    const underImages = yoloLabelPath(image.path);
    const beside = replaceExtension(image.path, '.txt');
    const labelPath = [underImages, beside].find((p) => p !== null && labelsByPath.has(p)) ?? null;
    const split = listed.get(image.path) ?? splitOf(image.path, splitFolders);
    if (labelPath === null) {
      findings.push(imageWithoutLabel(image.path, `no ${underImages ?? beside}`));
      parsedImages.push({ image, split, candidates: [] });
      continue;
    }
    used.add(labelPath);
    const label = labelsByPath.get(labelPath) as TextFile;
    if (label.text === null) {
      findings.push(
        malformed(
          labelPath,
          undefined,
          `cannot read the label file (${label.error ?? 'unreadable'}); fix or delete it`,
          image.path,
        ),
      );
      parsedImages.push({ image, split, candidates: [] });
      continue;
    }
    if (budget.exhausted) {
      budget.take(1, labelPath);
      parsedImages.push({ image, split, candidates: [] });
      continue;
    }
    const parsed = parseYoloLabels(label.text, labelPath, image.width, image.height, image.path);
    budget.take(parsed.candidates.length, labelPath);
    for (const f of parsed.findings) findings.push(f);
    parsedImages.push({ image, split, candidates: parsed.candidates });
  }
  const overBudget = budget.finding();
  if (overBudget) findings.push(overBudget);
  if (classNames === null) {
    // No class list anywhere: name the ids that occur, so the set still trains.
    // A loop, not Math.max(...ids): a large set has more boxes than a call has arguments.
    let maxId = -1;
    for (const p of parsedImages)
      for (const c of p.candidates)
        if (c.classIndex < MAX_IMPLICIT_CLASSES && c.classIndex > maxId) maxId = c.classIndex;
    classNames = Array.from({ length: maxId + 1 }, (_, i) => String(i));
  }
  const images: DetectionImage[] = [];
  for (const { image, split, candidates } of parsedImages) {
    images.push(checkedDetectionImage(image.path, image, split, candidates, classNames, findings));
  }
  // Label files of no image: under a labels folder only (a .txt elsewhere may be anything).
  const labelsOfImages = new Set(input.imagePaths.map((p) => yoloLabelPath(p)));
  for (const label of input.labels) {
    if (used.has(label.path) || !segments(label.path).slice(0, -1).includes('labels')) continue;
    if (!labelsOfImages.has(label.path))
      findings.push(
        labelWithoutImage(
          label.path,
          undefined,
          `no image for this label file (looked for it under images/ with the same name)`,
        ),
      );
  }
  return finishDetectionSet({ format: 'yolo', classNames, images, findings, classFile });
}

function splitOf(path: string, folders: readonly SplitFolder[]): DetectionSplitName | undefined {
  let best: SplitFolder | undefined;
  for (const f of folders) {
    if (
      (f.folder === '' || path.startsWith(f.folder + '/')) &&
      (!best || f.folder.length > best.folder.length)
    )
      best = f;
  }
  return best?.split ?? splitFromSegments(path);
}
