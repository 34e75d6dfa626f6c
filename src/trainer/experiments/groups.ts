// Group records: a k-fold run or a sweep is several normal runs sharing `group` in run.json, plus one
// summary file `<runsRoot>/groups/<groupId>.json` (a folder of files, not of runs, so run listings skip it).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Evaluation, RunFold } from '../../protocol/runRecord';
import { RUN_FILES } from '../../protocol/runRecord';
import type { MeanStd } from '../../protocol/runRecord';
import { meanStd, summarizeFolds } from '../../core/metrics';
import { parseMetricsLines, readEvaluation as readRunEvaluation, splitMetrics } from '../../core/runStore';
import { makeDirectoryInside, READ_LIMITS, readTextInside, writeFileInside } from '../../core/runFiles';
import { newRunId } from '../runWriter';

export const GROUPS_DIR = 'groups';

export function newGroupId(kind: 'kfold' | 'sweep'): string {
  return `${kind}-${newRunId()}`;
}

export function groupFile(runsRoot: string, groupId: string): string {
  return path.join(runsRoot, GROUPS_DIR, `${groupId}.json`);
}

/** Writes the group summary under `<runsRoot>/groups/`, a real folder (never a link out of the runs root). */
export async function writeGroupRecord(runsRoot: string, groupId: string, record: object): Promise<string> {
  await fs.mkdir(runsRoot, { recursive: true });
  await makeDirectoryInside(runsRoot, GROUPS_DIR);
  await writeFileInside(runsRoot, path.join(GROUPS_DIR, `${groupId}.json`), JSON.stringify(record, null, 2));
  return groupFile(runsRoot, groupId);
}

/** The last complete epoch line of a run's metrics.jsonl, or null. */
export async function lastEpochMetrics(runDir: string): Promise<Record<string, unknown> | null> {
  const text = await readTextInside(runDir, RUN_FILES.metrics, READ_LIMITS.metrics).catch(() => '');
  const epochs = splitMetrics(parseMetricsLines(text)).epochs;
  return epochs.length ? (epochs[epochs.length - 1] as unknown as Record<string, unknown>) : null;
}

/** A run's evaluation.json through the shared schema, or null when it is missing or fails it. */
export async function readEvaluation(runDir: string): Promise<Evaluation | null> {
  return readRunEvaluation(runDir);
}

/** Numeric fields of the final epoch lines that every fold recorded. */
const EPOCH_FIELDS = ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const;

export interface FoldRun {
  runId: string;
  runDir: string;
  fold: RunFold;
  evaluation: Evaluation;
  lastEpoch: Record<string, unknown> | null;
}

/** Mean ± std of the evaluation figures (summarizeFolds) and of the final epoch's training figures. */
export function foldGroupSummary(runs: readonly FoldRun[]): {
  evaluation: ReturnType<typeof summarizeFolds>;
  finalEpoch: Record<string, MeanStd>;
} {
  const finalEpoch: Record<string, MeanStd> = {};
  for (const field of EPOCH_FIELDS) {
    const values = runs.map((r) => r.lastEpoch?.[field]).filter((v): v is number => typeof v === 'number');
    if (values.length === runs.length && values.length > 0) finalEpoch[field] = meanStd(values);
  }
  return { evaluation: summarizeFolds(runs.map((r) => r.evaluation)), finalEpoch };
}
