// The extension's own log (its "Image Trainer" Output channel), as code-server writes it under the user
// data folder. The extension journals what it showed (src/host/training/progressDisplay.ts), so a step can
// prove that progress was on screen without having to catch the moment: the record cannot be missed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LOG_NAME = 'Image Trainer.log';

function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return logFiles(full);
    return e.name.endsWith(LOG_NAME) ? [full] : [];
  });
}

/** Every line the extension has logged so far, across windows and sessions of this user data folder. */
export function extensionLogLines(userDataDir: string): string[] {
  return logFiles(join(userDataDir, 'logs')).flatMap((f) => readFileSync(f, 'utf8').split('\n'));
}

/**
 * Waits until the lines the extension logged satisfy `done` (the log is flushed a moment after it is
 * written); returns them, or throws with `what` and the last lines seen.
 */
export async function waitForLog(
  userDataDir: string,
  what: string,
  done: (lines: string[]) => boolean,
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let lines = extensionLogLines(userDataDir);
  while (!done(lines)) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not in the extension's log within ${timeoutMs / 1000} s; its last lines:\n  ${lines.slice(-12).join('\n  ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
    lines = extensionLogLines(userDataDir);
  }
  return lines;
}

/** The epochs whose progress the extension showed for `runId` (from its "Progress shown" lines). */
export function shownEpochs(lines: string[], runId: string): Set<number> {
  const pattern = new RegExp(
    `Progress shown \\(run ${runId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): epoch (\\d+)/`,
  );
  const epochs = new Set<number>();
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match) epochs.add(Number(match[1]));
  }
  return epochs;
}
