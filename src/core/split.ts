// Seeded, stratified splits. Each class is shuffled by its own stream (seed + class name), so the split
// does not depend on the order files were listed in, and adding a class leaves the others' splits alone.
import type { DatasetEntry, DatasetSplitName } from '../protocol/scan';
import type { SplitCounts, SplitEntry, SplitRecord } from '../protocol/runRecord';
import { compareCodeUnits } from '../protocol/order';
import { createRng, deriveSeed } from './random';

export interface SplitOptions {
  validationSplit: number;
  testSplit: number;
  seed: number;
}

/** How many of `n` images of one class go to validation and test. */
export interface ClassAllocation {
  train: number;
  validation: number;
  test: number;
}

/** The class names of a data set, sorted: the label order of every model and evaluation. */
export function sortedLabels(entries: readonly { label: string }[]): string[] {
  return [...new Set(entries.map((e) => e.label))].sort(compareCodeUnits);
}

/**
 * Split sizes for one class of `n` images. Rounds to the nearest count, then keeps at least one
 * training image; one validation image when validation is asked for and n ≥ 2; one test image when a
 * test split is asked for and n ≥ 3.
 */
export function allocateClass(n: number, validationSplit: number, testSplit: number): ClassAllocation {
  const minValidation = validationSplit > 0 && n >= 2 ? 1 : 0;
  const minTest = testSplit > 0 && n >= 3 ? 1 : 0;
  let test = Math.max(Math.round(n * testSplit), minTest);
  test = Math.max(0, Math.min(test, n - 1 - minValidation));
  let validation = Math.max(Math.round(n * validationSplit), minValidation);
  validation = Math.max(0, Math.min(validation, n - 1 - test));
  return { train: n - validation - test, validation, test };
}

/**
 * The split of a data set. Class-folder entries (no `split`) are divided per class. Split-folder entries
 * keep their folders; validation (and test, when asked for) is carved out of train only when the data
 * set has no such folder. A path listed twice is kept once, so no image can sit in two splits.
 */
export function stratifiedSplit(entries: readonly DatasetEntry[], options: SplitOptions): SplitRecord {
  const unique = uniqueEntries(entries);
  const hasFolder = (name: DatasetSplitName): boolean => unique.some((e) => e.split === name);
  const isSplitFolders = unique.some((e) => e.split !== undefined);
  if (!isSplitFolders)
    return finish(
      options.seed,
      divideByClass(unique, options.validationSplit, options.testSplit, options.seed),
    );

  const inFolder = (name: DatasetSplitName): SplitEntry[] =>
    unique.filter((e) => (e.split ?? 'train') === name).map(toSplitEntry);
  const carveValidation = hasFolder('validation') ? 0 : options.validationSplit;
  const carveTest = hasFolder('test') ? 0 : options.testSplit;
  const fromTrain = divideByClass(inFolder('train'), carveValidation, carveTest, options.seed);
  return finish(options.seed, {
    train: fromTrain.train,
    validation: [...inFolder('validation'), ...fromTrain.validation],
    test: [...inFolder('test'), ...fromTrain.test],
  });
}

/**
 * k stratified folds: every image of the train/validation pool is in exactly one fold's validation set,
 * and fold sizes differ by at most one. Split-folder test images stay the test set of every fold.
 */
export function kFoldSplits(entries: readonly DatasetEntry[], k: number, seed: number): SplitRecord[] {
  const unique = uniqueEntries(entries);
  const test = unique.filter((e) => e.split === 'test').map(toSplitEntry);
  const pool = unique.filter((e) => e.split !== 'test').map(toSplitEntry);
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`k-fold needs a whole number of folds of at least 2, got ${k}`);
  if (k > pool.length)
    throw new RangeError(`k-fold with ${k} folds needs at least ${k} images, got ${pool.length}`);

  const foldOf = new Map<SplitEntry, number>();
  // Continuing the round-robin across classes keeps the folds' total sizes within one of each other.
  let next = 0;
  for (const [label, members] of byClass(pool)) {
    for (const entry of shuffleClass(members, seed, 'kfold', label)) {
      foldOf.set(entry, next);
      next = (next + 1) % k;
    }
  }
  return Array.from({ length: k }, (_, fold) =>
    finish(seed, {
      train: pool.filter((e) => foldOf.get(e) !== fold),
      validation: pool.filter((e) => foldOf.get(e) === fold),
      test,
    }),
  );
}

