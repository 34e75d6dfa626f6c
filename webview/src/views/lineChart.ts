// A plain-SVG line chart: no eval, no inline styles, so it runs under the webview's strict CSP.
import { el, svg } from '../dom';
import { formatNumber, niceTicks } from '../format';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  id: string;
  label: string;
  points: Point[];
  /** A CSS class from dashboard.css (theme colours), or an explicit colour. */
  className?: string;
  color?: string;
  /** Draw a dot per point (epoch points on the run page). */
  dots?: boolean;
  /** Batch-level points: drawn thin and faint, behind the rest. */
  faint?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  series: Series[];
  yFormat?: (value: number) => string;
  /** Tick labels of x (e.g. 10^x when x is a log10 learning rate). */
  xFormat?: (value: number) => string;
  logY?: boolean;
  /** Vertical marks at x, labelled (a suggested learning rate). */
  markers?: { x: number; label: string }[];
}

/** A line never needs more points than the plot has pixels across; longer series are thinned. */
export const MAX_LINE_POINTS = 500;

/**
 * Whether positive values span more than a factor of 10 (a learning-rate schedule worth a log axis).
 * A loop, not Math.max(...values): a run's metrics.jsonl may hold 200,000 epochs.
 */
export function spansMoreThanDecade(values: readonly number[]): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!(v > 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max / min > 10;
}

/** Every k-th point (always keeping the first and last) so that at most `max` remain. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}

/** Series longer than this are drawn as a line only. */
export const MAX_DOTS = 60;
const WIDTH = 480;
const HEIGHT = 220;
const MARGIN = { left: 52, right: 12, top: 10, bottom: 32 };

function extent(values: number[]): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? null : [min, max];
}

/** Summary for screen readers: each series' last value. */
function describe(options: ChartOptions, format: (v: number) => string): string {
  const parts = options.series
    .filter((s) => !s.faint && s.points.length > 0)
    .map((s) => {
      const last = s.points[s.points.length - 1];
      return `${s.label} ${format(last.y)} at ${options.xLabel.toLowerCase()} ${(options.xFormat ?? formatNumber)(last.x)}`;
    });
  const marks = (options.markers ?? []).map((m) => m.label);
  return `${options.title}: ${parts.length > 0 ? parts.join('; ') : 'no data yet'}${marks.length > 0 ? `; ${marks.join('; ')}` : ''}`;
}

