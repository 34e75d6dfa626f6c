// Run preparation: a new run directory (scan, split, record) or a resumed one (every record read back and
// checked before the first write). Either way the run's writer lock is held from before the first write.
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendName, TrainingConfig } from '../../protocol/config';
import type { RunDataset, RunRecord, SplitRecord } from '../../protocol/runRecord';
import { RUN_FILES, RUN_FORMAT_VERSION } from '../../protocol/runRecord';
import { checkSplitRecord } from '../../protocol/runSchema';
import { DETECTION_RESULTS_FILE } from '../../protocol/detection';
import { ConfigError } from '../../core/config';
import { assertEntriesInside, findLinks, readJsonInside, realRoot, RunFileError } from '../../core/runFiles';
import { acquireRunLock, RunLockedError, type RunLock } from '../../core/runLock';
import { effectiveStatus, probeProcess, readRunRecordChecked } from '../../core/runStore';
import { classCounts, stratifiedSplit } from '../../core/split';
import type { CheckpointState } from '../../core/trainingControl';
import { UsageError } from '../errors';
import { assertTrainingFits } from '../memoryEstimate';
import { checkLayersModelFolder, resolveDirectory } from '../modelIO';
import { createModel } from '../presets/presetIndex';
import {
  createRunDirectory,
  removeLeftovers,
  RunWriter,
  runningRecordFields,
  truncateMetricsAfter,
} from '../runWriter';
import { readCheckpointState } from './checkpoints';
import { openDataset, selectEngine } from './openDataset';
import type { PreparedRun, TrainRunRequest } from './runContext';

/** The run directory's writer lock, held from before the first write until the run ends. */
export interface LockHolder {
  lock: RunLock | null;
}

/** What a trainer writes in a run directory (with the `.old` copies that replaceDirectory leaves). */
const TRAINER_ENTRIES = new Set<string>([
  RUN_FILES.run,
  RUN_FILES.metrics,
  RUN_FILES.split,
  RUN_FILES.evaluation,
  'test-evaluation.json',
  DETECTION_RESULTS_FILE,
  RUN_FILES.model,
  `${RUN_FILES.model}.old`,
  RUN_FILES.checkpoints,
]);

export function prepareRun(request: TrainRunRequest, held: LockHolder): Promise<PreparedRun> {
  return request.resumeRunDir
    ? prepareResume(request, request.resumeRunDir, held)
    : prepareNewRun(request, held);
}

/** Takes the run's writer lock; another live writer is a usage error (exit 2), nothing written. */
async function lockRun(runDir: string, purpose: string, held: LockHolder): Promise<void> {
  try {
    held.lock = await acquireRunLock(runDir, { purpose });
  } catch (err) {
    if (err instanceof RunLockedError) throw new UsageError(err.message);
    throw err;
  }
}

/** Errors of records read back from disk become usage errors: one line, exit 2, the run left as it was. */
function asUsageError(err: unknown, fix: string): unknown {
  if (err instanceof RunFileError || err instanceof ConfigError)
    return new UsageError(`${err.message} — ${fix}`);
  return err;
}

async function prepareNewRun(request: TrainRunRequest, held: LockHolder): Promise<PreparedRun> {
  const { emit, config } = request;
  if (!request.dataDir) throw new UsageError('train needs a data set folder: image-trainer train DIR');
  // Header checks suffice here: the pipeline decodes every image anyway and reports any that fail.
  const { root, backend, backendNotes, scan, classNames } = await openDataset(request.dataDir, config, {
    emit,
    verify: 'header',
  });
  emit({ type: 'phaseChanged', phase: 'splitting', message: 'Splitting into train, validation and test' });
  const split = request.split ?? stratifiedSplit(scan.entries, config);
  // Before the run directory exists: a batch that cannot fit is a usage error (exit 2), not a failed run.
  await assertTrainingFits(config, backend, () => createModel(config, classNames.length, split.train.length));
  const counts = classCounts(split, classNames);
  const dataset: RunDataset = {
    root,
    layout: scan.report.layout,
    classNames,
    counts: counts.counts,
    classCounts: counts.classCounts,
    skipped: scan.report.skipped,
  };
  const writer = await createNewRun(
    request.runsRoot,
    held,
    { config, dataset, backend, backendNotes, split },
    request,
  );
  return { writer, config, split, classNames, datasetRoot: root, backend, resume: null };
}

/** What a new run's run.json and split.json record (besides its id, status and times). */
export interface NewRunFields {
  config: TrainingConfig;
  dataset: RunDataset;
  backend: BackendName;
  backendNotes: string[];
  split: SplitRecord;
}

/**
 * A new run directory under `runsRoot`, its lock held, with run.json (running, no epoch yet) and split.json
 * written. `links` are the request's group, parent, fold and base, each recorded when set.
 */
