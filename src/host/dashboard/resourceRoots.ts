// Which folders the dashboard webview may load files from. Data set roots come from run.json files,
// which anyone can edit, so a root that would expose a whole disk or home folder is not allowed.
import * as path from 'node:path';

export function isAllowedDatasetRoot(root: string, homeDir: string): boolean {
  if (!path.isAbsolute(root)) return false;
  const normalized = path.resolve(root);
  if (path.parse(normalized).root === normalized) return false;
  const home = path.resolve(homeDir);
  // The home folder itself or any folder above it would open far more than a data set.
  const fromRootToHome = path.relative(normalized, home);
  return !(fromRootToHome === '' || (!fromRootToHome.startsWith('..') && !path.isAbsolute(fromRootToHome)));
}

/** The distinct allowed roots, in a stable order. */
export function datasetResourceRoots(roots: readonly string[], homeDir: string): string[] {
  return [
    ...new Set(roots.filter((r) => isAllowedDatasetRoot(r, homeDir)).map((r) => path.resolve(r))),
  ].sort();
}
