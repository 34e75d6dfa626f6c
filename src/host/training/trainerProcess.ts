// Starting the bundled CLI (dist/cli.js) as a child process: under the editor's own runtime
// (ELECTRON_RUN_AS_NODE) or a configured Node executable, with an IPC channel for training, and
// plain JSON-on-stdout for the short commands (scan, evaluate, predict, sample).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Guard } from '../../protocol';
import { lastLine } from '../util/errors';
import type { TrainerChild } from './trainingSession';

export interface TrainerRuntime {
  executable: string;
  env: NodeJS.ProcessEnv;
}

/** The configured Node executable when there is one (native tfjs-node needs a real Node), else the editor's. */
export function resolveRuntime(
  nodePath: string | undefined,
  base: NodeJS.ProcessEnv = process.env,
): TrainerRuntime {
  const configured = nodePath?.trim();
  if (configured) return { executable: configured, env: { ...base } };
  return { executable: process.execPath, env: { ...base, ELECTRON_RUN_AS_NODE: '1' } };
}

export interface TrainerEnvironment {
  /** The cache of pretrained bases and their features (the extension's global storage). */
  cacheDir: string;
  /** Where native engine packages (tfjs-node, tfjs-node-gpu) are installed and looked for. */
  engineDir: string;
  /** VS Code's `http.proxy`, when set: the trainer's downloads go through it. */
  proxy?: string;
  /** VS Code's `http.noProxy` hosts. */
  noProxy?: readonly string[];
}

/** The variables every trainer the extension starts gets: its cache and engine folders, and the editor's proxy. */
export function withTrainerEnvironment(
  env: NodeJS.ProcessEnv,
  settings: TrainerEnvironment,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...env,
    IMAGE_TRAINER_CACHE_DIR: settings.cacheDir,
    IMAGE_TRAINER_ENGINE_DIR: settings.engineDir,
  };
  const proxy = settings.proxy?.trim();
  if (proxy) {
    out.HTTPS_PROXY = proxy;
    out.HTTP_PROXY = proxy;
  }
  if (settings.noProxy && settings.noProxy.length > 0) out.NO_PROXY = settings.noProxy.join(',');
  return out;
}

export interface CliLocation {
  runtime: TrainerRuntime;
  cliPath: string;
  cwd: string;
}

/** A training child with an IPC channel. On POSIX it leads its own process group, so the tree dies together. */
export function spawnTrainer(location: CliLocation, args: string[]): ChildProcess & TrainerChild {
  return spawn(location.runtime.executable, [location.cliPath, ...args], {
    cwd: location.cwd,
    env: location.runtime.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: process.platform !== 'win32',
    windowsHide: true,
  }) as ChildProcess & TrainerChild;
}

export function killProcessTree(child: { pid?: number; kill(signal?: NodeJS.Signals): boolean }): void {
  const pid = child.pid;
  if (pid === undefined) return;
  if (process.platform === 'win32') {
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true, stdio: 'ignore' }).on(
      'error',
      () => child.kill(),
    );
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface RunCliOptions {
  signal?: AbortSignal;
  onStderr?: (text: string) => void;
  /** Each complete stdout line as it arrives (commands that print JSON events, one a line). */
  onStdoutLine?: (line: string) => void;
}

export interface CliOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs `cli ARGS` to completion. A non-zero exit becomes a CliError carrying the CLI's one-line
 * message (its last stderr line); cancelling kills the process.
 */
export function runCli(
  location: CliLocation,
  args: string[],
  options: RunCliOptions = {},
): Promise<CliOutput> {
  return new Promise<CliOutput>((resolve, reject) => {
    const child = spawn(location.runtime.executable, [location.cliPath, ...args], {
      cwd: location.cwd,
      env: location.runtime.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    const abort = (): void => killProcessTree(child);
    options.signal?.addEventListener('abort', abort, { once: true });
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      if (!options.onStdoutLine) return;
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      options.onStderr?.(text);
    });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', abort);
      reject(new CliError(`cannot start ${location.runtime.executable}: ${error.message}`, null, stderr));
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) return reject(new CliError('cancelled', code, stderr));
      if (code !== 0)
        return reject(
          new CliError(
            lastLine(stderr) ?? `image-trainer ${args[0]} exited with code ${code ?? signal}`,
            code,
            stderr,
          ),
        );
      resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr });
    });
  });
}

/** Runs `cli ARGS` and accepts its stdout as JSON when the guard does. */
export async function runCliJson<T>(
  location: CliLocation,
  args: string[],
  guard: Guard<T>,
  options: RunCliOptions = {},
): Promise<T> {
  const { stdout, stderr } = await runCli(location, args, options);
  const value = parseJsonOutput(stdout);
  if (value === undefined) throw new CliError(`image-trainer ${args[0]} printed no JSON`, 0, stderr);
  if (!guard(value)) throw new CliError(`image-trainer ${args[0]} printed an unexpected result`, 0, stderr);
  return value;
}

/** The whole output as JSON, or else its last line that parses (a command may print events before its result). */
export function parseJsonOutput(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    const lines = trimmed.split(/\r?\n/).reverse();
    for (const line of lines) {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        continue;
      }
    }
    return undefined;
  }
}
