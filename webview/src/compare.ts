// The compare page's model: flattened configs, the columns worth showing, sorting, filtering, CSV,
// per-run colours, per-class recall differences and config differences. Pure; unit-tested in node.
import type { DetectionEvaluation } from '../../src/protocol/detection';
import type { Evaluation, RunSummary } from '../../src/protocol/runRecord';
import { formatValue } from './format';

export type CellValue = string | number | null;

export interface Column {
  key: string;
  label: string;
  /** `map`: a mean average precision, shown as 0.612. */
  kind: 'text' | 'number' | 'percent' | 'map';
  value(run: RunSummary): CellValue;
}

export type SortDirection = 'asc' | 'desc';
export interface SortSpec {
  key: string;
  direction: SortDirection;
}

/** `{ cnn: { blocks: 2 } }` → `{ 'cnn.blocks': 2 }`; arrays and null stay whole values. */
export function flattenConfig(config: object, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(out, flattenConfig(value as object, name));
    } else {
      out[name] = value;
    }
  }
  return out;
}

const flatCache = new WeakMap<object, Record<string, unknown>>();

/** flattenConfig, remembered per config object: table cells and sorting ask for it many times. */
export function flatConfigOf(run: RunSummary): Record<string, unknown> {
  let flat = flatCache.get(run.config);
  if (!flat) {
    flat = flattenConfig(run.config);
    flatCache.set(run.config, flat);
  }
  return flat;
}

/** Config keys whose values differ between at least two runs, sorted; the rest is noise in a table. */
export function varyingConfigKeys(runs: readonly RunSummary[]): string[] {
  const seen = new Map<string, Set<string>>();
  const flats = runs.map(flatConfigOf);
  const allKeys = new Set<string>();
  for (const flat of flats) for (const k of Object.keys(flat)) allKeys.add(k);
  for (const key of allKeys) {
    const values = new Set<string>();
    for (const flat of flats) {
      const v = flat[key] ?? null;
      // Primitives compare by value with a type tag; only arrays need serialising.
      values.add(typeof v === 'object' && v !== null ? JSON.stringify(v) : `${typeof v}:${String(v)}`);
      if (values.size > 1) break;
    }
    seen.set(key, values);
  }
  return [...allKeys].filter((k) => (seen.get(k)?.size ?? 0) > 1).sort();
}

function configCell(value: unknown): CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  return formatValue(value);
}

/**
 * Is this a detection run? Its summary says so, or its config does (the summary's `task` is derived from
 * it). A detector writes its validation mAP@0.5 in the accuracy fields, so these are read by task.
 */
export function isDetectionSummary(run: RunSummary): boolean {
  return run.task === 'detect' || (run.config as unknown as Record<string, unknown>).task === 'detect';
}

/** A classification figure: null on a detection run, whose accuracy fields hold mAP. */
const classifying =
  (figure: (run: RunSummary) => number | null) =>
  (run: RunSummary): number | null =>
    isDetectionSummary(run) ? null : figure(run);

/** A detection figure: null on a classification run. */
const detecting =
  (figure: (run: RunSummary) => number | null | undefined) =>
  (run: RunSummary): number | null =>
    isDetectionSummary(run) ? (figure(run) ?? null) : null;

/** Columns of classification runs (a detection run's cells are empty). */
export const CLASSIFICATION_METRIC_COLUMNS: readonly Column[] = [
  {
    key: 'bestValAccuracy',
    label: 'Best val acc',
    kind: 'percent',
    value: classifying((r) => r.bestValAccuracy),
  },
  {
    key: 'lastValAccuracy',
    label: 'Last val acc',
    kind: 'percent',
    value: classifying((r) => r.lastValAccuracy),
  },
];

/** Columns of detection runs (a classification run's cells are empty). */
export const DETECTION_METRIC_COLUMNS: readonly Column[] = [
  { key: 'map50', label: 'mAP@0.5', kind: 'map', value: detecting((r) => r.map50 ?? r.bestValAccuracy) },
  { key: 'map50_95', label: 'mAP@0.5:0.95', kind: 'map', value: detecting((r) => r.map50_95) },
];

const LOSS_COLUMN: Column = {
  key: 'lastValLoss',
  label: 'Last val loss',
  kind: 'number',
  value: (r) => r.lastValLoss,
};

const TEST_ACCURACY_COLUMN: Column = {
  key: 'testAccuracy',
  label: 'Test acc',
  kind: 'percent',
  value: classifying((r) => r.testAccuracy),
};

const TEST_MAP_COLUMN: Column = {
  key: 'testMap50',
  label: 'Test mAP@0.5',
  kind: 'map',
  value: detecting((r) => r.testAccuracy),
};

/** Every summary metric column, whatever the runs (the parallel plot's choices are checked against it). */
export const METRIC_COLUMNS: readonly Column[] = [
  ...CLASSIFICATION_METRIC_COLUMNS,
  LOSS_COLUMN,
  TEST_ACCURACY_COLUMN,
  ...DETECTION_METRIC_COLUMNS,
  TEST_MAP_COLUMN,
];

/**
 * The metric columns for these runs: accuracy columns when a classification run is among them (or none
 * is listed), mAP columns when a detection run is; mixed runs get both, each empty (—) where it does not
 * apply, so no detection figure is ever labelled accuracy.
 */
export function metricColumns(runs: readonly RunSummary[]): Column[] {
  const detection = runs.some(isDetectionSummary);
  const classification = runs.length === 0 || runs.some((r) => !isDetectionSummary(r));
  return [
    ...(classification ? CLASSIFICATION_METRIC_COLUMNS : []),
    ...(detection ? DETECTION_METRIC_COLUMNS : []),
    LOSS_COLUMN,
    ...(classification ? [TEST_ACCURACY_COLUMN] : []),
    ...(detection ? [TEST_MAP_COLUMN] : []),
  ];
}

