// The annotation doctor: checks every box against its image and the class list, and the whole set for
// duplicates, tiny boxes, extreme shapes and class imbalance. Pure: the readers call it with boxes already
// converted to pixel corners, and it decides what is kept (errors drop the box, warnings keep it).
import type {
  AnnotationFinding,
  AnnotationSource,
  BoxCorners,
  DetectionImage,
  GroundTruthBox,
} from '../../protocol/detection';
import { MAX_NAME, MAX_TEXT } from '../../protocol/detectionGuards';
import { boxArea, boxHeight, boxWidth, clipBox, formatBox, intersectionOverUnion, roundBox } from './boxes';

/**
 * The doctor's thresholds, and why:
 * - duplicates: same class and IoU ≥ 0.9 is an annotation clicked twice (two real objects overlap less);
 * - tiny: a side under 4 px, or under 1/10,000 of the image's area (1% of each side): either shrinks to
 *   about 3 px or less once the image is resized to a detector's input (320 px), too little to learn from;
 * - extreme aspect ratio: longer side more than 20 times the shorter, almost always a slip of the mouse;
 * - class imbalance: the class with most boxes has 10 or more times the boxes of the one with fewest;
 * - outside: a box may overhang the image by half a pixel (rounding in labelling tools) and is clipped
 *   quietly; more is reported.
 */
export const DOCTOR_THRESHOLDS = {
  duplicateIou: 0.9,
  tinySidePx: 4,
  tinyAreaFraction: 1e-4,
  extremeAspectRatio: 20,
  imbalanceRatio: 10,
  outsideTolerancePx: 0.5,
} as const;

/**
 * Boxes used per image. Dense real sets stay far below it (COCO ≤ 100, SKU-110K ≈ 700); it bounds the
 * duplicate check (quadratic in the boxes of an image) against a label file of a million lines.
 */
export const MAX_BOXES_PER_IMAGE = 5000;

export interface CandidateBox {
  /** Index into the class list; -1 (or any index out of range) is an unknown class. */
  classIndex: number;
  /** How the label named its class (`class id 7`, `category_id 12`, `"dog"`), for an unknown-class message. */
  classLabel: string;
  box: BoxCorners;
  source: AnnotationSource;
  /** Names the annotation where a line number alone may not (`annotation id 17` in a one-line JSON). */
  context?: string;
}

export interface ImageSize {
  path: string;
  width: number;
  height: number;
}

export interface CheckedBoxes {
  boxes: GroundTruthBox[];
  findings: AnnotationFinding[];
}

function at(source: AnnotationSource): string {
  return source.line === undefined ? source.file : `${source.file}:${source.line}`;
}

