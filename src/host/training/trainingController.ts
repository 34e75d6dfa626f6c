// One training run at a time by default (imageTrainer.maxConcurrentRuns allows more); further requests
// wait in a queue and start, in order, when a running one ends, however it ends.
import type { SessionOutcome, TrainingSession } from './trainingSession';
import type { TrainRequest } from './trainRequest';

export type SessionFactory = (request: TrainRequest) => TrainingSession;

export interface ControllerListener {
  onStarted?(session: TrainingSession): void;
  onEnded?(session: TrainingSession, outcome: SessionOutcome): void;
  onQueueChanged?(queued: readonly TrainRequest[]): void;
  /** A queued request was taken out at its turn instead of starting (`vetQueued` said why). */
  onDropped?(request: TrainRequest, reason: string): void;
}

/** Why a queued request cannot start now (its config file went missing or was damaged), or null. */
export type QueuedRequestCheck = (request: TrainRequest) => Promise<string | null>;

export class TrainingController {
  /** Running sessions, oldest first. */
  private readonly sessions: TrainingSession[] = [];
  private readonly queue: TrainRequest[] = [];
  private disposed = false;
  /** Queued requests taken out and being checked: their slots are taken. */
  private checking = 0;

  constructor(
    private readonly createSession: SessionFactory,
    private readonly listener: ControllerListener = {},
    /** How many runs may train at once (read at every start; at least 1). */
    private readonly maxConcurrent: () => number = () => 1,
    /** Checked for each queued request at its turn; a reason drops it (never a failed run). */
    private readonly vetQueued?: QueuedRequestCheck,
  ) {}

  /** The most recently started run still going (the one Stop and the status bar follow). */
  get active(): TrainingSession | undefined {
    return this.sessions.at(-1);
  }

  /** Every run going, oldest first. */
  get running(): readonly TrainingSession[] {
    return [...this.sessions];
  }

  /** No further run may start now: a new request waits in the queue. */
  get atCapacity(): boolean {
    return this.sessions.length + this.checking >= Math.max(1, this.maxConcurrent());
  }

  get queued(): readonly TrainRequest[] {
    return [...this.queue];
  }

  get busy(): boolean {
    return this.sessions.length > 0;
  }

  /** Starts now; callers ask the user first and use `enqueue` while a run is active. */
  start(request: TrainRequest): TrainingSession {
    if (this.disposed) throw new Error('the training controller is disposed');
    if (this.atCapacity) throw new Error('a training run is already active');
    const session = this.createSession(request);
    this.sessions.push(session);
    this.listener.onStarted?.(session);
    void session.done.then((outcome) => this.onSessionEnded(session, outcome));
    session.start();
    return session;
  }

  /** Queues behind the active run, or starts at once when there is none. */
  enqueue(request: TrainRequest): 'started' | 'queued' {
    if (!this.atCapacity) {
      this.start(request);
      return 'started';
    }
    this.queue.push(request);
    this.listener.onQueueChanged?.(this.queued);
    return 'queued';
  }

  stopActive(): 'requested' | 'killed' | 'idle' {
    const active = this.active;
    return active ? active.requestStop() : 'idle';
  }

  /** Drops waiting requests; returns how many. */
  clearQueue(): number {
    const count = this.queue.length;
    this.queue.length = 0;
    if (count > 0) this.listener.onQueueChanged?.(this.queued);
    return count;
  }

  /** Moves a queued request (by its queueId) one place earlier (-1) or later (1); false when it cannot. */
  moveQueued(queueId: string, delta: -1 | 1): boolean {
    const index = this.queue.findIndex((r) => r.queueId === queueId);
    const target = index + delta;
    if (index < 0 || target < 0 || target >= this.queue.length) return false;
    [this.queue[index], this.queue[target]] = [this.queue[target], this.queue[index]];
    this.listener.onQueueChanged?.(this.queued);
    return true;
  }

  /** Takes a queued request (by its queueId) out of the queue; the request, or undefined when not queued. */
  cancelQueued(queueId: string): TrainRequest | undefined {
    const index = this.queue.findIndex((r) => r.queueId === queueId);
    if (index < 0) return undefined;
    const [removed] = this.queue.splice(index, 1);
    this.listener.onQueueChanged?.(this.queued);
    return removed;
  }

  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    for (const session of this.sessions) session.dispose();
  }

  private onSessionEnded(session: TrainingSession, outcome: SessionOutcome): void {
    const index = this.sessions.indexOf(session);
    if (index >= 0) this.sessions.splice(index, 1);
    this.listener.onEnded?.(session, outcome);
    if (this.disposed) return;
    if (this.vetQueued) {
      void this.startCheckedQueued(this.vetQueued);
      return;
    }
    const starting: TrainRequest[] = [];
    while (this.queue.length > 0 && this.sessions.length + starting.length < this.limit())
      starting.push(this.queue.shift() as TrainRequest);
    if (starting.length === 0) return;
    this.listener.onQueueChanged?.(this.queued);
    for (const next of starting) this.start(next);
  }

  private limit(): number {
    return Math.max(1, this.maxConcurrent());
  }

  /** Starts queued requests while there is room, each checked first; a refused one is dropped, the next tried. */
  private async startCheckedQueued(check: QueuedRequestCheck): Promise<void> {
    while (!this.disposed && this.queue.length > 0 && !this.atCapacity) {
      const next = this.queue.shift() as TrainRequest;
      this.listener.onQueueChanged?.(this.queued);
      this.checking++;
      let problem: string | null;
      try {
        problem = await check(next);
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      } finally {
        this.checking--;
      }
      if (this.disposed) return;
      if (problem !== null) this.listener.onDropped?.(next, problem);
      else this.start(next);
    }
  }
}
