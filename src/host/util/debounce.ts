import { systemClock, type Clock } from './clock';

/**
 * Calls `action` once, `delayMs` after the last of a burst of triggers (file watcher storms); with
 * `maxWaitMs`, at least that often while triggers keep coming (a run appending metrics every batch).
 */
export class Debouncer {
  private handle: unknown;
  private firstTriggerAt: number | undefined;

  constructor(
    private readonly action: () => void,
    private readonly delayMs: number,
    private readonly clock: Clock = systemClock,
    private readonly maxWaitMs?: number,
  ) {}

  trigger(): void {
    const now = this.clock.now();
    this.firstTriggerAt ??= now;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    const untilMaxWait = this.maxWaitMs === undefined ? Infinity : this.firstTriggerAt + this.maxWaitMs - now;
    this.handle = this.clock.setTimeout(() => this.fire(), Math.max(0, Math.min(this.delayMs, untilMaxWait)));
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  dispose(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.firstTriggerAt = undefined;
  }

  private fire(): void {
    this.handle = undefined;
    this.firstTriggerAt = undefined;
    this.action();
  }
}
