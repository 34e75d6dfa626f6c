// The runStarted event of a prepared run, the first event of every training run (classification and detection).
import type { TrainerToHost } from '../../protocol/trainerMessages';
import type { PreparedRun } from './runContext';

/** Announces the run: its directory, backend, config, data set counts and the epochs it will train. */
export function runStartedEvent(prepared: PreparedRun): Extract<TrainerToHost, { type: 'runStarted' }> {
  const { writer, config } = prepared;
  return {
    type: 'runStarted',
    runId: writer.current.id,
    runDir: writer.runDir,
    backend: prepared.backend,
    backendNotes: writer.current.backendNotes,
    config,
    dataset: {
      root: prepared.datasetRoot,
      classNames: prepared.classNames,
      counts: writer.current.dataset.counts,
      skipped: writer.current.dataset.skipped.length,
    },
    startEpoch: (prepared.resume?.state.epoch ?? 0) + 1,
    totalEpochs: config.epochs,
  };
}