/** Checks the boxes of one image; errors drop a box, warnings keep it. */
export function checkImageBoxes(
  image: ImageSize,
  candidates: readonly CandidateBox[],
  classNames: readonly string[],
): CheckedBoxes {
  const boxes: GroundTruthBox[] = [];
  const findings: AnnotationFinding[] = [];
  const finding = (
    kind: AnnotationFinding['kind'],
    severity: AnnotationFinding['severity'],
    candidate: CandidateBox,
    message: string,
    box: BoxCorners = candidate.box,
  ): void => {
    const className = classNames[candidate.classIndex];
    findings.push({
      kind,
      severity,
      message: candidate.context ? `${candidate.context}: ${message}` : message,
      file: candidate.source.file,
      ...(candidate.source.line === undefined ? {} : { line: candidate.source.line }),
      image: image.path,
      box,
      ...(className === undefined ? {} : { className }),
    });
  };
  const t = DOCTOR_THRESHOLDS;
  const imageArea = image.width * image.height;
  const duplicates = new DuplicateIndex(t.duplicateIou);
  if (candidates.length > MAX_BOXES_PER_IMAGE) {
    const first = candidates[MAX_BOXES_PER_IMAGE];
    findings.push({
      ...malformed(
        first.source.file,
        first.source.line,
        `${candidates.length} boxes for one image; only the first ${MAX_BOXES_PER_IMAGE} are used — check the labels were not written twice or concatenated`,
        image.path,
      ),
      kind: 'malformed-line',
      severity: 'warning',
    });
  }
  for (const candidate of candidates.slice(0, MAX_BOXES_PER_IMAGE)) {
    const { box } = candidate;
    if (!box.every(Number.isFinite)) {
      // Coordinates that overflowed (1e308 × the width): no box to show, and JSON would write null.
      findings.push(
        malformed(
          candidate.source.file,
          candidate.source.line,
          `${candidate.context ? `${candidate.context}: ` : ''}box coordinates are too large to be pixels; fix them (box ignored)`,
          image.path,
        ),
      );
      continue;
    }
    if (
      !Number.isInteger(candidate.classIndex) ||
      candidate.classIndex < 0 ||
      candidate.classIndex >= classNames.length
    ) {
      finding(
        'unknown-class',
        'error',
        candidate,
        `${candidate.classLabel} is not one of the ${classNames.length} classes; fix the label or add the class to the class list (box ignored)`,
      );
      continue;
    }
    if (boxWidth(box) <= 0 || boxHeight(box) <= 0) {
      finding(
        'zero-area-box',
        'error',
        candidate,
        `box ${formatBox(box)} has ${boxWidth(box) <= 0 ? 'no width' : 'no height'}; redraw it or delete the line (box ignored)`,
      );
      continue;
    }
    let kept = box;
    const overhang = Math.max(-box[0], -box[1], box[2] - image.width, box[3] - image.height);
    if (overhang > 0) {
      const clipped = roundBox(clipBox(box, image.width, image.height));
      if (boxArea(clipped) <= 0) {
        finding(
          'box-outside-image',
          'error',
          candidate,
          `box ${formatBox(box)} lies outside the ${image.width}×${image.height} image; fix its coordinates (box ignored)`,
        );
        continue;
      }
      if (overhang > t.outsideTolerancePx) {
        finding(
          'box-outside-image',
          'warning',
          candidate,
          `box ${formatBox(box)} reaches outside the ${image.width}×${image.height} image; fix its coordinates (clipped to ${formatBox(clipped)} for training)`,
        );
      }
      kept = clipped;
    }
    const w = boxWidth(kept);
    const h = boxHeight(kept);
    if (Math.min(w, h) < t.tinySidePx || w * h < t.tinyAreaFraction * imageArea) {
      finding(
        'tiny-box',
        'warning',
        candidate,
        `box ${formatBox(kept)} is tiny (${round1(w)}×${round1(h)} px); check it is a real object, or delete it`,
        kept,
      );
    }
    const aspect = Math.max(w / h, h / w);
    if (aspect > t.extremeAspectRatio) {
      finding(
        'extreme-aspect-ratio',
        'warning',
        candidate,
        `box ${formatBox(kept)} is ${Math.round(aspect)} times longer than wide; check its corners`,
        kept,
      );
    }
    const previousIndex = duplicates.firstMatch(candidate.classIndex, kept, boxes);
    const previous = previousIndex < 0 ? undefined : boxes[previousIndex];
    if (previous) {
      finding(
        'duplicate-box',
        'warning',
        candidate,
        `box duplicates the ${classNames[candidate.classIndex]} box at ${at(previous.source)} (IoU ≥ ${t.duplicateIou}); delete one of them`,
        kept,
      );
    }
    duplicates.add(boxes.length, candidate.classIndex, kept);
    boxes.push({ classIndex: candidate.classIndex, box: kept, source: candidate.source });
  }
  return { boxes, findings };
}

/**
 * Earlier boxes by class, size and place, so that finding a duplicate (same class, IoU ≥ 0.9) looks at a
 * few neighbours instead of every earlier box: 5,000 boxes of one image cost 12.5 million IoUs (0.4 s)
 * when compared pairwise, and a set of 10,000 such label files kept a scan (or the gallery, in the
 * editor's process) busy for an hour.
 *
 * Why neighbours suffice: IoU ≥ t means the intersection is at least t × each box's area, so the
 * overlap in x is at least t × each width. Then the widths differ by a factor of at most 1/t, which is
 * one step of the log-scale width bucket (`r = 1/t`; the heights likewise), and the centres differ by at
 * most (1 − t) × the larger width, less than one cell of the bucket (a cell is the bucket's smallest
 * width; r² (1 − t) < 1 for t ≥ 0.5). Buckets ±2 and cells ±1 are searched, a margin for rounding.
 */
export class DuplicateIndex {
  /** class|width bucket|height bucket → cell x|y → indices of boxes, in the order they were kept. */
  private readonly bySize = new Map<string, Map<string, number[]>>();
  private readonly logStep: number;

  constructor(
    private readonly threshold: number,
    /** The IoU used (tests count its calls). */
    private readonly iou: (a: BoxCorners, b: BoxCorners) => number = intersectionOverUnion,
  ) {
    this.logStep = Math.log(1 / threshold);
  }

  private bucket(side: number): number {
    return Math.floor(Math.log(side) / this.logStep);
  }

  private cell(centre: number, bucket: number): number {
    return Math.floor(centre / Math.exp(bucket * this.logStep));
  }

  add(index: number, classIndex: number, box: BoxCorners): void {
    const bw = this.bucket(boxWidth(box));
    const bh = this.bucket(boxHeight(box));
    const sizeKey = `${classIndex}|${bw}|${bh}`;
    let cells = this.bySize.get(sizeKey);
    if (!cells) {
      cells = new Map();
      this.bySize.set(sizeKey, cells);
    }
    const key = `${this.cell((box[0] + box[2]) / 2, bw)}|${this.cell((box[1] + box[3]) / 2, bh)}`;
    const list = cells.get(key);
    if (list) list.push(index);
    else cells.set(key, [index]);
  }

