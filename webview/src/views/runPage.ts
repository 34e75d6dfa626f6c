// The run page: header and summary, live curves, per-class table. The confusion matrix lives in
// confusionMatrix.ts.
import type { BatchMetrics, RunDetails } from '../../../src/protocol/runRecord';
import { flattenConfig } from '../compare';
import { button, el } from '../dom';
import { formatDuration, formatEta, formatPercent, formatValue } from '../format';
import { type ClassSortKey, type DashboardState, datasetNotice, isDetectionRun } from '../state';
import { sortableHeaderRow, sortedByColumn } from './classTable';
import type { Section, ViewContext } from './context';
import { epochPoints, renderChartPanel, smoothed, trainValSeries } from './epochCurves';
import { type ChartOptions, type Point, type Series, spansMoreThanDecade } from './lineChart';

function definition(doc: Document, term: string, value: string | Node): HTMLElement[] {
  return [el(doc, 'dt', { text: term }), el(doc, 'dd', {}, value)];
}

function statusBadge(doc: Document, status: string): HTMLElement {
  return el(doc, 'span', { class: `badge status-${status}`, text: status });
}

export function renderSummary(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const details = state.details;
  const selected = state.runs.find((r) => r.id === state.selectedRunId);
  if (selected && (selected.status === 'damaged' || !details)) {
    // A run whose records fail their schema: its name, a warning badge and the reason, nothing else claimed.
    return el(
      doc,
      'div',
      { class: 'summary' },
      el(doc, 'h3', { text: selected.id }),
      el(
        doc,
        'p',
        { class: 'error', attrs: { role: 'alert' } },
        statusBadge(doc, 'damaged'),
        ' ',
        selected.error ?? 'This run’s records cannot be read.',
      ),
      el(doc, 'p', {
        class: 'empty',
        text: 'Fix or delete the named file; until then the run is shown without details.',
      }),
    );
  }
  if (!details) {
    const text =
      state.runs.length === 0
        ? 'No runs yet. Train a model to see it here.'
        : 'Choose a run to see its details.';
    return el(doc, 'p', { class: 'empty', text });
  }
  const { summary, record } = details;
  const durations = details.epochs.map((e) => e.durationMs);
  const running = summary.status === 'running';
  const ds = record.dataset;
  // A detector writes its validation mAP@0.5 as valAccuracy: the summary names it so.
  const detect = isDetectionRun(details);
  const bestText = (value: number | null) =>
    detect ? (value === null ? '—' : value.toFixed(3)) : formatPercent(value);
  const items = [
    ...definition(doc, 'Status', statusBadge(doc, summary.status)),
    ...definition(doc, 'Epochs', `${summary.epochsCompleted} / ${summary.totalEpochs}`),
    ...(running ? definition(doc, 'Time left', formatEta(durations, summary.totalEpochs)) : []),
    ...definition(doc, 'Training time', formatDuration(durations.reduce((a, b) => a + b, 0))),
    ...definition(
      doc,
      detect ? 'Best validation mAP@0.5' : 'Best validation accuracy',
      summary.bestEpoch === null
        ? bestText(summary.bestValAccuracy)
        : `${bestText(summary.bestValAccuracy)} (epoch ${summary.bestEpoch})`,
    ),
    ...(detect ? [] : definition(doc, 'Test accuracy', formatPercent(summary.testAccuracy))),
    ...definition(doc, 'Model', summary.model),
    ...(record.base
      ? definition(
          doc,
          'Pretrained base',
          `${record.base.name} (${record.base.format} model, sha256 ${record.base.sha256.slice(0, 12)}…, from ${record.base.source})`,
        )
      : []),
    ...definition(
      doc,
      'Backend',
      record.backendNotes.length > 0
        ? `${summary.backend} (${record.backendNotes.join('; ')})`
        : summary.backend,
    ),
    ...definition(doc, 'Data set', ds.root),
    ...definition(doc, 'Classes', `${ds.classNames.length}: ${ds.classNames.join(', ')}`),
    ...definition(
      doc,
      'Images',
      `${ds.counts.train} train · ${ds.counts.validation} validation · ${ds.counts.test} test${ds.skipped.length > 0 ? ` · ${ds.skipped.length} skipped` : ''}`,
    ),
    ...(summary.group ? definition(doc, 'Group', summary.group) : []),
    ...definition(doc, 'Saved model', savedModelText(details)),
    ...(record.parentId
      ? definition(doc, 'Parent run', parentLine(state, ctx, record.parentId, summary.id))
      : []),
  ];
  const error = summary.error ?? record.error?.message ?? null;
  const readOnly = datasetNotice(state, summary.id);
  // A running or failed run has no model to export (the CLI refuses it too).
  const exportable = ['completed', 'stopped', 'interrupted'].includes(summary.status);
  const exportButton = exportable
    ? button(doc, 'Export Model…', () => ctx.post({ type: 'exportModel', runId: summary.id }), {
        attrs: { 'data-key': 'export-model', title: 'ONNX or TF.js, with a parity check and a model card' },
      })
    : null;
  // A detection run with an evaluation has detections.json beside it: its predictions can be inspected.
  const inspectButton = details.detectionEvaluation
    ? button(doc, 'Inspect predictions', () => ctx.post({ type: 'inspectPredictions', runId: summary.id }), {
        attrs: {
          'data-key': 'inspect-predictions',
          'data-testid': 'inspect-predictions',
          title:
            'Each image with ground truth and predictions, a confidence slider, false positives and misses',
        },
      })
    : null;
  return el(
    doc,
    'div',
    { class: 'summary' },
    el(doc, 'h3', { text: summary.id }),
    exportButton,
    inspectButton,
    error ? el(doc, 'p', { class: 'error', attrs: { role: 'alert' }, text: error }) : null,
    readOnly ? el(doc, 'p', { class: 'warning read-only', attrs: { role: 'note' }, text: readOnly }) : null,
    el(doc, 'dl', { class: 'facts' }, ...items),
  );
}

