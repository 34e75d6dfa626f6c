import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildScanResult,
  classifyListing,
  compareCodeUnits,
  datasetWarnings,
  describeImageProblem,
  detectLayout,
  extensionOf,
  isImageCandidate,
  resolveDuplicates,
  splitNameOf,
  type CheckedFile,
} from '../../../src/core/dataset';

const ok = (path: string, label: string, hash: string, split?: CheckedFile['split']): CheckedFile =>
  split === undefined ? { path, label, hash, problem: null } : { path, label, split, hash, problem: null };

test('extensions are matched case-insensitively; other files are no candidates', () => {
  for (const name of ['a.png', 'a.PNG', 'b.Jpg', 'c.JPEG', 'd.webp', 'e.GIF', 'f.bmp', 'g.TIF', 'h.tiff']) {
    assert.equal(isImageCandidate(`cls/${name}`), true, name);
  }
  for (const name of ['a.txt', 'a.svg', 'png', 'a.png.bak', 'noext'])
    assert.equal(isImageCandidate(`cls/${name}`), false, name);
  assert.equal(extensionOf('dir.with.dots/file'), '');
  assert.equal(extensionOf('a/B.TiFf'), '.tiff');
});

test('split folder names map val, valid and validation to validation', () => {
  assert.equal(splitNameOf('train'), 'train');
  assert.equal(splitNameOf('VAL'), 'validation');
  assert.equal(splitNameOf('valid'), 'validation');
  assert.equal(splitNameOf('Validation'), 'validation');
  assert.equal(splitNameOf('test'), 'test');
  assert.equal(splitNameOf('cats'), null);
  assert.equal(splitNameOf('constructor'), null);
});

test('layout: split folders need train and nothing but split folders at the top', () => {
  assert.equal(detectLayout({ dirs: ['train', 'train/a', 'val', 'val/a'], files: [] }), 'split-folders');
  assert.equal(detectLayout({ dirs: ['Train', 'Train/a', 'TEST', 'TEST/a'], files: [] }), 'split-folders');
  assert.equal(detectLayout({ dirs: ['cats', 'dogs'], files: [] }), 'class-folders');
  assert.equal(detectLayout({ dirs: ['train', 'cats'], files: [] }), 'class-folders');
  assert.equal(detectLayout({ dirs: ['test', 'val'], files: [] }), 'class-folders');
  assert.equal(detectLayout({ dirs: [], files: ['a.png'] }), 'class-folders');
});

test('class folders: labels from the first folder, nested files belong to their class, classes sorted by code unit', () => {
  const result = classifyListing({
    dirs: ['b', 'a', 'a/deeper', 'Z', 'é', 'empty'],
    files: ['b/1.png', 'a/deeper/2.JPG', 'Z/3.gif', 'é/4.webp', 'root.png', 'a/notes.txt', 'a/README'],
  });
  assert.equal(result.layout, 'class-folders');
  assert.deepEqual(result.classNames, ['Z', 'a', 'b', 'empty', 'é']);
  assert.deepEqual(result.candidates, [
    { path: 'Z/3.gif', label: 'Z' },
    { path: 'a/deeper/2.JPG', label: 'a' },
    { path: 'b/1.png', label: 'b' },
    { path: 'é/4.webp', label: 'é' },
  ]);
  assert.deepEqual(result.skipped, [
    { path: 'a/README', reason: 'unsupported format (no extension)' },
    { path: 'a/notes.txt', reason: 'unsupported format .txt' },
    { path: 'root.png', reason: 'not inside a class folder' },
  ]);
});

test('split folders: label from the second level, split from the first', () => {
  const result = classifyListing({
    dirs: ['train', 'train/cat', 'train/dog', 'valid', 'valid/cat', 'test', 'test/dog'],
    files: ['train/cat/1.png', 'train/dog/2.png', 'valid/cat/3.png', 'test/dog/4.png', 'train/stray.png'],
  });
  assert.equal(result.layout, 'split-folders');
  assert.deepEqual(result.classNames, ['cat', 'dog']);
  assert.deepEqual(result.candidates, [
    { path: 'test/dog/4.png', label: 'dog', split: 'test' },
    { path: 'train/cat/1.png', label: 'cat', split: 'train' },
    { path: 'train/dog/2.png', label: 'dog', split: 'train' },
    { path: 'valid/cat/3.png', label: 'cat', split: 'validation' },
  ]);
  assert.deepEqual(result.skipped, [
    { path: 'train/stray.png', reason: 'not inside a class folder of a split' },
  ]);
});

