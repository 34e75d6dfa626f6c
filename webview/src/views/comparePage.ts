// The compare page: every run in one sortable, filterable, virtualised table; overlay curves of the
// selected runs; parallel coordinates; per-class Δrecall and config diff of two runs; CSV export.
import type { RunSummary } from '../../../src/protocol/runRecord';
import type { CompareRunData } from '../../../src/protocol/webviewMessages';
import {
  apDifference,
  type Column,
  configDifference,
  isDetectionSummary,
  recallDifference,
  runColor,
  toCsv,
} from '../compare';
import { button, el, headerRow } from '../dom';
import { formatMap, formatNumber, formatPercent } from '../format';
import { type DashboardState, ownValue, type UiState } from '../state';
import { registerPatch, type Section, type ViewContext } from './context';
import { renderLineChart, type Series } from './lineChart';
import { renderLrFind } from './lrFind';
import { parallelMetricColumn, renderParallelCoordinates } from './parallelCoordinates';
import { columnsOf, tableRows } from './tableModel';

export const ROW_HEIGHT = 28;
const DEFAULT_VIEWPORT = 420;
const OVERSCAN = 8;

function formatCell(column: Column, run: RunSummary): string {
  const value = column.value(run);
  if (value === null) return '—';
  if (column.kind === 'percent' && typeof value === 'number') return formatPercent(value);
  if (column.kind === 'map' && typeof value === 'number') return formatMap(value);
  if (typeof value === 'number') return formatNumber(value);
  return value;
}

export function renderCompareToolbar(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const filter = el(doc, 'input', {
    attrs: {
      id: 'compare-filter',
      type: 'search',
      placeholder: 'Filter runs (id, group, status, hyperparameter value…)',
      'aria-label': 'Filter runs',
      'data-key': 'compare-filter',
    },
    on: {
      input: (e) => ctx.dispatch({ type: 'ui/filterCompare', query: (e.target as HTMLInputElement).value }),
    },
  });
  filter.value = state.ui.compareFilter;
  const exportCsv = button(
    doc,
    'Export CSV…',
    () => {
      const rows = tableRows(ctx.getState());
      ctx.post({
        type: 'exportCsv',
        csv: toCsv(rows, columnsOf(ctx.getState().runs)),
        suggestedName: 'image-trainer-runs.csv',
      });
    },
    { primary: true, attrs: { 'data-key': 'export-csv' } },
  );
  const selectShown = button(
    doc,
    'Compare the first 10 shown',
    () =>
      ctx.dispatch({
        type: 'ui/setCompareRuns',
        runIds: tableRows(ctx.getState())
          .slice(0, 10)
          .map((r) => r.id),
      }),
    {
      attrs: { 'data-key': 'select-shown' },
    },
  );
  const clear = button(
    doc,
    'Clear selection',
    () => ctx.dispatch({ type: 'ui/setCompareRuns', runIds: [] }),
    { attrs: { 'data-key': 'clear-selection' } },
  );
  return el(doc, 'div', { class: 'toolbar' }, filter, selectShown, clear, exportCsv);
}

function headerCell(ctx: ViewContext, column: Column, sort: UiState['compareSort']): HTMLElement {
  const { doc } = ctx;
  const active = sort?.key === column.key;
  const arrow = active ? (sort?.direction === 'asc' ? ' ▲' : ' ▼') : '';
  return el(
    doc,
    'th',
    {
      attrs: {
        scope: 'col',
        'aria-sort': active ? (sort?.direction === 'asc' ? 'ascending' : 'descending') : 'none',
      },
    },
    el(doc, 'button', {
      class: 'sort',
      attrs: { type: 'button', 'data-key': `compare-sort-${column.key}` },
      text: `${column.label}${arrow}`,
      on: { click: () => ctx.dispatch({ type: 'ui/sortCompare', key: column.key }) },
    }),
  );
}

