// The end of a run that trained to its last epoch, a stop request or early stopping: run.json's end status,
// the runStopped or runCompleted event, and the outcome trainRun returns. Shared by classification (fit.ts)
// and detection (detect/trainDetection.ts), so both end a run the same way.
import type { PreparedRun, TrainOutcome, TrainRunRequest } from './runContext';

/** Where the epoch loop left off. */
export interface EpochsEnd {
  /** The last complete epoch. */
  lastEpoch: number;
  bestEpoch: number | null;
  /** Early stopping ended the loop (a completed run, not a stopped one). */
  endedEarly: boolean;
}

/** Records the run as stopped (a stop request before its last epoch) or completed, and reports it. */
export async function finishRun(
  prepared: PreparedRun,
  request: Pick<TrainRunRequest, 'emit' | 'stop'>,
  end: EpochsEnd,
): Promise<TrainOutcome> {
  const { writer, config } = prepared;
  const { emit, stop } = request;
  const { lastEpoch, bestEpoch } = end;
  const stopped = stop.requested && !end.endedEarly && lastEpoch < config.epochs;
  await writer.update({
    status: stopped ? 'stopped' : 'completed',
    endedAt: new Date().toISOString(),
    pid: undefined,
  });
  const { id: runId } = writer.current;
  if (stopped) {
    emit({ type: 'runStopped', runId, runDir: writer.runDir, epochsCompleted: lastEpoch });
    return { status: 'stopped', runId, runDir: writer.runDir };
  }
  emit({
    type: 'runCompleted',
    runId,
    runDir: writer.runDir,
    epochsCompleted: lastEpoch,
    bestEpoch,
    bestValAccuracy: writer.current.bestValAccuracy ?? null,
  });
  return { status: 'completed', runId, runDir: writer.runDir };
}
