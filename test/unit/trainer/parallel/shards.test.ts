// The shard split of the data-parallel step (src/trainer/parallel/shards.ts): pure arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEASURED_STEPS, ShardPlanner, capWorkers, splitByTime, splitEvenly } from '../../../../src/trainer/parallel/shards';

const sum = (parts: number[]): number => parts.reduce((a, b) => a + b, 0);

test('splitByTime gives the faster thread more images, in proportion, adding up to n', () => {
  assert.deepEqual(splitByTime(64, [1, 1]), [32, 32]);
  // 1 ms against 1.2 ms per image: 64 · (1/1) / (1/1 + 1/1.2) = 34.9 → 35, the rest 29.
  assert.deepEqual(splitByTime(64, [1, 1.2]), [35, 29]);
  assert.deepEqual(splitByTime(64, [2, 1]), [21, 43]);
  const three = splitByTime(100, [1, 2, 4]);
  assert.equal(sum(three), 100);
  assert.deepEqual(three, [57, 29, 14]);
});

test('splitByTime keeps one image per thread when it can, and falls back to even on bad figures', () => {
  assert.deepEqual(splitByTime(4, [1, 1000]), [3, 1]);
  assert.deepEqual(splitByTime(1, [1, 1000]), [1, 0]);
  assert.deepEqual(splitByTime(7, [1, 0]), splitEvenly(7, 2));
  assert.deepEqual(splitByTime(7, [1, Number.NaN]), splitEvenly(7, 2));
  assert.deepEqual(splitByTime(5, []), []);
});

test('ShardPlanner splits evenly while it measures, then fixes the measured split for full batches', () => {
  const planner = new ShardPlanner(2, 64);
  // The worker takes 6 ms longer on 32 images than the main thread (it starts later).
  for (let step = 0; step <= MEASURED_STEPS; step++) {
    assert.deepEqual(planner.plan(64), [32, 32], `step ${step} still measures`);
    assert.equal(planner.fixedSplit, null);
    planner.record(64, [32, 32], [32, 38]);
  }
  const fixed = planner.plan(64);
  assert.equal(sum(fixed), 64);
  assert.ok(fixed[0] > fixed[1], `the main thread takes more: ${fixed.join('/')}`);
  assert.deepEqual(planner.fixedSplit, fixed);
  // An epoch's last, smaller batch is split evenly; later timings no longer move the split.
  assert.deepEqual(planner.plan(10), [5, 5]);
  planner.record(64, fixed, [100, 1]);
  assert.deepEqual(planner.plan(64), fixed);
});

test('ShardPlanner ignores the first (warm-up) step and smaller batches while measuring', () => {
  const planner = new ShardPlanner(2, 64);
  planner.record(64, [32, 32], [10, 1000]); // warm-up: not counted
  planner.record(20, [10, 10], [1, 1000]); // not a full batch: not counted
  for (let step = 0; step < MEASURED_STEPS; step++) planner.record(64, [32, 32], [40, 40]);
  assert.deepEqual(planner.plan(64), [32, 32]);
});

test('a measured split never gives a worker more than its buffers hold; the main thread takes the rest', () => {
  assert.deepEqual(capWorkers([20, 44], 40), [24, 40]);
  assert.deepEqual(capWorkers([10, 30, 24], 25), [15, 25, 24]);
  assert.deepEqual(capWorkers([32, 32], 40), [32, 32]);
  // The worker is twice as fast: unbounded it would get 43 of 64; its buffers hold 40.
  const planner = new ShardPlanner(2, 64, 40);
  for (let step = 0; step <= MEASURED_STEPS; step++) planner.record(64, [32, 32], [64, 32]);
  assert.deepEqual(planner.plan(64), [24, 40]);
});
