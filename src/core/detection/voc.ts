// Pascal VOC: one `Annotations/<id>.xml` per image (`<filename>`, `<size>`, `<object>` with `<name>` and
// `<bndbox>` xmin ymin xmax ymax, 1-based pixel corners), images in `JPEGImages/` (or found by name),
// splits from `ImageSets/Main/{train,val,test}.txt` when present. Classes: the sorted union of object
// names. Pure.
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
import {
  baseName,
  dirName,
  groupBy,
  joinRel,
  normaliseInside,
  splitFromSegments,
  stem,
  type ListedImage,
  type TextFile,
} from './listing';
import { child, childText, escapeXml, parseXml, XmlError, type XmlElement } from './xml';
import { checkedDetectionImage, detectionImage, finishDetectionSet, type AssembledSet } from './assemble';

export interface VocInput {
  images: readonly ListedImage[];
  imagePaths: readonly string[];
  /** Every annotation XML (under an `Annotations` folder). */
  xmlFiles: readonly TextFile[];
  /** `ImageSets/Main/train.txt`, `val.txt`, `test.txt`, when present. */
  imageSets: readonly TextFile[];
  /** Boxes read from the set at most (default MAX_BOXES_PER_SET). */
  maxBoxes?: number;
}

interface VocObject {
  name: string;
  box: BoxCorners | null;
  line: number;
}

interface ParsedVoc {
  path: string;
  filename?: string;
  width?: number;
  height?: number;
  objects: VocObject[];
}

function parseVocFile(file: TextFile, findings: FindingSink): ParsedVoc | null {
  if (file.text === null) {
    findings.push(
      malformed(
        file.path,
        undefined,
        `cannot read the annotation (${file.error ?? 'unreadable'}); fix the file`,
      ),
    );
    return null;
  }
  let root: XmlElement;
  try {
    root = parseXml(file.text);
  } catch (error) {
    if (!(error instanceof XmlError)) throw error;
    findings.push(malformed(file.path, error.line, `not readable XML: ${error.message}; fix the file`));
    return null;
  }
  if (root.name !== 'annotation') {
    findings.push(
      malformed(
        file.path,
        root.line,
        `the root element is <${root.name}>, not <annotation>; this is not a VOC annotation`,
      ),
    );
    return null;
  }
  const size = child(root, 'size');
  const width = size ? Number(childText(size, 'width')) : NaN;
  const height = size ? Number(childText(size, 'height')) : NaN;
  const objects: VocObject[] = [];
  for (const obj of root.children.filter((c) => c.name === 'object')) {
    const name = childText(obj, 'name') ?? '';
    const bndbox = child(obj, 'bndbox');
    const coords = ['xmin', 'ymin', 'xmax', 'ymax'].map((k) => {
      const t = bndbox ? childText(bndbox, k) : undefined;
      return t === undefined || t === '' ? NaN : Number(t);
    });
    if (name === '') {
      findings.push(malformed(file.path, obj.line, '<object> has no <name>; add the class name'));
      continue;
    }
    if (!coords.every(Number.isFinite)) {
      findings.push(
        malformed(
          file.path,
          obj.line,
          `<object> "${name}" needs a <bndbox> with numeric xmin, ymin, xmax, ymax; fix it`,
        ),
      );
      objects.push({ name, box: null, line: obj.line });
      continue;
    }
    const [xmin, ymin, xmax, ymax] = coords;
    // 1-based inclusive pixel indices → pixel-edge corners: pixel xmin starts at xmin - 1.
    objects.push({ name, box: roundBox([xmin - 1, ymin - 1, xmax, ymax]), line: obj.line });
  }
  return {
    path: file.path,
    filename: childText(root, 'filename') || undefined,
    width: Number.isFinite(width) && width > 0 ? width : undefined,
    height: Number.isFinite(height) && height > 0 ? height : undefined,
    objects,
  };
}

function splitLists(imageSets: readonly TextFile[]): Map<string, DetectionSplitName> {
  const splits = new Map<string, DetectionSplitName>();
  for (const split of ['train', 'val', 'test'] as const) {
    const file = imageSets.find((f) => baseName(f.path) === `${split}.txt`);
    for (const raw of file?.text?.split(/\r?\n/) ?? []) {
      const id = raw.trim().split(/\s+/)[0];
      if (id && !splits.has(id)) splits.set(id, split);
    }
  }
  return splits;
}

