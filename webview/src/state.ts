// The dashboard's whole state and the pure reducer `(state, action) => state`. Host messages and the
// user's own actions (sorting, smoothing, a selected matrix cell) go through the same reducer, so the
// views are a function of state and the reducer is tested in node without a browser.
import type { RunDetails, RunSummary } from '../../src/protocol/runRecord';
import type {
  CompareRunData,
  DashboardPage,
  HostToWebview,
  LrFindCurve,
  NoticeLevel,
} from '../../src/protocol/webviewMessages';
import { METRIC_COLUMNS, type SortSpec } from './compare';

export type ClassSortKey = 'label' | 'precision' | 'recall' | 'f1' | 'support';
/** Columns of a detection run's per-class AP table. */
export type DetectionSortKey = 'label' | 'ap50' | 'ap50_95' | 'support';

export interface CellRef {
  row: number;
  col: number;
}

/** What the user chose in the webview; persisted with vscode.setState so a reload keeps it. */
export interface UiState {
  smoothing: number;
  showBatches: boolean;
  normalizeMatrix: boolean;
  /** The matrix cell whose images are listed. */
  selectedCell: CellRef | null;
  /** The cell with keyboard focus (roving tabindex). */
  focusedCell: CellRef;
  /** Epoch of the per-epoch matrix shown; null = the final evaluation. */
  matrixEpoch: number | null;
  classSort: { key: ClassSortKey; direction: 'asc' | 'desc' };
  detectionSort: { key: DetectionSortKey; direction: 'asc' | 'desc' };
  compareSort: SortSpec | null;
  compareFilter: string;
  /** Metric on the parallel-coordinates plot's last axis and the overlay curves. */
  compareMetric: 'valAccuracy' | 'valLoss' | 'accuracy' | 'loss' | 'map50' | 'map50_95';
  /** Key of a summary metric column (compare.ts METRIC_COLUMNS) on the parallel-coordinates plot. */
  parallelMetric: string;
  diffRunIds: [string | null, string | null];
}

export interface DashboardState {
  /** False until the first snapshot arrives: deltas before it are ignored. */
  loaded: boolean;
  runs: RunSummary[];
  selectedRunId: string | null;
  details: RunDetails | null;
  page: DashboardPage;
  compareRunIds: string[];
  compare: Record<string, CompareRunData>;
  thumbnailBases: Record<string, string>;
  /** runId → why the run's data set is shown read-only (the host will not open or move its images). */
  datasetNotices: Record<string, string>;
  lrFinds: LrFindCurve[];
  /** `${runId}\n${path}` → class the image was moved to. */
  moved: Record<string, string>;
  notice: { level: NoticeLevel; message: string } | null;
  ui: UiState;
}

export type UiAction =
  | { type: 'ui/selectRun'; runId: string }
  | { type: 'ui/showPage'; page: DashboardPage }
  | { type: 'ui/setSmoothing'; value: number }
  | { type: 'ui/setShowBatches'; value: boolean }
  | { type: 'ui/setNormalize'; value: boolean }
  | { type: 'ui/selectCell'; cell: CellRef | null }
  | { type: 'ui/focusCell'; cell: CellRef }
  | { type: 'ui/moveFocus'; dRow: number; dCol: number }
  | { type: 'ui/setMatrixEpoch'; epoch: number | null }
  | { type: 'ui/sortClasses'; key: ClassSortKey }
  | { type: 'ui/sortDetectionClasses'; key: DetectionSortKey }
  | { type: 'ui/sortCompare'; key: string }
  | { type: 'ui/filterCompare'; query: string }
  | { type: 'ui/setCompareMetric'; metric: UiState['compareMetric'] }
  | { type: 'ui/setParallelMetric'; key: string }
  | { type: 'ui/toggleCompareRun'; runId: string }
  | { type: 'ui/setCompareRuns'; runIds: string[] }
  | { type: 'ui/setDiffRun'; slot: 0 | 1; runId: string | null }
  | { type: 'ui/dismissNotice' };

