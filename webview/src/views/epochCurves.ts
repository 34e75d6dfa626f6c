// What the run page's per-epoch curves share (classification: loss and accuracy; detection: the three
// losses and mAP): points per epoch, debiased smoothing, a train/validation pair of series, and a panel of
// charts redrawn in place when a new epoch arrives.
import type { EpochMetrics } from '../../../src/protocol/runRecord';
import { el } from '../dom';
import { smoothDebiased } from '../format';
import type { DashboardState } from '../state';
import { registerPatch } from './context';
import { type ChartOptions, type Point, type Series, renderLineChart, updateLineChart } from './lineChart';

/** One point per epoch at x = epoch; epochs without a finite value (null, missing, NaN) are left out. */
export function epochPoints(
  epochs: readonly EpochMetrics[],
  read: (e: EpochMetrics) => number | null | undefined,
): Point[] {
  const out: Point[] = [];
  for (const e of epochs) {
    const y = read(e);
    if (y !== null && y !== undefined && Number.isFinite(y)) out.push({ x: e.epoch, y });
  }
  return out;
}

export function smoothed(points: Point[], weight: number): Point[] {
  const ys = smoothDebiased(
    points.map((p) => p.y),
    weight,
  );
  return points.map((p, i) => ({ x: p.x, y: ys[i] }));
}

/** Train and validation series of one metric, smoothed by `weight`, with the raw points faint when smoothed. */
export function trainValSeries(name: string, train: Point[], validation: Point[], weight: number): Series[] {
  const series: Series[] = [];
  if (weight > 0) {
    series.push({
      id: `raw-train-${name}`,
      label: 'train (raw)',
      points: train,
      className: 'train',
      faint: true,
    });
    series.push({
      id: `raw-val-${name}`,
      label: 'validation (raw)',
      points: validation,
      className: 'val',
      faint: true,
    });
  }
  series.push({
    id: `train-${name}`,
    label: 'train',
    points: smoothed(train, weight),
    className: 'train',
    dots: true,
  });
  series.push({
    id: `val-${name}`,
    label: 'validation',
    points: smoothed(validation, weight),
    className: 'val',
    dots: true,
  });
  return series;
}

/** The charts of `chartsOf(state)`; a new epoch redraws them in place instead of rebuilding the panel. */
export function renderChartPanel(
  doc: Document,
  state: DashboardState,
  chartsOf: (state: DashboardState) => ChartOptions[],
  attrs: Record<string, string> = {},
): HTMLElement {
  const figures = chartsOf(state).map((options) => renderLineChart(doc, options));
  const root = el(doc, 'div', { class: 'charts', attrs }, ...figures);
  registerPatch(root, (next) => {
    const charts = chartsOf(next);
    if (next.details === null || next.details.epochs.length === 0 || charts.length !== figures.length)
      return false;
    return charts.every((options, i) => updateLineChart(figures[i], options));
  });
  return root;
}