/** Per-split totals and per-class, per-split counts (RunDataset.counts and .classCounts). */
export function classCounts(
  split: SplitRecord,
  classNames: readonly string[] = sortedLabels([...split.train, ...split.validation, ...split.test]),
): { counts: SplitCounts; classCounts: Record<string, SplitCounts> } {
  // A Map, then own properties (fromEntries): a class named "__proto__" or "constructor" counts like any other.
  const perClass = new Map<string, SplitCounts>();
  for (const name of classNames) perClass.set(name, { train: 0, validation: 0, test: 0 });
  const counts: SplitCounts = {
    train: split.train.length,
    validation: split.validation.length,
    test: split.test.length,
  };
  for (const part of ['train', 'validation', 'test'] as const) {
    for (const entry of split[part]) {
      let classCount = perClass.get(entry.label);
      if (!classCount) {
        classCount = { train: 0, validation: 0, test: 0 };
        perClass.set(entry.label, classCount);
      }
      classCount[part]++;
    }
  }
  return { counts, classCounts: Object.fromEntries(perClass) };
}

// ---- pieces ------------------------------------------------------------------------------------

interface Parts {
  train: SplitEntry[];
  validation: SplitEntry[];
  test: SplitEntry[];
}

function divideByClass(
  entries: readonly SplitEntry[],
  validationSplit: number,
  testSplit: number,
  seed: number,
): Parts {
  const parts: Parts = { train: [], validation: [], test: [] };
  for (const [label, members] of byClass(entries)) {
    const shuffled = shuffleClass(members, seed, 'split', label);
    const size = allocateClass(shuffled.length, validationSplit, testSplit);
    parts.test.push(...shuffled.slice(0, size.test));
    parts.validation.push(...shuffled.slice(size.test, size.test + size.validation));
    parts.train.push(...shuffled.slice(size.test + size.validation));
  }
  return parts;
}

/** Entries grouped by label, each group sorted by path, the groups in label order. */
function byClass<T extends SplitEntry>(entries: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const entry of entries) {
    const group = groups.get(entry.label);
    if (group) group.push(entry);
    else groups.set(entry.label, [entry]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([label, group]) => [label, group.sort((x, y) => compareCodeUnits(x.path, y.path))]);
}

function shuffleClass<T>(sortedMembers: readonly T[], seed: number, purpose: string, label: string): T[] {
  return createRng(deriveSeed(seed, purpose, label)).shuffle(sortedMembers);
}

/** One entry per path, chosen independently of the input order. */
function uniqueEntries(entries: readonly DatasetEntry[]): DatasetEntry[] {
  const sorted = [...entries].sort(
    (a, b) =>
      compareCodeUnits(a.path, b.path) ||
      compareCodeUnits(a.label, b.label) ||
      compareCodeUnits(a.split ?? '', b.split ?? ''),
  );
  return sorted.filter((entry, i) => i === 0 || sorted[i - 1].path !== entry.path);
}

function toSplitEntry(entry: DatasetEntry): SplitEntry {
  return { path: entry.path, label: entry.label };
}

/** Each split sorted by label then path: split.json reads and diffs well; the trainer shuffles per epoch. */
function finish(seed: number, parts: Parts): SplitRecord {
  const order = (a: SplitEntry, b: SplitEntry): number =>
    compareCodeUnits(a.label, b.label) || compareCodeUnits(a.path, b.path);
  return {
    seed,
    train: parts.train.map(toSplitEntry).sort(order),
    validation: parts.validation.map(toSplitEntry).sort(order),
    test: parts.test.map(toSplitEntry).sort(order),
  };
}
