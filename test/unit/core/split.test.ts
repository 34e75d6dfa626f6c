import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatasetEntry } from '../../../src/protocol/scan';
import type { SplitRecord } from '../../../src/protocol/runRecord';
import {
  allocateClass,
  classCounts,
  kFoldSplits,
  sortedLabels,
  stratifiedSplit,
} from '../../../src/core/split';
import { createRng } from '../../../src/core/random';

function dataset(sizes: Record<string, number>): DatasetEntry[] {
  const entries: DatasetEntry[] = [];
  for (const [label, n] of Object.entries(sizes)) {
    for (let i = 0; i < n; i++)
      entries.push({ path: `${label}/img ${String(i).padStart(3, '0')}.png`, label });
  }
  return entries;
}

const allPaths = (split: SplitRecord): string[] =>
  [...split.train, ...split.validation, ...split.test].map((e) => e.path);

function assertNoLeak(split: SplitRecord): void {
  const seen = new Set<string>();
  for (const part of ['train', 'validation', 'test'] as const) {
    for (const entry of split[part]) {
      assert.ok(!seen.has(entry.path), `${entry.path} appears twice (again in ${part})`);
      seen.add(entry.path);
    }
  }
}

const sizes = { cat: 50, dog: 31, bird: 17, ant: 5 };

test('same seed gives the same split whatever the input order; another seed a different one', () => {
  const entries = dataset(sizes);
  const options = { validationSplit: 0.2, testSplit: 0.1, seed: 42 };
  const a = stratifiedSplit(entries, options);
  const b = stratifiedSplit(createRng(9).shuffle(entries), options);
  assert.deepEqual(a, b);
  const c = stratifiedSplit(entries, { ...options, seed: 43 });
  assert.notDeepEqual(c.validation, a.validation);
  assert.equal(a.seed, 42);
});

test('every image lands in exactly one split', () => {
  const entries = dataset(sizes);
  const split = stratifiedSplit(entries, { validationSplit: 0.25, testSplit: 0.15, seed: 1 });
  assertNoLeak(split);
  assert.deepEqual(allPaths(split).sort(), entries.map((e) => e.path).sort());
});

test('each class keeps its proportions within one image', () => {
  const split = stratifiedSplit(dataset(sizes), { validationSplit: 0.2, testSplit: 0.1, seed: 7 });
  const { classCounts: perClass } = classCounts(split);
  for (const [label, n] of Object.entries(sizes)) {
    // e.g. cat: 50 × 0.2 = 10 validation, 50 × 0.1 = 5 test.
    assert.ok(
      Math.abs(perClass[label].validation - n * 0.2) <= 1,
      `${label} validation ${perClass[label].validation}`,
    );
    assert.ok(Math.abs(perClass[label].test - n * 0.1) <= 1, `${label} test ${perClass[label].test}`);
    assert.equal(perClass[label].train + perClass[label].validation + perClass[label].test, n);
  }
});

test('small classes keep one training image, and one validation image when they have two', () => {
  assert.deepEqual(allocateClass(1, 0.2, 0.1), { train: 1, validation: 0, test: 0 });
  assert.deepEqual(allocateClass(2, 0.2, 0.1), { train: 1, validation: 1, test: 0 });
  assert.deepEqual(allocateClass(3, 0.2, 0.1), { train: 1, validation: 1, test: 1 });
  assert.deepEqual(allocateClass(2, 0.8, 0), { train: 1, validation: 1, test: 0 });
  assert.deepEqual(allocateClass(10, 0, 0), { train: 10, validation: 0, test: 0 });
  assert.deepEqual(allocateClass(10, 0.2, 0), { train: 8, validation: 2, test: 0 });
  assert.deepEqual(allocateClass(0, 0.2, 0.2), { train: 0, validation: 0, test: 0 });
  for (let n = 1; n <= 40; n++) {
    for (const [v, t] of [
      [0.1, 0],
      [0.5, 0.3],
      [0.85, 0.1],
      [0, 0.5],
    ]) {
      const a = allocateClass(n, v, t);
      assert.equal(a.train + a.validation + a.test, n);
      assert.ok(a.train >= 1, `n=${n} v=${v} t=${t}`);
      if (v > 0 && n >= 2) assert.ok(a.validation >= 1, `n=${n} v=${v} t=${t}`);
    }
  }
  const split = stratifiedSplit(dataset({ a: 1, b: 2, c: 20 }), {
    validationSplit: 0.2,
    testSplit: 0,
    seed: 3,
  });
  const perClass = classCounts(split).classCounts;
  assert.deepEqual(perClass.a, { train: 1, validation: 0, test: 0 });
  assert.deepEqual(perClass.b, { train: 1, validation: 1, test: 0 });
});

test('a class added later does not change the other classes’ split', () => {
  const options = { validationSplit: 0.2, testSplit: 0, seed: 5 };
  const before = stratifiedSplit(dataset({ cat: 20, dog: 20 }), options);
  const after = stratifiedSplit(dataset({ cat: 20, dog: 20, emu: 9 }), options);
  const catsOf = (s: SplitRecord): string[] =>
    s.validation.filter((e) => e.label === 'cat').map((e) => e.path);
  assert.deepEqual(catsOf(after), catsOf(before));
});

