// Runs the built CLI (dist/cli.js) as a child process the way a user would, and measures it from outside:
// wall time, and peak resident memory read from /proc/<pid>/status (VmHWM, the kernel's own high-water
// mark, so sampling only has to catch it before the process exits). Shared by the bench:* scripts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { TrainerToHost } from '../src/protocol/trainerMessages';

export const CLI = join(__dirname, '..', 'dist', 'cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak RSS of the CLI process in bytes (0 where /proc is unavailable). */
  peakRss: number;
  /** CPU time (user + system, all threads) of the CLI process: on a shared machine a steadier figure than wall time. */
  cpuMs: number;
}

export interface CliOptions {
  /** Called with every complete stdout line as it arrives (JSON events of `train --json`), with wall and CPU time so far. */
  onLine?: (line: string, elapsedMs: number, cpuMs: number, stop: () => void) => void;
  sampleMs?: number;
  /** Sends SIGINT (a clean stop: the epoch ends, records stay intact) after this long. */
  stopAfterMs?: number;
  onStop?: () => void;
}

function readHwm(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process from /proc/<pid>/stat, in milliseconds. */
function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI}: not built — run node esbuild.js first`);
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let peakRss = 0;
  let cpuMs = 0;
  const sample = () => {
    if (child.pid === undefined) return;
    peakRss = Math.max(peakRss, readHwm(child.pid));
    cpuMs = Math.max(cpuMs, readCpuMs(child.pid));
  };
  const timer = setInterval(sample, options.sampleMs ?? 200);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    options.onStop?.();
    child.kill('SIGINT');
  };
  const stopTimer = options.stopAfterMs === undefined ? null : setTimeout(stop, options.stopAfterMs);
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    stdout += text;
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      sample(); // an event marks progress: a good moment to read the high-water mark
      options.onLine?.(line, Date.now() - started, cpuMs, stop);
    }
  });
  child.stderr.on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearInterval(timer);
      if (stopTimer) clearTimeout(stopTimer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      if (stopTimer) clearTimeout(stopTimer);
      resolve({ code: code ?? 1, stdout, stderr, wallMs: Date.now() - started, peakRss, cpuMs });
    });
  });
}

/** `train --json` events, parsed; other lines are ignored. */
export function parseEvent(line: string): TrainerToHost | null {
  try {
    const value = JSON.parse(line) as TrainerToHost;
    return typeof value === 'object' && value !== null && typeof value.type === 'string' ? value : null;
  } catch {
    return null;
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** The machine, for the figures' context: cores, load, and the CPU model. */
export function machineDescription(): { cores: number; load: number[]; cpu: string; node: string } {
  return {
    cores: availableParallelism(),
    load: loadavg().map((l) => Number(l.toFixed(2))),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
  };
}

export interface EpochPoint {
  epoch: number;
  /** Minutes since the trainer process started (scan and decode included). */
  minutes: number;
  /** CPU minutes the trainer process had used by then (all threads). */
  cpuMinutes: number;
  loss: number;
  accuracy: number;
  valAccuracy: number | null;
  samplesPerSecond: number;
  durationMs: number;
  /** Milliseconds of the epoch spent waiting for a batch, when the trainer reports it. */
  dataWaitMs?: number;
}

export interface TrainResult extends CliResult {
  runDir: string | null;
  epochs: EpochPoint[];
  failure: string | null;
}

/** `train DIR ARGS --json`, collecting the epoch curve; `onEpoch` sees each epoch as it ends. */
export async function trainWithCli(
  dataDir: string,
  args: readonly string[],
  onEpoch: (point: EpochPoint) => void = () => undefined,
  stop: Pick<CliOptions, 'stopAfterMs' | 'onStop'> = {},
): Promise<TrainResult> {
  let runDir: string | null = null;
  let failure: string | null = null;
  const epochs: EpochPoint[] = [];
  const result = await runCli(['train', dataDir, ...args, '--json'], {
    ...stop,
    onLine: (line, elapsedMs, cpuMs) => {
      const event = parseEvent(line);
      if (!event) return;
      if (event.type === 'runStarted') runDir = event.runDir;
      if (event.type === 'runFailed') failure = event.message;
      if (event.type === 'epochEnded') {
        const m = event.metrics as typeof event.metrics & { dataWaitMs?: number };
        const point: EpochPoint = {
          epoch: m.epoch,
          minutes: elapsedMs / 60000,
          cpuMinutes: cpuMs / 60000,
          loss: m.loss,
          accuracy: m.accuracy,
          valAccuracy: m.valAccuracy,
          samplesPerSecond: m.samplesPerSecond,
          durationMs: m.durationMs,
          ...(typeof m.dataWaitMs === 'number' ? { dataWaitMs: m.dataWaitMs } : {}),
        };
        epochs.push(point);
        onEpoch(point);
      }
    },
  });
  if (result.code !== 0 && !failure)
    failure = result.stderr.trim().split('\n').pop() ?? `exit ${result.code}`;
  return { ...result, runDir, epochs, failure };
}

/** `evaluate RUN_DIR DATA_DIR --json`: the accuracy on a labelled folder. */
export async function evaluateWithCli(
  runDir: string,
  dataDir: string,
): Promise<{ accuracy: number; count: number; wallMs: number; peakRss: number; cpuMs: number }> {
  const result = await runCli(['evaluate', runDir, dataDir, '--json']);
  if (result.code !== 0) throw new Error(`evaluate failed (exit ${result.code}): ${result.stderr.trim()}`);
  const evaluation = JSON.parse(result.stdout) as { accuracy: number; perClass: { support: number }[] };
  return {
    accuracy: evaluation.accuracy,
    count: evaluation.perClass.reduce((a, c) => a + c.support, 0),
    wallMs: result.wallMs,
    peakRss: result.peakRss,
    cpuMs: result.cpuMs,
  };
}
