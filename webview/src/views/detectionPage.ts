// The run page of an object-detection run (issue 18): mAP headline, per-class AP table, loss and mAP
// curves per epoch, precision–recall curves per class and the detection confusion matrix with its
// background row and column. Everything comes from RunDetails (evaluation.json as DetectionEvaluation,
// metrics.jsonl epoch lines with DetectionEpochFields), already checked by the shared schema.
import type { DetectionClassAp, DetectionEvaluation } from '../../../src/protocol/detection';
import type { EpochMetrics, RunDetails } from '../../../src/protocol/runRecord';
import { el } from '../dom';
import { formatPercent } from '../format';
import type { DashboardState, DetectionSortKey } from '../state';
import { sortableHeaderRow, sortedByColumn } from './classTable';
import type { Section, ViewContext } from './context';
import { epochPoints, renderChartPanel, trainValSeries } from './epochCurves';
import { type ChartOptions, type Series, renderLineChart, spansMoreThanDecade } from './lineChart';

/** Ids (and data-testid values) the e2e suite and people's scripts can find. */
export const DETECTION_IDS = {
  headline: 'detection-headline',
  map50: 'detection-map50',
  map50_95: 'detection-map50-95',
  classTable: 'detection-class-table',
  curves: 'detection-curves',
  prCurves: 'detection-pr-curves',
  confusion: 'detection-confusion',
} as const;

/** The label of the background row and column of the detection confusion matrix. */
export const BACKGROUND_LABEL = 'background';

/** Classes share this many theme colours (dashboard.css `pr-c0`…); later ones repeat them dashed. */
const PR_COLOUR_SLOTS = 6;

/** An average precision as people read it: three decimals; `—` for -1 (no ground truth). */
export function formatAp(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value < 0) return '—';
  return value.toFixed(3);
}

function testId(id: string): Record<string, string> {
  return { id, 'data-testid': id };
}