const MONITOR_TEXT = {
  valLoss: 'lowest validation loss',
  valAccuracy: 'highest validation accuracy',
} as const;

/**
 * Which epoch's weights model/ holds and what chose them: the trainer restores the best epoch (by the
 * early-stopping metric) only with earlyStopping.restoreBest; otherwise model/ is the last epoch's, so
 * "best validation accuracy" and the saved model's evaluation may differ, and this line says why.
 */
export function savedModelText(details: RunDetails): string {
  const { record, summary } = details;
  const last = summary.epochsCompleted;
  const stopping = record.config.earlyStopping;
  if (stopping?.restoreBest && summary.bestEpoch !== null && summary.bestEpoch !== last)
    return `epoch ${summary.bestEpoch} of ${last}, restored as the epoch with the ${MONITOR_TEXT[stopping.monitor] ?? stopping.monitor} (early stopping)`;
  if (last === 0) return 'none yet';
  const best =
    summary.bestEpoch !== null && summary.bestEpoch !== last
      ? `; the best epoch by ${MONITOR_TEXT[stopping?.monitor ?? 'valLoss']} was ${summary.bestEpoch}, not restored (earlyStopping.restoreBest is off)`
      : '';
  return `epoch ${last}, the last one${best}`;
}

function parentLine(state: DashboardState, ctx: ViewContext, parentId: string, runId: string): Node {
  const doc = ctx.doc;
  const known = state.runs.some((r) => r.id === parentId);
  return el(
    doc,
    'span',
    { class: 'parent-run' },
    known ? parentId : `${parentId} (not in this runs folder)`,
    known
      ? button(
          doc,
          'Compare with parent',
          () => {
            ctx.dispatch({ type: 'ui/setCompareRuns', runIds: [parentId, runId] });
            ctx.dispatch({ type: 'ui/setDiffRun', slot: 0, runId: parentId });
            ctx.dispatch({ type: 'ui/setDiffRun', slot: 1, runId });
            ctx.dispatch({ type: 'ui/showPage', page: 'compare' });
          },
          { attrs: { 'data-key': 'compare-with-parent' } },
        )
      : null,
  );
}