export async function createNewRun(
  runsRoot: string,
  held: LockHolder,
  fields: NewRunFields,
  links: Pick<TrainRunRequest, 'group' | 'parentId' | 'fold' | 'base'>,
): Promise<RunWriter> {
  const { runId, runDir } = await createRunDirectory(runsRoot);
  await lockRun(runDir, 'training', held);
  const now = new Date().toISOString();
  const record: RunRecord = {
    formatVersion: RUN_FORMAT_VERSION,
    id: runId,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    ...runningRecordFields(),
    config: fields.config,
    dataset: fields.dataset,
    backend: fields.backend,
    backendNotes: fields.backendNotes,
    epochsCompleted: 0,
    ...(links.group ? { group: links.group } : {}),
    ...(links.parentId ? { parentId: links.parentId } : {}),
    ...(links.fold ? { fold: links.fold } : {}),
    ...(links.base ? { base: links.base } : {}),
  };
  const writer = new RunWriter(runDir, record);
  await writer.writeJson(RUN_FILES.split, fields.split);
  await writer.update({});
  return writer;
}

async function prepareResume(
  request: TrainRunRequest,
  resumeRunDir: string,
  held: LockHolder,
): Promise<PreparedRun> {
  const runDir = path.resolve(resumeRunDir);
  const read = await readRunRecordChecked(runDir);
  if (!read.ok) {
    throw new UsageError(
      read.missing
        ? `${path.join(runDir, RUN_FILES.run)}: not a run directory (no readable run.json)`
        : `${read.reason} — the run cannot be resumed`,
    );
  }
  const record = read.record;
  if (isTrainerAlive(record)) {
    throw new UsageError(
      `${runDir}: its trainer is still running (pid ${record.pid}); stop it before resuming`,
    );
  }
  // Everything below is read or checked before the first write, under the lock: a tampered run is refused
  // with one line (exit 2) and left exactly as it was.
  await lockRun(runDir, 'resume', held);
  // The entries a resume reads, rewrites, replaces or removes must be real files and folders; links the
  // user keeps elsewhere in the run (an export folder on another disk) are not the trainer's business.
  const links = (await findLinks(runDir)).filter((link) => TRAINER_ENTRIES.has(link.split(path.sep)[0]));
  if (links.length > 0) {
    throw new UsageError(
      `${path.join(runDir, links[0])}: is a symbolic link; a run's files must be inside its folder — remove the link, then resume`,
    );
  }
  // The stored config passed the field table (readRunRecordChecked): a run recorded before resize modes
  // reads as stretch, an unknown mode was refused there.
  const config: TrainingConfig = { ...record.config, epochs: request.epochsOverride ?? record.config.epochs };
  let checkpointDir: string | null;
  let state: CheckpointState | null;
  try {
    checkpointDir = await resolveDirectory(path.join(runDir, RUN_FILES.checkpoints, 'last'), runDir);
    state = checkpointDir ? await readCheckpointState(checkpointDir) : null;
    if (checkpointDir) await checkLayersModelFolder(checkpointDir);
  } catch (err) {
    throw asUsageError(err, 'delete the checkpoints folder to train the run again from its start');
  }
  const done = state?.epoch ?? 0;
  // A run killed after its last epoch but before its model and evaluation were written resumes to finish them.
  if (done >= config.epochs && record.status === 'completed') {
    throw new UsageError(
      `${runDir}: already trained ${done} of ${config.epochs} epochs — pass --epochs N with N > ${done} to train further`,
    );
  }
  const classNames = record.dataset.classNames;
  let split: SplitRecord;
  try {
    // A detection split labels each image with its most frequent class, or none for a background image.
    const labels = config.task === 'detect' ? undefined : classNames;
    split = await readJsonInside(runDir, RUN_FILES.split, (value) => checkSplitRecord(value, labels));
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing')
      throw new UsageError(
        `${path.join(runDir, RUN_FILES.split)}: missing or unreadable; the run cannot be resumed`,
      );
    throw asUsageError(err, 'the run cannot be resumed');
  }
  // The data set root is a claim of run.json: every image the split names must really be inside it.
  const datasetRoot = record.dataset.root;
  try {
    await realRoot(datasetRoot);
    for (const part of ['train', 'validation', 'test'] as const) {
      await assertEntriesInside(
        datasetRoot,
        split[part].map((e) => e.path),
        (i) => `${RUN_FILES.split} ${part}[${i}]`,
      );
    }
  } catch (err) {
    throw asUsageError(err, 'the run cannot be resumed');
  }
  const { backend, notes } = await selectEngine(config);
  await truncateMetricsAfter(runDir, done);
  await removeLeftovers(runDir);
  const writer = new RunWriter(runDir, record);
  await writer.update({
    status: 'running',
    ...runningRecordFields(),
    config,
    backend,
    backendNotes: notes,
    epochsCompleted: done,
    error: undefined,
    endedAt: undefined,
    resumedFrom: [...(record.resumedFrom ?? []), done],
  });
  request.emit({ type: 'log', level: 'info', message: `Resuming ${record.id} after epoch ${done}` });
  return {
    writer,
    config,
    split,
    classNames,
    datasetRoot,
    backend,
    resume: checkpointDir && state ? { dir: checkpointDir, state } : null,
  };
}

/**
 * Another live process on this machine still writes the run: resuming it would make two writers. A run
 * recorded on another machine is left to the run lock (its pid means nothing here).
 */
function isTrainerAlive(record: RunRecord): boolean {
  const here = os.hostname();
  if ((record.hostname ?? here) !== here) return false;
  const otherProcessAlive = (pid: number): boolean => pid !== process.pid && probeProcess(pid);
  return effectiveStatus(record, otherProcessAlive, here) === 'running';
}
