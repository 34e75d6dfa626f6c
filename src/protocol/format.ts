// Short human figures, one style for every runtime: the CLI's progress line, the extension's views and
// status bar, and the dashboard. Pure, so the webview imports it too (its tsconfig includes src/protocol).

/** What a missing or non-finite figure shows. */
export const NO_VALUE = '—';

/** 0.8734 → `87.3%`; null or non-finite → `—`. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NO_VALUE
    : `${(value * 100).toFixed(digits)}%`;
}

/** A mean average precision 0.6124 → `0.612` (how detection figures read everywhere); null or non-finite → `—`. */
export function formatMap(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? NO_VALUE : value.toFixed(3);
}

/**
 * A run's headline figure by its task: a detector writes its validation mAP@0.5 where a classifier writes
 * accuracy (valAccuracy, bestValAccuracy), so the same number reads `mAP@0.5 0.612` or `accuracy 87.3%`.
 */
export function formatRunScore(
  task: 'classify' | 'detect' | undefined,
  value: number | null | undefined,
): string {
  return task === 'detect' ? `mAP@0.5 ${formatMap(value)}` : `accuracy ${formatPercent(value)}`;
}

/** `850ms`, `45s`, `3m 05s`, `2h 10m`: short enough for the status bar. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NO_VALUE;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** `820 B`, `1.6 MB`, `94 MB` (decimal units, as download sizes are usually quoted). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return NO_VALUE;
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
