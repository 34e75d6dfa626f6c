// `image-trainer sweep CONFIG`: every trial a normal run with `group` = the sweep id; the median stopping
// rule may end poor trials early; the summary (trials, values, best) goes to groups/<sweepId>.json.
import * as path from 'node:path';
import type { TrainerToHost } from '../../protocol/trainerMessages';
import type { Emit, StopSignal } from '../training/runContext';
import { lastEpochMetrics, newGroupId, writeGroupRecord } from './groups';
import { trainAny } from './trainAny';
import { isBetter, planTrials, shouldStopTrial, trialConfig, type SweepSpec } from './sweepPlan';

export interface SweepRequest {
  spec: SweepSpec;
  /** The sweep file, for messages. */
  file: string;
  dataDir: string;
  runsRoot: string;
  emit: Emit;
  stop: StopSignal;
}

export interface TrialResult {
  index: number;
  overrides: Record<string, unknown>;
  runId: string | null;
  status: 'completed' | 'stopped' | 'failed' | 'terminated';
  /** Best value of the sweep metric over the trial's epochs. */
  best: number | null;
  /** The metric per epoch (the median rule compares later trials with these curves). */
  curve: number[];
  terminatedAtEpoch?: number;
  message?: string;
}

export interface SweepOutcome {
  sweepId: string;
  groupFile: string;
  trials: TrialResult[];
  best: TrialResult | null;
  stopped: boolean;
}

export async function runSweep(request: SweepRequest): Promise<SweepOutcome> {
  const { spec, emit } = request;
  const sweepId = newGroupId('sweep');
  const trials = planTrials(spec);
  const results: TrialResult[] = [];
  const bestOf = (): TrialResult | null =>
    results
      .filter((r) => r.best !== null)
      .reduce<TrialResult | null>(
        (b, r) => (b === null || isBetter(spec.metric, r.best!, b.best!) ? r : b),
        null,
      );
  const write = (status: string): Promise<string> =>
    writeGroupRecord(request.runsRoot, sweepId, {
      kind: 'sweep',
      id: sweepId,
      status,
      file: path.resolve(request.file),
      dataset: path.resolve(request.dataDir),
      method: spec.method,
      metric: spec.metric,
      budget: spec.trials,
      planned: trials.length,
      search: spec.search,
      earlyTermination: spec.earlyTermination,
      updatedAt: new Date().toISOString(),
      trials: results.map(({ curve: _curve, ...r }) => r),
      best: bestOf(),
    });
  let groupFile = await write('running');
  for (const trial of trials) {
    if (request.stop.requested) break;
    emit({
      type: 'log',
      level: 'info',
      message: `Sweep ${sweepId}: trial ${trial.index} of ${trials.length} ${JSON.stringify(trial.overrides)}`,
    });
    const curve: number[] = [];
    let terminatedAt: number | undefined;
    const finished = results.filter((r) => r.status === 'completed').map((r) => r.curve);
    // The trial stops on the user's request or when the median rule ends it.
    const trialStop: StopSignal = {
      get requested() {
        return request.stop.requested || terminatedAt !== undefined;
      },
      set requested(value: boolean) {
        request.stop.requested = value;
      },
    };
    const trialEmit = (event: TrainerToHost): void => {
      emit(event);
      if (event.type !== 'epochEnded') return;
      const value = event.metrics[spec.metric];
      if (typeof value !== 'number') return;
      curve.push(value);
      const best = curve.reduce((b, v) => (isBetter(spec.metric, v, b) ? v : b));
      if (
        spec.earlyTermination &&
        shouldStopTrial(spec.earlyTermination, spec.metric, event.metrics.epoch, best, finished)
      ) {
        terminatedAt = event.metrics.epoch;
        emit({
          type: 'log',
          level: 'info',
          message: `Sweep: trial ${trial.index} stopped after epoch ${terminatedAt} (below the median of earlier trials)`,
        });
      }
    };
    const config = trialConfig(spec, trial, request.file);
    const outcome = await trainAny({
      dataDir: request.dataDir,
      runsRoot: request.runsRoot,
      config,
      group: sweepId,
      emit: trialEmit,
      stop: trialStop,
    });
    const last = outcome.runDir ? await lastEpochMetrics(outcome.runDir) : null;
    if (curve.length === 0 && last && typeof last[spec.metric] === 'number')
      curve.push(last[spec.metric] as number);
    const status = terminatedAt !== undefined ? 'terminated' : outcome.status;
    results.push({
      index: trial.index,
      overrides: trial.overrides,
      runId: outcome.runId,
      status,
      best: curve.length ? curve.reduce((b, v) => (isBetter(spec.metric, v, b) ? v : b)) : null,
      curve,
      ...(terminatedAt !== undefined ? { terminatedAtEpoch: terminatedAt } : {}),
      ...(outcome.message ? { message: outcome.message } : {}),
    });
    groupFile = await write('running');
  }
  const stopped = request.stop.requested;
  groupFile = await write(stopped ? 'stopped' : 'completed');
  return { sweepId, groupFile, trials: results, best: bestOf(), stopped };
}
