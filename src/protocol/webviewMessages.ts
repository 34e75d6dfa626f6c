// Host ↔ dashboard webview channel. The webview says `ready`; the host answers with one `snapshot`, then
// small deltas (throttled to about 5 a second). Everything that arrives on either side is `unknown` until
// `isHostToWebview` / `isWebviewToHost` accepts it.
import type {
  BatchMetrics,
  ClassMetrics,
  EpochMetrics,
  Evaluation,
  Misclassified,
  RunDataset,
  RunDetails,
  RunRecord,
  RunStatus,
  RunSummary,
} from './runRecord';
import { isArrayOf, isFiniteNumber, isNonNegativeInteger, isOneOf, isRecord, isString } from './guards';
import { isEpochMetrics, isSplitCounts } from './trainerMessages';

export const DASHBOARD_PAGES = ['run', 'compare'] as const;
export type DashboardPage = (typeof DASHBOARD_PAGES)[number];

/** What the compare page needs of a run beyond its summary: its curves and its evaluation. */
export interface CompareRunData {
  runId: string;
  epochs: EpochMetrics[];
  evaluation: Evaluation | null;
}

/** One learning-rate range test (`image-trainer lr-find`, <runsRoot>/lr-find/<id>.json), as plotted. */
export interface LrFindCurve {
  id: string;
  createdAt: string;
  dataset: string;
  /** The suggested learning rate, when the test found one. */
  suggested: number | null;
  diverged: boolean;
  points: { learningRate: number; loss: number; smoothedLoss: number }[];
}

export interface DashboardSnapshot {
  runs: RunSummary[];
  selectedRunId: string | null;
  /** Details of the selected run, or null when none is selected or it could not be read. */
  details: RunDetails | null;
  page: DashboardPage;
  compareRunIds: string[];
  compare: CompareRunData[];
  /** runId → webview URI of that run's data set root; a thumbnail is `base + '/' + encoded relative path`. */
  thumbnailBases: Record<string, string>;
  /** Learning-rate range tests under the runs root, newest first. */
  lrFinds: LrFindCurve[];
}

export type NoticeLevel = 'info' | 'warn' | 'error';

export type HostToWebview =
  | { type: 'snapshot'; snapshot: DashboardSnapshot }
  | { type: 'runsChanged'; runs: RunSummary[]; thumbnailBases: Record<string, string> }
  | { type: 'runDetailsChanged'; details: RunDetails | null }
  | {
      type: 'epochsAppended';
      runId: string;
      summary: RunSummary;
      epochs: EpochMetrics[];
      batches: BatchMetrics[];
    }
  | { type: 'compareData'; runs: CompareRunData[] }
  | { type: 'lrFindsChanged'; lrFinds: LrFindCurve[] }
  | { type: 'navigate'; page: DashboardPage; selectedRunId: string | null; compareRunIds: string[] }
  | { type: 'imageMoved'; runId: string; path: string; toClass: string }
  | { type: 'notice'; level: NoticeLevel; message: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'selectRun'; runId: string }
  | { type: 'showPage'; page: DashboardPage }
  | { type: 'requestCompare'; runIds: string[] }
  | { type: 'openImage'; runId: string; path: string }
  | { type: 'moveImage'; runId: string; path: string; toClass: string }
  | { type: 'exportCsv'; csv: string; suggestedName: string };

export type HostToWebviewType = HostToWebview['type'];
export type WebviewToHostType = WebviewToHost['type'];

/** Above this a CSV export is refused: the table of every run fits many times over. */
export const MAX_CSV_CHARS = 50_000_000;

const isPage = isOneOf(DASHBOARD_PAGES);
const isNoticeLevel = isOneOf(['info', 'warn', 'error'] as const);
const isRunStatus = isOneOf<RunStatus>(['running', 'completed', 'failed', 'stopped', 'interrupted']);
const isNullableNumber = (v: unknown): v is number | null => v === null || isFiniteNumber(v);
const isNullableString = (v: unknown): v is string | null => v === null || isString(v);
const isNullableCount = (v: unknown): v is number | null => v === null || isNonNegativeInteger(v);
const isOptional = <T>(v: unknown, guard: (x: unknown) => x is T): boolean => v === undefined || guard(v);
const isNonEmptyString = (v: unknown): v is string => isString(v) && v.length > 0;

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every(isString);
}

