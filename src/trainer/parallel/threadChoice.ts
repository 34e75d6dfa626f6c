// How many threads share each batch, decided by measuring rather than by data-set size. With `threads: 0`
// (auto) the first steps of a run train on one thread and are timed; if the rest of the run would take
// long enough for worker threads to pay, workers start in the background while training goes on; once
// they have warmed up (and measured how to cut a batch), single-thread and data-parallel steps are taken in
// turn and timed, and the faster way is kept for the rest of the run. Every step is a real
// training step (the data-parallel step is the same update as the single-thread one on the same batch),
// so the probe costs no extra work. The choice and both timings go into run.json (`threads`); a resumed
// run keeps the choice it recorded, so it goes on exactly as it began.
import type { RunThreads } from '../../protocol/runRecord';
import type { ParallelTrainStep, StepResult } from './index';

/** Parallel steps before the timing, while the data-parallel step measures its shard split. */
const MAX_PARALLEL_WARMUP = 10;

export type StepFunction = (pixels: Float32Array, labels: Int32Array) => StepResult | Promise<StepResult>;

export interface ThreadProbeOptions {
  /** The single-thread step (always available). */
  single: StepFunction;
  /** Starts the workers; null when they cannot start (the reason was already said). */
  startParallel: () => Promise<ParallelTrainStep | null>;
  /** Threads the data-parallel step would use (cores, capped by the batch size). */
  parallelThreads: number;
  /** Training steps left in the run, this one included. */
  stepsLeft: number;
  batchSize: number;
  /** Awaited before the step that made the decision returns (it writes run.json). */
  onDecision: (decision: RunThreads) => void | Promise<void>;
  now?: () => number;
  /** Untimed steps first: the first step of a thread compiles and packs (default 2 single, 1 parallel). */
  warmupSteps?: number;
  /** Timed steps per thread count (default 5). */
  timedSteps?: number;
  /** Worker start-up and the probe are worth it only when the run's single-thread rest is longer (ms). */
  minRestMs?: number;
  /** Parallel must be at least this much faster to be kept (default 5 %): one thread is simpler and exact. */
  margin?: number;
}

export interface ThreadedStep {
  step: (pixels: Float32Array, labels: Int32Array) => Promise<StepResult>;
  /** The decision so far (null until made). */
  decision(): RunThreads | null;
  dispose(): Promise<void>;
}

type Phase =
  | { kind: 'single-warmup'; left: number }
  | { kind: 'single-timing' }
  | { kind: 'waiting-for-workers' }
  | { kind: 'parallel-warmup'; left: number }
  | { kind: 'interleaved-timing'; next: 'parallel' | 'single' }
  | { kind: 'decided' };

/** Median of ms per image, times the batch size: ms per full step. */
function msPerStep(samples: { ms: number; images: number }[], batchSize: number): number {
  const perImage = samples.map((s) => s.ms / Math.max(1, s.images)).sort((a, b) => a - b);
  const mid = perImage.length >> 1;
  const median = perImage.length % 2 === 1 ? perImage[mid] : (perImage[mid - 1] + perImage[mid]) / 2;
  return Math.round(median * batchSize * 10) / 10;
}