/** Its own section: rebuilt when the config changes, not every epoch, so an open <details> stays open. */
export function renderConfig(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const record = state.details?.record;
  if (!record) return el(doc, 'div');
  const config = flattenConfig(record.config);
  const rows = Object.keys(config)
    .sort()
    .map((k) =>
      el(
        doc,
        'tr',
        {},
        el(doc, 'th', { attrs: { scope: 'row' }, text: k }),
        el(doc, 'td', { text: formatValue(config[k]) }),
      ),
    );
  return el(
    doc,
    'details',
    { class: 'config' },
    el(doc, 'summary', { text: 'Configuration' }),
    el(doc, 'table', { class: 'kv' }, el(doc, 'tbody', {}, ...rows)),
  );
}

/** x of a batch point: epoch end is at x = epoch, so its batches fill (epoch − 1, epoch]. */
export function batchPoints(batches: readonly BatchMetrics[], metric: 'loss' | 'accuracy'): Point[] {
  const perEpoch = new Map<number, number>();
  for (const b of batches) perEpoch.set(b.epoch, Math.max(perEpoch.get(b.epoch) ?? 0, b.batch + 1));
  return batches.map((b) => ({
    x: b.epoch - 1 + (b.batch + 1) / (perEpoch.get(b.epoch) ?? 1),
    y: b[metric],
  }));
}

function metricSeries(
  details: RunDetails,
  metric: 'loss' | 'accuracy',
  weight: number,
  showBatches: boolean,
): Series[] {
  const val = metric === 'loss' ? 'valLoss' : 'valAccuracy';
  const series: Series[] = [];
  if (showBatches && details.batches.length > 0) {
    series.push({
      id: `batch-${metric}`,
      label: 'batches',
      points: smoothed(batchPoints(details.batches, metric), weight),
      className: 'batch',
      faint: true,
    });
  }
  const train = epochPoints(details.epochs, (e) => e[metric]);
  const validation = epochPoints(details.epochs, (e) => e[val]);
  series.push(...trainValSeries(metric, train, validation, weight));
  return series;
}

export function renderCurveControls(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const ui = state.ui;
  const output = el(doc, 'output', { attrs: { for: 'smoothing' }, text: ui.smoothing.toFixed(2) });
  const slider = el(doc, 'input', {
    attrs: {
      id: 'smoothing',
      type: 'range',
      min: 0,
      max: 0.99,
      step: 0.01,
      value: ui.smoothing,
      'data-key': 'smoothing',
    },
    on: {
      input: (e) =>
        ctx.dispatch({ type: 'ui/setSmoothing', value: Number((e.target as HTMLInputElement).value) }),
    },
  });
  slider.value = String(ui.smoothing);
  const batches = el(doc, 'input', {
    attrs: { id: 'show-batches', type: 'checkbox', 'data-key': 'show-batches' },
    on: {
      change: (e) =>
        ctx.dispatch({ type: 'ui/setShowBatches', value: (e.target as HTMLInputElement).checked }),
    },
  });
  batches.checked = ui.showBatches;
  return el(
    doc,
    'div',
    { class: 'toolbar' },
    el(doc, 'label', { attrs: { for: 'smoothing' }, text: 'Smoothing' }),
    slider,
    output,
    batches,
    el(doc, 'label', { attrs: { for: 'show-batches' }, text: 'Batch points' }),
  );
}

function curveCharts(state: DashboardState): ChartOptions[] {
  const details = state.details;
  if (!details) return [];
  const { smoothing, showBatches } = state.ui;
  const lr = epochPoints(details.epochs, (e) => e.learningRate);
  const logLr = spansMoreThanDecade(lr.map((p) => p.y));
  return [
    { title: 'Loss', xLabel: 'Epoch', series: metricSeries(details, 'loss', smoothing, showBatches) },
    {
      title: 'Accuracy',
      xLabel: 'Epoch',
      series: metricSeries(details, 'accuracy', smoothing, showBatches),
      yFormat: (v) => formatPercent(v, 0),
    },
    {
      title: 'Learning rate',
      xLabel: 'Epoch',
      series: [{ id: 'lr', label: 'learning rate', points: lr, className: 'lr', dots: true }],
      logY: logLr,
    },
  ];
}

