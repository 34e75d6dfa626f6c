// The training run: prepare the run directory (new or resumed) → load the split's samples → fit →
// final artefacts. Reports through an injected `emit` (tfjs-examples' pattern); the CLI prints the events,
// the extension receives them over IPC. The stages live in training/:
//   runContext.ts   the request and what the stages hand each other
//   openDataset.ts  folder check, engine choice, scan, at least two classes (shared with lr-find)
//   prepareRun.ts   a new run directory, or a resumed one checked before its first write
//   loadSamples.ts  decoded pixels, or cached features of a frozen base
//   runStart.ts     the runStarted event (shared with detection)
//   fit.ts          model, optimizer and step; the epoch loop and its observers
//   runEnd.ts       the run's end: status, runStopped/runCompleted, outcome (shared with detection)
//   epochLoop.ts    per epoch: learning rate, batches, validation, then the observers
//   observers.ts    metrics writer, checkpoint writer, events, best epoch, early stopping, stop request
//   trainStep.ts    the optimizer and one training step (also used by lr-find and the benches)
//   checkpoints.ts  checkpoints/{best,last}, and restoring the best weights
//   artefacts.ts    model/ with its metadata, evaluation.json, test-evaluation.json
import * as path from 'node:path';
import { readRunRecord } from '../core/runStore';
import { RunWriteError } from './runWriter';
import { UsageError } from './errors';
import { withSeededMathRandom } from './seededMathRandom';
import { fit, type TrainOutcome } from './training/fit';
import { loadSamples, type DecodedSplit } from './training/loadSamples';
import { prepareRun, type LockHolder } from './training/prepareRun';
import { runStartedEvent } from './training/runStart';
import type { Emit, PreparedRun, TrainRunRequest } from './training/runContext';

export type { Emit, StopSignal, TrainRunRequest } from './training/runContext';
export type { TrainOutcome } from './training/fit';

export async function trainRun(request: TrainRunRequest): Promise<TrainOutcome> {
  if (await isDetectionRequest(request)) {
    // Loaded only for detection runs; it imports this module's `fail`.
    const { trainDetectionRun } = await import('./detect/trainDetection');
    return trainDetectionRun(request);
  }
  const { emit } = request;
  let prepared: PreparedRun | null = null;
  let samples: DecodedSplit | null = null;
  // The run directory's writer lock, held from before the first write until the run ends.
  const held: LockHolder = { lock: null };
  try {
    prepared = await prepareRun(request, held);
    const { config } = prepared;
    emit(runStartedEvent(prepared));
    samples = await loadSamples(prepared, request);
    const run = prepared;
    const parts = samples;
    // The seed fixes the initial weights and dropout masks too (tfjs seeds them from Math.random).
    return await withSeededMathRandom(config.seed, () => fit(run, parts, request));
  } catch (err) {
    return await fail(err, prepared, emit);
  } finally {
    await samples?.decoded.store.close().catch(() => undefined);
    samples?.transferModel?.dispose();
    await held.lock?.release().catch(() => undefined);
  }
}

/** A new run with task detect, or the resume of a run that recorded it. */
async function isDetectionRequest(request: TrainRunRequest): Promise<boolean> {
  if (!request.resumeRunDir) return request.config.task === 'detect';
  const record = await readRunRecord(path.resolve(request.resumeRunDir));
  return record?.config.task === 'detect';
}

/** A run that fails after its directory exists is recorded `failed` with the error; before, usage errors go up. */
export async function fail(err: unknown, prepared: PreparedRun | null, emit: Emit): Promise<TrainOutcome> {
  if (err instanceof UsageError && !prepared) throw err;
  // Bounded: run.json's schema takes error texts of up to 64 KiB, and a stack-sized message helps nobody.
  const message = ((err as Error).message ?? String(err)).slice(0, 4000);
  const errorPath = err instanceof RunWriteError ? err.path : undefined;
  if (prepared) {
    // Best effort: when the disk is full this write may fail too; the reader then shows `interrupted`.
    await prepared.writer
      .update({
        status: 'failed',
        endedAt: new Date().toISOString(),
        pid: undefined,
        error: { message, ...(errorPath ? { path: errorPath } : {}) },
      })
      .catch(() => undefined);
  }
  emit({
    type: 'runFailed',
    runId: prepared?.writer.current.id ?? null,
    runDir: prepared?.writer.runDir ?? null,
    message,
    ...(errorPath ? { path: errorPath } : {}),
  });
  return {
    status: 'failed',
    runId: prepared?.writer.current.id ?? null,
    runDir: prepared?.writer.runDir ?? null,
    message,
  };
}