function renderRow(
  ctx: ViewContext,
  columns: readonly Column[],
  run: RunSummary,
  selected: boolean,
  index: number,
): HTMLElement {
  const { doc } = ctx;
  const checkbox = el(doc, 'input', {
    attrs: { type: 'checkbox', 'aria-label': `Compare ${run.id}`, 'data-key': `compare-${run.id}` },
    on: { change: () => ctx.dispatch({ type: 'ui/toggleCompareRun', runId: run.id }) },
  });
  checkbox.checked = selected;
  const swatch = el(doc, 'span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
  swatch.style.setProperty('background-color', runColor(run.id));
  const cells = columns.map((column) => {
    if (column.key === 'id') {
      return el(
        doc,
        'th',
        { attrs: { scope: 'row' } },
        swatch,
        el(doc, 'button', {
          class: 'link',
          attrs: { type: 'button', title: 'Open this run', 'data-key': `open-run-${run.id}` },
          text: run.id,
          on: { click: () => ctx.dispatch({ type: 'ui/selectRun', runId: run.id }) },
        }),
      );
    }
    return el(doc, 'td', { class: column.kind === 'text' ? '' : 'num', text: formatCell(column, run) });
  });
  return el(
    doc,
    'tr',
    { class: selected ? 'selected' : '', attrs: { 'aria-rowindex': index + 2 } },
    el(doc, 'td', {}, checkbox),
    ...cells,
  );
}

/** Fixed column widths: with `table-layout: fixed` a live update does not re-measure every cell. */
function columnWidth(column: Column): number {
  if (column.key === 'id') return 260;
  if (column.key === 'createdAt') return 200;
  if (column.key.startsWith('config.')) return Math.max(90, Math.min(200, column.label.length * 8 + 24));
  return column.kind === 'text' ? 100 : 112;
}

function colgroup(doc: Document, columns: readonly Column[]): HTMLElement {
  const widths = [88, ...columns.map(columnWidth)];
  const group = el(doc, 'colgroup');
  for (const width of widths) {
    const col = el(doc, 'col');
    col.style.setProperty('width', `${width}px`);
    group.appendChild(col);
  }
  return group;
}

/** Puts `desired` into `parent`, replacing in place when only some rows changed (no full relayout). */
function syncChildren(parent: Element, desired: readonly Element[]): void {
  const current = [...parent.children];
  const inPlace =
    current.length === desired.length && desired.every((d, i) => d === current[i] || !d.isConnected);
  if (!inPlace) {
    parent.replaceChildren(...desired);
    return;
  }
  desired.forEach((d, i) => {
    if (d !== current[i]) parent.replaceChild(d, current[i]);
  });
}

export function renderCompareTable(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const columns = columnsOf(state.runs);
  const sort = state.ui.compareSort;
  const filter = state.ui.compareFilter;
  let rows = tableRows(state);
  let selected = new Set(state.compareRunIds);
  let total = state.runs.length;
  const body = el(doc, 'tbody');
  const scroller = el(doc, 'div', { class: 'table-scroll' });
  const spacer = () =>
    el(
      doc,
      'tr',
      { class: 'spacer', attrs: { 'aria-hidden': 'true' } },
      el(doc, 'td', { attrs: { colspan: columns.length + 1 } }),
    );
  const topSpacer = spacer();
  const bottomSpacer = spacer();
  // Rows are kept per summary object: an update rebuilds only the rows of runs that changed.
  let cache = new Map<RunSummary, { selected: boolean; row: HTMLElement }>();
  const rowFor = (run: RunSummary, index: number): HTMLElement => {
    const isSelected = selected.has(run.id);
    const cached = cache.get(run);
    if (cached && cached.selected === isSelected) {
      if (cached.row.getAttribute('aria-rowindex') !== String(index + 2))
        cached.row.setAttribute('aria-rowindex', String(index + 2));
      return cached.row;
    }
    const row = renderRow(ctx, columns, run, isSelected, index);
    cache.set(run, { selected: isSelected, row });
    return row;
  };
  // Only the rows in view (plus a margin) exist in the DOM: thousands of runs scroll like ten.
  const paintRows = () => {
    const viewport = scroller.clientHeight || DEFAULT_VIEWPORT;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, first + Math.ceil(viewport / ROW_HEIGHT) + OVERSCAN * 2);
    const children: HTMLElement[] = [];
    if (first > 0) {
      topSpacer.style.setProperty('height', `${first * ROW_HEIGHT}px`);
      children.push(topSpacer);
    }
    for (let i = first; i < last; i++) children.push(rowFor(rows[i], i));
    if (last < rows.length) {
      bottomSpacer.style.setProperty('height', `${(rows.length - last) * ROW_HEIGHT}px`);
      children.push(bottomSpacer);
    }
    syncChildren(body, children);
  };
  scroller.addEventListener('scroll', paintRows, { passive: true });
  paintRows();
  const table = el(
    doc,
    'table',
    { class: 'data compare-table', attrs: { 'aria-label': 'All runs', 'aria-rowcount': rows.length + 1 } },
    colgroup(doc, columns),
    el(
      doc,
      'thead',
      {},
      el(
        doc,
        'tr',
        {},
        el(doc, 'th', { attrs: { scope: 'col' }, text: 'Compare' }),
        ...columns.map((c) => headerCell(ctx, c, sort)),
      ),
    ),
    body,
  );
  scroller.appendChild(table);
  const countText = () => `${rows.length} of ${total} runs shown · ${selected.size} selected`;
  const count = el(doc, 'p', { class: 'count', attrs: { 'aria-live': 'polite' }, text: countText() });
  const root = el(doc, 'div', {}, count, scroller);
  registerPatch(root, (next) => {
    // Different columns or order: the header changes too, so the section is rebuilt.
    if (columnsOf(next.runs) !== columns || next.ui.compareSort !== sort || next.ui.compareFilter !== filter)
      return false;
    rows = tableRows(next);
    selected = new Set(next.compareRunIds);
    total = next.runs.length;
    const live = new Set(rows);
    cache = new Map([...cache].filter(([run]) => live.has(run)));
    table.setAttribute('aria-rowcount', String(rows.length + 1));
    count.textContent = countText();
    paintRows();
    return true;
  });
  return root;
}

