// The confusion-matrix heatmap (a keyboard-navigable grid), its plain-table fallback, the per-epoch
// scrubber, and the list of misclassified images of the selected cell.
import type { Evaluation, Misclassified } from '../../../src/protocol/runRecord';
import { button, el, headerRow } from '../dom';
import { formatPercent } from '../format';
import { type CellRef, type DashboardState, datasetNotice, movedKey } from '../state';
import { visibleText } from '../../../src/protocol/displayText';
import type { Section, ViewContext } from './context';

/** The matrix on screen: the final one, or the recorded one of the scrubbed epoch. */
export function shownMatrix(evaluation: Evaluation, epoch: number | null): number[][] {
  if (epoch === null) return evaluation.confusion;
  return evaluation.confusionByEpoch?.find((e) => e.epoch === epoch)?.confusion ?? evaluation.confusion;
}

export function rowNormalize(matrix: readonly number[][]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total === 0 ? 0 : v / total));
  });
}

export function cellDescription(
  labels: readonly string[],
  matrix: readonly number[][],
  cell: CellRef,
): string {
  const row = matrix[cell.row];
  const count = row[cell.col];
  const total = row.reduce((a, b) => a + b, 0);
  const share = total === 0 ? '' : ` (${formatPercent(count / total)} of ${labels[cell.row]})`;
  return `True ${labels[cell.row]}, predicted ${labels[cell.col]}: ${count}${share}`;
}

/** The misclassified examples behind one cell, most confident mistakes first. */
export function examplesOfCell(evaluation: Evaluation, cell: CellRef): Misclassified[] {
  const truth = evaluation.labels[cell.row];
  const predicted = evaluation.labels[cell.col];
  return evaluation.misclassified
    .filter((m) => m.label === truth && m.predicted === predicted)
    .sort((a, b) => b.confidence - a.confidence);
}

function onGridKey(event: KeyboardEvent, ctx: ViewContext): void {
  const focused = ctx.getState().ui.focusedCell;
  const moves: Record<string, [number, number]> = {
    ArrowUp: [-1, 0],
    ArrowDown: [1, 0],
    ArrowLeft: [0, -1],
    ArrowRight: [0, 1],
  };
  const move = moves[event.key];
  if (move) {
    event.preventDefault();
    ctx.dispatch({ type: 'ui/moveFocus', dRow: move[0], dCol: move[1] });
  } else if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    ctx.dispatch({ type: 'ui/selectCell', cell: focused });
  } else if (event.key === 'Escape') {
    ctx.dispatch({ type: 'ui/selectCell', cell: null });
  }
}

function renderScrubber(evaluation: Evaluation, epoch: number | null, ctx: ViewContext): Node | null {
  const epochs = evaluation.confusionByEpoch?.map((e) => e.epoch) ?? [];
  if (epochs.length === 0) return null;
  const { doc } = ctx;
  // The last position is the final evaluation.
  const index = epoch === null ? epochs.length : Math.max(epochs.indexOf(epoch), 0);
  const label = epoch === null ? 'final evaluation' : `epoch ${epoch}`;
  const input = el(doc, 'input', {
    attrs: {
      id: 'matrix-epoch',
      type: 'range',
      min: 0,
      max: epochs.length,
      step: 1,
      value: index,
      'aria-valuetext': label,
      'data-key': 'matrix-epoch',
    },
    on: {
      input: (e) => {
        const i = Number((e.target as HTMLInputElement).value);
        ctx.dispatch({ type: 'ui/setMatrixEpoch', epoch: i >= epochs.length ? null : epochs[i] });
      },
    },
  });
  input.value = String(index);
  return el(
    doc,
    'span',
    { class: 'scrubber' },
    el(doc, 'label', { attrs: { for: 'matrix-epoch' }, text: 'Epoch' }),
    input,
    el(doc, 'output', { text: label }),
  );
}

