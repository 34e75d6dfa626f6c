// Checks before any export writes a file (every format): the run must have finished with a model, and an
// --out folder must be writable. Each failure is a UsageError (one line, exit 2) naming the run or folder.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../protocol/runRecord';
import { RUN_FILES } from '../../protocol/runRecord';
import { effectiveStatus, probeProcess, readRunRecordChecked } from '../../core/runStore';
import { UsageError } from '../errors';

/** The run's record, if it can be exported: not running, not failed, with a model folder. */
export async function exportableRun(runDir: string): Promise<RunRecord> {
  const read = await readRunRecordChecked(runDir);
  if (!read.ok)
    throw new UsageError(
      read.missing
        ? `${path.join(runDir, RUN_FILES.run)}: not a run directory (no readable run.json)`
        : read.reason,
    );
  const status = effectiveStatus(read.record, probeProcess, os.hostname());
  if (status === 'running')
    throw new UsageError(
      `${runDir}: the run is still training — export it when it has finished (or stop it first)`,
    );
  if (status === 'failed')
    throw new UsageError(
      `${runDir}: the run failed${read.record.error ? ` (${read.record.error.message.slice(0, 120)})` : ''} — export a run that completed`,
    );
  const model = await fs.lstat(path.join(runDir, RUN_FILES.model)).catch(() => null);
  if (!model?.isDirectory())
    throw new UsageError(
      `${path.join(runDir, RUN_FILES.model)}: no trained model here — export a run whose training finished`,
    );
  return read.record;
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way, not a folder';
  if (code === 'ENOSPC') return 'the disk is full';
  return code ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
}

/** Makes `--out` and proves it takes a new file (then removes it). */
export async function prepareOutDir(outDir: string): Promise<void> {
  try {
    await fs.mkdir(outDir, { recursive: true });
    // 'wx' creates a new file only: a link or file planted under the probe's name is never written through.
    const probe = path.join(outDir, `.image-trainer-write-test-${process.pid}-${Date.now()}`);
    await fs.writeFile(probe, '', { flag: 'wx' });
    await fs.rm(probe, { force: true });
  } catch (err) {
    throw new UsageError(
      `--out ${outDir}: cannot write there (${reasonOf(err)}) — choose a folder you can write to`,
    );
  }
}