export type Action = HostToWebview | UiAction;

export const DEFAULT_UI: UiState = {
  smoothing: 0.6,
  showBatches: true,
  normalizeMatrix: false,
  selectedCell: null,
  focusedCell: { row: 0, col: 0 },
  matrixEpoch: null,
  classSort: { key: 'label', direction: 'asc' },
  detectionSort: { key: 'label', direction: 'asc' },
  compareSort: { key: 'createdAt', direction: 'desc' },
  compareFilter: '',
  compareMetric: 'valAccuracy',
  parallelMetric: 'bestValAccuracy',
  diffRunIds: [null, null],
};

export function initialState(ui: Partial<UiState> = {}): DashboardState {
  return {
    loaded: false,
    runs: [],
    selectedRunId: null,
    details: null,
    page: 'run',
    compareRunIds: [],
    compare: {},
    thumbnailBases: {},
    datasetNotices: {},
    lrFinds: [],
    moved: {},
    notice: null,
    ui: { ...DEFAULT_UI, ...ui },
  };
}

const isDirection = (v: unknown): v is 'asc' | 'desc' => v === 'asc' || v === 'desc';
const CLASS_SORT_KEYS: readonly ClassSortKey[] = ['label', 'precision', 'recall', 'f1', 'support'];
const DETECTION_SORT_KEYS: readonly DetectionSortKey[] = ['label', 'ap50', 'ap50_95', 'support'];
const COMPARE_METRICS: readonly UiState['compareMetric'][] = [
  'valAccuracy',
  'valLoss',
  'accuracy',
  'loss',
  'map50',
  'map50_95',
];

/**
 * The user's saved choices (vscode.getState) as far as they are still valid: a state saved by another
 * version must not break the dashboard. Per-run choices (cells, epochs, diff runs) are not restored.
 */
export function sanitizeUi(saved: unknown): Partial<UiState> {
  if (typeof saved !== 'object' || saved === null) return {};
  const s = saved as Record<string, unknown>;
  const out: Partial<UiState> = {};
  if (typeof s.smoothing === 'number' && s.smoothing >= 0 && s.smoothing <= 0.99) out.smoothing = s.smoothing;
  if (typeof s.showBatches === 'boolean') out.showBatches = s.showBatches;
  if (typeof s.normalizeMatrix === 'boolean') out.normalizeMatrix = s.normalizeMatrix;
  const cs = s.classSort as Record<string, unknown> | null | undefined;
  if (cs && CLASS_SORT_KEYS.includes(cs.key as ClassSortKey) && isDirection(cs.direction)) {
    out.classSort = { key: cs.key as ClassSortKey, direction: cs.direction };
  }
  const ds = s.detectionSort as Record<string, unknown> | null | undefined;
  if (ds && DETECTION_SORT_KEYS.includes(ds.key as DetectionSortKey) && isDirection(ds.direction)) {
    out.detectionSort = { key: ds.key as DetectionSortKey, direction: ds.direction };
  }
  const ps = s.compareSort as Record<string, unknown> | null | undefined;
  if (ps && typeof ps.key === 'string' && isDirection(ps.direction))
    out.compareSort = { key: ps.key, direction: ps.direction };
  if (typeof s.compareFilter === 'string') out.compareFilter = s.compareFilter;
  if (COMPARE_METRICS.includes(s.compareMetric as UiState['compareMetric']))
    out.compareMetric = s.compareMetric as UiState['compareMetric'];
  if (METRIC_COLUMNS.some((c) => c.key === s.parallelMetric)) out.parallelMetric = s.parallelMetric as string;
  return out;
}

export function movedKey(runId: string, path: string): string {
  return `${runId}\n${path}`;
}

/**
 * Records keyed by run ids or class names hold own properties only (built with fromEntries or object
 * literals), and are read through this: "__proto__" or "constructor" is a key like any other.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Why the run's data set is read-only in the dashboard, or null when its images can be opened and moved. */