export function renderCurves(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const details = state.details;
  if (!details) return el(doc, 'div');
  if (details.epochs.length === 0 && details.batches.length === 0) {
    return el(doc, 'p', { class: 'empty', text: 'No epoch has finished yet.' });
  }
  // A new epoch redraws the three plots in place instead of rebuilding the panel.
  return renderChartPanel(doc, state, curveCharts);
}

const CLASS_COLUMNS: { key: ClassSortKey; label: string }[] = [
  { key: 'label', label: 'Class' },
  { key: 'precision', label: 'Precision' },
  { key: 'recall', label: 'Recall' },
  { key: 'f1', label: 'F1' },
  { key: 'support', label: 'Support' },
];

export function renderClassTable(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const evaluation = state.details?.evaluation;
  if (!evaluation) {
    return el(doc, 'p', {
      class: 'empty',
      text: state.details ? 'No evaluation yet: it is written when training ends.' : '',
    });
  }
  const rows = sortedByColumn(evaluation.perClass, state.ui.classSort);
  const head = sortableHeaderRow(doc, CLASS_COLUMNS, state.ui.classSort, 'class-sort', (key) =>
    ctx.dispatch({ type: 'ui/sortClasses', key }),
  );
  const body = rows.map((r) =>
    el(
      doc,
      'tr',
      {},
      el(doc, 'th', { attrs: { scope: 'row' }, text: r.label }),
      el(doc, 'td', { class: 'num', text: formatPercent(r.precision) }),
      el(doc, 'td', { class: 'num', text: formatPercent(r.recall) }),
      el(doc, 'td', { class: 'num', text: formatPercent(r.f1) }),
      el(doc, 'td', { class: 'num', text: String(r.support) }),
    ),
  );
  const total = evaluation.perClass.reduce((a, r) => a + r.support, 0);
  const averageRow = (label: string, m: { precision: number; recall: number; f1: number }) =>
    el(
      doc,
      'tr',
      {},
      el(doc, 'th', { attrs: { scope: 'row' }, text: label }),
      el(doc, 'td', { class: 'num', text: formatPercent(m.precision) }),
      el(doc, 'td', { class: 'num', text: formatPercent(m.recall) }),
      el(doc, 'td', { class: 'num', text: formatPercent(m.f1) }),
      el(doc, 'td', { class: 'num', text: String(total) }),
    );
  return el(
    doc,
    'table',
    { class: 'data class-table', attrs: { 'aria-label': 'Per-class precision, recall and F1' } },
    el(doc, 'caption', {
      text: `Accuracy ${formatPercent(evaluation.accuracy)} on ${evaluation.source ?? 'the evaluation set'}`,
    }),
    el(doc, 'thead', {}, head),
    el(doc, 'tbody', {}, ...body),
    el(
      doc,
      'tfoot',
      {},
      averageRow('Macro average', evaluation.macro),
      averageRow('Weighted average', evaluation.weighted),
    ),
  );
}

export const runSections: Section<DashboardState>[] = [
  {
    key: 'summary',
    inputs: (s) => [
      s.details?.summary,
      s.details?.record,
      s.details?.epochs,
      s.details?.detectionEvaluation,
      s.runs.length,
      s.runs.find((r) => r.id === s.selectedRunId),
      s.datasetNotices,
    ],
    render: renderSummary,
  },
  { key: 'config', inputs: (s) => [s.details?.record.config], render: renderConfig },
  {
    key: 'curve-controls',
    inputs: (s) => [s.details === null, s.ui.smoothing, s.ui.showBatches],
    render: renderCurveControls,
  },
  {
    key: 'curves',
    inputs: (s) => [s.details?.epochs, s.details?.batches, s.ui.smoothing, s.ui.showBatches],
    render: renderCurves,
  },
  { key: 'class-table', inputs: (s) => [s.details?.evaluation, s.ui.classSort], render: renderClassTable },
];