export function renderMatrix(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const evaluation = state.details?.evaluation;
  if (!evaluation) return el(doc, 'div');
  const { normalizeMatrix, focusedCell, selectedCell, matrixEpoch } = state.ui;
  const labels = evaluation.labels;
  const counts = shownMatrix(evaluation, matrixEpoch);
  const shares = rowNormalize(counts);
  const hover = el(doc, 'p', {
    class: 'hover-readout',
    attrs: { 'aria-live': 'polite' },
    text: 'Hover or focus a cell; Enter lists its images.',
  });

  const normalize = el(doc, 'input', {
    attrs: { id: 'normalize', type: 'checkbox', 'data-key': 'normalize' },
    on: {
      change: (e) => ctx.dispatch({ type: 'ui/setNormalize', value: (e.target as HTMLInputElement).checked }),
    },
  });
  normalize.checked = normalizeMatrix;
  const toolbar = el(
    doc,
    'div',
    { class: 'toolbar' },
    normalize,
    el(doc, 'label', { attrs: { for: 'normalize' }, text: 'Row-normalised' }),
    renderScrubber(evaluation, matrixEpoch, ctx),
  );

  const headRow = el(
    doc,
    'tr',
    { attrs: { role: 'row' } },
    el(doc, 'th', {
      class: 'corner',
      attrs: { scope: 'col', role: 'columnheader' },
      text: 'true ╲ predicted',
    }),
    ...labels.map((l) =>
      el(doc, 'th', { class: 'col-label', attrs: { scope: 'col', role: 'columnheader', title: l }, text: l }),
    ),
  );
  const rows = labels.map((rowLabel, r) =>
    el(
      doc,
      'tr',
      { attrs: { role: 'row' } },
      el(doc, 'th', { attrs: { scope: 'row', role: 'rowheader', title: rowLabel }, text: rowLabel }),
      ...labels.map((_, c) => {
        const cell = { row: r, col: c };
        const description = cellDescription(labels, counts, cell);
        const isFocused = focusedCell.row === r && focusedCell.col === c;
        const isSelected = selectedCell?.row === r && selectedCell?.col === c;
        const td = el(doc, 'td', {
          class: `cell ${r === c ? 'diag' : 'off'}${isSelected ? ' selected' : ''}${shares[r][c] > 0.55 ? ' strong' : ''}`,
          attrs: {
            role: 'gridcell',
            tabindex: isFocused ? 0 : -1,
            'aria-label': description,
            title: description,
            'aria-selected': isSelected ? 'true' : 'false',
            'data-row': r,
            'data-col': c,
            // One stable key for the focused cell, so focus follows it when the grid is rebuilt.
            'data-key': isFocused ? 'matrix-focus' : null,
          },
          text: normalizeMatrix ? formatPercent(shares[r][c], 0) : String(counts[r][c]),
          on: {
            click: () => ctx.dispatch({ type: 'ui/selectCell', cell }),
            mouseenter: () => {
              hover.textContent = visibleText(description);
            },
            focus: () => {
              hover.textContent = visibleText(description);
            },
          },
        });
        td.style.setProperty('--v', shares[r][c].toFixed(3));
        return td;
      }),
    ),
  );
  const grid = el(
    doc,
    'table',
    {
      class: 'matrix',
      attrs: {
        role: 'grid',
        'aria-label': 'Confusion matrix: rows are true classes, columns predicted classes',
      },
      on: { keydown: (e) => onGridKey(e, ctx) },
    },
    el(doc, 'thead', {}, headRow),
    el(doc, 'tbody', {}, ...rows),
  );
  return el(
    doc,
    'div',
    { class: 'matrix-section' },
    toolbar,
    el(doc, 'div', { class: 'matrix-scroll' }, grid),
    hover,
    renderFallbackTable(doc, labels, counts),
  );
}

/** The same numbers as a plain data table with totals and recall, for screen readers and copying. */
function renderFallbackTable(doc: Document, labels: readonly string[], counts: readonly number[][]): Node {
  const rows = labels.map((label, r) => {
    const total = counts[r].reduce((a, b) => a + b, 0);
    return el(
      doc,
      'tr',
      {},
      el(doc, 'th', { attrs: { scope: 'row' }, text: label }),
      ...counts[r].map((v) => el(doc, 'td', { class: 'num', text: String(v) })),
      el(doc, 'td', { class: 'num', text: String(total) }),
      el(doc, 'td', { class: 'num', text: total === 0 ? '—' : formatPercent(counts[r][r] / total) }),
    );
  });
  return el(
    doc,
    'details',
    { class: 'fallback' },
    el(doc, 'summary', { text: 'Confusion matrix as a table' }),
    el(
      doc,
      'table',
      { class: 'data' },
      el(doc, 'caption', { text: 'Rows: true class. Columns: predicted class.' }),
      headerRow(doc, ['True class', ...labels.map((l) => `Predicted ${l}`), 'Total', 'Recall']),
      el(doc, 'tbody', {}, ...rows),
    ),
  );
}

