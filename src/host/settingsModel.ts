// The extension's settings as plain values, resolved against the workspace (no vscode import).
import * as path from 'node:path';
import { BACKEND_CHOICES, MODEL_PRESETS, type BackendChoice, type ModelPreset } from '../protocol';
import { decideRunsRoot } from './dashboard/resourceRoots';

export const DEFAULT_RUNS_DIRECTORY = '.image-trainer/runs';

export interface RawSettings {
  backend?: unknown;
  runsDirectory?: unknown;
  defaultPreset?: unknown;
  nodePath?: unknown;
  engineDirectory?: unknown;
  datasetRoots?: unknown;
  datasetExcludes?: unknown;
  maxConcurrentRuns?: unknown;
}

export interface HostSettings {
  backend: BackendChoice;
  runsRoot: string;
  /** Why imageTrainer.runsDirectory was not used (forbidden, or outside the workspace in Restricted Mode). */
  runsRootWarning: string | null;
  defaultPreset: ModelPreset;
  /** Empty when unset or in an untrusted workspace: then the editor's own runtime runs the trainer. */
  nodePath: string;
  /** Where native engine packages are installed and looked for; empty: the extension's global storage. */
  engineDirectory: string;
  datasetRoots: string[];
  datasetExcludes: string[];
  /** Queued runs that may train at the same time (1 = one after another). */
  maxConcurrentRuns: number;
}

/** Beyond this, runs only compete for the same cores and memory. */
export const MAX_CONCURRENT_RUNS = 4;

/**
 * Relative paths resolve against the first workspace folder (or the home folder with none open).
 * In an untrusted workspace the Node executable and engine folder settings are ignored: they name code to run. The runs
 * folder is never a disk root, the home folder or a system folder, and outside the workspace it needs a
 * trusted workspace (resourceRoots.ts decideRunsRoot); otherwise the default is used, with a warning.
 */
export function resolveSettings(
  raw: RawSettings,
  workspaceFolders: readonly string[],
  trusted: boolean,
  home: string,
): HostSettings {
  const base = workspaceFolders[0] ?? home;
  const resolveIn = (p: string): string => path.resolve(base, expandHome(p, home));
  const runsDirectory =
    typeof raw.runsDirectory === 'string' && raw.runsDirectory.trim() !== ''
      ? raw.runsDirectory.trim()
      : DEFAULT_RUNS_DIRECTORY;
  const decision = decideRunsRoot(
    resolveIn(runsDirectory),
    resolveIn(DEFAULT_RUNS_DIRECTORY),
    workspaceFolders,
    trusted,
    home,
  );
  return {
    backend: (BACKEND_CHOICES as readonly unknown[]).includes(raw.backend)
      ? (raw.backend as BackendChoice)
      : 'auto',
    runsRoot: decision.runsRoot,
    runsRootWarning: decision.warning,
    defaultPreset: (MODEL_PRESETS as readonly unknown[]).includes(raw.defaultPreset)
      ? (raw.defaultPreset as ModelPreset)
      : 'simple-cnn',
    nodePath: trusted && typeof raw.nodePath === 'string' ? expandHome(raw.nodePath.trim(), home) : '',
    // Code is loaded from it: like the Node executable, never taken from an untrusted workspace.
    engineDirectory:
      trusted && typeof raw.engineDirectory === 'string' && raw.engineDirectory.trim() !== ''
        ? path.resolve(home, expandHome(raw.engineDirectory.trim(), home))
        : '',
    datasetRoots: stringList(raw.datasetRoots).map(resolveIn),
    datasetExcludes: stringList(raw.datasetExcludes),
    maxConcurrentRuns:
      typeof raw.maxConcurrentRuns === 'number' &&
      Number.isInteger(raw.maxConcurrentRuns) &&
      raw.maxConcurrentRuns >= 1 &&
      raw.maxConcurrentRuns <= MAX_CONCURRENT_RUNS
        ? raw.maxConcurrentRuns
        : 1,
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '')
    : [];
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}