/** The parts of a chart that change with its data: the accessible label, the axes and the series. */
function plotContent(doc: Document, options: ChartOptions): { label: string; nodes: SVGElement[] } {
  const format = options.yFormat ?? formatNumber;
  const transform = (y: number) => (options.logY ? (y > 0 ? Math.log10(y) : NaN) : y);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of options.series) {
    for (const p of s.points) {
      xs.push(p.x);
      ys.push(transform(p.y));
    }
  }
  const xRange = extent(xs) ?? [0, 1];
  const yRange = extent(ys) ?? [0, 1];
  if (xRange[0] === xRange[1]) xRange[1] = xRange[0] + 1;
  if (yRange[0] === yRange[1]) yRange[1] = yRange[0] + (Math.abs(yRange[0]) || 1) * 0.1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - xRange[0]) / (xRange[1] - xRange[0])) * plotW;
  const sy = (y: number) =>
    MARGIN.top + plotH - ((transform(y) - yRange[0]) / (yRange[1] - yRange[0])) * plotH;

  const axes = svg(doc, 'g', { class: 'axes' });
  for (const t of niceTicks(yRange[0], yRange[1], 4)) {
    const y = MARGIN.top + plotH - ((t - yRange[0]) / (yRange[1] - yRange[0])) * plotH;
    axes.appendChild(
      svg(doc, 'line', { class: 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }),
    );
    axes.appendChild(
      svg(
        doc,
        'text',
        { class: 'tick', x: MARGIN.left - 6, y: y + 4, 'text-anchor': 'end' },
        format(options.logY ? Math.pow(10, t) : t),
      ),
    );
  }
  const xFormat = options.xFormat ?? formatNumber;
  for (const t of niceTicks(xRange[0], xRange[1], 6)) {
    axes.appendChild(
      svg(doc, 'text', { class: 'tick', x: sx(t), y: HEIGHT - 16, 'text-anchor': 'middle' }, xFormat(t)),
    );
  }
  for (const mark of options.markers ?? []) {
    if (mark.x < xRange[0] || mark.x > xRange[1]) continue;
    axes.appendChild(
      svg(doc, 'line', {
        class: 'marker',
        x1: sx(mark.x),
        x2: sx(mark.x),
        y1: MARGIN.top,
        y2: MARGIN.top + plotH,
      }),
    );
    axes.appendChild(
      svg(doc, 'text', { class: 'marker-label', x: sx(mark.x) + 4, y: MARGIN.top + 10 }, mark.label),
    );
  }
  axes.appendChild(
    svg(
      doc,
      'text',
      { class: 'axis-label', x: MARGIN.left + plotW / 2, y: HEIGHT - 2, 'text-anchor': 'middle' },
      options.xLabel,
    ),
  );

  const nodes: SVGElement[] = [axes];
  const ordered = [...options.series.filter((s) => s.faint), ...options.series.filter((s) => !s.faint)];
  for (const s of ordered) {
    const valid = s.points.filter((p) => Number.isFinite(transform(p.y)));
    const group = svg(doc, 'g', {
      class: `series ${s.className ?? ''} ${s.faint ? 'faint' : ''}`.trim(),
      'data-series': s.id,
    });
    const line = svg(doc, 'polyline', {
      points: thin(valid, MAX_LINE_POINTS)
        .map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
        .join(' '),
      fill: 'none',
    });
    // Through the CSSOM (allowed by the CSP), so the colour wins over the stylesheet's default stroke.
    if (s.color) line.style.setProperty('stroke', s.color);
    group.appendChild(line);
    // Past a few dozen points the dots add thousands of nodes per update and no information.
    if (s.dots && valid.length <= MAX_DOTS) {
      for (const p of valid) {
        group.appendChild(
          svg(
            doc,
            'circle',
            { class: 'dot', cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 2.5 },
            svg(
              doc,
              'title',
              {},
              `${s.label}, ${options.xLabel.toLowerCase()} ${formatNumber(p.x)}: ${format(p.y)}`,
            ),
          ),
        );
        if (s.color) (group.lastChild as SVGElement).style.setProperty('fill', s.color);
      }
    }
    nodes.push(group);
  }
  return { label: describe(options, format), nodes };
}

/** What the figure around the plot depends on: when it is unchanged, only the plot is redrawn. */
function frameSignature(options: ChartOptions): string {
  return JSON.stringify([
    options.title,
    options.xLabel,
    options.series.map((s) => [s.id, s.label, s.className, s.color, s.faint]),
  ]);
}

export function renderLineChart(doc: Document, options: ChartOptions): HTMLElement {
  const { label, nodes } = plotContent(doc, options);
  const chart = svg(doc, 'svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'chart',
    role: 'img',
    'aria-label': label,
  });
  chart.appendChild(svg(doc, 'title', {}, options.title));
  for (const node of nodes) chart.appendChild(node);
  const legend = el(doc, 'ul', { class: 'legend', attrs: { 'aria-hidden': 'true' } });
  for (const s of options.series) {
    if (s.faint) continue;
    const swatch = el(doc, 'span', { class: `swatch ${s.className ?? ''}` });
    if (s.color) swatch.style.setProperty('background-color', s.color);
    legend.appendChild(el(doc, 'li', {}, swatch, s.label));
  }
  return el(
    doc,
    'figure',
    { class: 'chart-figure', attrs: { 'data-frame': frameSignature(options) } },
    el(doc, 'figcaption', { text: options.title }),
    chart,
    legend,
  );
}

/**
 * Redraws the plot of a chart made by renderLineChart in place (a live epoch relayouts one SVG, not the
 * page); false when the title, series or legend differ and the chart must be rebuilt.
 */
export function updateLineChart(figure: Element, options: ChartOptions): boolean {
  const chart = figure.querySelector('svg.chart');
  const title = chart?.querySelector('title');
  if (!chart || !title || figure.getAttribute('data-frame') !== frameSignature(options)) return false;
  const { label, nodes } = plotContent(figure.ownerDocument, options);
  chart.setAttribute('aria-label', label);
  chart.replaceChildren(title, ...nodes);
  return true;
}