  /** The index of the earliest box of `classIndex` with IoU ≥ threshold with `box`, or -1. */
  firstMatch(classIndex: number, box: BoxCorners, boxes: readonly Pick<GroundTruthBox, 'box'>[]): number {
    if (this.bySize.size === 0) return -1;
    const bw = this.bucket(boxWidth(box));
    const bh = this.bucket(boxHeight(box));
    const cx = (box[0] + box[2]) / 2;
    const cy = (box[1] + box[3]) / 2;
    let best = -1;
    for (let dw = -2; dw <= 2; dw++) {
      for (let dh = -2; dh <= 2; dh++) {
        const cells = this.bySize.get(`${classIndex}|${bw + dw}|${bh + dh}`);
        if (!cells) continue;
        const cellX = this.cell(cx, bw + dw);
        const cellY = this.cell(cy, bh + dh);
        for (let x = cellX - 1; x <= cellX + 1; x++) {
          for (let y = cellY - 1; y <= cellY + 1; y++) {
            for (const i of cells.get(`${x}|${y}`) ?? []) {
              if (best >= 0 && i >= best) break;
              if (this.iou(boxes[i].box, box) >= this.threshold) best = i;
            }
          }
        }
      }
    }
    return best;
  }
}

/**
 * Boxes read from one data set: COCO train2017 has 860,000, Objects365 about 10 million. It bounds the
 * memory a set takes (a checkout of 10,000 copies of one 150 KB label file is 50 million boxes) in the
 * CLI and in the editor, which reads a set for its gallery in its own process.
 */
export const MAX_BOXES_PER_SET = 2_000_000;

/** Counts the boxes a reader keeps; past the limit it says no, and one finding names the first file left. */
export class BoxBudget {
  private used = 0;
  private firstLeft: string | null = null;
  private filesLeft = 0;

  constructor(private readonly max = MAX_BOXES_PER_SET) {}

  get exhausted(): boolean {
    return this.used >= this.max;
  }

  /** Takes `count` boxes of `file`; false (and the file noted) when the set has used its budget. */
  take(count: number, file: string): boolean {
    if (this.exhausted) {
      if (count === 0) return true;
      this.firstLeft ??= file;
      this.filesLeft++;
      return false;
    }
    this.used += count;
    return true;
  }

  finding(): AnnotationFinding | null {
    if (this.firstLeft === null) return null;
    return malformed(
      this.firstLeft,
      undefined,
      `the data set has more than ${this.max.toLocaleString('en-US')} boxes; the boxes of this file${this.filesLeft > 1 ? ` and of ${this.filesLeft - 1} more files or entries after it` : ''} are not read — split the set, or check the labels were not copied many times`,
    );
  }
}

/** Problems of one kind listed one by one per annotation file; the rest are counted in one finding. */
export const MAX_PROBLEMS_LISTED_PER_FILE = 100;

/** Where findings are collected: a plain list, or CappedFindings. */
export interface FindingSink {
  push(finding: AnnotationFinding): void;
}

/**
 * Findings with at most MAX_PROBLEMS_LISTED_PER_FILE of each capped kind per file: a 128 MiB COCO JSON
 * whose `annotations` are 60 million bare numbers is one problem, not 60 million findings held in memory.
 * `list()` adds one finding per file and kind that went over, saying how many more there were.
 */
export class CappedFindings implements FindingSink {
  private readonly items: AnnotationFinding[] = [];
  private readonly counts = new Map<string, { first: AnnotationFinding; count: number }>();

  constructor(private readonly capped: ReadonlySet<AnnotationFinding['kind']>) {}

  push(finding: AnnotationFinding): void {
    if (!this.capped.has(finding.kind)) {
      this.items.push(finding);
      return;
    }
    const key = `${finding.kind}\0${finding.file}`;
    const seen = this.counts.get(key);
    const count = (seen?.count ?? 0) + 1;
    this.counts.set(key, { first: seen?.first ?? finding, count });
    if (count <= MAX_PROBLEMS_LISTED_PER_FILE) this.items.push(finding);
  }

  list(): AnnotationFinding[] {
    const out = this.items.slice();
    for (const { first, count } of this.counts.values()) {
      if (count <= MAX_PROBLEMS_LISTED_PER_FILE) continue;
      out.push({
        kind: first.kind,
        severity: first.severity,
        message: `${count - MAX_PROBLEMS_LISTED_PER_FILE} more problems like the ${MAX_PROBLEMS_LISTED_PER_FILE} listed (${first.kind}) in this file; fix those and scan again`,
        file: first.file,
      });
    }
    return out;
  }
}

