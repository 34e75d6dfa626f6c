// Reads the run records the extension's trainer wrote, so the e2e steps compare the UI with the disk.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Evaluation, RunRecord } from '../../src/protocol';

export function runsRootOf(workspace: string): string {
  return join(workspace, '.image-trainer', 'runs');
}

/** Run directories under the runs root (those with a run.json). */
export function listRunDirs(workspace: string): string[] {
  const root = runsRootOf(workspace);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => join(root, name))
    .filter((dir) => existsSync(join(dir, 'run.json')));
}

export function readRunRecord(runDir: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    // Written atomically, but the folder may exist a moment before the file does.
    return undefined;
  }
}

export function readEvaluation(runDir: string): Evaluation {
  return JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8')) as Evaluation;
}

/** Polls until a run not in `known` has left `running`; returns its folder and record. */
export async function waitForFinishedRun(
  workspace: string,
  known: ReadonlySet<string>,
  timeoutMs: number,
  onTick: () => Promise<void>,
): Promise<{ dir: string; record: RunRecord }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const dir of listRunDirs(workspace).filter((d) => !known.has(d))) {
      const record = readRunRecord(dir);
      if (record && record.status !== 'running') return { dir, record };
    }
    await onTick();
  }
  throw new Error(`no run under ${runsRootOf(workspace)} finished within ${timeoutMs / 1000} s`);
}