const BASE_COLUMNS: readonly Column[] = [
  { key: 'id', label: 'Run', kind: 'text', value: (r) => r.id },
  { key: 'group', label: 'Group', kind: 'text', value: (r) => r.group },
  { key: 'status', label: 'Status', kind: 'text', value: (r) => r.status },
  { key: 'model', label: 'Model', kind: 'text', value: (r) => r.model },
  { key: 'epochs', label: 'Epochs', kind: 'number', value: (r) => r.epochsCompleted },
  { key: 'createdAt', label: 'Started', kind: 'text', value: (r) => r.createdAt },
];

/** Base columns, then metrics, then one column per varying hyperparameter (`config.<key>`). */
export function compareColumns(runs: readonly RunSummary[]): Column[] {
  const configColumns = varyingConfigKeys(runs)
    .filter((k) => k !== 'model')
    .map<Column>((key) => ({
      key: `config.${key}`,
      label: key,
      kind: runs.every((r) => {
        const v = flatConfigOf(r)[key];
        return v === undefined || v === null || typeof v === 'number';
      })
        ? 'number'
        : 'text',
      value: (r) => configCell(flatConfigOf(r)[key]),
    }));
  return [...BASE_COLUMNS, ...metricColumns(runs), ...configColumns];
}

// One collator for every comparison: String.localeCompare with options builds one per call.
const collator = new Intl.Collator(undefined, { numeric: true });

/** Nulls sort last in both directions: a missing figure is never "best". */
export function compareCells(a: CellValue, b: CellValue): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

export function sortRuns(
  runs: readonly RunSummary[],
  columns: readonly Column[],
  sort: SortSpec | null,
): RunSummary[] {
  const column = sort ? columns.find((c) => c.key === sort.key) : undefined;
  if (!sort || !column) return [...runs];
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...runs].sort((a, b) => {
    const va = column.value(a);
    const vb = column.value(b);
    if (va === null || vb === null) return compareCells(va, vb);
    return sign * compareCells(va, vb) || a.id.localeCompare(b.id);
  });
}

/** Every whitespace-separated term must appear in some cell (case-insensitive). */
export function filterRuns(
  runs: readonly RunSummary[],
  columns: readonly Column[],
  query: string,
): RunSummary[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [...runs];
  return runs.filter((run) => {
    const text = columns
      .map((c) => String(c.value(run) ?? ''))
      .join('\u0000')
      .toLowerCase();
    return terms.every((t) => text.includes(t));
  });
}

export function csvEscape(value: CellValue): string {
  if (value === null) return '';
  const text = String(value);
  // Cells starting with = + - @ are formulas in spreadsheets; a leading quote keeps them text.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value !== 'number' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(runs: readonly RunSummary[], columns: readonly Column[]): string {
  const lines = [columns.map((c) => csvEscape(c.label)).join(',')];
  for (const run of runs) lines.push(columns.map((c) => csvEscape(c.value(run))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Colours that read on dark and light themes; a run keeps its colour whatever else is selected. */
export const RUN_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f9e89',
  '#d4a6c8',
] as const;

/** FNV-1a with a final avalanche (murmur3's fmix32): ids that differ in one digit land far apart. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function runColor(runId: string): string {
  return RUN_PALETTE[hashString(runId) % RUN_PALETTE.length];
}

export interface RecallDelta {
  label: string;
  recallA: number | null;
  recallB: number | null;
  delta: number | null;
}

function recallOf(evaluation: Evaluation, label: string): number | null {
  const i = evaluation.labels.indexOf(label);
  if (i < 0) return null;
  const row = evaluation.confusion[i];
  const total = row.reduce((a, b) => a + b, 0);
  return total === 0 ? null : row[i] / total;
}

/** Per-class recall of B minus A over the union of both label sets (a class one run lacks gets null). */
export function recallDifference(a: Evaluation, b: Evaluation): RecallDelta[] {
  const labels = [...a.labels, ...b.labels.filter((l) => !a.labels.includes(l))];
  return labels.map((label) => {
    const recallA = recallOf(a, label);
    const recallB = recallOf(b, label);
    return {
      label,
      recallA,
      recallB,
      delta: recallA === null || recallB === null ? null : recallB - recallA,
    };
  });
}

export interface ApDelta {
  label: string;
  apA: number | null;
  apB: number | null;
  delta: number | null;
}

/** AP@0.5 of a class with ground truth in the evaluated images; null when it has none or is unknown. */
function ap50Of(evaluation: DetectionEvaluation, label: string): number | null {
  const entry = evaluation.perClass.find((c) => c.label === label);
  return entry && entry.support > 0 ? entry.ap50 : null;
}

/** Per-class AP@0.5 of B minus A over the union of both label sets (detection runs). */
export function apDifference(a: DetectionEvaluation, b: DetectionEvaluation): ApDelta[] {
  const labels = [...a.labels, ...b.labels.filter((l) => !a.labels.includes(l))];
  return labels.map((label) => {
    const apA = ap50Of(a, label);
    const apB = ap50Of(b, label);
    return { label, apA, apB, delta: apA === null || apB === null ? null : apB - apA };
  });
}

export interface ConfigDifference {
  key: string;
  a: string;
  b: string;
}

export function configDifference(a: object, b: object): ConfigDifference[] {
  const fa = flattenConfig(a);
  const fb = flattenConfig(b);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  return keys
    .filter((k) => JSON.stringify(fa[k] ?? null) !== JSON.stringify(fb[k] ?? null))
    .map((key) => ({ key, a: formatValue(fa[key]), b: formatValue(fb[key]) }));
}
