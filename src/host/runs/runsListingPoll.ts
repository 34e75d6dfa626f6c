// A safety net under the runs watcher: file watchers miss events (inotify limits, a busy file-watcher
// process, network and container file systems), and a run started from a terminal must still show up.
// Every few seconds the runs folder's listing is read — names, and the modification time of the newest
// run folders, which changes when a run's record is replaced (write, then rename) — and a change pokes
// the views. No vscode: unit-tested directly.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const RUNS_POLL_MS = 4000;
/** Run folders whose modification time is compared (the newest by name: run ids start with a timestamp). */
export const RUNS_POLL_NEWEST = 32;

/** A compact fingerprint of the runs folder: '' when it does not exist or cannot be read. */
export async function runsListingFingerprint(runsRoot: string): Promise<string> {
  let names: string[];
  try {
    names = (await fs.readdir(runsRoot)).sort();
  } catch {
    return '';
  }
  const newest = names.slice(-RUNS_POLL_NEWEST);
  const times = await Promise.all(
    newest.map((name) =>
      fs.stat(path.join(runsRoot, name)).then(
        (s) => `${name}@${s.mtimeMs}`,
        () => name,
      ),
    ),
  );
  return `${names.length}:${names.slice(0, -RUNS_POLL_NEWEST).join('/')}|${times.join('/')}`;
}

export interface PollTimers {
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (handle: unknown) => void;
}

const realTimers: PollTimers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Calls `onChange` when the runs folder's fingerprint differs from the last one read. */
export class RunsListingPoll {
  private last: string | null = null;
  private busy = false;
  private readonly handle: unknown;

  constructor(
    private readonly runsRoot: string,
    private readonly onChange: () => void,
    intervalMs: number = RUNS_POLL_MS,
    private readonly timers: PollTimers = realTimers,
    private readonly fingerprint: (root: string) => Promise<string> = runsListingFingerprint,
  ) {
    this.handle = timers.setInterval(() => void this.tick(), intervalMs);
  }

  /** One look (the timer calls it; tests call it directly). */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = await this.fingerprint(this.runsRoot);
      if (this.last !== null && now !== this.last) this.onChange();
      this.last = now;
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    this.timers.clearInterval(this.handle);
  }
}
