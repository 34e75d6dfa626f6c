// A detection run's directory: the data set read (readDetectionSet), split (the set's own train/val/test
// when it has them, else seeded), the record written; or a resumed detection run (training/prepareRun.ts)
// with its data set read again. Either way the run's lock is held from before the first write.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DetectionImage, DetectionSet } from '../../protocol/detection';
import type { RunDataset, SplitEntry, SplitRecord } from '../../protocol/runRecord';
import type { TrainingConfig } from '../../protocol/config';
import { compareCodeUnits } from '../../protocol/order';
import { createRng, deriveSeed } from '../../core/random';
import { UsageError } from '../errors';
import { createNewRun, prepareRun, type LockHolder } from '../training/prepareRun';
import { selectEngine } from '../training/openDataset';
import type { PreparedRun, TrainRunRequest } from '../training/runContext';
import { readDetectionSet } from './detectionSet';
import { DETECTOR_INPUT_MULTIPLE } from './model';

/** The label split.json gives an image without boxes (a detection split is not checked against classes). */
export const BACKGROUND_LABEL = '(background)';

export interface PreparedDetectionRun extends PreparedRun {
  set: DetectionSet;
}

export async function prepareDetectionRun(
  request: TrainRunRequest,
  held: LockHolder,
): Promise<PreparedDetectionRun> {
  if (request.resumeRunDir) {
    const prepared = await prepareRun(request, held);
    const set = await readSet(prepared.datasetRoot);
    return { ...prepared, set };
  }
  return prepareNewDetectionRun(request, held);
}

async function readSet(root: string): Promise<DetectionSet> {
  let set: DetectionSet;
  try {
    set = await readDetectionSet(root);
  } catch (err) {
    throw new UsageError(`${root}: ${(err as Error).message.split('\n')[0]}`);
  }
  return set;
}

