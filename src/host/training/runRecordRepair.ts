// Ends a run record whose trainer died without saying so. Only a record still marked `running` is
// touched; every other field is kept, and the file is replaced atomically (temp file + rename).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isRecord, RUN_FILES } from '../../protocol';
import type { EndedStatus } from './trainingSession';

export async function markRunEnded(
  runDir: string,
  status: EndedStatus,
  message: string,
  now = new Date(),
): Promise<boolean> {
  const file = path.join(runDir, RUN_FILES.run);
  let record: unknown;
  try {
    record = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    // Missing or unreadable: nothing we could rewrite without losing something.
    return false;
  }
  if (!isRecord(record) || record.status !== 'running') return false;
  const stamp = now.toISOString();
  const updated = { ...record, status, error: { message }, updatedAt: stamp, endedAt: stamp };
  await writeJsonAtomic(file, updated);
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