/** The automatic choice: probe one thread, then (when worth it) N threads, and keep the faster. */
export function probeThreads(options: ThreadProbeOptions): ThreadedStep {
  const now = options.now ?? (() => performance.now());
  const warmup = options.warmupSteps ?? 2;
  const timedSteps = options.timedSteps ?? 5;
  const minRestMs = options.minRestMs ?? 20_000;
  const margin = options.margin ?? 0.05;
  let phase: Phase = { kind: 'single-warmup', left: warmup };
  let stepsLeft = options.stepsLeft;
  const singleSamples: { ms: number; images: number }[] = [];
  const parallelSamples: { ms: number; images: number }[] = [];
  // The comparison itself: single and parallel steps taken in turn, so that a swing in the machine's
  // speed (2× from minute to minute on shared machines) falls on both sides alike.
  const pairedSingleSamples: { ms: number; images: number }[] = [];
  let parallel: ParallelTrainStep | null = null;
  let parallelStarting: Promise<ParallelTrainStep | null> | null = null;
  let parallelFailed = false;
  let active: StepFunction = options.single;
  let decided: RunThreads | null = null;

  const decide = async (decision: RunThreads): Promise<void> => {
    decided = decision;
    phase = { kind: 'decided' };
    await options.onDecision(decision);
  };

  const singleTiming = (): RunThreads['timings'][number] => ({
    threads: 1,
    msPerStep: msPerStep(singleSamples, options.batchSize),
  });

  const afterSingleTiming = async (): Promise<void> => {
    const single = singleTiming();
    const restMs = single.msPerStep * stepsLeft;
    if (restMs < minRestMs) {
      await decide({
        chosen: 1,
        decidedBy: 'probe',
        timings: [single],
        reason: `one thread: the rest of the run takes about ${Math.round(restMs / 1000)} s on one thread, too short for ${options.parallelThreads} threads to pay for starting`,
      });
      return;
    }
    phase = { kind: 'waiting-for-workers' };
    parallelStarting = options.startParallel().then(
      (p) => {
        parallel = p;
        if (p === null) parallelFailed = true;
        return p;
      },
      () => {
        parallelFailed = true;
        return null;
      },
    );
  };

  const afterParallelTiming = async (): Promise<void> => {
    const single = { threads: 1, msPerStep: msPerStep(pairedSingleSamples, options.batchSize) };
    const threaded = { threads: parallel!.threads, msPerStep: msPerStep(parallelSamples, options.batchSize) };
    const keepParallel = threaded.msPerStep < single.msPerStep * (1 - margin);
    if (!keepParallel) {
      const p = parallel;
      parallel = null;
      active = options.single;
      await p?.dispose();
    }
    await decide({
      chosen: keepParallel ? threaded.threads : 1,
      decidedBy: 'probe',
      timings: [single, threaded],
      reason: keepParallel
        ? `${threaded.threads} threads: ${threaded.msPerStep} ms a step against ${single.msPerStep} ms on one`
        : `one thread: ${single.msPerStep} ms a step against ${threaded.msPerStep} ms on ${threaded.threads}`,
    });
  };

  const step = async (pixels: Float32Array, labels: Int32Array): Promise<StepResult> => {
    stepsLeft--;
    if (phase.kind === 'waiting-for-workers') {
      // A step is synchronous work: let the workers' start-up messages through between steps.
      await new Promise((resolve) => setImmediate(resolve));
      if (parallelFailed) {
        await decide({
          chosen: 1,
          decidedBy: 'probe',
          timings: [singleTiming()],
          reason: 'one thread: the worker threads could not start',
        });
      } else if (parallel !== null) {
        active = parallel;
        phase = { kind: 'parallel-warmup', left: MAX_PARALLEL_WARMUP };
      }
    }
    const started = now();
    const result = await active(pixels, labels);
    const sample = { ms: now() - started, images: labels.length };
    switch (phase.kind) {
      case 'single-warmup':
        phase = phase.left > 1 ? { kind: 'single-warmup', left: phase.left - 1 } : { kind: 'single-timing' };
        break;
      case 'single-timing':
        singleSamples.push(sample);
        if (singleSamples.length >= timedSteps) await afterSingleTiming();
        break;
      case 'parallel-warmup': {
        // Warm until the step has measured how to cut its batches (parallel/shards.ts), at most a few steps.
        const settled = parallel?.shardSplit() !== null;
        if (phase.left > 1 && !settled) phase = { kind: 'parallel-warmup', left: phase.left - 1 };
        else {
          phase = { kind: 'interleaved-timing', next: 'single' };
          active = options.single;
        }
        break;
      }
      case 'interleaved-timing':
        if (phase.next === 'single') {
          pairedSingleSamples.push(sample);
          phase = { kind: 'interleaved-timing', next: 'parallel' };
          active = parallel ?? options.single;
        } else {
          parallelSamples.push(sample);
          phase = { kind: 'interleaved-timing', next: 'single' };
          active = options.single;
          if (parallelSamples.length >= timedSteps) {
            active = parallel ?? options.single;
            await afterParallelTiming();
          }
        }
        break;
      default:
        break;
    }
    return result;
  };

  return {
    step,
    decision: () => decided,
    async dispose() {
      // Workers still starting are waited for, so that none is left running.
      if (parallelStarting) await parallelStarting;
      const p = parallel;
      parallel = null;
      await p?.dispose();
    },
  };
}

/** A fixed thread count (the setting, a resumed run's record, or the only option): no probe. */
export async function fixedThreads(
  step: StepFunction,
  parallel: ParallelTrainStep | null,
  decision: RunThreads,
  onDecision: (decision: RunThreads) => void | Promise<void>,
): Promise<ThreadedStep> {
  await onDecision(decision);
  const active: StepFunction = parallel ?? step;
  return {
    step: async (pixels, labels) => active(pixels, labels),
    decision: () => decision,
    dispose: async () => parallel?.dispose(),
  };
}