test('a path listed twice is kept once', () => {
  const entries = dataset({ cat: 6, dog: 6 });
  const split = stratifiedSplit([...entries, ...entries.slice(0, 4)], {
    validationSplit: 0.5,
    testSplit: 0,
    seed: 1,
  });
  assertNoLeak(split);
  assert.equal(allPaths(split).length, 12);
});

test('split folders are used as given; a missing val folder is carved out of train', () => {
  const withFolders: DatasetEntry[] = [
    ...dataset({ cat: 10, dog: 10 }).map((e) => ({ ...e, path: `train/${e.path}`, split: 'train' as const })),
    ...dataset({ cat: 3, dog: 2 }).map((e) => ({
      ...e,
      path: `val/${e.path}`,
      split: 'validation' as const,
    })),
    ...dataset({ cat: 2, dog: 2 }).map((e) => ({ ...e, path: `test/${e.path}`, split: 'test' as const })),
  ];
  const given = stratifiedSplit(withFolders, { validationSplit: 0.2, testSplit: 0.3, seed: 1 });
  assert.ok(given.train.every((e) => e.path.startsWith('train/')));
  assert.ok(given.validation.every((e) => e.path.startsWith('val/')));
  assert.ok(given.test.every((e) => e.path.startsWith('test/')));
  assert.deepEqual(classCounts(given).counts, { train: 20, validation: 5, test: 4 });

  const noVal = withFolders.filter((e) => e.split !== 'validation');
  const carved = stratifiedSplit(noVal, { validationSplit: 0.2, testSplit: 0.3, seed: 1 });
  assertNoLeak(carved);
  assert.ok(carved.validation.every((e) => e.path.startsWith('train/')));
  assert.ok(
    carved.test.every((e) => e.path.startsWith('test/')),
    'the test folder is not topped up from train',
  );
  assert.deepEqual(classCounts(carved).classCounts.cat, { train: 8, validation: 2, test: 2 });
  assert.deepEqual(classCounts(carved).counts, { train: 16, validation: 4, test: 4 });
});

test('k-fold: every image in exactly one validation fold, stratified, folds within one of each other', () => {
  const entries = dataset(sizes);
  const folds = kFoldSplits(entries, 5, 42);
  assert.equal(folds.length, 5);
  const validated = folds.flatMap((f) => f.validation.map((e) => e.path));
  assert.equal(new Set(validated).size, entries.length);
  assert.equal(validated.length, entries.length);
  for (const fold of folds) {
    assertNoLeak(fold);
    assert.equal(fold.train.length + fold.validation.length, entries.length);
    const perClass = classCounts(fold).classCounts;
    for (const [label, n] of Object.entries(sizes)) {
      // cat: 50 / 5 = 10 per fold; dog: 31 / 5 = 6.2, so 6 or 7.
      assert.ok(Math.abs(perClass[label].validation - n / 5) < 1, `${label}: ${perClass[label].validation}`);
    }
  }
  const foldSizes = folds.map((f) => f.validation.length);
  assert.ok(Math.max(...foldSizes) - Math.min(...foldSizes) <= 1, foldSizes.join(','));
  assert.deepEqual(kFoldSplits(createRng(2).shuffle(entries), 5, 42), folds);
  assert.notDeepEqual(kFoldSplits(entries, 5, 43), folds);
});

test('k-fold keeps a test folder out of every fold and rejects impossible k', () => {
  const entries: DatasetEntry[] = [
    ...dataset({ a: 6, b: 6 }).map((e) => ({ ...e, split: 'train' as const })),
    { path: 'test/a.png', label: 'a', split: 'test' },
  ];
  for (const fold of kFoldSplits(entries, 3, 1)) {
    assert.deepEqual(fold.test, [{ path: 'test/a.png', label: 'a' }]);
    assert.ok(!fold.train.some((e) => e.path === 'test/a.png'));
  }
  assert.throws(() => kFoldSplits(entries, 1, 1), RangeError);
  assert.throws(() => kFoldSplits(dataset({ a: 2 }), 3, 1), RangeError);
});

test('classCounts lists every named class, with zeros for an absent one', () => {
  const split = stratifiedSplit(dataset({ a: 4, b: 4 }), { validationSplit: 0.25, testSplit: 0, seed: 1 });
  const { counts, classCounts: perClass } = classCounts(split, ['a', 'b', 'c']);
  assert.deepEqual(counts, { train: 6, validation: 2, test: 0 });
  assert.deepEqual(perClass.c, { train: 0, validation: 0, test: 0 });
  assert.deepEqual(perClass.a, { train: 3, validation: 1, test: 0 });
  assert.deepEqual(sortedLabels([{ label: 'b' }, { label: 'a' }, { label: 'B' }, { label: 'a' }]), [
    'B',
    'a',
    'b',
  ]);
});
