// What the dashboard host sends after the snapshot: the smallest message that brings the webview from
// what it was last sent to what is on disk now, and a throttle that keeps refreshes to ~5 a second.
import type { RunDetails, RunRecord, RunSummary } from '../../protocol/runRecord';
import type { HostToWebview } from '../../protocol/webviewMessages';
import type { Clock } from '../util/clock';

/** Fields of run.json that change with every epoch; the summary in `epochsAppended` carries them. */
const VOLATILE_RECORD_KEYS = [
  'updatedAt',
  'epochsCompleted',
  'bestEpoch',
  'bestValAccuracy',
  'bestValLoss',
  'pid',
] as const;

function stableRecord(record: RunRecord): string {
  const copy: Record<string, unknown> = { ...record };
  for (const key of VOLATILE_RECORD_KEYS) delete copy[key];
  return JSON.stringify(copy);
}

function isPrefix<T>(prefix: readonly T[], whole: readonly T[]): boolean {
  if (prefix.length > whole.length) return false;
  // Appended lines never rewrite earlier ones, except after a resume that dropped a torn epoch:
  // comparing the last common element catches that without comparing every line.
  if (prefix.length === 0) return true;
  return JSON.stringify(prefix[prefix.length - 1]) === JSON.stringify(whole[prefix.length - 1]);
}

/** The delta from `sent` to `next`, or null when the webview is up to date. */
export function detailsDelta(sent: RunDetails | null, next: RunDetails | null): HostToWebview | null {
  if (sent === null && next === null) return null;
  if (sent === null || next === null || sent.summary.id !== next.summary.id) {
    return { type: 'runDetailsChanged', details: next };
  }
  const sameRecord = stableRecord(sent.record) === stableRecord(next.record);
  const sameEvaluation =
    JSON.stringify(sent.evaluation) === JSON.stringify(next.evaluation) &&
    JSON.stringify(sent.detectionEvaluation ?? null) === JSON.stringify(next.detectionEvaluation ?? null);
  if (
    !sameRecord ||
    !sameEvaluation ||
    !isPrefix(sent.epochs, next.epochs) ||
    !isPrefix(sent.batches, next.batches)
  ) {
    return { type: 'runDetailsChanged', details: next };
  }
  const epochs = next.epochs.slice(sent.epochs.length);
  const batches = next.batches.slice(sent.batches.length);
  if (
    epochs.length === 0 &&
    batches.length === 0 &&
    JSON.stringify(sent.summary) === JSON.stringify(next.summary)
  ) {
    return null;
  }
  return { type: 'epochsAppended', runId: next.summary.id, summary: next.summary, epochs, batches };
}

/** Whether two run lists differ in anything the webview shows. */
export function runsDiffer(a: readonly RunSummary[], b: readonly RunSummary[]): boolean {
  return a.length !== b.length || JSON.stringify(a) !== JSON.stringify(b);
}

/** A run's compare data is stale when any of these moved since it was sent. */
export function compareSignature(summary: RunSummary): string {
  return `${summary.updatedAt}|${summary.status}|${summary.epochsCompleted}|${summary.testAccuracy ?? ''}|${summary.map50 ?? ''}|${summary.map50_95 ?? ''}`;
}

/**
 * Runs `action` at most once per `intervalMs`, never two at once, and always once more after the last
 * trigger (a trailing call), so the final state on disk is always sent.
 */
export class Throttle {
  private lastStart = -Infinity;
  private timer: unknown;
  private running = false;
  private pending = false;
  private disposed = false;

  constructor(
    private readonly action: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {}

  trigger(): void {
    if (this.disposed) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    if (this.timer !== undefined) return;
    const wait = this.lastStart + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      void this.run();
    } else {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        void this.run();
      }, wait);
    }
  }

  private async run(): Promise<void> {
    if (this.disposed) return;
    this.running = true;
    this.pending = false;
    this.lastStart = this.clock.now();
    try {
      await this.action();
    } finally {
      this.running = false;
      if (this.pending) this.trigger();
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