export function buildVocSet(input: VocInput): AssembledSet {
  // An XML of 400,000 empty <object/> elements is one problem: listed up to a bound, then counted.
  const findings = new CappedFindings(new Set(['malformed-line']));
  const parsed = input.xmlFiles
    .slice()
    .sort((a, b) => compareCodeUnits(a.path, b.path))
    .map((f) => parseVocFile(f, findings))
    .filter((p): p is ParsedVoc => p !== null);
  const rawNames = [...new Set(parsed.flatMap((p) => p.objects.map((o) => o.name)))].sort(compareCodeUnits);
  // Boxes find their class by the name as written; the list shown and trained may shorten it.
  const classIndex = new Map(rawNames.map((name, i) => [name, i]));
  const checkedNames = checkClassNames(rawNames, 'Annotations');
  const classNames = checkedNames.classNames;
  for (const f of checkedNames.findings) findings.push(f);
  const splitOfId = splitLists(input.imageSets);
  const readable = new Map(input.images.map((i) => [i.path, i]));
  const all = new Set(input.imagePaths);
  const byBaseName = groupBy(input.imagePaths, baseName);
  const byStem = groupBy(input.imagePaths, stem);
  const images = new Map<string, DetectionImage>();
  const budget = new BoxBudget(input.maxBoxes);
  for (const voc of parsed) {
    const id = stem(voc.path);
    const split = splitOfId.get(id);
    const xmlDir = dirName(voc.path);
    const parent = dirName(xmlDir);
    let resolved: string | null = null;
    const name = voc.filename === undefined ? null : normaliseInside(voc.filename);
    if (name) {
      const candidates = [
        joinRel(parent, 'JPEGImages', name),
        joinRel(xmlDir, name),
        joinRel(parent, name),
        joinRel(parent, 'images', name),
        ...(split ? [joinRel(parent, 'images', split, name)] : []),
      ];
      resolved = candidates.find((c) => all.has(c)) ?? null;
      if (resolved === null && (byBaseName.get(baseName(name)) ?? []).length === 1)
        resolved = (byBaseName.get(baseName(name)) as string[])[0];
    }
    if (resolved === null && (byStem.get(id) ?? []).length === 1) resolved = (byStem.get(id) as string[])[0];
    if (resolved === null) {
      findings.push(
        labelWithoutImage(
          voc.path,
          1,
          `no image ${voc.filename ? `"${voc.filename}"` : `named ${id}`} in the data set`,
        ),
      );
      continue;
    }
    const listed = readable.get(resolved);
    if (!listed) continue; // unreadable: reported with the skipped files
    if (images.has(resolved)) {
      findings.push(
        malformed(voc.path, 1, `"${resolved}" already has an annotation file; keep one`, resolved),
      );
      continue;
    }
    if (
      voc.width !== undefined &&
      voc.height !== undefined &&
      (voc.width !== listed.width || voc.height !== listed.height)
    ) {
      const turned = voc.width === listed.height && voc.height === listed.width;
      findings.push({
        ...malformed(
          voc.path,
          undefined,
          `<size> says ${voc.width}×${voc.height} but the image is ${listed.width}×${listed.height}${turned ? ' as displayed (EXIF orientation)' : ''}; check its boxes and fix <size>`,
          resolved,
        ),
        severity: 'warning',
      });
    }
    const candidates: CandidateBox[] = (budget.take(voc.objects.length, voc.path) ? voc.objects : [])
      .filter((o): o is VocObject & { box: BoxCorners } => o.box !== null)
      .map((o) => ({
        classIndex: classIndex.get(o.name) ?? -1,
        classLabel: `"${o.name}"`,
        box: o.box,
        source: { file: voc.path, line: o.line },
      }));
    const imageSplit = split ?? splitFromSegments(resolved);
    images.set(
      resolved,
      checkedDetectionImage(resolved, listed, imageSplit, candidates, classNames, findings),
    );
  }
  const overBudget = budget.finding();
  if (overBudget) findings.push(overBudget);
  for (const image of input.images) {
    if (images.has(image.path)) continue;
    findings.push(imageWithoutLabel(image.path, `no Annotations/${stem(image.path)}.xml`));
    const split = splitOfId.get(stem(image.path)) ?? splitFromSegments(image.path);
    images.set(image.path, detectionImage(image.path, image, split, []));
  }
  return finishDetectionSet({
    format: 'voc',
    classNames,
    images: [...images.values()],
    findings: findings.list(),
    classFile: 'Annotations',
  });
}

/** A VOC annotation for one image; boxes are pixel-edge corners, written as 1-based inclusive indices. */
export function formatVocXml(
  image: { folder: string; filename: string; width: number; height: number },
  boxes: readonly { className: string; box: BoxCorners }[],
): string {
  const lines = [
    '<annotation>',
    `  <folder>${escapeXml(image.folder)}</folder>`,
    `  <filename>${escapeXml(image.filename)}</filename>`,
    '  <size>',
    `    <width>${image.width}</width>`,
    `    <height>${image.height}</height>`,
    '    <depth>3</depth>',
    '  </size>',
    '  <segmented>0</segmented>',
  ];
  for (const b of boxes) {
    const [x1, y1, x2, y2] = b.box;
    lines.push(
      '  <object>',
      `    <name>${escapeXml(b.className)}</name>`,
      '    <pose>Unspecified</pose>',
      '    <truncated>0</truncated>',
      '    <difficult>0</difficult>',
      '    <bndbox>',
      `      <xmin>${x1 + 1}</xmin>`,
      `      <ymin>${y1 + 1}</ymin>`,
      `      <xmax>${x2}</xmax>`,
      `      <ymax>${y2}</ymax>`,
      '    </bndbox>',
      '  </object>',
    );
  }
  lines.push('</annotation>');
  return lines.join('\n') + '\n';
}