/** URL of a data-set image in the webview, or null when the host gave no base for this run. */
export function thumbnailUrl(
  bases: Record<string, string>,
  runId: string,
  relativePath: string,
): string | null {
  // Own properties only: a run named "__proto__" or "constructor" has no base unless the host sent one.
  const base = Object.hasOwn(bases, runId) ? bases[runId] : undefined;
  if (typeof base !== 'string' || !base) return null;
  return `${base.replace(/\/+$/, '')}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

function renderExample(
  state: DashboardState,
  ctx: ViewContext,
  runId: string,
  labels: readonly string[],
  m: Misclassified,
): HTMLElement {
  const { doc } = ctx;
  const key = movedKey(runId, m.path);
  const movedTo = Object.hasOwn(state.moved, key) ? state.moved[key] : undefined;
  const src = thumbnailUrl(state.thumbnailBases, runId, m.path);
  // A data set shown read-only (its root is not a folder the user chose): no Open, no Move.
  const readOnly = datasetNotice(state, runId);
  const picker = el(doc, 'select', {
    attrs: { 'aria-label': `Class to move ${m.path} to`, 'data-key': `class-for-${m.path}` },
  });
  for (const label of labels) {
    if (label === m.label) continue;
    const option = el(doc, 'option', { attrs: { value: label }, text: label });
    option.selected = label === m.predicted;
    picker.appendChild(option);
  }
  const actions = movedTo
    ? el(doc, 'p', { class: 'moved', text: `Moved to ${movedTo}` })
    : readOnly
      ? el(doc, 'p', { class: 'read-only', text: 'Read-only data set' })
      : el(
          doc,
          'div',
          { class: 'actions' },
          button(doc, 'Open', () => ctx.post({ type: 'openImage', runId, path: m.path }), {
            attrs: { 'aria-label': `Open ${m.path}`, 'data-key': `open-${m.path}` },
          }),
          picker,
          button(
            doc,
            'Move…',
            () => ctx.post({ type: 'moveImage', runId, path: m.path, toClass: picker.value }),
            {
              attrs: { 'aria-label': `Move ${m.path} to the chosen class`, 'data-key': `move-${m.path}` },
            },
          ),
        );
  return el(
    doc,
    'li',
    { class: 'example' },
    src
      ? el(doc, 'img', { attrs: { src, alt: m.path, loading: 'lazy', width: 96, height: 96 } })
      : el(doc, 'div', { class: 'no-thumb', text: 'no preview' }),
    el(doc, 'p', { class: 'path', attrs: { title: m.path }, text: m.path }),
    el(doc, 'p', { text: `predicted ${m.predicted} · ${formatPercent(m.confidence)}` }),
    actions,
  );
}

export function renderExamples(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const evaluation = state.details?.evaluation;
  const cell = state.ui.selectedCell;
  if (!evaluation || !cell || !state.details)
    return el(doc, 'div', { class: 'examples', attrs: { 'aria-live': 'polite' } });
  const runId = state.details.summary.id;
  const labels = evaluation.labels;
  const counts = shownMatrix(evaluation, state.ui.matrixEpoch);
  const count = counts[cell.row][cell.col];
  const heading = el(doc, 'h3', { text: cellDescription(labels, counts, cell) });
  const close = button(doc, 'Close', () => ctx.dispatch({ type: 'ui/selectCell', cell: null }), {
    attrs: { 'data-key': 'close-examples' },
  });
  const note = (text: string) =>
    el(
      doc,
      'div',
      { class: 'examples', attrs: { 'aria-live': 'polite' } },
      heading,
      el(doc, 'p', { class: 'empty', text }),
      close,
    );
  if (cell.row === cell.col)
    return note(`${count} correctly classified image${count === 1 ? '' : 's'}; only mistakes are listed.`);
  if (count === 0) return note('No misclassified images in this cell.');
  if (state.ui.matrixEpoch !== null)
    return note(
      'Images are recorded for the final evaluation only; move the scrubber to “final evaluation” to list them.',
    );
  const examples = examplesOfCell(evaluation, cell);
  if (examples.length === 0)
    return note(`${count} misclassified, but the evaluation recorded none of their file names.`);
  const shown = examples.length < count ? `${examples.length} of ${count} recorded` : `${count}`;
  return el(
    doc,
    'div',
    { class: 'examples', attrs: { 'aria-live': 'polite' } },
    heading,
    el(doc, 'p', { text: `${shown} image${count === 1 ? '' : 's'}, most confident mistakes first.` }),
    el(doc, 'ul', { class: 'thumbs' }, ...examples.map((m) => renderExample(state, ctx, runId, labels, m))),
    close,
  );
}

export const matrixSections: Section<DashboardState>[] = [
  {
    key: 'matrix',
    inputs: (s) => [
      s.details?.evaluation,
      s.ui.normalizeMatrix,
      s.ui.focusedCell,
      s.ui.selectedCell,
      s.ui.matrixEpoch,
    ],
    render: renderMatrix,
  },
  {
    key: 'examples',
    inputs: (s) => [
      s.details?.evaluation,
      s.ui.selectedCell,
      s.ui.matrixEpoch,
      s.moved,
      s.thumbnailBases,
      s.datasetNotices,
    ],
    render: renderExamples,
  },
];
