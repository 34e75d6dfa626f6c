// Every process the e2e run starts is registered here and stopped by its id, even when a step fails or the
// user presses Ctrl+C. Each child leads its own process group so that its children (code-server's extension
// host, the trainer it forks) stop with it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

interface Tracked {
  name: string;
  child: ChildProcess;
}

const tracked: Tracked[] = [];

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Starts a long-lived process in its own group, its output appended to `logFile`. */
export function startTracked(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ?? process.env,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  tracked.push({ name, child });
  return child;
}

/** Registers a process started elsewhere (the browser) so that cleanup stops it by its id too. */
export function trackPid(name: string, child: ChildProcess): void {
  tracked.push({ name, child });
}

async function stopOne({ name, child }: Tracked): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    console.log(`[e2e] ${name} (pid ${pid}) ignored SIGTERM; sending SIGKILL`);
    signalGroup(pid, 'SIGKILL');
  }
}

/** Stops every tracked process, newest first. Safe to call twice. */
export async function stopAll(): Promise<void> {
  while (tracked.length > 0) {
    const next = tracked.pop();
    if (next) await stopOne(next);
  }
}

/** Synchronous last resort for process exit: SIGKILL whatever is still registered. */
export function killAllSync(): void {
  for (const { child } of tracked) {
    if (child.pid !== undefined && child.exitCode === null) signalGroup(child.pid, 'SIGKILL');
  }
}

/** A free TCP port on loopback, found by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion (build, package, install) and returns its output. */
export function runToEnd(
  command: string,
  args: string[],
  cwd: string,
  env?: NodeJS.ProcessEnv,
): CommandResult {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
