// Ends a run record whose trainer died without saying so. Only a record still marked `running` is
// touched; every other field is kept, and the file is replaced atomically (temp file + rename) through
// the confined writer (never through a link). A run another live process holds the lock of is left alone.
import { promises as fs } from 'node:fs';
import { isRecord, RUN_FILES } from '../../protocol';
import { READ_LIMITS, readTextInside, writeFileInside } from '../../core/runFiles';
import { runLockOwner } from '../../core/runLock';
import type { EndedStatus } from './trainingSession';

export async function markRunEnded(
  runDir: string,
  status: EndedStatus,
  message: string,
  now = new Date(),
): Promise<boolean> {
  let record: unknown;
  try {
    record = JSON.parse(await readTextInside(runDir, RUN_FILES.run, READ_LIMITS.json));
  } catch {
    // Missing, unreadable or leading out of the run: nothing we could rewrite without losing something.
    return false;
  }
  if (!isRecord(record) || record.status !== 'running') return false;
  // A live writer (a resume started since) owns the record now.
  if (await runLockOwner(runDir)) return false;
  const stamp = now.toISOString();
  const updated = { ...record, status, error: { message }, updatedAt: stamp, endedAt: stamp };
  await writeFileInside(runDir, RUN_FILES.run, `${JSON.stringify(updated, null, 2)}\n`);
  return true;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    await fs.writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