export function datasetNotice(state: DashboardState, runId: string): string | null {
  return ownValue(state.datasetNotices, runId) ?? null;
}

/**
 * Is this an object-detection run? Its evaluation.json says `task: "detect"`, its epoch lines carry
 * `task: "detect"`, or its config chose the detect task (any one is enough: a running detector has no
 * evaluation yet, and an old epoch line may lack the field).
 */
export function isDetectionRun(details: RunDetails | null): boolean {
  if (!details) return false;
  if (details.detectionEvaluation) return true;
  if (details.epochs.some((e) => e.task === 'detect')) return true;
  // `task` is a config field of detection-aware trainers; older configs have none.
  return (details.record.config as unknown as Record<string, unknown>).task === 'detect';
}

/** The number of classes of the matrix on screen (0 when there is none). */
export function matrixSize(state: DashboardState): number {
  return state.details?.evaluation?.labels.length ?? 0;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function byRunId(list: readonly CompareRunData[]): Record<string, CompareRunData> {
  // fromEntries defines own properties: a run id "__proto__" cannot replace the prototype.
  return Object.fromEntries(list.map((item) => [item.runId, item]));
}

/** Deep equality of JSON values, without serialising (it runs over every summary on each update). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return (
    keys.length === Object.keys(rb).length &&
    keys.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameJson(ra[k], rb[k]))
  );
}

/**
 * The new run list, reusing the previous objects of runs that did not change (and the previous array
 * when none did), so views keyed on them are not rebuilt and per-run caches stay warm.
 */
export function shareUnchanged(previous: readonly RunSummary[], next: RunSummary[]): RunSummary[] {
  const byId = new Map(previous.map((r) => [r.id, r]));
  let changed = previous.length !== next.length;
  const shared = next.map((run, i) => {
    const old = byId.get(run.id);
    if (old && sameJson(old, run)) {
      if (previous[i] !== old) changed = true;
      return old;
    }
    changed = true;
    // A running run's summary changes every epoch, its config never: keep the config object.
    if (old && sameJson(old.config, run.config)) return { ...run, config: old.config };
    return run;
  });
  return changed ? shared : (previous as RunSummary[]);
}

/** Empty slots of the A/B diff take the first compared runs, so the diff shows something at once. */
function fillDiff(state: DashboardState): DashboardState {
  const [a, b] = state.ui.diffRunIds;
  if (a && b) return state;
  const free = state.compareRunIds.filter((id) => id !== a && id !== b);
  const nextA = a ?? free.shift() ?? null;
  const nextB = b ?? free.shift() ?? null;
  if (nextA === a && nextB === b) return state;
  return { ...state, ui: { ...state.ui, diffRunIds: [nextA, nextB] } };
}

/** Selections that point at runs which no longer exist are dropped. */
function pruneSelections(state: DashboardState): DashboardState {
  const ids = new Set(state.runs.map((r) => r.id));
  const compareRunIds = state.compareRunIds.filter((id) => ids.has(id));
  const [a, b] = state.ui.diffRunIds;
  const diffRunIds: [string | null, string | null] = [a && ids.has(a) ? a : null, b && ids.has(b) ? b : null];
  const sameCompare = compareRunIds.length === state.compareRunIds.length;
  const sameDiff = diffRunIds[0] === a && diffRunIds[1] === b;
  if (sameCompare && sameDiff) return state;
  return { ...state, compareRunIds, ui: { ...state.ui, diffRunIds } };
}

/** A new run (or a new evaluation) invalidates the matrix cell and epoch chosen for the previous one. */
function resetMatrixUi(ui: UiState): UiState {
  return { ...ui, selectedCell: null, focusedCell: { row: 0, col: 0 }, matrixEpoch: null };
}

function withDetails(state: DashboardState, details: RunDetails | null): DashboardState {
  const sameRun =
    details !== null && state.details !== null && details.summary.id === state.details.summary.id;
  const sameEvaluation =
    sameRun && JSON.stringify(details?.evaluation) === JSON.stringify(state.details?.evaluation);
  return {
    ...state,
    details,
    selectedRunId: details ? details.summary.id : state.selectedRunId,
    ui: sameEvaluation ? state.ui : resetMatrixUi(state.ui),
  };
}

function reduceHost(state: DashboardState, message: HostToWebview): DashboardState {
  if (message.type !== 'snapshot' && !state.loaded) return state;
  switch (message.type) {
    case 'snapshot': {
      const s = message.snapshot;
      // A repeated snapshot (the handshake asks again when one is slow) keeps a matrix selection
      // that still applies, like a details update does.
      return pruneSelections({
        ...withDetails(state, s.details),
        loaded: true,
        runs: s.runs,
        selectedRunId: s.selectedRunId,
        details: s.details,
        page: s.page,
        compareRunIds: s.compareRunIds,
        compare: byRunId(s.compare),
        thumbnailBases: s.thumbnailBases,
        datasetNotices: s.datasetNotices ?? {},
        lrFinds: s.lrFinds,
      });
    }
    case 'runsChanged':
      return pruneSelections({
        ...state,
        runs: shareUnchanged(state.runs, message.runs),
        thumbnailBases: message.thumbnailBases,
        datasetNotices: message.datasetNotices ?? {},
      });
    case 'runDetailsChanged':
      return withDetails(state, message.details);
    case 'epochsAppended': {
      const details = state.details;
      if (!details || details.summary.id !== message.runId) return state;
      const runs = state.runs.map((r) => (r.id === message.runId ? message.summary : r));
      const compared = ownValue(state.compare, message.runId);
      const compare =
        compared && message.epochs.length > 0
          ? {
              ...state.compare,
              [message.runId]: { ...compared, epochs: [...compared.epochs, ...message.epochs] },
            }
          : state.compare;
      return {
        ...state,
        runs,
        compare,
        details: {
          ...details,
          summary: message.summary,
          // The host sends run.json's per-epoch fields through the summary only.
          record: {
            ...details.record,
            status: message.summary.status,
            updatedAt: message.summary.updatedAt,
            epochsCompleted: message.summary.epochsCompleted,
          },
          // Unchanged arrays stay the same objects, so the curves are not redrawn for a status change.
          epochs: message.epochs.length > 0 ? [...details.epochs, ...message.epochs] : details.epochs,
          batches: message.batches.length > 0 ? [...details.batches, ...message.batches] : details.batches,
        },
      };
    }
    case 'compareData':
      return { ...state, compare: { ...state.compare, ...byRunId(message.runs) } };
    case 'lrFindsChanged':
      return { ...state, lrFinds: message.lrFinds };
    case 'navigate':
      return pruneSelections({
        ...state,
        page: message.page,
        selectedRunId: message.selectedRunId,
        compareRunIds: message.compareRunIds,
      });
    case 'imageMoved':
      return {
        ...state,
        moved: { ...state.moved, [movedKey(message.runId, message.path)]: message.toClass },
      };
    case 'notice':
      return { ...state, notice: { level: message.level, message: message.message } };
  }
}

function toggleSort<K extends string>(current: { key: K; direction: 'asc' | 'desc' } | null, key: K) {
  if (current && current.key === key) {
    return { key, direction: current.direction === 'asc' ? ('desc' as const) : ('asc' as const) };
  }
  return { key, direction: 'asc' as const };
}

function reduceUi(state: DashboardState, action: UiAction): DashboardState {
  const ui = state.ui;
  switch (action.type) {
    case 'ui/selectRun':
      if (!state.runs.some((r) => r.id === action.runId)) return state;
      return { ...state, selectedRunId: action.runId, page: 'run' };
    case 'ui/showPage':
      return { ...state, page: action.page };
    case 'ui/setSmoothing':
      return Number.isFinite(action.value)
        ? { ...state, ui: { ...ui, smoothing: clamp(action.value, 0, 0.99) } }
        : state;
    case 'ui/setShowBatches':
      return { ...state, ui: { ...ui, showBatches: action.value } };
    case 'ui/setNormalize':
      return { ...state, ui: { ...ui, normalizeMatrix: action.value } };
    case 'ui/selectCell': {
      const n = matrixSize(state);
      const cell = action.cell;
      if (cell && !(cell.row >= 0 && cell.row < n && cell.col >= 0 && cell.col < n)) return state;
      return { ...state, ui: { ...ui, selectedCell: cell, focusedCell: cell ?? ui.focusedCell } };
    }
    case 'ui/focusCell': {
      const n = matrixSize(state);
      if (n === 0) return state;
      return {
        ...state,
        ui: {
          ...ui,
          focusedCell: { row: clamp(action.cell.row, 0, n - 1), col: clamp(action.cell.col, 0, n - 1) },
        },
      };
    }
    case 'ui/moveFocus': {
      const n = matrixSize(state);
      if (n === 0) return state;
      const row = clamp(ui.focusedCell.row + action.dRow, 0, n - 1);
      const col = clamp(ui.focusedCell.col + action.dCol, 0, n - 1);
      return { ...state, ui: { ...ui, focusedCell: { row, col } } };
    }
    case 'ui/setMatrixEpoch': {
      const epochs = state.details?.evaluation?.confusionByEpoch?.map((e) => e.epoch) ?? [];
      if (action.epoch !== null && !epochs.includes(action.epoch)) return state;
      return { ...state, ui: { ...ui, matrixEpoch: action.epoch } };
    }
    case 'ui/sortClasses':
      return { ...state, ui: { ...ui, classSort: toggleSort(ui.classSort, action.key) } };
    case 'ui/sortDetectionClasses':
      return { ...state, ui: { ...ui, detectionSort: toggleSort(ui.detectionSort, action.key) } };
    case 'ui/sortCompare':
      return { ...state, ui: { ...ui, compareSort: toggleSort(ui.compareSort, action.key) } };
    case 'ui/filterCompare':
      return { ...state, ui: { ...ui, compareFilter: action.query } };
    case 'ui/setCompareMetric':
      return { ...state, ui: { ...ui, compareMetric: action.metric } };
    case 'ui/setParallelMetric':
      return METRIC_COLUMNS.some((c) => c.key === action.key)
        ? { ...state, ui: { ...ui, parallelMetric: action.key } }
        : state;
    case 'ui/toggleCompareRun': {
      if (!state.runs.some((r) => r.id === action.runId)) return state;
      const has = state.compareRunIds.includes(action.runId);
      const compareRunIds = has
        ? state.compareRunIds.filter((id) => id !== action.runId)
        : [...state.compareRunIds, action.runId];
      return fillDiff({ ...state, compareRunIds });
    }
    case 'ui/setCompareRuns': {
      const ids = new Set(state.runs.map((r) => r.id));
      return fillDiff({ ...state, compareRunIds: [...new Set(action.runIds)].filter((id) => ids.has(id)) });
    }
    case 'ui/setDiffRun': {
      if (action.runId !== null && !state.runs.some((r) => r.id === action.runId)) return state;
      const diffRunIds: [string | null, string | null] = [...ui.diffRunIds];
      diffRunIds[action.slot] = action.runId;
      return { ...state, ui: { ...ui, diffRunIds } };
    }
    case 'ui/dismissNotice':
      return { ...state, notice: null };
  }
}

function isUiAction(action: Action): action is UiAction {
  return action.type.startsWith('ui/');
}

export function reduce(state: DashboardState, action: Action): DashboardState {
  return isUiAction(action) ? reduceUi(state, action) : reduceHost(state, action);
}