type EpochLine = CompareRunData['epochs'][number];

interface OverlayMetric {
  key: UiState['compareMetric'];
  label: string;
  format: 'percent' | 'map' | 'number';
  /** Which runs the metric exists for: accuracy is a classifier's, mAP a detector's, loss both's. */
  task: 'classify' | 'detect' | 'any';
  value(epoch: EpochLine): number | null | undefined;
}

const METRICS: OverlayMetric[] = [
  {
    key: 'valAccuracy',
    label: 'Validation accuracy',
    format: 'percent',
    task: 'classify',
    value: (e) => e.valAccuracy,
  },
  { key: 'valLoss', label: 'Validation loss', format: 'number', task: 'any', value: (e) => e.valLoss },
  {
    key: 'accuracy',
    label: 'Training accuracy',
    format: 'percent',
    task: 'classify',
    value: (e) => e.accuracy,
  },
  { key: 'loss', label: 'Training loss', format: 'number', task: 'any', value: (e) => e.loss },
  {
    key: 'map50',
    label: 'Validation mAP@0.5',
    format: 'map',
    task: 'detect',
    // A detector writes its validation mAP@0.5 as valAccuracy too (older lines lack map50).
    value: (e) => e.map50 ?? e.valAccuracy,
  },
  {
    key: 'map50_95',
    label: 'Validation mAP@0.5:0.95',
    format: 'map',
    task: 'detect',
    value: (e) => e.map50_95,
  },
];

/** The counterpart of a metric for runs of the other task (Validation accuracy ↔ Validation mAP@0.5). */
const COUNTERPART: Record<UiState['compareMetric'], UiState['compareMetric']> = {
  valAccuracy: 'map50',
  accuracy: 'map50',
  map50: 'valAccuracy',
  map50_95: 'valAccuracy',
  valLoss: 'valLoss',
  loss: 'loss',
};

/**
 * The overlay's metric: the chosen one, unless it applies to none of the ticked runs (accuracy chosen and
 * only detection runs ticked, or the reverse), when its counterpart is shown instead.
 */
export function overlayMetric(state: DashboardState): OverlayMetric {
  const chosen = METRICS.find((m) => m.key === state.ui.compareMetric) ?? METRICS[0];
  if (chosen.task === 'any') return chosen;
  const ticked = state.compareRunIds.flatMap((id) => state.runs.filter((r) => r.id === id));
  if (ticked.length === 0 || ticked.some((r) => isDetectionSummary(r) === (chosen.task === 'detect')))
    return chosen;
  return METRICS.find((m) => m.key === COUNTERPART[chosen.key]) ?? chosen;
}

export function metricLabel(metric: UiState['compareMetric']): string {
  return METRICS.find((m) => m.key === metric)?.label ?? metric;
}

