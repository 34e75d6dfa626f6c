// The last step of every reader (sorting, set-level findings) and the scan report. Pure.
import type {
  AnnotationFinding,
  DetectionClassCount,
  DetectionFormat,
  DetectionImage,
  DetectionScanReport,
  DetectionSet,
  DetectionSplitCount,
  DetectionSplitName,
  GroundTruthBox,
} from '../../protocol/detection';
import { compareCodeUnits } from '../../protocol/order';
import {
  checkImageBoxes,
  classImbalanceFindings,
  fitFinding,
  type CandidateBox,
  type FindingSink,
  type ImageSize,
} from './doctor';

/** A detection set as a reader builds it, before the caller adds the root (and the files it skipped). */
export type AssembledSet = Omit<DetectionSet, 'root'>;

/** One image of a set: its path, its size, its split when known, its boxes. */
export function detectionImage(
  path: string,
  size: ImageSize,
  split: DetectionSplitName | undefined,
  boxes: GroundTruthBox[],
): DetectionImage {
  return { path, width: size.width, height: size.height, ...(split ? { split } : {}), boxes };
}

/** A labelled image: its candidate boxes checked against its size and the classes, findings to `findings`. */
export function checkedDetectionImage(
  path: string,
  size: ImageSize,
  split: DetectionSplitName | undefined,
  candidates: readonly CandidateBox[],
  classNames: readonly string[],
  findings: FindingSink,
): DetectionImage {
  const checked = checkImageBoxes(size, candidates, classNames);
  for (const f of checked.findings) findings.push(f);
  return detectionImage(path, size, split, checked.boxes);
}

export function finishDetectionSet(input: {
  format: DetectionFormat;
  classNames: string[];
  images: DetectionImage[];
  findings: AnnotationFinding[];
  /** Where the class list is written (data.yaml, an annotations JSON, …), for set-level findings. */
  classFile: string;
}): AssembledSet {
  const images = input.images.slice().sort((a, b) => compareCodeUnits(a.path, b.path));
  const findings = [
    ...input.findings,
    ...classImbalanceFindings(input.classNames, images, input.classFile || '.'),
  ];
  return {
    format: input.format,
    classNames: input.classNames,
    images,
    findings: sortFindings(findings.map(fitFinding)),
  };
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Errors first, then warnings, then notes; within each, by file and line. */
export function sortFindings(findings: readonly AnnotationFinding[]): AnnotationFinding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] ||
        compareCodeUnits(a.f.file, b.f.file) ||
        (a.f.line ?? 0) - (b.f.line ?? 0) ||
        a.i - b.i,
    )
    .map(({ f }) => f);
}

export function buildDetectionScanReport(set: DetectionSet): DetectionScanReport {
  const classes: DetectionClassCount[] = set.classNames.map((name) => ({ name, boxes: 0, images: 0 }));
  const splits = new Map<string, DetectionSplitCount>();
  let boxes = 0;
  let backgroundImages = 0;
  for (const image of set.images) {
    boxes += image.boxes.length;
    if (image.boxes.length === 0) backgroundImages++;
    const seen = new Set<number>();
    for (const b of image.boxes) {
      classes[b.classIndex].boxes++;
      if (!seen.has(b.classIndex)) classes[b.classIndex].images++;
      seen.add(b.classIndex);
    }
    if (image.split) {
      const count = splits.get(image.split) ?? { name: image.split, images: 0, boxes: 0 };
      count.images++;
      count.boxes += image.boxes.length;
      splits.set(image.split, count);
    }
  }
  return {
    task: 'detect',
    root: set.root,
    format: set.format,
    classNames: set.classNames,
    classes,
    splits: (['train', 'val', 'test'] as const).flatMap((name) => splits.get(name) ?? []),
    images: set.images.length,
    backgroundImages,
    boxes,
    findings: set.findings,
    ...(set.skipped ? { skipped: set.skipped } : {}),
  };
}
