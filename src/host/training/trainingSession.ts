// One training run from the host's side: starts the trainer child, accepts only guarded
// TrainerToHost messages, keeps a progress snapshot, and settles on exactly one outcome, also when
// the child dies without saying why (then run.json is marked failed, keeping everything written).
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import {
  assertNever,
  isTrainerToHost,
  type HostToTrainer,
  type TrainerPhase,
  type TrainerToHost,
} from '../../protocol';
import { bestAccuracyText, epochLine, phaseLabel } from '../../core/eventText';
import { isInside } from '../../core/runFiles';
import { formatMap } from '../../protocol/format';
import { formatDuration, formatPercent } from '../treePresentation';
import { systemClock, type Clock } from '../util/clock';
import { lastLine, messageOf } from '../util/errors';
import { trainArgs, type TrainRequest } from './trainRequest';

/** The part of a ChildProcess the session uses; tests pass an EventEmitter with send/kill. */
export interface TrainerChild extends EventEmitter {
  readonly pid?: number;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  send(message: HostToTrainer): boolean;
  kill(signal?: NodeJS.Signals): boolean;
}

export type EndedStatus = 'failed' | 'stopped';

export interface SessionDeps {
  spawn(args: string[]): TrainerChild;
  killTree(child: TrainerChild): void;
  /** Rewrites run.json of a run still marked running (atomically); resolves false if it was not running. */
  markRunEnded(runDir: string, status: EndedStatus, message: string): Promise<boolean>;
  clock?: Clock;
  /** After a stop request, how long the trainer may take to finish its epoch before it is killed. */
  stopTimeoutMs?: number;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface SessionObserver {
  onUpdate?(snapshot: SessionSnapshot): void;
  onLog?(level: LogLevel, message: string): void;
  /** Every accepted trainer event, e.g. to tell the runs watcher to re-read. */
  onEvent?(event: TrainerToHost): void;
  /** Raw stderr text of the child. */
  onStderr?(text: string): void;
}

export interface SessionSnapshot {
  runId: string | null;
  runDir: string | null;
  phase: TrainerPhase | null;
  message: string;
  /** Current epoch, from 1; 0 before training starts. */
  epoch: number;
  /** First epoch this process trains (1, or later for a resumed run). */
  startEpoch: number;
  totalEpochs: number;
  batch: number;
  totalBatches: number;
  etaMs: number | null;
  /** What the run learns (runStarted's config.task); a detector's val accuracy figures are mAP@0.5. */
  task: 'classify' | 'detect';
  lastValAccuracy: number | null;
  bestValAccuracy: number | null;
  /** Progress of the whole run, 0..1. */
  fraction: number;
  stopping: boolean;
}

export type SessionOutcome =
  | {
      kind: 'completed';
      runId: string;
      runDir: string;
      epochsCompleted: number;
      bestValAccuracy: number | null;
      /** Present on a detection run, whose bestValAccuracy is mAP@0.5. */
      task?: 'detect';
    }
  | {
      kind: 'stopped';
      runId: string | null;
      runDir: string | null;
      epochsCompleted: number;
      message?: string;
    }
  | { kind: 'failed'; runId: string | null; runDir: string | null; message: string; path?: string }
  /** The child exited without runCompleted/runStopped/runFailed. */
  | {
      kind: 'crashed';
      runId: string | null;
      runDir: string | null;
      message: string;
      code: number | null;
      signal: string | null;
    };

export const DEFAULT_STOP_TIMEOUT_MS = 60_000;

export function crashMessage(code: number | null, signal: string | null): string {
  return `trainer exited unexpectedly (code ${code ?? 'none'}, signal ${signal ?? 'none'})`;
}

export class TrainingSession {
  readonly done: Promise<SessionOutcome>;
  private resolveDone!: (outcome: SessionOutcome) => void;
  private child: TrainerChild | undefined;
  private terminal: SessionOutcome | undefined;
  private outcome: SessionOutcome | undefined;
  private stopTimer: unknown;
  private killedByUser = false;
  private disposed = false;
  private rejectedMessages = 0;
  /** The end of the child's stderr: its one-line reason when it exits without a final message. */
  private stderrTail = '';
  private readonly clock: Clock;
  private state: SessionSnapshot = {
    runId: null,
    runDir: null,
    phase: null,
    message: 'Starting the trainer…',
    epoch: 0,
    startEpoch: 1,
    totalEpochs: 0,
    batch: 0,
    totalBatches: 0,
    etaMs: null,
    task: 'classify',
    lastValAccuracy: null,
    bestValAccuracy: null,
    fraction: 0,
    stopping: false,
  };

