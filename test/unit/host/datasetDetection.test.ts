import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  detectDatasets,
  ExcludeMatcher,
  globToRegExp,
  listImages,
} from '../../../src/host/datasets/datasetDetection';
import { images, MemoryLister } from './memoryLister';

const ws = '/ws';

test('finds a class-folder data set with per-class counts, including an empty class', async () => {
  const lister = new MemoryLister(
    [
      ...images(`${ws}/data/shapes/circle`, 3),
      ...images(`${ws}/data/shapes/square`, 5, '.JPG'),
      `${ws}/data/shapes/square/notes.txt`,
    ],
    [`${ws}/data/shapes/empty`],
  );
  const [dataset, ...rest] = await detectDatasets(lister, { roots: [ws] });
  assert.equal(rest.length, 0);
  assert.equal(dataset.root, `${ws}/data/shapes`);
  assert.equal(dataset.layout, 'class-folders');
  assert.deepEqual(
    dataset.classes.map((c) => [c.name, c.count]),
    [
      ['circle', 3],
      ['empty', 0],
      ['square', 5],
    ],
  );
  assert.equal(dataset.total, 8);
});

test('finds a split-folder data set (train/val/test) and sums classes over splits', async () => {
  const lister = new MemoryLister([
    ...images(`${ws}/ds/train/cat`, 4),
    ...images(`${ws}/ds/train/dog`, 6),
    ...images(`${ws}/ds/val/cat`, 1),
    ...images(`${ws}/ds/val/dog`, 2),
    ...images(`${ws}/ds/test/dog`, 3),
  ]);
  const [dataset] = await detectDatasets(lister, { roots: [ws] });
  assert.equal(dataset.layout, 'split-folders');
  assert.deepEqual(
    dataset.splits.map((s) => [s.name, s.folder, s.total]),
    [
      ['train', 'train', 10],
      ['validation', 'val', 3],
      ['test', 'test', 3],
    ],
  );
  assert.deepEqual(dataset.classes, [
    { name: 'cat', count: 5 },
    { name: 'dog', count: 11 },
  ]);
  assert.equal(dataset.total, 16);
});

test('a folder with one image folder, loose images or only non-images is no data set', async () => {
  const lister = new MemoryLister([
    ...images(`${ws}/assets/icons`, 4),
    ...images(`${ws}/photos`, 2),
    ...images(`${ws}/photos/a`, 2),
    ...images(`${ws}/photos/b`, 2),
    `${ws}/src/a/index.ts`,
    `${ws}/src/b/index.ts`,
  ]);
  assert.deepEqual(await detectDatasets(lister, { roots: [ws] }), []);
});

test('node_modules, .git, .image-trainer, hidden folders and configured excludes are never searched', async () => {
  const files = [
    'node_modules/pkg',
    '.git/objects',
    '.image-trainer/runs',
    '.hidden/x',
    'build/out',
    'data/raw/x',
    'data/good',
  ].flatMap((dir) => [...images(`${ws}/${dir}/a`, 2), ...images(`${ws}/${dir}/b`, 2)]);
  const found = await detectDatasets(new MemoryLister(files), {
    roots: [ws],
    excludes: ['build', 'data/raw'],
  });
  assert.deepEqual(
    found.map((d) => d.root),
    [`${ws}/data/good`],
  );
});

test('extra roots are searched, and a data set is reported once when roots overlap', async () => {
  const lister = new MemoryLister([
    ...images('/elsewhere/set/x', 2),
    ...images('/elsewhere/set/y', 2),
    ...images(`${ws}/d/x`, 2),
    ...images(`${ws}/d/y`, 2),
  ]);
  const found = await detectDatasets(lister, { roots: [ws, '/elsewhere', '/elsewhere/set'] });
  assert.deepEqual(found.map((d) => d.root).sort(), ['/elsewhere/set', `${ws}/d`]);
});

test('the search stops at maxDepth and does not descend into a data set', async () => {
  const deep = [...images(`${ws}/a/b/c/d/e/x`, 2), ...images(`${ws}/a/b/c/d/e/y`, 2)];
  assert.equal((await detectDatasets(new MemoryLister(deep), { roots: [ws], maxDepth: 3 })).length, 0);
  assert.equal((await detectDatasets(new MemoryLister(deep), { roots: [ws], maxDepth: 5 })).length, 1);
  // Classes with subfolders of images: the subfolders belong to the class, not to a nested data set.
  const nested = [
    ...images(`${ws}/set/x`, 1),
    ...images(`${ws}/set/x/p`, 2),
    ...images(`${ws}/set/x/q`, 2),
    ...images(`${ws}/set/y`, 3),
  ];
  const found = await detectDatasets(new MemoryLister(nested), { roots: [ws] });
  assert.deepEqual(
    found.map((d) => [d.root, d.total]),
    [[`${ws}/set`, 8]],
  );
});

test('images of a class are listed in natural order, including subfolders', async () => {
  const lister = new MemoryLister([
    `${ws}/s/c/img10.png`,
    `${ws}/s/c/img2.png`,
    `${ws}/s/c/sub/img1.png`,
    `${ws}/s/c/readme.md`,
    `${ws}/s/c/.hidden.png`,
  ]);
  assert.deepEqual(await listImages(lister, `${ws}/s/c`), [
    `${ws}/s/c/img2.png`,
    `${ws}/s/c/img10.png`,
    `${ws}/s/c/sub/img1.png`,
  ]);
});

test('exclude globs match names and relative paths', () => {
  assert.ok(globToRegExp('data/**/tmp').test('data/a/b/tmp'));
  assert.ok(globToRegExp('*.bak').test('x.bak'));
  assert.ok(!globToRegExp('*.bak').test('a/x.bak'));
  const matcher = new ExcludeMatcher(['raw*']);
  assert.ok(matcher.excludes('raw2', 'x/raw2'));
  assert.ok(matcher.excludes('node_modules', 'node_modules'));
  assert.ok(!matcher.excludes('cooked', 'cooked'));
});

test('one detection pass lists each folder once', async () => {
  const lister = new MemoryLister([
    ...images(`${ws}/s/a`, 3),
    ...images(`${ws}/s/b/deep`, 2),
    ...images(`${ws}/s/b`, 1),
    `${ws}/src/x/y.ts`,
  ]);
  await detectDatasets(lister, { roots: [ws] });
  // ws, s, s/a, s/b, s/b/deep, src, src/x: seven folders.
  assert.equal(lister.listed, 7);
});
