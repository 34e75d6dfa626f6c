// COCO detection JSON (`instances_*.json`, `annotations/*.json`, Roboflow's `_annotations.coco.json`):
// `images` (id, file_name, width, height), `annotations` (image_id, category_id, bbox [x, y, w, h] in
// pixels) and `categories` (id, name). Category ids need not be contiguous: classes are the categories
// ordered by id. The split comes from the file's name (`instances_val2017.json`) or folder. Pure.
import type { BoxCorners, DetectionImage, DetectionSplitName } from '../../protocol/detection';
import { compareCodeUnits } from '../../protocol/order';
import { roundBox } from './boxes';
import {
  BoxBudget,
  CappedFindings,
  checkClassNames,
  imageWithoutLabel,
  labelWithoutImage,
  malformed,
  type CandidateBox,
  type FindingSink,
} from './doctor';
import { jsonErrorLine, topLevelArrayElementLines } from './jsonLines';
import {
  baseName,
  dirName,
  groupBy,
  joinRel,
  normaliseInside,
  splitFromName,
  splitFromSegments,
  stem,
  type ListedImage,
  type TextFile,
} from './listing';
import { checkedDetectionImage, detectionImage, finishDetectionSet, type AssembledSet } from './assemble';

export interface CocoInput {
  images: readonly ListedImage[];
  imagePaths: readonly string[];
  /** The annotation JSON files, root-relative. */
  files: readonly TextFile[];
  /** Boxes read from the set at most (default MAX_BOXES_PER_SET). */
  maxBoxes?: number;
}

interface CocoImageEntry {
  id: string;
  fileName: string;
  width?: number;
  height?: number;
  line?: number;
}

interface CocoAnnotationEntry {
  index: number;
  id?: string;
  imageId: string;
  categoryId: string;
  bbox: unknown;
  line?: number;
}

interface ParsedCocoFile {
  path: string;
  split?: DetectionSplitName;
  images: CocoImageEntry[];
  annotations: CocoAnnotationEntry[];
  categories: { id: number; name: string }[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value !== '') return value;
  return null;
}

/** Reads one annotations file; problems become findings naming the file and line. */
export function parseCocoFile(file: TextFile, findings: FindingSink): ParsedCocoFile | null {
  if (file.text === null) {
    findings.push(
      malformed(
        file.path,
        undefined,
        `cannot read the annotations (${file.error ?? 'unreadable'}); fix the file`,
      ),
    );
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(file.text);
  } catch (error) {
    const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 120);
    findings.push(
      malformed(file.path, jsonErrorLine(file.text, error), `not valid JSON (${detail}); fix the file`),
    );
    return null;
  }
  if (
    !isObject(data) ||
    !Array.isArray(data.images) ||
    !Array.isArray(data.annotations) ||
    !Array.isArray(data.categories)
  ) {
    findings.push(
      malformed(
        file.path,
        1,
        'not a COCO detection file: it needs "images", "annotations" and "categories" arrays; fix it or move it out of the data set',
      ),
    );
    return null;
  }
  const lines = topLevelArrayElementLines(file.text, ['images', 'annotations', 'categories']);
  const imageLines = lines.get('images') ?? [];
  const annotationLines = lines.get('annotations') ?? [];
  const categoryLines = lines.get('categories') ?? [];
  const parsed: ParsedCocoFile = {
    path: file.path,
    split: splitFromName(file.path) ?? splitFromSegments(file.path),
    images: [],
    annotations: [],
    categories: [],
  };
  data.categories.forEach((c: unknown, i: number) => {
    if (isObject(c) && Number.isInteger(c.id) && typeof c.name === 'string')
      parsed.categories.push({ id: c.id as number, name: c.name });
    else
      findings.push(
        malformed(
          file.path,
          categoryLines[i],
          `category ${i + 1} needs a whole-number "id" and a "name"; fix it`,
        ),
      );
  });
  data.images.forEach((entry: unknown, i: number) => {
    const id = isObject(entry) ? idText(entry.id) : null;
    if (!isObject(entry) || id === null || typeof entry.file_name !== 'string' || entry.file_name === '') {
      findings.push(
        malformed(file.path, imageLines[i], `image entry ${i + 1} needs an "id" and a "file_name"; fix it`),
      );
      return;
    }
    parsed.images.push({
      id,
      fileName: entry.file_name,
      width: typeof entry.width === 'number' ? entry.width : undefined,
      height: typeof entry.height === 'number' ? entry.height : undefined,
      line: imageLines[i],
    });
  });
  data.annotations.forEach((entry: unknown, i: number) => {
    const imageId = isObject(entry) ? idText(entry.image_id) : null;
    const categoryId = isObject(entry) ? idText(entry.category_id) : null;
    if (!isObject(entry) || imageId === null || categoryId === null) {
      findings.push(
        malformed(
          file.path,
          annotationLines[i],
          `annotation ${i + 1} needs "image_id", "category_id" and "bbox"; fix it`,
        ),
      );
      return;
    }
    parsed.annotations.push({
      index: i,
      id: idText(entry.id) ?? undefined,
      imageId,
      categoryId,
      bbox: entry.bbox,
      line: annotationLines[i],
    });
  });
  return parsed;
}

