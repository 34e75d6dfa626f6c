// The one entry point for training from the CLI, sweeps and k-fold: resolves what depends on a base model,
// gives knn its single memorising epoch, and runs k stratified folds as one group when asked.
import * as path from 'node:path';
import type { TrainingConfig } from '../../protocol/config';
import { RUN_FILES, type RunBase } from '../../protocol/runRecord';
import { kFoldSplits } from '../../core/split';
import { UsageError } from '../errors';
import { defaultCacheDir } from '../bases/cache';
import { resolveBaseConfig, usesBase } from '../presets/transfer';
import { scanDataset } from '../scan';
import { trainRun, type TrainOutcome, type TrainRunRequest } from '../train';
import { selectEngine } from '../training/openDataset';
import {
  foldGroupSummary,
  lastEpochMetrics,
  newGroupId,
  readEvaluation,
  writeGroupRecord,
  type FoldRun,
} from './groups';

export interface ExperimentRequest extends TrainRunRequest {
  /** Train this many runs on stratified folds instead of one run. */
  kFolds?: number;
}

export interface ExperimentOutcome extends TrainOutcome {
  /** k-fold: the group summary file. */
  groupFile?: string;
}

/** What training this config needs, resolved once so that run.json records it (and the base it used). */
export async function resolveExperimentConfig(
  config: TrainingConfig,
  cacheDir: string = defaultCacheDir(),
): Promise<{ config: TrainingConfig; base: RunBase | null }> {
  if (usesBase(config)) {
    // Reading the base model needs an initialised backend: the one the run will train on.
    await selectEngine(config);
  }
  const resolved = await resolveBaseConfig(config, { cacheDir });
  // knn memorises the training set in one pass; more epochs would repeat it.
  const final =
    resolved.config.model === 'knn'
      ? { ...resolved.config, epochs: 1, earlyStopping: null }
      : resolved.config;
  return { config: final, base: resolved.base };
}

export async function trainAny(request: ExperimentRequest): Promise<ExperimentOutcome> {
  if (request.resumeRunDir) return trainRun(request);
  const { config, base } = await resolveExperimentConfig(request.config, request.cacheDir);
  const resolved = { ...request, config, ...(base ? { base } : {}) };
  if (request.kFolds && request.kFolds > 1) return trainKFold(resolved, request.kFolds);
  return trainRun(resolved);
}

/** K runs, one per stratified fold (validation = the fold), grouped; the summary lands in groups/. */
async function trainKFold(request: ExperimentRequest, k: number): Promise<ExperimentOutcome> {
  if (!request.dataDir)
    throw new UsageError('--k-folds needs a data set folder: image-trainer train DIR --k-folds K');
  const root = path.resolve(request.dataDir);
  const { entries } = await scanDataset(root);
  let splits;
  try {
    splits = kFoldSplits(entries, k, request.config.seed);
  } catch (err) {
    throw new UsageError(`${root}: ${(err as Error).message}`);
  }
  const groupId = request.group ?? newGroupId('kfold');
  const folds: FoldRun[] = [];
  let outcome: TrainOutcome = { status: 'completed', runId: null, runDir: null };
  const write = (status: string): Promise<string> =>
    writeGroupRecord(request.runsRoot, groupId, {
      kind: 'kfold',
      id: groupId,
      status,
      k,
      dataset: root,
      config: request.config,
      updatedAt: new Date().toISOString(),
      runs: folds.map((f) => ({ runId: f.runId, fold: f.fold.index, accuracy: f.evaluation.accuracy })),
      summary: folds.length ? foldGroupSummary(folds) : null,
    });
  for (let i = 0; i < k; i++) {
    request.emit({ type: 'log', level: 'info', message: `Fold ${i + 1} of ${k} (group ${groupId})` });
    const fold = { index: i + 1, count: k };
    outcome = await trainRun({ ...request, split: splits[i], group: groupId, fold });
    if (outcome.status !== 'completed' || !outcome.runDir) break;
    const evaluation = await readEvaluation(outcome.runDir);
    if (!evaluation) {
      outcome = {
        ...outcome,
        status: 'failed',
        message: `${path.join(outcome.runDir, RUN_FILES.evaluation)}: missing after fold ${i + 1}`,
      };
      break;
    }
    folds.push({
      runId: outcome.runId!,
      runDir: outcome.runDir,
      fold,
      evaluation,
      lastEpoch: await lastEpochMetrics(outcome.runDir),
    });
    await write(i + 1 < k ? 'running' : 'completed');
  }
  const file = await write(outcome.status === 'completed' ? 'completed' : outcome.status);
  if (outcome.status === 'completed' && folds.length === k) {
    const summary = foldGroupSummary(folds).evaluation.accuracy;
    request.emit({
      type: 'log',
      level: 'info',
      message: `${k}-fold accuracy ${(summary.mean * 100).toFixed(2)}% ± ${(summary.std * 100).toFixed(2)}% — summary ${file}`,
    });
  }
  return { ...outcome, groupFile: file };
}