function metricPicker(state: DashboardState, ctx: ViewContext): HTMLElement {
  const { doc } = ctx;
  const select = el(doc, 'select', {
    attrs: { id: 'compare-metric', 'data-key': 'compare-metric' },
    on: {
      change: (e) => {
        const value = (e.target as HTMLSelectElement).value;
        const metric = METRICS.find((m) => m.key === value);
        if (metric) ctx.dispatch({ type: 'ui/setCompareMetric', metric: metric.key });
      },
    },
  });
  for (const m of METRICS) {
    const option = el(doc, 'option', { attrs: { value: m.key }, text: m.label });
    option.selected = m.key === overlayMetric(state).key;
    select.appendChild(option);
  }
  return el(
    doc,
    'div',
    { class: 'toolbar' },
    el(doc, 'label', { attrs: { for: 'compare-metric' }, text: 'Metric' }),
    select,
  );
}

export function renderOverlay(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const metric = overlayMetric(state);
  if (state.compareRunIds.length === 0) {
    return el(
      doc,
      'div',
      {},
      metricPicker(state, ctx),
      el(doc, 'p', { class: 'empty', text: 'Tick runs in the table to overlay their curves.' }),
    );
  }
  const series: Series[] = [];
  const waiting: string[] = [];
  const notApplicable: string[] = [];
  for (const id of state.compareRunIds) {
    const run = state.runs.find((r) => r.id === id);
    if (run && metric.task !== 'any' && isDetectionSummary(run) !== (metric.task === 'detect')) {
      notApplicable.push(id);
      continue;
    }
    const data = ownValue(state.compare, id);
    if (!data) {
      waiting.push(id);
      continue;
    }
    const points = data.epochs.flatMap((e) => {
      const y = metric.value(e);
      return y === null || y === undefined || !Number.isFinite(y) ? [] : [{ x: e.epoch, y }];
    });
    series.push({ id, label: id, points, color: runColor(id) });
  }
  return el(
    doc,
    'div',
    {},
    metricPicker(state, ctx),
    renderLineChart(doc, {
      title: `${metric.label} of ${series.length} run${series.length === 1 ? '' : 's'}`,
      xLabel: 'Epoch',
      series,
      yFormat:
        metric.format === 'percent'
          ? (v) => formatPercent(v, 0)
          : metric.format === 'map'
            ? (v) => v.toFixed(2)
            : undefined,
    }),
    notApplicable.length > 0
      ? el(doc, 'p', {
          class: 'empty',
          attrs: { 'data-key': 'overlay-not-applicable' },
          text: `${metric.label} does not apply to ${notApplicable.join(', ')} (${
            metric.task === 'detect' ? 'classification' : 'detection'
          } run${notApplicable.length === 1 ? '' : 's'}): choose ${
            metric.task === 'detect' ? 'Validation accuracy' : 'Validation mAP@0.5'
          } or a loss.`,
        })
      : null,
    waiting.length > 0
      ? el(doc, 'p', {
          class: 'empty',
          text: `Loading ${waiting.length} run${waiting.length === 1 ? '' : 's'}…`,
        })
      : null,
  );
}

function runPicker(state: DashboardState, ctx: ViewContext, slot: 0 | 1): HTMLElement {
  const { doc } = ctx;
  const current = state.ui.diffRunIds[slot];
  const select = el(doc, 'select', {
    attrs: { 'aria-label': slot === 0 ? 'Run A' : 'Run B', 'data-key': `diff-${slot}` },
    on: {
      change: (e) =>
        ctx.dispatch({ type: 'ui/setDiffRun', slot, runId: (e.target as HTMLSelectElement).value || null }),
    },
  });
  select.appendChild(el(doc, 'option', { attrs: { value: '' }, text: '(choose a run)' }));
  const ids = state.compareRunIds.length >= 2 ? state.compareRunIds : state.runs.map((r) => r.id);
  for (const id of ids) {
    const option = el(doc, 'option', { attrs: { value: id }, text: id });
    option.selected = id === current;
    select.appendChild(option);
  }
  return el(doc, 'label', {}, slot === 0 ? 'A ' : 'B ', select);
}

