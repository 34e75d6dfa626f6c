// Formatting and smoothing helpers for the dashboard. Pure; unit-tested in node.

import { formatDuration, NO_VALUE as DASH } from '../../src/protocol/format';

export { formatDuration, formatMap, formatPercent } from '../../src/protocol/format';

/** A metric such as a loss: 4 significant digits, scientific notation when very small or large. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/**
 * Time left for a run: the mean duration of the epochs done so far times the epochs remaining.
 * Null when nothing is known yet or nothing is left.
 */
export function estimateRemainingMs(epochDurationsMs: readonly number[], totalEpochs: number): number | null {
  const done = epochDurationsMs.length;
  if (done === 0 || totalEpochs <= done) return null;
  // The last few epochs predict better than the first, which includes warm-up.
  const recent = epochDurationsMs.slice(-5);
  const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
  return mean * (totalEpochs - done);
}

export function formatEta(epochDurationsMs: readonly number[], totalEpochs: number): string {
  const ms = estimateRemainingMs(epochDurationsMs, totalEpochs);
  return ms === null ? DASH : formatDuration(ms);
}

/**
 * TensorBoard's scalar smoothing: an exponential moving average debiased for its zero start, so that
 * the first points are not pulled towards 0. weight 0 returns the values; non-finite values pass through
 * without entering the average.
 */
export function smoothDebiased(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let steps = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    steps += 1;
    const debias = w === 0 ? 1 : 1 - Math.pow(w, steps);
    return last / debias;
  });
}

/** Round "nice" tick values covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const span = max - min;
  const rough = span / Math.max(count, 1);
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  // The round step whose tick count comes closest to the one asked for.
  const step = [1, 2, 5, 10]
    .map((m) => m * magnitude)
    .reduce((best, s) => (Math.abs(span / s - count) < Math.abs(span / best - count) ? s : best));
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** A config value for a table cell or a diff: short and stable. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return DASH;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}
