// Trainer events as text, one wording for the CLI's progress lines and the extension's Output channel.
import type { EpochMetrics } from '../protocol/runRecord';
import type { DetectionEpochFields } from '../protocol/detection';
import type { TrainerPhase } from '../protocol/trainerMessages';
import { formatDuration, formatMap, formatPercent } from '../protocol/format';

/** `Epoch 3/10: loss 0.4123 · acc 87.3% · val loss 0.5012 · val acc 84.0% · 12s · 410 img/s · best so far`. */
export function epochLine(m: EpochMetrics, totalEpochs: number, improved: boolean): string {
  const detection = m as EpochMetrics & Partial<DetectionEpochFields>;
  if (detection.task === 'detect') return detectionEpochLine(detection, totalEpochs, improved);
  const val =
    m.valLoss === null ? '' : ` · val loss ${m.valLoss.toFixed(4)} · val acc ${formatPercent(m.valAccuracy)}`;
  return (
    `Epoch ${m.epoch}/${totalEpochs}: loss ${m.loss.toFixed(4)} · acc ${formatPercent(m.accuracy)}${val}` +
    ` · ${formatDuration(m.durationMs)} · ${Math.round(m.samplesPerSecond)} img/s` +
    `${improved ? ' · best so far' : ''}${m.partial ? ' · stopped mid-epoch' : ''}`
  );
}

/** `Epoch 3/30: loss 1.2345 (class 0.9, box 0.3) · val loss 1.1 · mAP@0.5 0.612 · mAP@0.5:0.95 0.301 · 9s · 35 img/s`. */
function detectionEpochLine(
  m: EpochMetrics & Partial<DetectionEpochFields>,
  totalEpochs: number,
  improved: boolean,
): string {
  const parts = (classLoss: number | null | undefined, boxLoss: number | null | undefined): string =>
    typeof classLoss === 'number' && typeof boxLoss === 'number'
      ? ` (class ${classLoss.toFixed(3)}, box ${boxLoss.toFixed(3)})`
      : '';
  const val =
    m.valLoss === null ? '' : ` · val loss ${m.valLoss.toFixed(4)}${parts(m.valClassLoss, m.valBoxLoss)}`;
  const map = (value: number | null | undefined): string =>
    typeof value === 'number' ? value.toFixed(3) : '—';
  return (
    `Epoch ${m.epoch}/${totalEpochs}: loss ${m.loss.toFixed(4)}${parts(m.classLoss, m.boxLoss)}${val}` +
    ` · mAP@0.5 ${map(m.map50)} · mAP@0.5:0.95 ${map(m.map50_95)}` +
    ` · ${formatDuration(m.durationMs)} · ${Math.round(m.samplesPerSecond)} img/s` +
    `${improved ? ' · best so far' : ''}${m.partial ? ' · stopped mid-epoch' : ''}`
  );
}

/** `scanning` → `Scanning`: a phase as the start of a progress line. */
export function phaseLabel(phase: TrainerPhase): string {
  return phase.charAt(0).toUpperCase() + phase.slice(1);
}

/**
 * `best validation accuracy 91.2%` (`—` for a run without validation images); for a detection run, whose
 * best validation figure is mAP@0.5, `best validation mAP@0.5 0.612`.
 */
export function bestAccuracyText(
  bestValAccuracy: number | null,
  task: 'classify' | 'detect' = 'classify',
): string {
  return task === 'detect'
    ? `best validation mAP@0.5 ${formatMap(bestValAccuracy)}`
    : `best validation accuracy ${formatPercent(bestValAccuracy)}`;
}