  constructor(
    readonly request: TrainRequest,
    private readonly deps: SessionDeps,
    private readonly observer: SessionObserver = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get snapshot(): SessionSnapshot {
    return { ...this.state };
  }

  get ended(): boolean {
    return this.outcome !== undefined;
  }

  start(): void {
    if (this.child || this.outcome) return;
    let child: TrainerChild;
    try {
      child = this.deps.spawn(trainArgs(this.request));
    } catch (error) {
      this.settle({
        kind: 'failed',
        runId: null,
        runDir: null,
        message: `cannot start the trainer: ${messageOf(error)}`,
      });
      return;
    }
    this.child = child;
    child.on('message', (message: unknown) => this.handleMessage(message));
    child.on('error', (error: Error) => this.handleSpawnError(error));
    child.on(
      'close',
      (code: number | null, signal: NodeJS.Signals | null) => void this.handleClose(code, signal),
    );
    child.stderr?.on('data', (chunk: Buffer | string) => {
      const text = chunk.toString();
      this.stderrTail = (this.stderrTail + text).slice(-4096);
      this.observer.onStderr?.(text);
    });
    // stdout repeats the IPC events as JSON lines; it is drained so that the pipe never fills.
    child.stdout?.resume();
    this.log('info', `$ image-trainer ${trainArgs(this.request).join(' ')}`);
  }

  /** First call asks the trainer to stop after its current step; a second call (or the timeout) kills it. */
  requestStop(): 'requested' | 'killed' | 'idle' {
    if (!this.child || this.outcome) return 'idle';
    if (this.state.stopping) {
      this.forceKill('killed on a second stop request');
      return 'killed';
    }
    this.state.stopping = true;
    this.state.message = 'Stopping after the current step…';
    this.emitUpdate();
    let sent = false;
    try {
      sent = this.child.send({ type: 'stop' });
    } catch {
      sent = false;
    }
    if (!sent) {
      this.forceKill('the trainer did not accept the stop message');
      return 'killed';
    }
    const timeout = this.deps.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.stopTimer = this.clock.setTimeout(
      () => this.forceKill(`did not stop within ${formatDuration(timeout)}`),
      timeout,
    );
    return 'requested';
  }

  /** Kills the child's process tree at once (window closing, extension deactivating). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearStopTimer();
    if (this.child && !this.outcome) {
      this.killedByUser = true;
      this.deps.killTree(this.child);
    }
  }

  /** Entry point for everything the child sends: unknown until the guard accepts it. */
  handleMessage(raw: unknown): void {
    if (!isTrainerToHost(raw)) {
      // A bad message is dropped and noted once in a while, never trusted.
      if (this.rejectedMessages++ % 100 === 0)
        this.log('warn', 'ignored a malformed message from the trainer');
      return;
    }
    this.applyEvent(raw);
    this.observer.onEvent?.(raw);
  }

  private applyEvent(event: TrainerToHost): void {
    const s = this.state;
    switch (event.type) {
      case 'runStarted': {
        s.runId = event.runId;
        s.runDir = event.runDir;
        s.startEpoch = event.startEpoch;
        s.totalEpochs = event.totalEpochs;
        s.epoch = Math.max(0, event.startEpoch - 1);
        // The config inside runStarted is checked for being an object only: compare, never trust its type.
        s.task =
          (event.config as unknown as Record<string, unknown>).task === 'detect' ? 'detect' : 'classify';
        const counts = event.dataset.counts;
        this.log(
          'info',
          `Run ${event.runId} started: ${event.dataset.classNames.length} classes, ` +
            `${counts.train} train / ${counts.validation} validation / ${counts.test} test images` +
            `${event.dataset.skipped > 0 ? `, ${event.dataset.skipped} skipped` : ''}; backend ${event.backend}` +
            `${event.startEpoch > 1 ? `; resuming at epoch ${event.startEpoch}` : ''}`,
        );
        // backendNotes are not repeated here: the trainer logs them as they are decided.
        this.log('info', `  run directory: ${event.runDir}`);
        break;
      }
      case 'phaseChanged':
        s.phase = event.phase;
        s.message = event.message;
        this.log('info', event.message);
        break;
      case 'progress':
        s.phase = event.phase;
        if (event.phase !== 'training') s.message = `${phaseLabel(event.phase)} ${event.done}/${event.total}`;
        break;
      case 'epochStarted':
        s.phase = 'training';
        s.epoch = event.epoch;
        s.totalEpochs = event.totalEpochs;
        s.totalBatches = event.totalBatches;
        s.batch = 0;
        s.message = this.trainingMessage();
        break;
      case 'batchEnded':
        s.epoch = event.epoch;
        s.batch = event.batch;
        s.totalBatches = event.totalBatches;
        s.etaMs = event.etaMs;
        s.message = this.trainingMessage();
        break;
      case 'epochEnded': {
        const m = event.metrics;
        s.epoch = m.epoch;
        s.batch = s.totalBatches;
        s.etaMs = event.etaMs;
        if (m.task === 'detect') s.task = 'detect';
        s.lastValAccuracy = m.valAccuracy;
        if (
          m.valAccuracy !== null &&
          (event.improved || event.bestEpoch === m.epoch || s.bestValAccuracy === null)
        ) {
          s.bestValAccuracy = m.valAccuracy;
        }
        s.message = this.trainingMessage();
        this.log('info', epochLine(m, s.totalEpochs, event.improved));
        break;
      }
      case 'checkpointSaved':
        this.log('info', `  saved ${event.kind} checkpoint (epoch ${event.epoch})`);
        break;
      case 'evaluationWritten':
        this.log(
          'info',
          s.task === 'detect'
            ? `Evaluation: mAP@0.5 ${formatMap(event.accuracy)} (${event.path})`
            : `Evaluation: accuracy ${formatPercent(event.accuracy)} (${event.path})`,
        );
        break;
      case 'runCompleted':
        this.terminal = {
          kind: 'completed',
          runId: event.runId,
          runDir: event.runDir,
          epochsCompleted: event.epochsCompleted,
          bestValAccuracy: event.bestValAccuracy,
          ...(s.task === 'detect' ? { task: 'detect' as const } : {}),
        };
        s.fraction = 1;
        s.message = 'Completed';
        this.log(
          'info',
          `Run ${event.runId} completed: ${event.epochsCompleted} epochs, ${bestAccuracyText(event.bestValAccuracy, s.task)}`,
        );
        break;
      case 'runStopped':
        this.terminal = {
          kind: 'stopped',
          runId: event.runId,
          runDir: event.runDir,
          epochsCompleted: event.epochsCompleted,
        };
        s.message = 'Stopped';
        this.log(
          'info',
          `Run ${event.runId} stopped after ${event.epochsCompleted} epochs; Resume continues it.`,
        );
        break;
      case 'runFailed':
        this.terminal = {
          kind: 'failed',
          runId: event.runId ?? s.runId,
          runDir: event.runDir ?? s.runDir,
          message: event.message,
          path: event.path,
        };
        s.message = 'Failed';
        this.log('error', `Run failed: ${event.message}${event.path ? ` (${event.path})` : ''}`);
        break;
      case 'log':
        this.log(event.level, event.message);
        break;
      default:
        assertNever(event);
    }
    s.fraction = this.terminal?.kind === 'completed' ? 1 : fractionOf(s);
    this.emitUpdate();
  }

  private trainingMessage(): string {
    const s = this.state;
    const parts = [`Epoch ${s.epoch}/${s.totalEpochs}`];
    if (s.totalBatches > 0 && s.batch < s.totalBatches) parts.push(`batch ${s.batch}/${s.totalBatches}`);
    if (s.lastValAccuracy !== null)
      parts.push(
        s.task === 'detect'
          ? `val mAP@0.5 ${formatMap(s.lastValAccuracy)}`
          : `val acc ${formatPercent(s.lastValAccuracy)}`,
      );
    if (s.etaMs !== null) parts.push(`ETA ${formatDuration(s.etaMs)}`);
    return parts.join(' · ');
  }

  private handleSpawnError(error: Error): void {
    this.log('error', `trainer process error: ${error.message}`);
    // A child that never started emits no 'close'; one that did will, and settles there.
    if (this.child?.pid === undefined) {
      this.settle({
        kind: 'failed',
        runId: null,
        runDir: null,
        message: `cannot start the trainer: ${error.message}`,
      });
    }
  }

  private async handleClose(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.clearStopTimer();
    if (this.outcome) return;
    if (this.terminal) {
      this.settle(this.terminal);
      return;
    }
    const { runId, runDir } = this.state;
    if (this.killedByUser) {
      const message = this.disposed
        ? 'stopped: the editor closed'
        : 'stopped by the user (the trainer was killed)';
      // On dispose the editor is going away; the run store shows the run as interrupted and Resume continues it.
      if (runDir && !this.disposed) await this.markRun(runDir, 'stopped', message);
      this.log('warn', `Run ${runId ?? '(not started)'} ${message}`);
      this.settle({
        kind: 'stopped',
        runId,
        runDir,
        epochsCompleted: Math.max(0, this.state.epoch - 1),
        message,
      });
      return;
    }
    const message = crashMessage(code, signal);
    if (runDir) await this.markRun(runDir, 'failed', message);
    // The user also sees what the trainer said last (a usage error names the file and the fix).
    const said = lastLine(this.stderrTail);
    const shown = said ? `${message}: ${said}` : message;
    this.log('error', `Run ${runId ?? '(not started)'} failed: ${shown}`);
    this.settle({ kind: 'crashed', runId, runDir, message: shown, code, signal });
  }

  private async markRun(runDir: string, status: EndedStatus, message: string): Promise<void> {
    // The run directory came from the child: only a folder under our runs root is ever rewritten.
    if (!isInside(this.request.runsRoot, runDir)) {
      this.log('warn', `not updating ${runDir}: it is outside the runs folder ${this.request.runsRoot}`);
      return;
    }
    try {
      await this.deps.markRunEnded(runDir, status, message);
    } catch (error) {
      this.log('error', `could not update ${runDir}: ${messageOf(error)}`);
    }
  }

  private forceKill(reason: string): void {
    if (!this.child || this.outcome) return;
    this.clearStopTimer();
    this.killedByUser = true;
    this.log('warn', `Killing the trainer: ${reason}`);
    this.deps.killTree(this.child);
  }

  private clearStopTimer(): void {
    if (this.stopTimer !== undefined) this.clock.clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
  }

  private settle(outcome: SessionOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.state.stopping = false;
    this.emitUpdate();
    this.resolveDone(outcome);
  }

  private emitUpdate(): void {
    this.observer.onUpdate?.(this.snapshot);
  }

  private log(level: LogLevel, message: string): void {
    this.observer.onLog?.(level, message);
  }
}

/** Progress of this session's part of the run: the epochs it trains, the current one by its batches. */
export function fractionOf(s: SessionSnapshot): number {
  if (s.totalEpochs <= 0 || s.epoch < s.startEpoch) return 0;
  const epochsToRun = s.totalEpochs - s.startEpoch + 1;
  if (epochsToRun <= 0) return 1;
  const inEpoch = s.totalBatches > 0 ? Math.min(1, s.batch / s.totalBatches) : 0;
  const done = s.epoch - s.startEpoch + inEpoch;
  return Math.min(1, Math.max(0, done / epochsToRun));
}