test('code-unit order is locale-independent (upper case before lower, accents last)', () => {
  assert.deepEqual(['b', 'é', 'B', 'a', 'A'].sort(compareCodeUnits), ['A', 'B', 'a', 'b', 'é']);
});

test('duplicates with one label: the first path is kept, the rest skipped as duplicates of it', () => {
  const { groups, skipped } = resolveDuplicates([
    ok('cat/b.png', 'cat', 'h1'),
    ok('cat/a.png', 'cat', 'h1'),
    ok('cat/c.png', 'cat', 'h1'),
    ok('cat/d.png', 'cat', 'h2'),
  ]);
  assert.deepEqual(groups, [
    {
      hash: 'h1',
      paths: ['cat/a.png', 'cat/b.png', 'cat/c.png'],
      labels: ['cat', 'cat', 'cat'],
      conflict: false,
    },
  ]);
  assert.deepEqual(skipped, [
    { path: 'cat/b.png', reason: 'duplicate of cat/a.png' },
    { path: 'cat/c.png', reason: 'duplicate of cat/a.png' },
  ]);
});

test('duplicates across labels are a conflict: every copy is skipped', () => {
  const { groups, skipped } = resolveDuplicates([
    ok('dog/x.png', 'dog', 'h'),
    ok('cat/x.png', 'cat', 'h'),
    ok('cat/y.png', 'cat', 'h'),
  ]);
  assert.equal(groups.length, 1);
  assert.equal(groups[0].conflict, true);
  assert.deepEqual(groups[0].labels, ['cat', 'cat', 'dog']);
  assert.deepEqual(
    skipped.map((s) => s.path),
    ['cat/x.png', 'cat/y.png', 'dog/x.png'],
  );
  for (const s of skipped) assert.equal(s.reason, 'label conflict: same image in classes cat and dog');
});

test('files with a problem never count as duplicates', () => {
  const { groups } = resolveDuplicates([
    { path: 'a/1.png', label: 'a', hash: 'h', problem: { kind: 'not-an-image' } },
    ok('a/2.png', 'a', 'h'),
  ]);
  assert.deepEqual(groups, []);
});

test('skip reasons read as one line each', () => {
  assert.equal(describeImageProblem({ kind: 'empty' }), 'empty file');
  assert.equal(describeImageProblem({ kind: 'not-an-image' }), 'not an image');
  assert.equal(
    describeImageProblem({ kind: 'corrupt', detail: 'PNG: truncated' }),
    'corrupt or truncated image (PNG: truncated)',
  );
  assert.equal(
    describeImageProblem({ kind: 'over-pixel-limit', width: 100000, height: 100000, limit: 100000000 }),
    'over the pixel limit (100000×100000 > 100000000)',
  );
  assert.equal(describeImageProblem({ kind: 'timeout', ms: 50 }), 'decoding took longer than 50 ms');
});