/**
 * Where an image's `file_name` is, among the images of the listing: beside the JSON, under the root,
 * beside the `annotations` folder, under `images/` (and its split folder), under a folder named like the
 * JSON (`train2017/` for `instances_train2017.json`), else the one image anywhere with that name.
 */
function resolveImage(
  fileName: string,
  jsonPath: string,
  split: DetectionSplitName | undefined,
  images: ReadonlySet<string>,
  byBaseName: ReadonlyMap<string, string[]>,
): string | null | 'outside' {
  const rel = normaliseInside(fileName);
  if (rel === null || rel === '') return 'outside';
  const jsonDir = dirName(jsonPath);
  const parentDir = dirName(jsonDir);
  const named = stem(jsonPath).replace(/^instances_/i, '');
  const candidates = [
    joinRel(jsonDir, rel),
    rel,
    joinRel(parentDir, rel),
    joinRel(parentDir, 'images', rel),
    joinRel('images', rel),
    ...(split ? [joinRel('images', split, rel), joinRel(split, rel)] : []),
    joinRel(parentDir, named, rel),
    joinRel(parentDir, 'images', named, rel),
  ];
  for (const c of candidates) {
    const inside = normaliseInside(c);
    if (inside !== null && images.has(inside)) return inside;
  }
  const same = byBaseName.get(baseName(rel)) ?? [];
  return same.length === 1 ? same[0] : null;
}

