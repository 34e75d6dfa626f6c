// Scan reports survive a window reload: kept in the workspace state, checked again when read back.
import { isRecord, isString } from '../../protocol';
import { isScanReport } from '../../protocol/cliResults';
import { isDetectionScanReport } from '../../protocol/detectionGuards';
import type { AnyScanReport } from './datasetsModel';

/** The part of vscode.Memento used here, so that tests need no editor. */
export interface StateStore {
  get(key: string): unknown;
  update(key: string, value: unknown): PromiseLike<void>;
}

const KEY = 'imageTrainer.doctorReports';

export interface CachedReport {
  report: AnyScanReport;
  scannedAt: Date;
}

export function readCachedReports(store: StateStore): Map<string, CachedReport> {
  const result = new Map<string, CachedReport>();
  const raw = store.get(KEY);
  if (!isRecord(raw)) return result;
  for (const [root, entry] of Object.entries(raw)) {
    if (!isRecord(entry) || !isAnyScanReport(entry.report) || !isString(entry.scannedAt)) continue;
    const scannedAt = new Date(entry.scannedAt);
    if (!Number.isNaN(scannedAt.getTime())) result.set(root, { report: entry.report, scannedAt });
  }
  return result;
}

export async function writeCachedReport(
  store: StateStore,
  root: string,
  cached: CachedReport,
): Promise<void> {
  const raw = store.get(KEY);
  const all: Record<string, unknown> = isRecord(raw) ? { ...raw } : {};
  all[root] = { report: cached.report, scannedAt: cached.scannedAt.toISOString() };
  await store.update(KEY, all);
}

/** What `scan --json` may print: a classification report or a detection set's. */
export function isAnyScanReport(value: unknown): value is AnyScanReport {
  return isDetectionScanReport(value) || isScanReport(value);
}
