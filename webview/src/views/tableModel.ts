// The compare table's rows and columns, shared by the table and the parallel-coordinates plot.
import type { RunSummary } from '../../../src/protocol/runRecord';
import { type Column, compareColumns, filterRuns, sortRuns } from '../compare';
import type { DashboardState } from '../state';

const memo = new WeakMap<RunSummary[], Column[]>();
/** Columns depend only on the runs array; recomputing them per keystroke of the filter is waste. */
export function columnsOf(runs: RunSummary[]): Column[] {
  let columns = memo.get(runs);
  if (!columns) {
    columns = compareColumns(runs);
    memo.set(runs, columns);
  }
  return columns;
}

let last: { runs: RunSummary[]; filter: string; sort: DashboardState['ui']['compareSort']; rows: RunSummary[] } | null = null;

/** The runs in table order: filtered, then sorted (remembered: the table and the plot both ask). */
export function tableRows(state: DashboardState): RunSummary[] {
  const { runs } = state;
  const { compareFilter: filter, compareSort: sort } = state.ui;
  if (last && last.runs === runs && last.filter === filter && last.sort === sort) return last.rows;
  const columns = columnsOf(runs);
  const rows = sortRuns(filterRuns(runs, columns, filter), columns, sort);
  last = { runs, filter, sort, rows };
  return rows;
}

