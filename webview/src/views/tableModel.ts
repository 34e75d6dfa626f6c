// The compare table's rows and columns, shared by the table and the parallel-coordinates plot.
import type { RunSummary } from '../../../src/protocol/runRecord';
import { type Column, compareColumns, filterRuns, sortRuns } from '../compare';
import type { DashboardState } from '../state';

let lastColumns: { configs: object[]; columns: Column[] } | null = null;

/**
 * Columns depend only on the runs' configs; a new epoch of a running run (a new summary, the same
 * config object, see shareUnchanged) or a keystroke in the filter does not recompute them.
 */
export function columnsOf(runs: RunSummary[]): Column[] {
  const configs = runs.map((r) => r.config);
  if (
    lastColumns &&
    lastColumns.configs.length === configs.length &&
    lastColumns.configs.every((c, i) => c === configs[i])
  ) {
    return lastColumns.columns;
  }
  lastColumns = { configs, columns: compareColumns(runs) };
  return lastColumns.columns;
}

let last: {
  runs: RunSummary[];
  filter: string;
  sort: DashboardState['ui']['compareSort'];
  rows: RunSummary[];
} | null = null;

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