export function renderDiff(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const [a, b] = state.ui.diffRunIds;
  const pickers = el(doc, 'div', { class: 'toolbar' }, runPicker(state, ctx, 0), runPicker(state, ctx, 1));
  if (!a || !b)
    return el(
      doc,
      'div',
      {},
      pickers,
      el(doc, 'p', {
        class: 'empty',
        text: 'Choose two runs to compare their per-class recall and configuration.',
      }),
    );
  const runA = state.runs.find((r) => r.id === a);
  const runB = state.runs.find((r) => r.id === b);
  const evalA = ownValue(state.compare, a)?.evaluation ?? null;
  const evalB = ownValue(state.compare, b)?.evaluation ?? null;
  const detA = ownValue(state.compare, a)?.detectionEvaluation ?? null;
  const detB = ownValue(state.compare, b)?.detectionEvaluation ?? null;
  const parts: Node[] = [pickers];
  const mixed = runA && runB && isDetectionSummary(runA) !== isDetectionSummary(runB);
  if (mixed) {
    parts.push(
      el(doc, 'p', {
        class: 'empty',
        attrs: { 'data-key': 'diff-mixed-tasks' },
        text: `${isDetectionSummary(runA) ? 'A' : 'B'} is a detection run and ${
          isDetectionSummary(runA) ? 'B' : 'A'
        } a classification run: their per-class figures (AP, recall) cannot be compared.`,
      }),
    );
  } else if (detA && detB) {
    parts.push(renderApDifference(doc, detA, detB));
  } else if (evalA && evalB) {
    const rows = recallDifference(evalA, evalB).map((d) => {
      const delta = el(doc, 'td', {
        class: `num ${d.delta === null ? '' : d.delta > 0 ? 'up' : d.delta < 0 ? 'down' : ''}`,
        text: d.delta === null ? '—' : `${d.delta > 0 ? '+' : ''}${(d.delta * 100).toFixed(1)} pt`,
      });
      return el(
        doc,
        'tr',
        {},
        el(doc, 'th', { attrs: { scope: 'row' }, text: d.label }),
        el(doc, 'td', { class: 'num', text: formatPercent(d.recallA) }),
        el(doc, 'td', { class: 'num', text: formatPercent(d.recallB) }),
        delta,
      );
    });
    parts.push(
      el(
        doc,
        'table',
        { class: 'data recall-diff', attrs: { 'aria-label': 'Per-class recall, B minus A' } },
        el(doc, 'caption', { text: 'Per-class recall (B − A)' }),
        headerRow(doc, ['Class', 'Recall A', 'Recall B', 'Δ recall']),
        el(doc, 'tbody', {}, ...rows),
      ),
    );
  } else if (ownValue(state.compare, a) && ownValue(state.compare, b)) {
    parts.push(
      el(doc, 'p', { class: 'empty', text: 'Both runs need an evaluation for a per-class comparison.' }),
    );
  } else {
    parts.push(
      el(doc, 'p', { class: 'empty', text: 'Tick both runs in the table to load their evaluations.' }),
    );
  }
  if (runA && runB) {
    const diff = configDifference(runA.config, runB.config);
    parts.push(
      diff.length === 0
        ? el(doc, 'p', { class: 'empty', text: 'The two configurations are identical.' })
        : el(
            doc,
            'table',
            { class: 'data config-diff', attrs: { 'aria-label': 'Configuration differences' } },
            el(doc, 'caption', { text: 'Configuration differences' }),
            headerRow(doc, ['Setting', 'A', 'B']),
            el(
              doc,
              'tbody',
              {},
              ...diff.map((d) =>
                el(
                  doc,
                  'tr',
                  {},
                  el(doc, 'th', { attrs: { scope: 'row' }, text: d.key }),
                  el(doc, 'td', { text: d.a }),
                  el(doc, 'td', { text: d.b }),
                ),
              ),
            ),
          ),
    );
  }
  return el(doc, 'div', {}, ...parts);
}