export function buildCocoSet(input: CocoInput): AssembledSet {
  // One JSON holds every entry of a split: its bad entries are listed up to a bound and then counted.
  const findings = new CappedFindings(new Set(['malformed-line', 'label-without-image']));
  const files = input.files
    .slice()
    .sort((a, b) => compareCodeUnits(a.path, b.path))
    .map((f) => parseCocoFile(f, findings))
    .filter((f): f is ParsedCocoFile => f !== null);
  // Classes: the categories of every file, by id; a file that names an id differently is reported.
  const categoryNames = new Map<number, string>();
  for (const file of files) {
    for (const c of file.categories) {
      const known = categoryNames.get(c.id);
      if (known === undefined) categoryNames.set(c.id, c.name);
      else if (known !== c.name)
        findings.push(
          malformed(
            file.path,
            undefined,
            `category id ${c.id} is "${c.name}" here but "${known}" in another file; use one name per id`,
          ),
        );
    }
  }
  const categoryIds = [...categoryNames.keys()].sort((a, b) => a - b);
  const checkedNames = checkClassNames(
    categoryIds.map((id) => categoryNames.get(id) as string),
    files[0]?.path ?? '.',
  );
  const classNames = checkedNames.classNames;
  for (const f of checkedNames.findings) findings.push(f);
  const classOfCategory = new Map(categoryIds.map((id, index) => [String(id), index]));

  const readable = new Map(input.images.map((i) => [i.path, i]));
  const allImages = new Set(input.imagePaths);
  const byBaseName = groupBy(input.imagePaths, baseName);

  interface Entry {
    image: ListedImage;
    split?: DetectionSplitName;
    candidates: CandidateBox[];
  }
  const entries = new Map<string, Entry>();
  const budget = new BoxBudget(input.maxBoxes);
  for (const file of files) {
    const imageOfId = new Map<string, Entry>();
    const missingIds = new Set<string>();
    for (const img of file.images) {
      const resolved = resolveImage(img.fileName, file.path, file.split, allImages, byBaseName);
      if (resolved === 'outside' || resolved === null) {
        missingIds.add(img.id);
        findings.push(
          labelWithoutImage(
            file.path,
            img.line,
            resolved === 'outside'
              ? `image id ${img.id}: file_name "${img.fileName}" leaves the data set folder`
              : `image id ${img.id}: no image "${img.fileName}" in the data set`,
          ),
        );
        continue;
      }
      const listed = readable.get(resolved);
      if (!listed) {
        missingIds.add(img.id); // unreadable: reported with the skipped files
        continue;
      }
      if (entries.has(resolved)) {
        findings.push(
          malformed(
            file.path,
            img.line,
            `image id ${img.id}: "${resolved}" is listed again (a second time or in another split); list each image once`,
            resolved,
          ),
        );
        missingIds.add(img.id);
        continue;
      }
      if (
        img.width !== undefined &&
        img.height !== undefined &&
        (img.width !== listed.width || img.height !== listed.height)
      ) {
        const turned = img.width === listed.height && img.height === listed.width;
        findings.push({
          ...malformed(
            file.path,
            img.line,
            `image id ${img.id}: width × height ${img.width}×${img.height} but the image is ${listed.width}×${listed.height}${turned ? ' as displayed (EXIF orientation)' : ''}; check its boxes and fix width and height`,
            resolved,
          ),
          severity: 'warning',
        });
      }
      const entry: Entry = {
        image: listed,
        split: file.split ?? splitFromSegments(resolved),
        candidates: [],
      };
      entries.set(resolved, entry);
      imageOfId.set(img.id, entry);
    }
    for (const a of file.annotations) {
      const context = `annotation ${a.id !== undefined ? `id ${a.id}` : a.index + 1}`;
      const entry = imageOfId.get(a.imageId);
      if (!entry) {
        if (!missingIds.has(a.imageId))
          findings.push(
            labelWithoutImage(file.path, a.line, `${context}: image_id ${a.imageId} is not in "images"`),
          );
        continue;
      }
      const bbox = a.bbox;
      if (
        !Array.isArray(bbox) ||
        bbox.length !== 4 ||
        !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        findings.push(
          malformed(
            file.path,
            a.line,
            `${context}: "bbox" must be [x, y, width, height] in pixels; fix it`,
            entry.image.path,
          ),
        );
        continue;
      }
      if (!budget.take(1, file.path)) continue;
      const [x, y, w, h] = bbox as number[];
      const box: BoxCorners = roundBox([x, y, x + w, y + h]);
      entry.candidates.push({
        classIndex: classOfCategory.get(a.categoryId) ?? -1,
        classLabel: `category_id ${a.categoryId}`,
        box,
        source: { file: file.path, ...(a.line === undefined ? {} : { line: a.line }) },
        context,
      });
    }
  }
  const overBudget = budget.finding();
  if (overBudget) findings.push(overBudget);
  const images: DetectionImage[] = [];
  for (const [path, entry] of entries) {
    images.push(
      checkedDetectionImage(path, entry.image, entry.split, entry.candidates, classNames, findings),
    );
  }
  for (const image of input.images) {
    if (entries.has(image.path)) continue;
    findings.push(imageWithoutLabel(image.path, 'not in any annotations file'));
    images.push(detectionImage(image.path, image, splitFromSegments(image.path), []));
  }
  return finishDetectionSet({
    format: 'coco',
    classNames,
    images,
    findings: findings.list(),
    classFile: files[0]?.path ?? '',
  });
}

export interface CocoWriteImage {
  fileName: string;
  width: number;
  height: number;
  boxes: { classIndex: number; box: BoxCorners }[];
}

/** A COCO detection JSON for images and boxes (categories get ids 1, 2, … in class order). */
export function formatCocoJson(classNames: readonly string[], images: readonly CocoWriteImage[]): string {
  let annotationId = 1;
  const doc = {
    info: { description: 'Image Trainer procedural detection sample' },
    images: images.map((img, i) => ({
      id: i + 1,
      file_name: img.fileName,
      width: img.width,
      height: img.height,
    })),
    annotations: images.flatMap((img, i) =>
      img.boxes.map((b) => {
        const [x1, y1, x2, y2] = b.box;
        return {
          id: annotationId++,
          image_id: i + 1,
          category_id: b.classIndex + 1,
          bbox: [x1, y1, x2 - x1, y2 - y1],
          area: (x2 - x1) * (y2 - y1),
          iscrowd: 0,
        };
      }),
    ),
    categories: classNames.map((name, i) => ({ id: i + 1, name, supercategory: 'shape' })),
  };
  // One element a line: findings then point at the annotation's own line.
  const section = (items: unknown[]): string =>
    `[\n${items.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`;
  return `{\n  "info": ${JSON.stringify(doc.info)},\n  "images": ${section(doc.images)},\n  "annotations": ${section(doc.annotations)},\n  "categories": ${section(doc.categories)}\n}\n`;
}
