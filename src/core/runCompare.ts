// Comparing runs: configs flattened to dotted keys, which hyperparameters differ, and CSV export. Shared
// by the dashboard's compare page and the CLI.
import type { TrainingConfig } from '../protocol/config';
import type { RunSummary } from '../protocol/runRecord';
import { isRecord } from '../protocol/guards';

export type FlatValue = string | number | boolean | null;

export interface ConfigDifference {
  key: string;
  a: FlatValue;
  b: FlatValue;
}

/** The run fields the compare table and `runsToCsv` show by default, before any config keys. */
export const DEFAULT_RUN_COLUMNS = [
  'id',
  'status',
  'createdAt',
  'model',
  'epochsCompleted',
  'totalEpochs',
  'bestEpoch',
  'bestValAccuracy',
  'lastValAccuracy',
  'lastValLoss',
  'testAccuracy',
  'backend',
  'group',
  'datasetRoot',
] as const;

/** Prefix of a column that reads a config field: `config.cnn.filters`. */
export const CONFIG_COLUMN_PREFIX = 'config.';

/**
 * `{cnn: {filters: 32}, augment: null}` → `{"cnn.filters": 32, "augment": null}`. An object that is
 * null (augmentation off) stays one null key; arrays become their JSON text.
 */
export function flattenConfig(
  config: TrainingConfig | Readonly<Record<string, unknown>>,
): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  const walk = (value: unknown, key: string): void => {
    if (isRecord(value)) {
      for (const [inner, innerValue] of Object.entries(value))
        walk(innerValue, key ? `${key}.${inner}` : inner);
    } else {
      out[key] = toFlatValue(value);
    }
  };
  walk(config, '');
  return out;
}

/** Keys whose values differ between two configs, in first-seen order; a key missing on one side is null. */
export function configDiff(
  a: TrainingConfig | Readonly<Record<string, unknown>>,
  b: TrainingConfig | Readonly<Record<string, unknown>>,
): ConfigDifference[] {
  const flatA = flattenConfig(a);
  const flatB = flattenConfig(b);
  return unionKeys([flatA, flatB])
    .map((key) => ({ key, a: flatA[key] ?? null, b: flatB[key] ?? null }))
    .filter((d) => d.a !== d.b);
}

/** The hyperparameters that vary across runs (dotted keys, first-seen order): the compare table's columns. */
export function differingKeys(
  configs: readonly (TrainingConfig | Readonly<Record<string, unknown>>)[],
): string[] {
  const flat = configs.map((c) => flattenConfig(c));
  return unionKeys(flat).filter((key) => flat.some((f) => (f[key] ?? null) !== (flat[0][key] ?? null)));
}

/** Default run columns, then `config.<key>` for every hyperparameter that differs between the rows. */
export function compareColumns(rows: readonly RunSummary[]): string[] {
  return [
    ...DEFAULT_RUN_COLUMNS,
    ...differingKeys(rows.map((r) => r.config)).map((k) => CONFIG_COLUMN_PREFIX + k),
  ];
}

/** The value of one column for one run: a RunSummary field, or `config.<dotted key>`. */
export function runColumnValue(row: RunSummary, column: string): FlatValue {
  if (column.startsWith(CONFIG_COLUMN_PREFIX)) {
    return flattenConfig(row.config)[column.slice(CONFIG_COLUMN_PREFIX.length)] ?? null;
  }
  const value: unknown = (row as unknown as Record<string, unknown>)[column];
  if (Array.isArray(value)) return value.map(String).join(';');
  return toFlatValue(value);
}

/** RFC 4180 CSV: a header row of the column names, CRLF line ends, fields quoted when they need it. */
export function runsToCsv(
  rows: readonly RunSummary[],
  columns: readonly string[] = compareColumns(rows),
): string {
  const lines = [
    columns.map(csvField),
    ...rows.map((row) => columns.map((c) => csvField(runColumnValue(row, c)))),
  ];
  return lines.map((cells) => `${cells.join(',')}\r\n`).join('');
}

/** One CSV field: empty for null or a non-finite number; quoted (quotes doubled) when it holds , " CR LF or edge spaces. */
export function csvField(value: FlatValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && !Number.isFinite(value)) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toFlatValue(value: unknown): FlatValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value) ?? null;
}

function unionKeys(records: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) keys.add(key);
  return [...keys];
}