export function isRunSummary(value: unknown): value is RunSummary {
  if (!isRecord(value)) return false;
  const v = value;
  return (
    isNonEmptyString(v.id) &&
    isString(v.runDir) &&
    isRunStatus(v.status) &&
    isString(v.createdAt) &&
    isString(v.updatedAt) &&
    isString(v.model) &&
    isNonNegativeInteger(v.epochsCompleted) &&
    isNonNegativeInteger(v.totalEpochs) &&
    isNullableCount(v.bestEpoch) &&
    isNullableNumber(v.bestValAccuracy) &&
    isNullableNumber(v.lastValAccuracy) &&
    isNullableNumber(v.lastValLoss) &&
    isNullableNumber(v.testAccuracy) &&
    isString(v.datasetRoot) &&
    isArrayOf(v.classNames, isString) &&
    isString(v.backend) &&
    isNullableString(v.group) &&
    // The config is shown generically (flattened keys), so an object is all the webview relies on.
    isRecord(v.config) &&
    isNullableString(v.error)
  );
}

function isRunDataset(value: unknown): value is RunDataset {
  return (
    isRecord(value) &&
    isString(value.root) &&
    (value.layout === 'class-folders' || value.layout === 'split-folders') &&
    isArrayOf(value.classNames, isString) &&
    isSplitCounts(value.counts) &&
    isRecord(value.classCounts) &&
    Object.values(value.classCounts).every(isSplitCounts) &&
    isArrayOf(
      value.skipped,
      (s: unknown): s is { path: string; reason: string } =>
        isRecord(s) && isString(s.path) && isString(s.reason),
    )
  );
}

function isRunRecord(value: unknown): value is RunRecord {
  if (!isRecord(value)) return false;
  const v = value;
  return (
    isFiniteNumber(v.formatVersion) &&
    isNonEmptyString(v.id) &&
    isRunStatus(v.status) &&
    isString(v.createdAt) &&
    isString(v.updatedAt) &&
    isOptional(v.endedAt, isString) &&
    isRecord(v.config) &&
    isRunDataset(v.dataset) &&
    isString(v.backend) &&
    isArrayOf(v.backendNotes, isString) &&
    isNonNegativeInteger(v.epochsCompleted) &&
    isOptional(v.bestEpoch, isNonNegativeInteger) &&
    isOptional(v.bestValAccuracy, isFiniteNumber) &&
    isOptional(v.bestValLoss, isFiniteNumber) &&
    isOptional(v.group, isString) &&
    isOptional(
      v.error,
      (e: unknown): e is object => isRecord(e) && isString(e.message) && isOptional(e.path, isString),
    )
  );
}

export function isBatchMetrics(value: unknown): value is BatchMetrics {
  return (
    isRecord(value) &&
    value.kind === 'batch' &&
    isNonNegativeInteger(value.epoch) &&
    isNonNegativeInteger(value.batch) &&
    isFiniteNumber(value.loss) &&
    isFiniteNumber(value.accuracy)
  );
}

/** A square matrix of non-negative integer counts of size n. */
function isCountMatrix(value: unknown, n: number): value is number[][] {
  return (
    Array.isArray(value) &&
    value.length === n &&
    value.every((row) => Array.isArray(row) && row.length === n && row.every(isNonNegativeInteger))
  );
}

function isClassMetrics(value: unknown): value is ClassMetrics {
  return (
    isRecord(value) &&
    isString(value.label) &&
    isFiniteNumber(value.precision) &&
    isFiniteNumber(value.recall) &&
    isFiniteNumber(value.f1) &&
    isNonNegativeInteger(value.support)
  );
}

function isMisclassified(value: unknown): value is Misclassified {
  return (
    isRecord(value) &&
    isString(value.path) &&
    isString(value.label) &&
    isString(value.predicted) &&
    isFiniteNumber(value.confidence)
  );
}

function isAveraged(value: unknown): boolean {
  return (
    isRecord(value) &&
    isFiniteNumber(value.precision) &&
    isFiniteNumber(value.recall) &&
    isFiniteNumber(value.f1)
  );
}

