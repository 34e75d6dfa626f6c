// Terminal progress: a redrawn bar with ETA on a TTY, plain lines otherwise (logs, CI, pipes).
import { visibleText } from '../protocol/displayText';
import type { TrainerToHost } from '../protocol/trainerMessages';
import { bestAccuracyText, epochLine, phaseLabel } from '../core/eventText';
import { formatBytes, formatDuration, formatPercent as percent } from '../protocol/format';

function bar(fraction: number, width = 24): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export interface ProgressReporter {
  progress(label: string, done: number, total: number): void;
  /** A byte count with ETA (downloads); etaMs null while there is no rate to go by. */
  download(label: string, done: number, total: number, etaMs: number | null): void;
  event(event: TrainerToHost, stdout: (text: string) => void): void;
  clear(): void;
}

export function createProgressReporter(stderr: (text: string) => void, isTTY: boolean): ProgressReporter {
  let drawn = false;
  let totalEpochs = 0;
  // A detector reports mAP@0.5 where a classifier reports accuracy, and no training accuracy per batch.
  let task: 'classify' | 'detect' = 'classify';
  const draw = (line: string): void => {
    if (!isTTY) return;
    stderr(`\r\x1b[2K${line}`);
    drawn = true;
  };
  const clear = (): void => {
    if (drawn) stderr('\r\x1b[2K');
    drawn = false;
  };
  const say = (stdout: (text: string) => void, text: string): void => {
    clear();
    stdout(text + '\n');
  };
  return {
    progress(label, done, total) {
      draw(`${label} ${bar(total ? done / total : 0)} ${done}/${total}`);
    },
    download(label, done, total, etaMs) {
      draw(
        `${label} ${bar(total ? done / total : 0)} ${formatBytes(done)} / ${formatBytes(total)}` +
          (etaMs === null ? '' : `  ETA ${formatDuration(etaMs)}`),
      );
    },
    clear,
    event(event, stdout) {
      switch (event.type) {
        case 'runStarted':
          totalEpochs = event.totalEpochs;
          task = event.config.task === 'detect' ? 'detect' : 'classify';
          say(
            stdout,
            `Run ${event.runId} — ${event.config.task === 'detect' ? 'detector' : event.config.model} on ${event.dataset.classNames.length} classes ` +
              `(${event.dataset.counts.train} train / ${event.dataset.counts.validation} val / ${event.dataset.counts.test} test), backend ${event.backend}` +
              event.backendNotes.map((note) => `\n  note: ${note}`).join(''),
          );
          break;
        case 'phaseChanged':
          if (event.phase !== 'training' && event.phase !== 'saving' && event.phase !== 'evaluating')
            draw(visibleText(event.message));
          break;
        case 'progress':
          draw(
            `${phaseLabel(event.phase)} ${bar(event.total ? event.done / event.total : 0)} ${event.done}/${event.total}`,
          );
          break;
        case 'epochStarted':
          totalEpochs = event.totalEpochs;
          break;
        case 'batchEnded':
          draw(
            `Epoch ${event.epoch}/${totalEpochs} ${bar(event.batch / event.totalBatches)} ${event.batch}/${event.totalBatches} ` +
              `loss ${event.loss.toFixed(4)}${task === 'detect' ? '' : ` acc ${percent(event.accuracy)}`} ETA ${formatDuration(event.etaMs)}`,
          );
          break;
        case 'epochEnded':
          say(stdout, epochLine(event.metrics, totalEpochs, event.improved));
          break;
        case 'checkpointSaved':
        case 'evaluationWritten':
          break;
        case 'runCompleted':
          say(
            stdout,
            `Done: ${event.epochsCompleted} epochs` +
              (event.bestEpoch
                ? `; best epoch ${event.bestEpoch}, ${bestAccuracyText(event.bestValAccuracy, task)}`
                : '') +
              `\nRun directory: ${event.runDir}`,
          );
          break;
        case 'runStopped':
          say(
            stdout,
            `Stopped after ${event.epochsCompleted} epochs; resume with: image-trainer train --resume "${event.runDir}"\nRun directory: ${event.runDir}`,
          );
          break;
        case 'runFailed':
          clear();
          stderr(
            `image-trainer: training failed: ${visibleText(event.message)}\n` +
              (event.runDir ? `Run directory: ${event.runDir}\n` : ''),
          );
          break;
        case 'log':
          if (event.level !== 'info') {
            clear();
            stderr(
              `image-trainer: ${event.level === 'warn' ? 'warning' : 'error'}: ${visibleText(event.message)}\n`,
            );
          }
          break;
      }
    },
  };
}