test('report: counts, skipped with reasons, entries sorted, empty classes and few-images warnings', () => {
  const checked: CheckedFile[] = [];
  for (let i = 0; i < 12; i++) checked.push(ok(`cat/${String(i).padStart(2, '0')}.png`, 'cat', `c${i}`));
  for (let i = 0; i < 5; i++) checked.push(ok(`dog/${i}.png`, 'dog', `d${i}`));
  checked.push({ path: 'dog/bad.png', label: 'dog', hash: null, problem: { kind: 'empty' } });
  checked.push(ok('dog/copy.png', 'dog', 'd0'));
  const { report, entries } = buildScanResult({
    root: '/data',
    layout: 'class-folders',
    classNames: ['cat', 'dog', 'fish'],
    checked,
    skipped: [{ path: 'notes.txt', reason: 'not inside a class folder' }],
  });
  assert.equal(report.total, 17);
  assert.equal(entries.length, 17);
  assert.deepEqual(report.classes, [
    { name: 'cat', count: 12 },
    { name: 'dog', count: 5 },
    { name: 'fish', count: 0 },
  ]);
  // The duplicate of dog/0.png is dog/copy.png ('0' sorts before 'c'), so the copy is skipped.
  assert.deepEqual(
    report.skipped.find((s) => s.path === 'dog/copy.png'),
    { path: 'dog/copy.png', reason: 'duplicate of dog/0.png' },
  );
  assert.deepEqual(
    report.skipped.map((s) => s.path),
    ['dog/bad.png', 'dog/copy.png', 'notes.txt'],
  );
  assert.deepEqual(report.warnings.map((w) => w.kind).sort(), ['empty-class', 'few-images']);
  assert.deepEqual(report.warnings.find((w) => w.kind === 'empty-class')?.classes, ['fish']);
  assert.deepEqual(report.warnings.find((w) => w.kind === 'few-images')?.classes, ['dog']);
  assert.deepEqual(entries.map((e) => e.path).slice(0, 2), ['cat/00.png', 'cat/01.png']);
});

test('imbalance: warned above a ratio of 3 between the largest and smallest class, not at 3', () => {
  const at3 = datasetWarnings(
    [
      { name: 'a', count: 30 },
      { name: 'b', count: 10 },
    ],
    [],
    'class-folders',
  );
  assert.equal(
    at3.some((w) => w.kind === 'imbalance'),
    false,
  );
  const above = datasetWarnings(
    [
      { name: 'a', count: 31 },
      { name: 'b', count: 10 },
      { name: 'c', count: 0 },
    ],
    [],
    'class-folders',
  );
  const warning = above.find((w) => w.kind === 'imbalance');
  assert.ok(warning);
  assert.deepEqual(warning.classes, ['a', 'b']);
});

test('split folders: per-split counts, split leak warned and the leaked copy dropped', () => {
  const checked: CheckedFile[] = [];
  for (let i = 0; i < 10; i++) {
    checked.push(ok(`train/cat/${i}.png`, 'cat', `c${i}`, 'train'));
    checked.push(ok(`train/dog/${i}.png`, 'dog', `d${i}`, 'train'));
  }
  checked.push(ok('val/cat/leak.png', 'cat', 'c3', 'validation'));
  checked.push(ok('val/dog/v.png', 'dog', 'dv', 'validation'));
  const { report, entries } = buildScanResult({
    root: '/d',
    layout: 'split-folders',
    classNames: ['cat', 'dog'],
    checked,
    skipped: [],
  });
  assert.deepEqual(report.classes, [
    { name: 'cat', count: 10, splits: { train: 10 } },
    { name: 'dog', count: 11, splits: { train: 10, validation: 1 } },
  ]);
  assert.deepEqual(report.skipped, [{ path: 'val/cat/leak.png', reason: 'duplicate of train/cat/3.png' }]);
  const leak = report.warnings.find((w) => w.kind === 'split-leak');
  assert.ok(leak);
  assert.match(leak.message, /train\/cat\/3\.png/);
  assert.equal(entries.find((e) => e.path === 'val/dog/v.png')?.split, 'validation');
});

test('label conflict raises a warning naming the classes', () => {
  const checked = [
    ok('a/1.png', 'a', 'h'),
    ok('b/1.png', 'b', 'h'),
    ok('a/2.png', 'a', 'x'),
    ok('b/2.png', 'b', 'y'),
  ];
  const { report, entries } = buildScanResult({
    root: '/d',
    layout: 'class-folders',
    classNames: ['a', 'b'],
    checked,
    skipped: [],
  });
  assert.deepEqual(
    entries.map((e) => e.path),
    ['a/2.png', 'b/2.png'],
  );
  const warning = report.warnings.find((w) => w.kind === 'label-conflict');
  assert.deepEqual(warning?.classes, ['a', 'b']);
  assert.equal(report.duplicates[0].conflict, true);
});
