// Trainer events as text, one wording for the CLI's progress lines and the extension's Output channel.
import type { EpochMetrics } from '../protocol/runRecord';
import type { TrainerPhase } from '../protocol/trainerMessages';
import { formatDuration, formatPercent } from '../protocol/format';

/** `Epoch 3/10: loss 0.4123 · acc 87.3% · val loss 0.5012 · val acc 84.0% · 12s · 410 img/s · best so far`. */
export function epochLine(m: EpochMetrics, totalEpochs: number, improved: boolean): string {
  const val =
    m.valLoss === null ? '' : ` · val loss ${m.valLoss.toFixed(4)} · val acc ${formatPercent(m.valAccuracy)}`;
  return (
    `Epoch ${m.epoch}/${totalEpochs}: loss ${m.loss.toFixed(4)} · acc ${formatPercent(m.accuracy)}${val}` +
    ` · ${formatDuration(m.durationMs)} · ${Math.round(m.samplesPerSecond)} img/s` +
    `${improved ? ' · best so far' : ''}${m.partial ? ' · stopped mid-epoch' : ''}`
  );
}

/** `scanning` → `Scanning`: a phase as the start of a progress line. */
export function phaseLabel(phase: TrainerPhase): string {
  return phase.charAt(0).toUpperCase() + phase.slice(1);
}

/** `best validation accuracy 91.2%` (`—` for a run without validation images). */
export function bestAccuracyText(bestValAccuracy: number | null): string {
  return `best validation accuracy ${formatPercent(bestValAccuracy)}`;
}
