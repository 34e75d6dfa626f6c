// The feature cache under buildFeatureSet, with a counting stand-in extractor (a pure function of the
// pixels), so that what is computed and what is read back can be told apart exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_AUGMENT } from '../../../src/core/configFields';
import { ContentHasher } from '../../../src/trainer/features/contentHash';
import { FeatureCache, type ExtractorIdentity } from '../../../src/trainer/features/featureCache';
import {
  buildFeatureSet,
  type FeatureEntry,
  type FeatureExtractor,
  type FeatureSetOptions,
} from '../../../src/trainer/features/featureSet';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';

const SIZE = 16;
const IDENTITY: ExtractorIdentity = {
  baseSha256: 'a'.repeat(64),
  cutLayer: 'cut',
  pooling: 'average',
  imageSize: SIZE,
  channels: 1,
  resize: 'stretch',
  scale: 1 / 255,
  offset: 0,
};

/** Features = [mean, min, max] of the normalised input; counts the images it saw. */
function countingExtractor(): FeatureExtractor & { images: number } {
  const per = SIZE * SIZE;
  const extractor = {
    dim: 3,
    images: 0,
    extract: async (input: Float32Array, n: number) => {
      extractor.images += n;
      const out = new Float32Array(n * 3);
      for (let k = 0; k < n; k++) {
        const img = input.subarray(k * per, (k + 1) * per);
        out[k * 3] = img.reduce((a, b) => a + b, 0) / per;
        out[k * 3 + 1] = Math.min(...img);
        out[k * 3 + 2] = Math.max(...img);
      }
      return out;
    },
  };
  return extractor;
}

async function dataset(): Promise<{ root: string; entries: FeatureEntry[]; cacheRoot: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'features-'));
  const root = path.join(dir, 'data');
  await writeSampleDataset(root, { perClass: 4, size: SIZE, seed: 3 });
  const entries: FeatureEntry[] = [];
  for (const label of (await fs.readdir(root)).sort())
    for (const file of (await fs.readdir(path.join(root, label))).sort())
      entries.push({ path: `${label}/${file}`, label, augmented: entries.length % 2 === 0 });
  return { root, entries, cacheRoot: path.join(dir, 'cache') };
}

async function build(
  root: string,
  entries: FeatureEntry[],
  cacheRoot: string,
  extractor: FeatureExtractor,
  extra: Partial<FeatureSetOptions> = {},
) {
  const set = await buildFeatureSet(entries, {
    root,
    imageSize: SIZE,
    channels: 1,
    normalisation: { scale: 1 / 255, offset: 0 },
    extractor,
    cache: new FeatureCache(cacheRoot, IDENTITY, extractor.dim),
    hasher: await ContentHasher.open(path.join(cacheRoot, 'hashes.json')),
    augment: DEFAULT_AUGMENT,
    augmentedViews: 2,
    seed: 7,
    batchSize: 5,
    ...extra,
  });
  const rows: Float32Array[] = [];
  for (let i = 0; i < set.store.count; i++) {
    const bytes = await set.store.read(i);
    rows.push(new Float32Array(bytes.slice().buffer));
  }
  await set.store.close();
  return { set, rows };
}

test('features: computed once (original + views of training images), then read back identically from the cache', async () => {
  const { root, entries, cacheRoot } = await dataset();
  const first = countingExtractor();
  const a = await build(root, entries, cacheRoot, first);
  const training = entries.filter((e) => e.augmented).length;
  assert.equal(
    first.images,
    entries.length + 2 * training,
    'one original per image, two views per training image',
  );
  assert.deepEqual(a.set.shape, { features: 3, views: 3 });
  assert.equal(a.set.stats.extracted, entries.length);
  assert.equal(a.set.stats.fromCache, 0);

  const second = countingExtractor();
  const b = await build(root, entries, cacheRoot, second);
  assert.equal(second.images, 0, 'nothing recomputed');
  assert.equal(b.set.stats.fromCache, entries.length);
  assert.deepEqual(b.rows, a.rows, 'the cache gives back exactly what was computed');

  // Training images: the views differ from the original; others repeat their original (never drawn).
  a.set.entries.forEach((entry, i) => {
    const [original, view1, view2] = [0, 1, 2].map((v) => [...a.rows[i].subarray(v * 3, v * 3 + 3)]);
    if (entries.find((e) => e.path === entry.path)!.augmented)
      assert.ok(
        view1.join() !== original.join() || view2.join() !== original.join(),
        `${entry.path}: views differ`,
      );
    else assert.deepEqual([view1, view2], [original, original]);
  });
});

test('features: other augmentation recomputes only the views; a damaged cache file is recomputed, not trusted', async () => {
  const { root, entries, cacheRoot } = await dataset();
  await build(root, entries, cacheRoot, countingExtractor());
  const training = entries.filter((e) => e.augmented).length;

  const otherAugment = countingExtractor();
  await build(root, entries, cacheRoot, otherAugment, { augment: { ...DEFAULT_AUGMENT, rotation: 5 } });
  assert.equal(otherAugment.images, 2 * training, 'originals come from the cache');

  // Truncate one cached original and write NaN into another: both are computed again.
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.plain.f32')) files.push(full);
    }
  };
  await walk(cacheRoot);
  assert.equal(files.length, entries.length);
  await fs.writeFile(files[0], Buffer.alloc(5));
  await fs.writeFile(files[1], Buffer.from(new Float32Array([NaN, 1, 2]).buffer));
  const repaired = countingExtractor();
  const again = await build(root, entries, cacheRoot, repaired, {
    augment: { ...DEFAULT_AUGMENT, rotation: 5 },
  });
  assert.equal(repaired.images, 2);
  assert.ok(again.rows.every((r) => r.every(Number.isFinite)));
});

test('features: identical files are computed once; an unreadable or undecodable file is reported and left out', async () => {
  const { root, entries, cacheRoot } = await dataset();
  const copy = `${entries[0].label}/copy-of-first.png`;
  await fs.copyFile(path.join(root, entries[0].path), path.join(root, copy));
  const broken = `${entries[1].label}/broken.png`;
  await fs.writeFile(path.join(root, broken), 'not a png');
  const withExtras: FeatureEntry[] = [
    ...entries,
    { path: copy, label: entries[0].label, augmented: entries[0].augmented },
    { path: broken, label: entries[1].label, augmented: false },
    { path: `${entries[1].label}/gone.png`, label: entries[1].label, augmented: false },
  ];
  const extractor = countingExtractor();
  const { set, rows } = await build(root, withExtras, cacheRoot, extractor, { augment: null });
  assert.equal(
    extractor.images,
    entries.length,
    'the copy shares the original’s computation; the broken file has none',
  );
  assert.deepEqual(set.failed.map((f) => f.path).sort(), [broken, `${entries[1].label}/gone.png`].sort());
  assert.equal(set.entries.length, entries.length + 1);
  assert.deepEqual(rows[entries.length], rows[0], 'the copy has the first image’s features');
  assert.deepEqual(set.shape, { features: 3, views: 1 });
});
