// What the status bar and the progress notification say about a training session, decided by plain
// code, and the journal of what was shown: one Output line each time the shown epoch or phase changes,
// so that a user (and the e2e test) can see afterwards what the editor displayed, however fast the run.
import { formatDuration, formatMap, formatPercent } from '../../protocol/format';
import type { SessionSnapshot } from './trainingSession';

/**
 * The status-bar item's text: `$(sync~spin) 3/10 · val 91.2% · ETA 42 s · +1 queued`; a detector shows its
 * validation mAP@0.5 (`· mAP 0.612`), which it reports where a classifier reports accuracy.
 */
export function statusBarText(s: SessionSnapshot, queued: number): string {
  const parts = s.epoch > 0 ? [`${s.epoch}/${s.totalEpochs}`] : [s.phase ?? 'starting'];
  if (s.lastValAccuracy !== null)
    parts.push(
      s.task === 'detect' ? `mAP ${formatMap(s.lastValAccuracy)}` : `val ${formatPercent(s.lastValAccuracy)}`,
    );
  if (s.etaMs !== null) parts.push(`ETA ${formatDuration(s.etaMs)}`);
  if (queued > 0) parts.push(`+${queued} queued`);
  return `$(${s.stopping ? 'debug-stop' : 'sync~spin'}) ${parts.join(' · ')}`;
}

export function statusBarTooltip(s: SessionSnapshot): string {
  return `Image Trainer: ${s.message}${s.runId ? `\nRun ${s.runId}` : ''}\nClick to open the dashboard.`;
}

/** What one update put on screen. */
export interface ShownProgress {
  statusBar: string;
  notification: string;
}

/** The journal's line prefix; the e2e test looks for it in the extension's log. */
export const PROGRESS_SHOWN = 'Progress shown';

/**
 * Turns every displayed update into at most one log line per run, phase and epoch: per-batch updates
 * (ETA, batch counter) would flood the Output channel, epochs are what a user follows.
 */
export class ShownProgressJournal {
  private lastKey: string | undefined;

  /** The line to log for this update, or undefined when it shows the same epoch as the last line. */
  note(s: SessionSnapshot, shown: ShownProgress): string | undefined {
    const key = `${s.runId ?? ''}\u0000${s.epoch > 0 ? 'epoch' : (s.phase ?? 'starting')}\u0000${s.epoch}`;
    if (key === this.lastKey) return undefined;
    this.lastKey = key;
    const run = s.runId ? ` (run ${s.runId})` : '';
    const epoch = s.epoch > 0 ? `epoch ${s.epoch}/${s.totalEpochs}` : (s.phase ?? 'starting');
    return `${PROGRESS_SHOWN}${run}: ${epoch} · status bar "${shown.statusBar}" · notification "${shown.notification}"`;
  }
}