async function prepareNewDetectionRun(
  request: TrainRunRequest,
  held: LockHolder,
): Promise<PreparedDetectionRun> {
  const { emit, config } = request;
  if (!request.dataDir)
    throw new UsageError('train needs a data set folder: image-trainer train DIR --task detect');
  let root: string;
  try {
    root = await fs.realpath(request.dataDir);
    if (!(await fs.stat(root)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new UsageError(`${request.dataDir}: not a readable folder — pass a detection data set folder`);
  }
  if (config.imageSize % DETECTOR_INPUT_MULTIPLE !== 0)
    throw new UsageError(
      `--image-size must be a multiple of ${DETECTOR_INPUT_MULTIPLE} for a detection run, got ${config.imageSize} (try ${Math.max(DETECTOR_INPUT_MULTIPLE, Math.round(config.imageSize / DETECTOR_INPUT_MULTIPLE) * DETECTOR_INPUT_MULTIPLE)})`,
    );
  const { backend, notes } = await selectEngine(config);
  emit({ type: 'phaseChanged', phase: 'scanning', message: `Reading the detection data set ${root}` });
  const set = await readSet(root);
  const boxes = set.images.reduce((n, image) => n + image.boxes.length, 0);
  if (set.classNames.length === 0 || boxes === 0)
    throw new UsageError(
      `${root}: no annotated boxes found — a detection set needs YOLO labels/ with data.yaml, a COCO instances JSON or Pascal VOC XML files (image-trainer scan ${root})`,
    );
  const errors = set.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0)
    emit({
      type: 'log',
      level: 'warn',
      message: `${errors.length} annotation error(s) (their boxes are left out), first: ${errors[0].file}${errors[0].line ? `:${errors[0].line}` : ''}: ${errors[0].message}`,
    });
  emit({ type: 'phaseChanged', phase: 'splitting', message: 'Splitting into train, validation and test' });
  const split = request.split ?? detectionSplit(set, config);
  if (split.train.length === 0) throw new UsageError(`${root}: no training images after the split`);
  // A detection run records its group and parent; k-fold and pretrained bases are classification's.
  const writer = await createNewRun(
    request.runsRoot,
    held,
    { config, dataset: detectionRunDataset(root, set, split), backend, backendNotes: notes, split },
    { group: request.group, parentId: request.parentId },
  );
  return { writer, config, split, classNames: set.classNames, datasetRoot: root, backend, resume: null, set };
}

/** The label recorded for an image: its most frequent class (ties: the lower index), or background. */
export function dominantLabel(image: DetectionImage, classNames: readonly string[]): string {
  const counts = new Map<number, number>();
  for (const b of image.boxes) counts.set(b.classIndex, (counts.get(b.classIndex) ?? 0) + 1);
  let best = -1;
  let bestCount = 0;
  for (const [classIndex, count] of [...counts].sort((a, b) => a[0] - b[0]))
    if (count > bestCount) [best, bestCount] = [classIndex, count];
  return best >= 0 && classNames[best] ? classNames[best] : BACKGROUND_LABEL;
}

/**
 * The set's own split when its images name one (YOLO split folders, COCO instances_train/val, VOC
 * ImageSets): train, val → validation, test; when it has no val, validationSplit of train is held out.
 * Otherwise a seeded random split by validationSplit and testSplit.
 */
export function detectionSplit(set: DetectionSet, config: TrainingConfig): SplitRecord {
  const entry = (image: DetectionImage): SplitEntry => ({
    path: image.path,
    label: dominantLabel(image, set.classNames),
  });
  const byPath = (a: SplitEntry, b: SplitEntry): number => compareCodeUnits(a.path, b.path);
  const rng = createRng(deriveSeed(config.seed, 'detect-split'));
  let train: DetectionImage[];
  let validation: DetectionImage[];
  let test: DetectionImage[];
  if (set.images.some((image) => image.split !== undefined)) {
    train = set.images.filter((image) => image.split === 'train' || image.split === undefined);
    validation = set.images.filter((image) => image.split === 'val');
    test = set.images.filter((image) => image.split === 'test');
    if (validation.length === 0 && config.validationSplit > 0) {
      const shuffled = rng.shuffle(train);
      const held = Math.round(shuffled.length * config.validationSplit);
      validation = shuffled.slice(0, held);
      train = shuffled.slice(held);
    }
  } else {
    const shuffled = rng.shuffle(set.images);
    const nTest = Math.round(shuffled.length * config.testSplit);
    const nValidation = Math.round(shuffled.length * config.validationSplit);
    test = shuffled.slice(0, nTest);
    validation = shuffled.slice(nTest, nTest + nValidation);
    train = shuffled.slice(nTest + nValidation);
  }
  return {
    seed: config.seed,
    train: train.map(entry).sort(byPath),
    validation: validation.map(entry).sort(byPath),
    test: test.map(entry).sort(byPath),
  };
}

/** run.json's dataset: images per split, and boxes per class per split. */
function detectionRunDataset(root: string, set: DetectionSet, split: SplitRecord): RunDataset {
  const images = new Map(set.images.map((image) => [image.path, image]));
  const classCounts: RunDataset['classCounts'] = Object.fromEntries(
    set.classNames.map((name) => [name, { train: 0, validation: 0, test: 0 }]),
  );
  for (const part of ['train', 'validation', 'test'] as const)
    for (const e of split[part])
      for (const b of images.get(e.path)?.boxes ?? []) {
        const name = set.classNames[b.classIndex];
        if (name !== undefined) classCounts[name][part]++;
      }
  return {
    root,
    layout: set.images.some((image) => image.split !== undefined) ? 'split-folders' : 'class-folders',
    classNames: set.classNames,
    counts: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    classCounts,
    skipped: [],
  };
}

/** The set's images that a split part names, in its order; images gone since are left out. */
export function imagesOf(set: DetectionSet, entries: readonly SplitEntry[]): DetectionImage[] {
  const images = new Map(set.images.map((image) => [image.path.split(path.sep).join('/'), image]));
  return entries.flatMap((e) => images.get(e.path) ?? []);
}