function renderApDifference(
  doc: Document,
  a: NonNullable<CompareRunData['detectionEvaluation']>,
  b: NonNullable<CompareRunData['detectionEvaluation']>,
): HTMLElement {
  const rows = apDifference(a, b).map((d) =>
    el(
      doc,
      'tr',
      {},
      el(doc, 'th', { attrs: { scope: 'row' }, text: d.label }),
      el(doc, 'td', { class: 'num', text: formatMap(d.apA) }),
      el(doc, 'td', { class: 'num', text: formatMap(d.apB) }),
      el(doc, 'td', {
        class: `num ${d.delta === null ? '' : d.delta > 0 ? 'up' : d.delta < 0 ? 'down' : ''}`,
        text: d.delta === null ? '—' : `${d.delta > 0 ? '+' : ''}${d.delta.toFixed(3)}`,
      }),
    ),
  );
  return el(
    doc,
    'table',
    { class: 'data ap-diff', attrs: { 'aria-label': 'Per-class AP@0.5, B minus A' } },
    el(doc, 'caption', {
      text: `Per-class AP@0.5 (B − A) · mAP@0.5 ${formatMap(a.map50)} → ${formatMap(b.map50)} · mAP@0.5:0.95 ${formatMap(a.map50_95)} → ${formatMap(b.map50_95)}`,
    }),
    headerRow(doc, ['Class', 'AP@0.5 A', 'AP@0.5 B', 'Δ AP@0.5']),
    el(doc, 'tbody', {}, ...rows),
  );
}

/** The compared runs that name a parent listed here: each pair can be put side by side in one click. */
export function parentPairs(state: DashboardState): { runId: string; parentId: string }[] {
  const listed = new Set(state.runs.map((r) => r.id));
  return state.compareRunIds.flatMap((runId) => {
    const parentId = state.runs.find((r) => r.id === runId)?.parentId;
    return parentId && listed.has(parentId) && parentId !== runId ? [{ runId, parentId }] : [];
  });
}

/** Selects a run and its parent, and puts them side by side (A the parent, B the run). */
function compareWithParent(ctx: ViewContext, runId: string, parentId: string): void {
  ctx.dispatch({ type: 'ui/setCompareRuns', runIds: [parentId, runId] });
  ctx.dispatch({ type: 'ui/setDiffRun', slot: 0, runId: parentId });
  ctx.dispatch({ type: 'ui/setDiffRun', slot: 1, runId });
}

export function renderParentLinks(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const pairs = parentPairs(state);
  if (pairs.length === 0) return el(doc, 'div', { class: 'parent-links', attrs: { hidden: true } });
  const [a, b] = state.ui.diffRunIds;
  const single = pairs.length === 1;
  return el(
    doc,
    'div',
    { class: 'toolbar parent-links', attrs: { role: 'group', 'aria-label': 'Re-runs and their parents' } },
    ...pairs.map(({ runId, parentId }) => {
      const shown =
        state.compareRunIds.length === 2 &&
        state.compareRunIds.includes(parentId) &&
        a === parentId &&
        b === runId;
      return button(
        doc,
        single ? 'Compare with parent' : `Compare ${runId} with its parent`,
        () => compareWithParent(ctx, runId, parentId),
        {
          attrs: {
            'data-key': `compare-parent-${runId}`,
            title: shown
              ? `${runId} and its parent ${parentId} are side by side below`
              : `Select ${runId} and its parent ${parentId}, side by side`,
            disabled: shown,
          },
        },
      );
    }),
  );
}

function parallelKey(state: DashboardState): string {
  const metric = parallelMetricColumn(state);
  return `${metric.key}\n${tableRows(state)
    .map((r) => `${r.id}:${metric.value(r) ?? ''}`)
    .join('\n')}`;
}

export const compareSections: Section<DashboardState>[] = [
  { key: 'compare-toolbar', inputs: () => [], render: renderCompareToolbar },
  {
    key: 'compare-parents',
    inputs: (s) => [s.compareRunIds, s.runs, ...s.ui.diffRunIds],
    render: renderParentLinks,
  },
  {
    key: 'compare-table',
    inputs: (s) => [s.runs, s.ui.compareFilter, s.ui.compareSort, s.compareRunIds],
    render: renderCompareTable,
  },
  {
    key: 'overlay',
    inputs: (s) => [s.compareRunIds, s.compare, s.ui.compareMetric, s.runs],
    render: renderOverlay,
  },
  {
    key: 'parallel',
    // What the plot shows: the rows, their metric values and the columns (not every summary change).
    inputs: (s) => [parallelKey(s), columnsOf(s.runs), s.compareRunIds],
    render: renderParallelCoordinates,
  },
  { key: 'lr-find', inputs: (s) => [s.lrFinds], render: renderLrFind },
  {
    key: 'diff',
    inputs: (s) => [
      ...s.ui.diffRunIds.map((id) => s.runs.find((r) => r.id === id)),
      s.compare,
      s.compareRunIds,
    ],
    render: renderDiff,
  },
];
