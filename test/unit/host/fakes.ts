// Fakes for the training session: a child process (EventEmitter with send/kill) and a manual clock.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { HostToTrainer, TrainerToHost } from '../../../src/protocol';
import type { Clock } from '../../../src/host/util/clock';
import type { EndedStatus, SessionDeps, TrainerChild } from '../../../src/host/training/trainingSession';

export class FakeChild extends EventEmitter implements TrainerChild {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly sent: HostToTrainer[] = [];
  killedWith: NodeJS.Signals[] = [];
  acceptsMessages = true;

  readonly pid: number | undefined;

  /** `null`: a process that never started (no pid). */
  constructor(pid: number | null = 4242) {
    super();
    this.pid = pid ?? undefined;
  }

  send(message: HostToTrainer): boolean {
    this.sent.push(message);
    return this.acceptsMessages;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.killedWith.push(signal);
    return true;
  }

  emitEvent(event: TrainerToHost | unknown): void {
    this.emit('message', event);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.emit('exit', code, signal);
    this.emit('close', code, signal);
  }
}

export class ManualClock implements Clock {
  private time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.callback();
  }
}

export interface FakeDeps extends SessionDeps {
  children: FakeChild[];
  spawned: string[][];
  killed: FakeChild[];
  marked: { runDir: string; status: EndedStatus; message: string }[];
}

export function fakeDeps(
  clock = new ManualClock(),
  makeChild: () => FakeChild = () => new FakeChild(),
): FakeDeps {
  const deps: FakeDeps = {
    children: [],
    spawned: [],
    killed: [],
    marked: [],
    spawn(args) {
      deps.spawned.push(args);
      const child = makeChild();
      deps.children.push(child);
      return child;
    },
    killTree(child) {
      deps.killed.push(child as FakeChild);
    },
    async markRunEnded(runDir, status, message) {
      deps.marked.push({ runDir, status, message });
      return true;
    },
    clock,
    stopTimeoutMs: 1000,
  };
  return deps;
}