/** Classes a detection set may have: LVIS has 1,203; a class list longer than this is not one. */
export const MAX_DETECTION_CLASSES = 10_000;

/**
 * A class list read from a file, made usable: an empty name becomes `class N`, a name longer than
 * MAX_NAME is cut, a name used twice gets its index, and names past MAX_DETECTION_CLASSES are dropped
 * (their boxes are then unknown classes). Indices never move, so boxes keep their class. Each change is
 * an error finding on `file`.
 */
export function checkClassNames(
  names: readonly string[],
  file: string,
  line?: number,
): { classNames: string[]; findings: AnnotationFinding[] } {
  const findings: AnnotationFinding[] = [];
  const problem = (message: string): void => {
    findings.push(malformed(file, line, message));
  };
  if (names.length > MAX_DETECTION_CLASSES)
    problem(
      `${names.length} classes; only the first ${MAX_DETECTION_CLASSES} are used (boxes of the others are unknown classes) — check this is the class list`,
    );
  const seen = new Set<string>();
  const classNames = names.slice(0, MAX_DETECTION_CLASSES).map((raw, i) => {
    let name = raw.trim() === '' ? `class ${i}` : raw;
    if (name !== raw) problem(`class ${i} has no name; name it (called "${name}" until then)`);
    if (name.length > MAX_NAME) {
      name = `${name.slice(0, MAX_NAME - 1)}…`;
      problem(`class ${i}'s name is longer than ${MAX_NAME} characters; shorten it (cut until then)`);
    }
    if (seen.has(name)) {
      const first = name;
      name = `${first} (class ${i})`;
      while (seen.has(name)) name += "'";
      problem(
        `class ${i} is named "${clipText(first, 80)}" like an earlier class; give each class its own name (called "${clipText(name, 100)}" until then)`,
      );
    }
    seen.add(name);
    return name;
  });
  return { classNames, findings };
}

function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A finding whose texts fit the scan report's guard (isAnnotationFinding): a message quoting a
 * 100,000-character file_name or class name is cut, so one such entry cannot make the whole report
 * unreadable to the editor.
 */
export function fitFinding(finding: AnnotationFinding): AnnotationFinding {
  const fits =
    finding.message.length <= MAX_TEXT &&
    (finding.className === undefined || finding.className.length <= MAX_NAME);
  if (fits) return finding;
  return {
    ...finding,
    message: clipText(finding.message, MAX_TEXT),
    ...(finding.className === undefined ? {} : { className: clipText(finding.className, MAX_NAME) }),
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Class imbalance over the whole set; `file` is where the class list lives (data.yaml, the JSON, …). */
export function classImbalanceFindings(
  classNames: readonly string[],
  images: readonly DetectionImage[],
  file: string,
): AnnotationFinding[] {
  if (classNames.length < 2) return [];
  const counts = classNames.map(() => 0);
  for (const image of images) for (const b of image.boxes) counts[b.classIndex]++;
  const findings: AnnotationFinding[] = [];
  classNames.forEach((name, i) => {
    if (counts[i] === 0) {
      findings.push({
        kind: 'class-imbalance',
        severity: 'warning',
        message: `class "${name}" has no boxes; label some, or remove it from the class list`,
        file,
        className: name,
      });
    }
  });
  const present = counts.map((n, i) => ({ n, name: classNames[i] })).filter((c) => c.n > 0);
  if (present.length >= 2) {
    const most = present.reduce((a, b) => (b.n > a.n ? b : a));
    const fewest = present.reduce((a, b) => (b.n < a.n ? b : a));
    if (most.n >= DOCTOR_THRESHOLDS.imbalanceRatio * fewest.n) {
      findings.push({
        kind: 'class-imbalance',
        severity: 'warning',
        message: `class "${most.name}" has ${most.n} boxes but "${fewest.name}" only ${fewest.n} (${Math.round(most.n / fewest.n)}:1); label more "${fewest.name}" objects`,
        file,
        className: fewest.name,
      });
    }
  }
  return findings;
}

export function labelWithoutImage(file: string, line: number | undefined, detail: string): AnnotationFinding {
  return {
    kind: 'label-without-image',
    severity: 'warning',
    message: `${detail}; add the image or delete the labels`,
    file,
    ...(line === undefined ? {} : { line }),
  };
}

export function imageWithoutLabel(image: string, expected: string): AnnotationFinding {
  return {
    kind: 'image-without-label',
    severity: 'info',
    message: `no labels for this image (${expected}); it trains as background — label it if it has objects`,
    file: image,
    image,
  };
}

export function malformed(
  file: string,
  line: number | undefined,
  message: string,
  image?: string,
): AnnotationFinding {
  return {
    kind: 'malformed-line',
    severity: 'error',
    message,
    file,
    ...(line === undefined ? {} : { line }),
    ...(image === undefined ? {} : { image }),
  };
}
