// What one training run is asked to do, and the CLI arguments that ask it.
import type { BackendChoice, ModelPreset } from '../../protocol';

export interface TrainRequest {
  /** The data set to train on; a resumed run reads its data set from run.json. */
  datasetDir: string;
  runsRoot: string;
  /** An `*.imagetrainer.json` experiment config; its values are the defaults, flags override them. */
  configFile?: string;
  model?: ModelPreset;
  /** A pretrained base (a name from `bases list`): a transfer head is trained on it. */
  base?: string;
  backend?: BackendChoice;
  /** Continue this run from its last checkpoint. */
  resumeRunDir?: string;
  /** The run this one re-runs with changes (`--parent`), recorded in the new run's run.json. */
  parentId?: string;
  /** Set for runs from the New Training form: its entry in the queue on disk (core/runQueue.ts). */
  queueId?: string;
  /** A one-line name chosen by whoever built the request (the form says what changed). */
  label?: string;
}

/**
 * `train DIR --json --out RUNSROOT [--config FILE] [--model X] [--backend B]`, or for a resume
 * `train --resume RUN_DIR --json --out RUNSROOT [--backend B]` (the CLI takes DIR or --resume, not both;
 * the resumed run keeps its own config).
 */
export function trainArgs(request: TrainRequest): string[] {
  const target = request.resumeRunDir ? ['--resume', request.resumeRunDir] : [request.datasetDir];
  const args = ['train', ...target, '--json', '--out', request.runsRoot];
  if (!request.resumeRunDir && request.configFile) args.push('--config', request.configFile);
  if (!request.resumeRunDir && request.model) args.push('--model', request.model);
  if (!request.resumeRunDir && request.base) args.push('--base', request.base);
  if (!request.resumeRunDir && request.parentId) args.push('--parent', request.parentId);
  if (request.backend && request.backend !== 'auto') args.push('--backend', request.backend);
  return args;
}

/** A one-line name for notifications and the queue prompt. */
export function describeRequest(request: TrainRequest): string {
  if (request.label) return request.label;
  const name = request.datasetDir.split(/[\\/]/).filter(Boolean).pop() ?? request.datasetDir;
  if (request.resumeRunDir) {
    const run = request.resumeRunDir.split(/[\\/]/).filter(Boolean).pop() ?? request.resumeRunDir;
    return `resume ${run}`;
  }
  const what = request.configFile
    ? (request.configFile.split(/[\\/]/).pop() ?? request.configFile)
    : request.base
      ? `base ${request.base}`
      : (request.model ?? 'default model');
  return `${name} with ${what}`;
}
