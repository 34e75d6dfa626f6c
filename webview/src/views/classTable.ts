// What the run page's per-class tables share (classification: precision/recall/F1; detection: AP):
// rows sorted by a column, and a header row of sort buttons with aria-sort.
import { el } from '../dom';

export interface ColumnSort<K extends string> {
  key: K;
  direction: 'asc' | 'desc';
}

/** Rows in the chosen order: numbers by value, the rest as text; ties by label, so the order never flickers. */
export function sortedByColumn<K extends string, R extends { label: string } & Record<K, unknown>>(
  rows: readonly R[],
  sort: ColumnSort<K>,
): R[] {
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = a[sort.key];
    const vb = b[sort.key];
    const order =
      typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return sign * order || a.label.localeCompare(b.label);
  });
}

/** The header row: one sort button per column (`data-key` is `${keyPrefix}-${key}`), ▲/▼ on the sorted one. */
export function sortableHeaderRow<K extends string>(
  doc: Document,
  columns: readonly { key: K; label: string }[],
  sort: ColumnSort<K>,
  keyPrefix: string,
  onSort: (key: K) => void,
): HTMLTableRowElement {
  const { key, direction } = sort;
  return el(
    doc,
    'tr',
    {},
    ...columns.map((c) =>
      el(
        doc,
        'th',
        {
          class: c.key === 'label' ? '' : 'num',
          attrs: {
            scope: 'col',
            'aria-sort': c.key === key ? (direction === 'asc' ? 'ascending' : 'descending') : 'none',
          },
        },
        el(doc, 'button', {
          class: 'sort',
          attrs: { type: 'button', 'data-key': `${keyPrefix}-${c.key}` },
          text: c.key === key ? `${c.label} ${direction === 'asc' ? '▲' : '▼'}` : c.label,
          on: { click: () => onSort(c.key) },
        }),
      ),
    ),
  );
}
