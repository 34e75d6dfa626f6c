// Parallel coordinates (SVG): one axis per varying hyperparameter, the chosen metric last; one line per
// run shown in the table, the selected runs in their own colours on top.
import type { RunSummary } from '../../../src/protocol/runRecord';
import { type Column, metricColumns, runColor } from '../compare';
import { el, svg } from '../dom';
import { formatMap, formatNumber, formatPercent } from '../format';
import type { DashboardState } from '../state';
import { columnsOf, tableRows } from './tableModel';
import type { ViewContext } from './context';

const WIDTH = 1100;
const HEIGHT = 300;
const MARGIN = { left: 50, right: 80, top: 32, bottom: 24 };

export interface Axis {
  column: Column;
  /** Position of a run on this axis, 0 (bottom) … 1 (top); null when the run has no value. */
  position(run: RunSummary): number | null;
  ticks: { at: number; label: string }[];
}

/** A numeric axis (log scale when all values are positive and span two decades) or a categorical one. */
export function buildAxis(column: Column, runs: readonly RunSummary[]): Axis {
  const values = runs.map((r) => column.value(r));
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const format =
    column.kind === 'percent'
      ? (v: number) => formatPercent(v)
      : column.kind === 'map'
        ? formatMap
        : formatNumber;
  if (numbers.length > 0 && numbers.length === values.filter((v) => v !== null).length) {
    let min = Math.min(...numbers);
    let max = Math.max(...numbers);
    const log = min > 0 && max / min >= 100;
    const t = (v: number) => (log ? Math.log10(v) : v);
    if (min === max) {
      min -= 1;
      max += 1;
    }
    const lo = t(min);
    const hi = t(max);
    return {
      column,
      position: (run) => {
        const v = column.value(run);
        return typeof v === 'number' ? (t(v) - lo) / (hi - lo) : null;
      },
      ticks: [
        { at: 0, label: format(Math.min(...numbers)) },
        { at: 1, label: format(Math.max(...numbers)) },
      ],
    };
  }
  const categories = [...new Set(values.filter((v) => v !== null).map(String))].sort();
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  const at = (v: string) => (categories.length > 1 ? categories.indexOf(v) * step : 0.5);
  return {
    column,
    position: (run) => {
      const v = column.value(run);
      return v === null ? null : at(String(v));
    },
    ticks: categories.map((c) => ({ at: at(c), label: c })),
  };
}

/**
 * The metric axis: the chosen summary metric when it is a column for these runs, else their first metric
 * column (a list of detection runs has no accuracy axis, a list of classifiers no mAP).
 */
export function parallelMetricColumn(state: DashboardState): Column {
  const columns = metricColumns(state.runs);
  return columns.find((c) => c.key === state.ui.parallelMetric) ?? columns[0];
}

function metricPicker(state: DashboardState, ctx: ViewContext): HTMLElement {
  const { doc } = ctx;
  const select = el(doc, 'select', {
    attrs: { id: 'parallel-metric', 'data-key': 'parallel-metric' },
    on: {
      change: (e) =>
        ctx.dispatch({ type: 'ui/setParallelMetric', key: (e.target as HTMLSelectElement).value }),
    },
  });
  const shown = parallelMetricColumn(state);
  for (const c of metricColumns(state.runs)) {
    const option = el(doc, 'option', { attrs: { value: c.key }, text: c.label });
    option.selected = c.key === shown.key;
    select.appendChild(option);
  }
  return el(
    doc,
    'div',
    { class: 'toolbar' },
    el(doc, 'label', { attrs: { for: 'parallel-metric' }, text: 'Metric axis' }),
    select,
  );
}

export function renderParallelCoordinates(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const runs = tableRows(state);
  const columns = columnsOf(state.runs);
  const hyper = columns.filter((c) => c.key.startsWith('config.'));
  const metric = parallelMetricColumn(state);
  if (hyper.length === 0 || runs.length === 0) {
    return el(
      doc,
      'div',
      {},
      metricPicker(state, ctx),
      el(doc, 'p', {
        class: 'empty',
        text:
          runs.length === 0
            ? 'No runs to plot.'
            : 'All runs share the same hyperparameters: nothing to plot against.',
      }),
    );
  }
  const axes = [...hyper, metric].map((c) => buildAxis(c, runs));
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xOf = (i: number) =>
    MARGIN.left + (i * (WIDTH - MARGIN.left - MARGIN.right)) / Math.max(axes.length - 1, 1);
  const yOf = (p: number) => MARGIN.top + plotH - p * plotH;
  const chart = svg(doc, 'svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'chart parallel',
    role: 'img',
    'aria-label': `Parallel coordinates of ${runs.length} runs: ${axes.map((a) => a.column.label).join(', ')}`,
  });
  const selected = new Set(state.compareRunIds);
  const linePoints = (run: RunSummary) => {
    const points: string[] = [];
    axes.forEach((axis, i) => {
      const p = axis.position(run);
      if (p !== null) points.push(`${xOf(i).toFixed(1)},${yOf(p).toFixed(1)}`);
    });
    return points.join(' ');
  };
  const background = svg(doc, 'g', { class: 'pc-lines' });
  const foreground = svg(doc, 'g', { class: 'pc-lines selected' });
  for (const run of runs) {
    const isSelected = selected.has(run.id);
    const line = svg(
      doc,
      'polyline',
      { points: linePoints(run), fill: 'none', 'data-run': run.id },
      svg(doc, 'title', {}, run.id),
    );
    if (isSelected) line.style.setProperty('stroke', runColor(run.id));
    (isSelected ? foreground : background).appendChild(line);
  }
  chart.appendChild(background);
  chart.appendChild(foreground);
  axes.forEach((axis, i) => {
    const x = xOf(i);
    const g = svg(doc, 'g', { class: 'pc-axis' });
    g.appendChild(svg(doc, 'line', { x1: x, x2: x, y1: MARGIN.top, y2: MARGIN.top + plotH }));
    g.appendChild(
      svg(
        doc,
        'text',
        { class: 'axis-label', x, y: MARGIN.top - 12, 'text-anchor': 'middle' },
        axis.column.label,
      ),
    );
    for (const tick of axis.ticks) {
      g.appendChild(svg(doc, 'text', { class: 'tick', x: x + 4, y: yOf(tick.at) + 4 }, tick.label));
    }
    chart.appendChild(g);
  });
  return el(doc, 'div', {}, metricPicker(state, ctx), el(doc, 'figure', { class: 'chart-figure' }, chart));
}
