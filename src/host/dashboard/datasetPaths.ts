// Path safety for files a webview names (the dashboard's evaluated images, the class gallery's images):
// a name is relative, has no `..`, resolves (links followed) inside the data set root, and the entry a
// move renames lives in a folder inside the root too. Only code that passed these checks touches a file.
import * as path from 'node:path';
import { relativeSegments } from '../../protocol/runSchema';
import { isInside } from '../../core/runFiles';

export { isInside, relativeSegments };

export interface FileStat {
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The file-system calls the dashboard makes, so tests can run against a temp dir or a fake. */
export interface DashboardFs {
  realpath(p: string): Promise<string>;
  stat(p: string): Promise<FileStat>;
  /** Must reject with code ENOENT when nothing is at `p` (a dangling link counts as something). */
  lstat(p: string): Promise<FileStat>;
  rename(from: string, to: string): Promise<void>;
}

export type PathCheck = { ok: true; absolute: string; realRoot: string } | { ok: false; reason: string };

/** Resolves a data set file named by the webview, following symlinks, and checks it stays inside the root. */
export async function resolveInsideRoot(
  fs: DashboardFs,
  datasetRoot: string,
  relativePath: string,
): Promise<PathCheck> {
  const segments = relativeSegments(relativePath);
  if (typeof segments === 'string') return { ok: false, reason: segments };
  let realRoot: string;
  try {
    realRoot = await fs.realpath(datasetRoot);
  } catch {
    return { ok: false, reason: `the data set folder ${datasetRoot} no longer exists` };
  }
  const absolute = path.join(realRoot, ...segments);
  let realFile: string;
  try {
    realFile = await fs.realpath(absolute);
  } catch {
    return { ok: false, reason: `${relativePath} no longer exists in ${datasetRoot}` };
  }
  if (!isInside(realRoot, realFile))
    return { ok: false, reason: `${relativePath} resolves outside the data set folder` };
  // The entry itself (which a move renames) must live in a folder inside the root, links resolved too.
  let realParent: string;
  try {
    realParent = await fs.realpath(path.dirname(absolute));
  } catch {
    return { ok: false, reason: `${relativePath} no longer exists in ${datasetRoot}` };
  }
  if (realParent !== realRoot && !isInside(realRoot, realParent)) {
    return { ok: false, reason: `${relativePath} resolves outside the data set folder` };
  }
  const stat = await fs.stat(realFile).catch(() => null);
  if (!stat?.isFile()) return { ok: false, reason: `${relativePath} is not a file` };
  return { ok: true, absolute: path.join(realParent, segments[segments.length - 1]), realRoot };
}

export function isSafeClassName(name: string): boolean {
  return Array.isArray(relativeSegments(name)) && !/[\\/]/.test(name);
}

export async function exists(fs: DashboardFs, p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
