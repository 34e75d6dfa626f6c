// Which folders the dashboard may act on (open an image, move one, show thumbnails, make a webview
// resource root) and which runs folder the extension may use. Data set roots come from the user — the
// workspace folders and the imageTrainer.datasetRoots setting — not from files: a root named by a run.json
// is a claim, shown read-only with a warning unless it lies (links resolved) inside one the user chose.
// No root may ever be a disk root, the home folder (or a folder above it) or a system folder.
import { promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';

/** System folders: neither they nor anything inside them is a data set or a runs folder. */
const SYSTEM_FOLDERS_POSIX = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib',
  '/var/log',
  '/var/run',
  '/System',
  '/Library',
  '/private/etc',
  '/private/var/db',
  '/private/var/root',
];
const SYSTEM_FOLDERS_WINDOWS = ['\\windows', '\\program files', '\\program files (x86)', '\\programdata'];

function isWithin(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
  );
}

/** Why a folder may never be a data set or runs root, or null when it may. */
export function forbiddenRootReason(root: string, homeDir: string): string | null {
  if (!path.isAbsolute(root)) return 'it is not an absolute path';
  const normalized = path.resolve(root);
  if (path.parse(normalized).root === normalized) return 'it is the root of a disk';
  // The home folder itself or any folder above it would open far more than a data set.
  if (isWithin(normalized, path.resolve(homeDir))) return 'it is the home folder or holds it';
  if (process.platform === 'win32') {
    const rest = normalized.slice(path.parse(normalized).root.length - 1).toLowerCase();
    if (SYSTEM_FOLDERS_WINDOWS.some((s) => rest === s || rest.startsWith(`${s}\\`)))
      return 'it is a system folder';
  } else if (SYSTEM_FOLDERS_POSIX.some((s) => isWithin(s, normalized))) {
    return 'it is a system folder';
  }
  return null;
}

export function isAllowedDatasetRoot(root: string, homeDir: string): boolean {
  return forbiddenRootReason(root, homeDir) === null;
}

/** The distinct roots that are not forbidden, in a stable order. */
export function datasetResourceRoots(roots: readonly string[], homeDir: string): string[] {
  return [
    ...new Set(roots.filter((r) => isAllowedDatasetRoot(r, homeDir)).map((r) => path.resolve(r))),
  ].sort();
}

/** The folders the user chose: the workspace folders and imageTrainer.datasetRoots. */
export interface RootPolicy {
  workspaceFolders: readonly string[];
  configuredRoots: readonly string[];
  homeDir: string;
}

export type RootAccess = { ok: true; realRoot: string } | { ok: false; reason: string };

async function realOrResolved(p: string): Promise<string> {
  return fs.realpath(p).catch(() => path.resolve(p));
}

/**
 * May the dashboard act on a data set root named by a run? Yes when its real path (links resolved) is
 * inside a workspace folder or a configured data set root (also resolved) and is not forbidden.
 */
export async function datasetRootAccess(root: string, policy: RootPolicy): Promise<RootAccess> {
  if (!root || !path.isAbsolute(root))
    return { ok: false, reason: 'the run names no absolute data set folder' };
  const realRoot = await realOrResolved(root);
  const forbidden = forbiddenRootReason(realRoot, policy.homeDir);
  if (forbidden)
    return { ok: false, reason: `${root} is not a data set folder the dashboard may open (${forbidden})` };
  const chosen = await Promise.all(
    [...policy.workspaceFolders, ...policy.configuredRoots].map(realOrResolved),
  );
  if (!chosen.some((folder) => isWithin(folder, realRoot))) {
    return {
      ok: false,
      reason: `${root} is outside the workspace and imageTrainer.datasetRoots: shown read-only (add it to imageTrainer.datasetRoots to open or move its images)`,
    };
  }
  return { ok: true, realRoot };
}

export interface RunsRootDecision {
  runsRoot: string;
  /** Why the configured folder was not used, when it was not. */
  warning: string | null;
}

/**
 * The runs folder to use: the configured one, unless it is forbidden (a disk root, the home folder, a
 * system folder) or, in Restricted Mode, outside the workspace; then the default inside the workspace.
 */
export function decideRunsRoot(
  configured: string,
  fallback: string,
  workspaceFolders: readonly string[],
  trusted: boolean,
  homeDir: string,
): RunsRootDecision {
  // The folder and, when it exists, its real path: a link inside the workspace to /etc is /etc.
  const candidates = [path.resolve(configured)];
  try {
    candidates.push(realpathSync(configured));
  } catch {
    // Not created yet: the path is all there is to judge.
  }
  const forbidden = candidates.map((c) => forbiddenRootReason(c, homeDir)).find((r) => r !== null);
  if (forbidden)
    return {
      runsRoot: fallback,
      warning: `imageTrainer.runsDirectory ${configured} is not used: ${forbidden}. Using ${fallback}.`,
    };
  const folders = workspaceFolders.flatMap((folder) => {
    try {
      return [path.resolve(folder), realpathSync(folder)];
    } catch {
      return [path.resolve(folder)];
    }
  });
  const inside = candidates.every((c) => folders.some((folder) => isWithin(folder, c)));
  if (!inside && !trusted && workspaceFolders.length > 0)
    return {
      runsRoot: fallback,
      warning: `imageTrainer.runsDirectory ${configured} is outside the workspace, which needs a trusted workspace. Using ${fallback}.`,
    };
  return { runsRoot: configured, warning: null };
}
