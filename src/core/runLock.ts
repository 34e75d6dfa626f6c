// One writer per run directory (ARCHITECTURE.md, "Trust boundaries"): a trainer, a resume, an evaluation
// that saves into the run, or a delete takes `RUN_DIR/.lock`, created with O_EXCL and holding the pid and
// host of its owner. A lock whose owner is a dead process on this host is taken over; a lock of another
// host, or of a live process, is respected. Readers never take the lock: atomic renames and appends keep
// every read consistent.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRecord } from '../protocol/guards';
import { probeProcess, type ProcessProbe } from './processProbe';
import { InputError } from './inputError';

export const LOCK_FILE = '.lock';

/** A lock file still without content is a writer starting up; after this long it is a dead one. */
const UNWRITTEN_LOCK_GRACE_MS = 30_000;

export interface LockOwner {
  pid: number;
  hostname: string;
  /** What holds it (`training`, `resume`, `evaluate`, `deleting`), for the message another writer sees. */
  purpose: string;
  createdAt: string;
  /** Random per lock: a copy of a lock file (a backed-up run) is never mistaken for the lock itself. */
  token?: string;
}

/** Tokens of the locks this process holds: a lock naming our pid with another token is a stale copy. */
const heldTokens = new Set<string>();

/** The run is being written by someone else: one line naming the owner and what to do. */
export class RunLockedError extends InputError {
  constructor(
    readonly runDir: string,
    readonly owner: LockOwner | null,
  ) {
    super(
      owner
        ? `${runDir}: ${owner.purpose} by process ${owner.pid} on ${owner.hostname} is writing this run (since ${owner.createdAt}); wait for it or stop it${owner.hostname === os.hostname() ? '' : `, or delete ${path.join(runDir, LOCK_FILE)} if that machine no longer runs it`}`
        : `${runDir}: another process is starting to write this run; try again in a moment`,
    );
    this.name = 'RunLockedError';
  }
}

/** Clock ticks per second of /proc/<pid>/stat's start time: 100 on every Linux platform Node runs on. */
const CLOCK_TICKS = 100;

/** When a process started (ms since the epoch), from /proc on Linux; null where that cannot be told. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const bootLine = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('btime '));
    const boot = Number(bootLine?.slice(6));
    if (!Number.isFinite(ticks) || !Number.isFinite(boot)) return null;
    return boot * 1000 + (ticks / CLOCK_TICKS) * 1000;
  } catch {
    return null;
  }
}

export interface RunLock {
  readonly file: string;
  release(): Promise<void>;
}

export interface LockOptions {
  purpose: string;
  pid?: number;
  hostname?: string;
  probe?: ProcessProbe;
  now?: () => Date;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value: unknown = JSON.parse(text);
    if (
      isRecord(value) &&
      typeof value.pid === 'number' &&
      Number.isSafeInteger(value.pid) &&
      value.pid > 0 &&
      typeof value.hostname === 'string' &&
      typeof value.purpose === 'string' &&
      typeof value.createdAt === 'string'
    ) {
      return {
        pid: value.pid,
        hostname: value.hostname.slice(0, 255),
        purpose: value.purpose.slice(0, 64),
        createdAt: value.createdAt.slice(0, 64),
        ...(typeof value.token === 'string' ? { token: value.token.slice(0, 64) } : {}),
      };
    }
  } catch {
    // Unparsable: handled by the caller like a lock still being written.
  }
  return null;
}

/** Creates `file` with O_EXCL (and without following a link); false when it exists. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o644,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

interface SeenLock {
  owner: LockOwner | null;
  text: string;
  ageMs: number;
}

async function readLock(file: string, now: Date): Promise<SeenLock | null> {
  try {
    const stat = await fs.lstat(file);
    // A link or a folder named like the lock is nobody's lock: it can be taken over as stale.
    const text = stat.isFile() ? await fs.readFile(file, 'utf8') : '';
    return { owner: parseOwner(text), text, ageMs: now.getTime() - stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isStale(seen: SeenLock, hostname: string, probe: ProcessProbe): boolean {
  const owner = seen.owner;
  if (!owner) return seen.ageMs > UNWRITTEN_LOCK_GRACE_MS;
  if (owner.hostname !== hostname) return false;
  // Our own pid: ours only if we hold that very lock (a copied run carries a copy of the lock).
  if (owner.pid === process.pid) return owner.token === undefined || !heldTokens.has(owner.token);
  if (!probe(owner.pid)) return true;
  // A live process that started after the lock was written reuses a dead owner's pid.
  const started = processStartTime(owner.pid);
  const written = Date.parse(owner.createdAt);
  return started !== null && Number.isFinite(written) && started > written + 2000;
}

/**
 * Takes the run directory's writer lock or throws RunLockedError. A stale lock (dead owner on this host)
 * is removed under a short-lived `.lock.takeover` mutex, so two writers taking over the same stale lock
 * cannot both succeed.
 */
export async function acquireRunLock(runDir: string, options: LockOptions): Promise<RunLock> {
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? os.hostname();
  const probe = options.probe ?? probeProcess;
  const now = options.now ?? (() => new Date());
  const file = path.join(runDir, LOCK_FILE);
  const takeover = `${file}.takeover`;
  const token = randomBytes(8).toString('hex');
  const owner: LockOwner = { pid, hostname, purpose: options.purpose, createdAt: now().toISOString(), token };
  const content = JSON.stringify(owner) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(file, content)) {
      if (pid === process.pid) heldTokens.add(token);
      return heldLock(file, content, token);
    }
    const seen = await readLock(file, now());
    if (!seen) continue; // released in between: try again
    if (!isStale(seen, hostname, probe)) throw new RunLockedError(runDir, seen.owner);
    const mutexContent = JSON.stringify({ ...owner, purpose: 'takeover' });
    if (!(await createExclusive(takeover, mutexContent))) {
      const other = await readLock(takeover, now());
      // A dead process's takeover mutex is itself stale; anyone else's means a takeover is under way.
      if (other && isStale(other, hostname, probe)) await fs.rm(takeover, { force: true });
      else throw new RunLockedError(runDir, other?.owner ?? null);
      continue;
    }
    try {
      const again = await readLock(file, now());
      // Only the lock we judged stale is removed: one written meanwhile by a live writer stays.
      if (again && again.text === seen.text && isStale(again, hostname, probe))
        await fs.rm(file, { force: true });
    } finally {
      await fs.rm(takeover, { force: true });
    }
  }
  const last = await readLock(file, now());
  throw new RunLockedError(runDir, last?.owner ?? null);
}

function heldLock(file: string, content: string, token: string): RunLock {
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      heldTokens.delete(token);
      // Only our own lock is removed: a lock taken over after we were presumed dead belongs to another.
      const text = await fs.readFile(file, 'utf8').catch(() => null);
      if (text === content) await fs.rm(file, { force: true });
    },
  };
}

/** Who holds the run's lock now, or null when nobody does (or the owner is dead). */
export async function runLockOwner(
  runDir: string,
  options: { hostname?: string; probe?: ProcessProbe; now?: () => Date } = {},
): Promise<LockOwner | null> {
  const seen = await readLock(path.join(runDir, LOCK_FILE), (options.now ?? (() => new Date()))());
  if (!seen) return null;
  return isStale(seen, options.hostname ?? os.hostname(), options.probe ?? probeProcess) ? null : seen.owner;
}

/** Runs `work` while holding the run's lock, and releases it however `work` ends. */
export async function withRunLock<T>(
  runDir: string,
  options: LockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const lock = await acquireRunLock(runDir, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
