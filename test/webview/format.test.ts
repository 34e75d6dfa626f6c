import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  estimateRemainingMs,
  formatDuration,
  formatEta,
  formatNumber,
  formatPercent,
  formatValue,
  niceTicks,
  smoothDebiased,
} from '../../webview/src/format';

test('formatPercent shows one decimal and a dash for missing values', () => {
  assert.equal(formatPercent(0.8734), '87.3%');
  assert.equal(formatPercent(1), '100.0%');
  assert.equal(formatPercent(0.5, 0), '50%');
  assert.equal(formatPercent(null), '—');
  assert.equal(formatPercent(Number.NaN), '—');
});

test('formatNumber keeps 4 significant digits and switches to exponent for tiny values', () => {
  assert.equal(formatNumber(0.123456), '0.1235');
  assert.equal(formatNumber(12.5), '12.5');
  assert.equal(formatNumber(0.0001), '1.00e-4');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(undefined), '—');
});

test('formatDuration picks the unit by size', () => {
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(42_000), '42s');
  assert.equal(formatDuration(185_000), '3m 05s');
  assert.equal(formatDuration(2 * 3600_000 + 7 * 60_000), '2h 07m');
  assert.equal(formatDuration(-1), '—');
});

test('ETA is the mean of the last five epochs times the epochs left', () => {
  assert.equal(estimateRemainingMs([], 10), null);
  assert.equal(estimateRemainingMs([1000, 1000], 2), null);
  // The first epoch (warm-up) falls out of the window of five.
  assert.equal(estimateRemainingMs([9000, 1000, 1000, 1000, 1000, 1000], 10), 4000);
  assert.equal(formatEta([2000, 2000], 5), '6s');
  assert.equal(formatEta([], 5), '—');
});

test('debiased smoothing: weight 0 is the identity, a constant stays constant, and the first point is the value', () => {
  assert.deepEqual(smoothDebiased([1, 5, 3], 0), [1, 5, 3]);
  const constant = smoothDebiased([2, 2, 2, 2], 0.9);
  for (const v of constant) assert.ok(Math.abs(v - 2) < 1e-12, `constant smoothed to ${v}`);
  const steps = smoothDebiased([0, 10], 0.5);
  assert.equal(steps[0], 0);
  // last = 0.5*0 + 0.5*10 = 5 after a first step of 0; debias 1 - 0.25 = 0.75 → 6.67
  assert.ok(Math.abs(steps[1] - 5 / 0.75) < 1e-12);
  // TensorBoard's behaviour on gaps: a NaN passes through and does not poison later values.
  const gap = smoothDebiased([1, Number.NaN, 1], 0.6);
  assert.ok(Number.isNaN(gap[1]));
  assert.ok(Math.abs(gap[2] - 1) < 1e-12);
});

test('niceTicks returns round steps covering the range', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 3), [3]);
  const ticks = niceTicks(0.013, 0.97, 4);
  assert.ok(ticks.every((t) => t >= 0.013 && t <= 0.97));
  assert.ok(ticks.length >= 3);
});

test('formatValue renders config values of every kind', () => {
  assert.equal(formatValue(true), 'yes');
  assert.equal(formatValue(null), '—');
  assert.equal(formatValue('adam'), 'adam');
  assert.equal(formatValue(0.001), '0.001');
  assert.equal(formatValue([1, 2]), '[1,2]');
});

test('thin keeps first and last and at most max points, in order', async () => {
  const { thin } = await import('../../webview/src/views/lineChart');
  const points = Array.from({ length: 1001 }, (_, i) => i);
  const kept = thin(points, 100);
  assert.equal(kept.length, 100);
  assert.equal(kept[0], 0);
  assert.equal(kept[99], 1000);
  assert.deepEqual(
    kept,
    [...kept].sort((a, b) => a - b),
  );
  assert.deepEqual(thin([1, 2, 3], 100), [1, 2, 3]);
});
