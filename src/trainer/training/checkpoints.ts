// checkpoints/{best,last}: the model, the optimizer's state and the loop's state (epoch, best-epoch
// tracker, schedule) — enough for a resume to continue bit for bit where the run stopped.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RUN_FILES } from '../../protocol/runRecord';
import { checkCheckpointState, type CheckpointState } from '../../core/trainingControl';
import { makeDirectoryInside, READ_LIMITS, readTextInside, RunFileError } from '../../core/runFiles';
import {
  loadModelFromDir,
  loadOptimizerState,
  replaceDirectory,
  resolveDirectory,
  saveModelFiles,
  saveOptimizerState,
} from '../modelIO';
import { guardWrite, type RunWriter } from '../runWriter';
import type { Emit } from './runContext';

export type CheckpointKind = 'best' | 'last';

const STATE_FILE = 'state.json';

export async function saveCheckpoint(
  writer: RunWriter,
  kind: CheckpointKind,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
  emit: Emit,
): Promise<void> {
  const dir = writer.path(path.join(RUN_FILES.checkpoints, kind));
  await guardWrite(path.dirname(dir), () => makeDirectoryInside(writer.runDir, RUN_FILES.checkpoints));
  await replaceDirectory(
    dir,
    async (temp) => {
      await saveModelFiles(model, temp);
      await saveOptimizerState(optimizer, temp);
      const file = path.join(temp, STATE_FILE);
      await guardWrite(file, () => fs.writeFile(file, JSON.stringify(state)));
    },
    { root: writer.runDir },
  );
  emit({ type: 'checkpointSaved', kind, epoch: state.epoch, path: dir });
}

/** A checkpoint's state.json through the field table; a RunFileError or ConfigError says what is wrong. */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const file = path.join(dir, STATE_FILE);
  const text = await readTextInside(dir, STATE_FILE, READ_LIMITS.json);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RunFileError(file, 'invalid', 'not valid JSON');
  }
  return checkCheckpointState(value, file);
}

/**
 * restoreBest: puts the best checkpoint's weights into `model`, when that checkpoint really holds the best
 * epoch. A crash between saving `best` and `last` can leave a best checkpoint the resumed tracker never
 * chose; then the final weights stay, with a warning.
 */
export async function restoreBestWeights(
  writer: RunWriter,
  model: tf.LayersModel,
  bestEpoch: number,
  monitor: string,
  emit: Emit,
): Promise<void> {
  const bestDir = await resolveDirectory(
    writer.path(path.join(RUN_FILES.checkpoints, 'best')),
    writer.runDir,
  );
  if (!bestDir) return;
  const bestState = await readCheckpointState(bestDir).catch(() => null);
  if (bestState?.epoch !== bestEpoch) {
    emit({
      type: 'log',
      level: 'warn',
      message: `the best checkpoint holds epoch ${bestState?.epoch ?? '?'}, not the best epoch ${bestEpoch}; keeping the final weights`,
    });
    return;
  }
  const best = await loadModelFromDir(bestDir);
  model.setWeights(best.getWeights());
  best.dispose();
  emit({
    type: 'log',
    level: 'info',
    message: `Restored the weights of epoch ${bestEpoch} (best ${monitor})`,
  });
}

/** Restores a resumed run's optimizer state from its checkpoint; a warning when there is none. */
export async function restoreOptimizerState(
  optimizer: tf.Optimizer,
  resume: { dir: string } | null,
  emit: Emit,
): Promise<void> {
  if (resume && !(await loadOptimizerState(optimizer, resume.dir)))
    emit({
      type: 'log',
      level: 'warn',
      message: 'optimizer state not found in the checkpoint; it starts afresh',
    });
}
