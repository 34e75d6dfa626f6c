// One training run at a time; further requests wait in a queue and start when the current run ends,
// however it ends.
import type { SessionOutcome, TrainingSession } from './trainingSession';
import type { TrainRequest } from './trainRequest';

export type SessionFactory = (request: TrainRequest) => TrainingSession;

export interface ControllerListener {
  onStarted?(session: TrainingSession): void;
  onEnded?(session: TrainingSession, outcome: SessionOutcome): void;
  onQueueChanged?(queued: readonly TrainRequest[]): void;
}

export class TrainingController {
  private current: TrainingSession | undefined;
  private readonly queue: TrainRequest[] = [];
  private disposed = false;

  constructor(
    private readonly createSession: SessionFactory,
    private readonly listener: ControllerListener = {},
  ) {}

  get active(): TrainingSession | undefined {
    return this.current;
  }

  get queued(): readonly TrainRequest[] {
    return [...this.queue];
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Starts now; callers ask the user first and use `enqueue` while a run is active. */
  start(request: TrainRequest): TrainingSession {
    if (this.disposed) throw new Error('the training controller is disposed');
    if (this.current) throw new Error('a training run is already active');
    const session = this.createSession(request);
    this.current = session;
    this.listener.onStarted?.(session);
    void session.done.then((outcome) => this.onSessionEnded(session, outcome));
    session.start();
    return session;
  }

  /** Queues behind the active run, or starts at once when there is none. */
  enqueue(request: TrainRequest): 'started' | 'queued' {
    if (!this.current) {
      this.start(request);
      return 'started';
    }
    this.queue.push(request);
    this.listener.onQueueChanged?.(this.queued);
    return 'queued';
  }

  stopActive(): 'requested' | 'killed' | 'idle' {
    return this.current ? this.current.requestStop() : 'idle';
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
    this.current?.dispose();
  }

  private onSessionEnded(session: TrainingSession, outcome: SessionOutcome): void {
    if (this.current === session) this.current = undefined;
    this.listener.onEnded?.(session, outcome);
    if (this.disposed) return;
    const next = this.queue.shift();
    if (next) {
      this.listener.onQueueChanged?.(this.queued);
      this.start(next);
    }
  }
}
