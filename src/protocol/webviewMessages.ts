// Host ↔ dashboard webview channel. The webview says `ready`; the host answers with one `snapshot`, then
// small deltas (throttled to about 5 a second). Everything that arrives on either side is `unknown` until
// `isHostToWebview` / `isWebviewToHost` accepts it.
import type { DetectionEvaluation } from './detection';
import type { BatchMetrics, EpochMetrics, Evaluation, RunDetails, RunRecord, RunSummary } from './runRecord';
import { isArrayOf, isFiniteNumber, isNonNegativeInteger, isOneOf, isRecord, isString } from './guards';
import {
  checkBatchMetrics,
  checkDetectionEvaluation,
  checkEvaluation,
  checkRunRecord,
  isRunIdReference,
  RUN_STATUSES,
} from './runSchema';
import { isEpochMetrics } from './trainerMessages';

export const DASHBOARD_PAGES = ['run', 'compare'] as const;
export type DashboardPage = (typeof DASHBOARD_PAGES)[number];

/** What the compare page needs of a run beyond its summary: its curves and its evaluation. */
export interface CompareRunData {
  runId: string;
  epochs: EpochMetrics[];
  evaluation: Evaluation | null;
  /** A detection run's evaluation.json (per-class AP for the A/B comparison); absent otherwise. */
  detectionEvaluation?: DetectionEvaluation | null;
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
  /**
   * runId → why that run's data set is shown read-only (its root is outside the folders the user chose);
   * its images cannot be opened or moved.
   */
  datasetNotices?: Record<string, string>;
  /** Learning-rate range tests under the runs root, newest first. */
  lrFinds: LrFindCurve[];
}

export type NoticeLevel = 'info' | 'warn' | 'error';

export type HostToWebview =
  | { type: 'snapshot'; snapshot: DashboardSnapshot }
  | {
      type: 'runsChanged';
      runs: RunSummary[];
      thumbnailBases: Record<string, string>;
      datasetNotices?: Record<string, string>;
    }
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
  | { type: 'exportCsv'; csv: string; suggestedName: string }
  /** Export Model… for a run: the host runs its (trust-gated) command. */
  | { type: 'exportModel'; runId: string }
  /** Inspect Predictions for a detection run: the host opens the inspector of its detections.json. */
  | { type: 'inspectPredictions'; runId: string };

export type HostToWebviewType = HostToWebview['type'];
export type WebviewToHostType = WebviewToHost['type'];

/** Above this a CSV export is refused: the table of every run fits many times over. */
export const MAX_CSV_CHARS = 50_000_000;

const isPage = isOneOf(DASHBOARD_PAGES);
const isNoticeLevel = isOneOf(['info', 'warn', 'error'] as const);
const isRunStatus = isOneOf(RUN_STATUSES);
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
    isOptional(v.parentId, isRunIdReference) &&
    (v.task === undefined || v.task === 'classify' || v.task === 'detect') &&
    isOptional(v.map50, isNullableNumber) &&
    isOptional(v.map50_95, isNullableNumber) &&
    // The config is shown generically (flattened keys), so an object is all the webview relies on.
    isRecord(v.config) &&
    isNullableString(v.error)
  );
}

/** The shared run.json schema (runSchema.ts): what the host reader accepts, the webview accepts. */
function isRunRecord(value: unknown): value is RunRecord {
  return checkRunRecord(value).ok;
}

export function isBatchMetrics(value: unknown): value is BatchMetrics {
  return checkBatchMetrics(value).ok;
}

export function isEvaluation(value: unknown): value is Evaluation {
  return checkEvaluation(value).ok;
}

const isNullableEvaluation = (v: unknown): v is Evaluation | null => v === null || isEvaluation(v);

/** The shared detection evaluation.json schema (runSchema.ts checkDetectionEvaluation). */
export function isDetectionEvaluation(value: unknown): value is DetectionEvaluation {
  return checkDetectionEvaluation(value).ok;
}

export function isRunDetails(value: unknown): value is RunDetails {
  return (
    isRecord(value) &&
    isRunSummary(value.summary) &&
    isRunRecord(value.record) &&
    isArrayOf(value.epochs, isEpochMetrics) &&
    isArrayOf(value.batches, isBatchMetrics) &&
    isNullableEvaluation(value.evaluation) &&
    (value.detectionEvaluation === undefined ||
      value.detectionEvaluation === null ||
      isDetectionEvaluation(value.detectionEvaluation))
  );
}

const isNullableDetails = (v: unknown): v is RunDetails | null => v === null || isRunDetails(v);

export function isCompareRunData(value: unknown): value is CompareRunData {
  return (
    isRecord(value) &&
    isNonEmptyString(value.runId) &&
    isArrayOf(value.epochs, isEpochMetrics) &&
    isNullableEvaluation(value.evaluation) &&
    (value.detectionEvaluation === undefined ||
      value.detectionEvaluation === null ||
      isDetectionEvaluation(value.detectionEvaluation))
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
    isOptional(value.datasetNotices, isStringRecord) &&
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
      return (
        isArrayOf(v.runs, isRunSummary) &&
        isStringRecord(v.thumbnailBases) &&
        isOptional(v.datasetNotices, isStringRecord)
      );
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
    case 'exportModel':
    case 'inspectPredictions':
      return isNonEmptyString(v.runId);
    default:
      return false;
  }
}
