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
    const previous = boxes.find(
      (b) => b.classIndex === candidate.classIndex && intersectionOverUnion(b.box, kept) >= t.duplicateIou,
    );
    if (previous) {
      finding(
        'duplicate-box',
        'warning',
        candidate,
        `box duplicates the ${classNames[candidate.classIndex]} box at ${at(previous.source)} (IoU ≥ ${t.duplicateIou}); delete one of them`,
        kept,
      );
    }
    boxes.push({ classIndex: candidate.classIndex, box: kept, source: candidate.source });
  }
  return { boxes, findings };
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
