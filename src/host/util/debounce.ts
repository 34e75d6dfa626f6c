import { systemClock, type Clock } from './clock';

/** Calls `action` once, `delayMs` after the last of a burst of triggers (file watcher storms). */
export class Debouncer {
  private handle: unknown;

  constructor(
    private readonly action: () => void,
    private readonly delayMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  trigger(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.action();
    }, this.delayMs);
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  dispose(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