export function isEvaluation(value: unknown): value is Evaluation {
  if (!isRecord(value) || !isArrayOf(value.labels, isString)) return false;
  const n = value.labels.length;
  return (
    isCountMatrix(value.confusion, n) &&
    isFiniteNumber(value.accuracy) &&
    isAveraged(value.macro) &&
    isAveraged(value.weighted) &&
    isArrayOf(value.perClass, isClassMetrics) &&
    isArrayOf(value.misclassified, isMisclassified) &&
    isOptional(value.source, isString) &&
    isOptional(value.confusionByEpoch, (list: unknown): list is unknown[] =>
      isArrayOf(
        list,
        (e: unknown): e is object =>
          isRecord(e) && isNonNegativeInteger(e.epoch) && isCountMatrix(e.confusion, n),
      ),
    )
  );
}

const isNullableEvaluation = (v: unknown): v is Evaluation | null => v === null || isEvaluation(v);

export function isRunDetails(value: unknown): value is RunDetails {
  return (
    isRecord(value) &&
    isRunSummary(value.summary) &&
    isRunRecord(value.record) &&
    isArrayOf(value.epochs, isEpochMetrics) &&
    isArrayOf(value.batches, isBatchMetrics) &&
    isNullableEvaluation(value.evaluation)
  );
}

const isNullableDetails = (v: unknown): v is RunDetails | null => v === null || isRunDetails(v);

export function isCompareRunData(value: unknown): value is CompareRunData {
  return (
    isRecord(value) &&
    isNonEmptyString(value.runId) &&
    isArrayOf(value.epochs, isEpochMetrics) &&
    isNullableEvaluation(value.evaluation)
  );
}

export function isLrFindCurve(value: unknown): value is LrFindCurve {
  return (
    isRecord(value) &&
    isNonEmptyString(value.id) &&
    isString(value.createdAt) &&
    isString(value.dataset) &&
    (value.suggested === null || (isFiniteNumber(value.suggested) && value.suggested > 0)) &&
    typeof value.diverged === 'boolean' &&
    isArrayOf(
      value.points,
      (p: unknown): p is LrFindCurve['points'][number] =>
        isRecord(p) &&
        isFiniteNumber(p.learningRate) &&
        p.learningRate > 0 &&
        isFiniteNumber(p.loss) &&
        isFiniteNumber(p.smoothedLoss),
    )
  );
}

function isSnapshot(value: unknown): value is DashboardSnapshot {
  return (
    isRecord(value) &&
    isArrayOf(value.runs, isRunSummary) &&
    isNullableString(value.selectedRunId) &&
    isNullableDetails(value.details) &&
    isPage(value.page) &&
    isArrayOf(value.compareRunIds, isString) &&
    isArrayOf(value.compare, isCompareRunData) &&
    isStringRecord(value.thumbnailBases) &&
    isArrayOf(value.lrFinds, isLrFindCurve)
  );
}

export function isHostToWebview(value: unknown): value is HostToWebview {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'snapshot':
      return isSnapshot(v.snapshot);
    case 'runsChanged':
      return isArrayOf(v.runs, isRunSummary) && isStringRecord(v.thumbnailBases);
    case 'runDetailsChanged':
      return isNullableDetails(v.details);
    case 'epochsAppended':
      return (
        isNonEmptyString(v.runId) &&
        isRunSummary(v.summary) &&
        v.summary.id === v.runId &&
        isArrayOf(v.epochs, isEpochMetrics) &&
        isArrayOf(v.batches, isBatchMetrics)
      );
    case 'compareData':
      return isArrayOf(v.runs, isCompareRunData);
    case 'lrFindsChanged':
      return isArrayOf(v.lrFinds, isLrFindCurve);
    case 'navigate':
      return isPage(v.page) && isNullableString(v.selectedRunId) && isArrayOf(v.compareRunIds, isString);
    case 'imageMoved':
      return isNonEmptyString(v.runId) && isNonEmptyString(v.path) && isNonEmptyString(v.toClass);
    case 'notice':
      return isNoticeLevel(v.level) && isString(v.message);
    default:
      return false;
  }
}

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'ready':
      return true;
    case 'selectRun':
      return isNonEmptyString(v.runId);
    case 'showPage':
      return isPage(v.page);
    case 'requestCompare':
      return isArrayOf(v.runIds, isNonEmptyString);
    case 'openImage':
      return isNonEmptyString(v.runId) && isNonEmptyString(v.path);
    case 'moveImage':
      return isNonEmptyString(v.runId) && isNonEmptyString(v.path) && isNonEmptyString(v.toClass);
    case 'exportCsv':
      return isString(v.csv) && v.csv.length <= MAX_CSV_CHARS && isNonEmptyString(v.suggestedName);
    default:
      return false;
  }
}