/** The latest epoch's validation mAP@0.5 (`map50`, or `valAccuracy`, which a detector writes as it). */
export function epochMap50(e: EpochMetrics): number | null {
  const value = e.map50 ?? (e.task === 'detect' ? e.valAccuracy : null);
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

export function renderDetectionHeadline(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const details = state.details;
  if (!details) return el(doc, 'div');
  const evaluation = details.detectionEvaluation ?? null;
  const stat = (label: string, id: string, value: string, title: string) =>
    el(
      doc,
      'div',
      { class: 'stat' },
      el(doc, 'span', { class: 'stat-label', text: label }),
      el(doc, 'span', {
        class: 'stat-value',
        attrs: { ...testId(id), title, 'aria-label': `${label} ${value}` },
        text: value,
      }),
    );
  if (!evaluation) {
    const latest = [...details.epochs].reverse().find((e) => epochMap50(e) !== null);
    return el(
      doc,
      'div',
      { class: 'detection-headline', attrs: testId(DETECTION_IDS.headline) },
      el(doc, 'p', { class: 'empty', text: 'No evaluation yet: it is written when training ends.' }),
      latest
        ? el(doc, 'p', {
            text: `Validation mAP@0.5 at epoch ${latest.epoch}: ${formatAp(epochMap50(latest))}`,
          })
        : null,
    );
  }
  const withSupport = evaluation.perClass.filter((c) => c.support > 0).length;
  return el(
    doc,
    'div',
    { class: 'detection-headline', attrs: testId(DETECTION_IDS.headline) },
    el(
      doc,
      'div',
      { class: 'stats' },
      stat(
        'mAP@0.5',
        DETECTION_IDS.map50,
        formatAp(evaluation.map50),
        'Mean over classes with ground truth of AP at IoU 0.5',
      ),
      stat(
        'mAP@0.5:0.95',
        DETECTION_IDS.map50_95,
        formatAp(evaluation.map50_95),
        'Mean over classes with ground truth of AP averaged over IoU 0.50, 0.55, … 0.95',
      ),
    ),
    el(doc, 'p', {
      class: 'note',
      text:
        `COCO-style: 101-point interpolated precision, IoU 0.50:0.05:0.95, ${withSupport} of ${evaluation.labels.length} classes with ground truth, ` +
        `${evaluation.images} image${evaluation.images === 1 ? '' : 's'}${evaluation.source ? ` of ${evaluation.source}` : ''}.`,
    }),
  );
}

const DETECTION_COLUMNS: { key: DetectionSortKey; label: string }[] = [
  { key: 'label', label: 'Class' },
  { key: 'ap50', label: 'AP50' },
  { key: 'ap50_95', label: 'AP50:95' },
  { key: 'support', label: 'Support' },
];

/** Rows of the per-class table in the chosen order (ties by label, so the order never flickers). */
export function sortedDetectionClasses(
  perClass: readonly DetectionClassAp[],
  sort: { key: DetectionSortKey; direction: 'asc' | 'desc' },
): DetectionClassAp[] {
  return sortedByColumn(perClass, sort);
}

export function renderDetectionClassTable(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const evaluation = state.details?.detectionEvaluation;
  if (!evaluation) {
    return el(doc, 'p', {
      class: 'empty',
      text: state.details ? 'No evaluation yet: it is written when training ends.' : '',
    });
  }
  const head = sortableHeaderRow(doc, DETECTION_COLUMNS, state.ui.detectionSort, 'detection-sort', (key) =>
    ctx.dispatch({ type: 'ui/sortDetectionClasses', key }),
  );
  const noTruth = 'No ground-truth box of this class in the evaluated images: left out of the means';
  const apCell = (value: number) =>
    el(doc, 'td', { class: 'num', attrs: value < 0 ? { title: noTruth } : {}, text: formatAp(value) });
  const body = sortedDetectionClasses(evaluation.perClass, state.ui.detectionSort).map((r) =>
    el(
      doc,
      'tr',
      { attrs: { 'data-label': r.label } },
      el(doc, 'th', { attrs: { scope: 'row' }, text: r.label }),
      apCell(r.ap50),
      apCell(r.ap50_95),
      el(doc, 'td', { class: 'num', text: String(r.support) }),
    ),
  );
  const total = evaluation.perClass.reduce((a, r) => a + r.support, 0);
  return el(
    doc,
    'table',
    {
      class: 'data class-table detection-class-table',
      attrs: { ...testId(DETECTION_IDS.classTable), 'aria-label': 'Per-class average precision' },
    },
    el(doc, 'caption', {
      text: `AP per class at IoU 0.5 and averaged over 0.50:0.95; — marks a class without ground truth, left out of the means.`,
    }),
    el(doc, 'thead', {}, head),
    el(doc, 'tbody', {}, ...body),
    el(
      doc,
      'tfoot',
      {},
      el(
        doc,
        'tr',
        {},
        el(doc, 'th', { attrs: { scope: 'row' }, text: 'Mean (mAP)' }),
        el(doc, 'td', { class: 'num', text: formatAp(evaluation.map50) }),
        el(doc, 'td', { class: 'num', text: formatAp(evaluation.map50_95) }),
        el(doc, 'td', { class: 'num', text: String(total) }),
      ),
    ),
  );
}

type EpochKey = 'loss' | 'valLoss' | 'classLoss' | 'valClassLoss' | 'boxLoss' | 'valBoxLoss' | 'learningRate';

/** Train and validation series of one loss, smoothed like the classification curves (raw points faint). */
function lossSeries(
  details: RunDetails,
  name: string,
  train: EpochKey,
  val: EpochKey,
  weight: number,
): Series[] {
  return trainValSeries(
    name,
    epochPoints(details.epochs, (e) => e[train]),
    epochPoints(details.epochs, (e) => e[val]),
    weight,
  );
}

/** The run page's detection curves: total, class and box loss, validation mAP, learning rate. */
export function detectionCharts(state: DashboardState): ChartOptions[] {
  const details = state.details;
  if (!details) return [];
  const weight = state.ui.smoothing;
  const map95 = epochPoints(details.epochs, (e) => e.map50_95);
  const lr = epochPoints(details.epochs, (e) => e.learningRate);
  return [
    { title: 'Loss', xLabel: 'Epoch', series: lossSeries(details, 'loss', 'loss', 'valLoss', weight) },
    {
      title: 'Class loss',
      xLabel: 'Epoch',
      series: lossSeries(details, 'classLoss', 'classLoss', 'valClassLoss', weight),
    },
    {
      title: 'Box loss',
      xLabel: 'Epoch',
      series: lossSeries(details, 'boxLoss', 'boxLoss', 'valBoxLoss', weight),
    },
    {
      title: 'Validation mAP',
      xLabel: 'Epoch',
      series: [
        {
          id: 'val-map50',
          label: 'mAP@0.5',
          points: epochPoints(details.epochs, epochMap50),
          className: 'val',
          dots: true,
        },
        ...(map95.length > 0
          ? [{ id: 'val-map50_95', label: 'mAP@0.5:0.95', points: map95, className: 'train', dots: true }]
          : []),
      ],
      yFormat: (v) => v.toFixed(2),
    },
    {
      title: 'Learning rate',
      xLabel: 'Epoch',
      series: [{ id: 'lr', label: 'learning rate', points: lr, className: 'lr', dots: true }],
      logY: spansMoreThanDecade(lr.map((p) => p.y)),
    },
  ];
}

export function renderDetectionCurves(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const details = state.details;
  if (!details) return el(doc, 'div');
  if (details.epochs.length === 0)
    return el(doc, 'p', { class: 'empty', text: 'No epoch has finished yet.' });
  return renderChartPanel(doc, state, detectionCharts, testId(DETECTION_IDS.curves));
}

/** One PR series per class with ground truth, coloured by the class's slot in the label list. */
export function prSeries(evaluation: DetectionEvaluation): Series[] {
  const ap50 = new Map(evaluation.perClass.map((c) => [c.label, c.ap50]));
  return evaluation.curves.map((curve) => {
    const slot = Math.max(0, evaluation.labels.indexOf(curve.label));
    return {
      id: `pr-${slot}`,
      label: `${curve.label} (AP50 ${formatAp(ap50.get(curve.label))})`,
      points: curve.recall.map((x, i) => ({ x, y: curve.precision[i] })),
      className: `pr-c${slot % PR_COLOUR_SLOTS}${slot >= PR_COLOUR_SLOTS ? ' pr-dash' : ''}`,
    };
  });
}

export function renderPrCurves(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const evaluation = state.details?.detectionEvaluation;
  if (!evaluation) return el(doc, 'div');
  if (evaluation.curves.length === 0)
    return el(doc, 'p', { class: 'empty', text: 'No class has ground truth in the evaluated images.' });
  const figure = renderLineChart(doc, {
    title: `Precision–recall at IoU ${evaluation.iouThreshold}`,
    xLabel: 'Recall',
    series: prSeries(evaluation),
    yFormat: (v) => formatPercent(v, 0),
    xFormat: (v) => formatPercent(v, 0),
  });
  figure.setAttribute('id', DETECTION_IDS.prCurves);
  figure.setAttribute('data-testid', DETECTION_IDS.prCurves);
  return figure;
}

/** Shown text of one detection matrix cell (rows = truth, columns = prediction, last = background). */
export function detectionCellDescription(
  labels: readonly string[],
  matrix: readonly number[][],
  row: number,
  col: number,
): string {
  const n = labels.length;
  const name = (i: number) => (i === n ? BACKGROUND_LABEL : labels[i]);
  const count = matrix[row][col];
  if (row === n && col === n) return 'Background, background: not counted';
  if (row === n)
    return `Background, predicted ${name(col)}: ${count} false positive${count === 1 ? '' : 's'}`;
  if (col === n) return `True ${name(row)}, no matching prediction: ${count} missed`;
  return `True ${name(row)}, predicted ${name(col)}: ${count}`;
}

/**
 * Classes up to which the confusion matrix is drawn: (n + 1)² cells, 40,401 at 200. An evaluation.json of
 * 4,000 labels fits the 64 MiB read limit and would be 16 million cells, which freezes the page.
 */
export const MAX_MATRIX_CLASSES = 200;

export function renderDetectionMatrix(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const evaluation = state.details?.detectionEvaluation;
  if (!evaluation) return el(doc, 'div');
  const { labels, confusion } = evaluation;
  const n = labels.length;
  if (n > MAX_MATRIX_CLASSES)
    return el(doc, 'p', {
      class: 'matrix-section detection-matrix note',
      attrs: testId(DETECTION_IDS.confusion),
      text: `The confusion matrix of ${n} classes is too large to draw here (at most ${MAX_MATRIX_CLASSES}); it is in the run's evaluation.json.`,
    });
  const names = [...labels, BACKGROUND_LABEL];
  const normalize = state.ui.normalizeMatrix;
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const share = (r: number, c: number) => (rowTotals[r] === 0 ? 0 : confusion[r][c] / rowTotals[r]);
  const checkbox = el(doc, 'input', {
    attrs: { id: 'detection-normalize', type: 'checkbox', 'data-key': 'detection-normalize' },
    on: {
      change: (e) => ctx.dispatch({ type: 'ui/setNormalize', value: (e.target as HTMLInputElement).checked }),
    },
  });
  checkbox.checked = normalize;
  const header = (i: number) =>
    i === n
      ? el(doc, 'th', {
          class: 'col-label background',
          attrs: { scope: 'col', title: 'background: no box' },
          text: BACKGROUND_LABEL,
        })
      : el(doc, 'th', { class: 'col-label', attrs: { scope: 'col', title: labels[i] }, text: labels[i] });
  const rows = names.map((rowName, r) =>
    el(
      doc,
      'tr',
      {},
      el(doc, 'th', {
        class: r === n ? 'background' : '',
        attrs: { scope: 'row', title: rowName },
        text: rowName,
      }),
      ...names.map((_, c) => {
        const description = detectionCellDescription(labels, confusion, r, c);
        const corner = r === n && c === n;
        const td = el(doc, 'td', {
          class: `cell ${r === c && r < n ? 'diag' : 'off'}${r === n || c === n ? ' background' : ''}${share(r, c) > 0.55 ? ' strong' : ''}`,
          attrs: { 'aria-label': description, title: description, 'data-row': r, 'data-col': c },
          text: corner ? '' : normalize ? formatPercent(share(r, c), 0) : String(confusion[r][c]),
        });
        td.style.setProperty('--v', share(r, c).toFixed(3));
        return td;
      }),
    ),
  );
  return el(
    doc,
    'div',
    { class: 'matrix-section detection-matrix' },
    el(
      doc,
      'div',
      { class: 'toolbar' },
      checkbox,
      el(doc, 'label', { attrs: { for: 'detection-normalize' }, text: 'Row-normalised' }),
    ),
    el(
      doc,
      'div',
      { class: 'matrix-scroll' },
      el(
        doc,
        'table',
        {
          class: 'matrix',
          attrs: {
            ...testId(DETECTION_IDS.confusion),
            'aria-label':
              'Detection confusion matrix: rows are true classes, columns predicted classes, with background',
          },
        },
        el(doc, 'caption', {
          text:
            `Rows: true class; columns: predicted class; IoU ≥ ${evaluation.iouThreshold}, confidence ≥ ${evaluation.confidenceThreshold}. ` +
            'The background row counts predictions that matched no box (false positives); the background column, boxes no prediction matched (misses).',
        }),
        el(
          doc,
          'thead',
          {},
          el(
            doc,
            'tr',
            {},
            el(doc, 'th', { class: 'corner', attrs: { scope: 'col' }, text: 'true ╲ predicted' }),
            ...names.map((_, i) => header(i)),
          ),
        ),
        el(doc, 'tbody', {}, ...rows),
      ),
    ),
  );
}

/** Sections of the detection run page; their keys name the slots of app.ts's detection layout. */
export const detectionSections: Section<DashboardState>[] = [
  {
    key: 'detection-headline',
    inputs: (s) => [s.details?.detectionEvaluation, s.details?.epochs, s.details === null],
    render: renderDetectionHeadline,
  },
  {
    key: 'detection-class-table',
    inputs: (s) => [s.details?.detectionEvaluation, s.ui.detectionSort, s.details === null],
    render: renderDetectionClassTable,
  },
  {
    key: 'detection-curves',
    inputs: (s) => [s.details?.epochs, s.ui.smoothing],
    render: renderDetectionCurves,
  },
  { key: 'detection-pr', inputs: (s) => [s.details?.detectionEvaluation], render: renderPrCurves },
  {
    key: 'detection-matrix',
    inputs: (s) => [s.details?.detectionEvaluation, s.ui.normalizeMatrix],
    render: renderDetectionMatrix,
  },
];
