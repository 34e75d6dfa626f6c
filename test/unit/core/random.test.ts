import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, deriveSeed } from '../../../src/core/random';

const draw = (seed: number, n: number): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.nextFloat());
};

test('the same seed gives the same stream, a different seed another one', () => {
  assert.deepEqual(draw(42, 20), draw(42, 20));
  assert.notDeepEqual(draw(42, 20), draw(43, 20));
});

test('nextFloat stays in [0, 1) and is roughly uniform', () => {
  const values = draw(7, 10000);
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  // The mean of 10 000 uniforms has standard deviation 0.0029; 0.02 is about 7 of them.
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  const buckets = new Array<number>(10).fill(0);
  for (const v of values) buckets[Math.floor(v * 10)]++;
  assert.ok(
    buckets.every((b) => b > 850 && b < 1150),
    `buckets ${buckets.join(',')}`,
  );
});

test('nextInt covers 0..n-1 and nothing else, and rejects a bad n', () => {
  const rng = createRng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(rng.nextInt(5));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
  assert.throws(() => rng.nextInt(0), RangeError);
  assert.throws(() => rng.nextInt(2.5), RangeError);
});

test('shuffle returns a new permutation and leaves the input alone', () => {
  const input = Array.from({ length: 50 }, (_, i) => i);
  const copy = input.slice();
  const shuffled = createRng(3).shuffle(input);
  assert.deepEqual(input, copy);
  assert.notDeepEqual(shuffled, input);
  assert.deepEqual(
    [...shuffled].sort((a, b) => a - b),
    input,
  );
  assert.deepEqual(createRng(3).shuffle(input), shuffled);
});

test('shuffle puts each element in each position about equally often', () => {
  const counts = [0, 0, 0];
  const rng = createRng(11);
  for (let i = 0; i < 3000; i++) counts[rng.shuffle(['a', 'b', 'c']).indexOf('a')]++;
  assert.ok(
    counts.every((c) => c > 850 && c < 1150),
    `positions of "a": ${counts.join(',')}`,
  );
});

test('normal has mean about 0 and standard deviation about 1', () => {
  const rng = createRng(5);
  const values = Array.from({ length: 20000 }, () => rng.normal());
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  assert.ok(values.every(Number.isFinite));
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.05, `sd ${sd}`);
});

test('deriveSeed is deterministic, and each label gives an independent stream', () => {
  assert.equal(deriveSeed(42, 'epoch', 3), deriveSeed(42, 'epoch', 3));
  const seeds = new Set([
    deriveSeed(42, 'epoch', 3),
    deriveSeed(42, 'epoch', 4),
    deriveSeed(43, 'epoch', 3),
    deriveSeed(42, 'augment', 3),
    deriveSeed(42, 'epoch', '3'),
    deriveSeed(42, 'epoch3'),
    deriveSeed(42),
  ]);
  assert.equal(seeds.size, 7);
  for (const seed of seeds) assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
  assert.notDeepEqual(draw(deriveSeed(42, 'epoch', 1), 5), draw(deriveSeed(42, 'epoch', 2), 5));
});

test('seeds beyond 32 bits still differ from their low bits', () => {
  assert.notDeepEqual(draw(2 ** 32 + 5, 5), draw(5, 5));
  assert.throws(() => createRng(Number.NaN), RangeError);
});
