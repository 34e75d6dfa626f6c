// Deleting a run is a write: it takes the run's writer lock first (core/runLock.ts), so a delete and a
// resume of the same run cannot interleave. A run folder that is a link is removed as a link, and no
// lock file is ever written through it.
import { promises as fs } from 'node:fs';
import { acquireRunLock, type RunLock } from '../../core/runLock';

/**
 * The lock under which `runDir` may be deleted; null when the entry is a symbolic link (deleting it
 * removes only the link). Throws RunLockedError when a live trainer holds the run.
 */
export async function lockRunForDeletion(runDir: string): Promise<RunLock | null> {
  const stat = await fs.lstat(runDir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) return null;
  return acquireRunLock(runDir, { purpose: 'deleting' });
}
