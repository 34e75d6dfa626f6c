// The automatic thread choice (src/trainer/parallel/threadChoice.ts) with fake steps and a fake clock:
// which step trains each batch, what is measured and recorded, and that no worker is left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParallelTrainStep, StepResult } from '../../../../src/trainer/parallel';
import { probeThreads } from '../../../../src/trainer/parallel/threadChoice';
import type { RunThreads } from '../../../../src/protocol/runRecord';

interface Harness {
  calls: string[];
  decisions: RunThreads[];
  disposed: number;
  started: number;
  run: (steps: number, batch?: number) => Promise<void>;
  dispose: () => Promise<void>;
}

/** Single steps take `singleMs`, parallel ones `parallelMs` (per batch of 32); workers are ready after `readyAfter` calls. */
function harness(options: {
  singleMs: number;
  parallelMs: number;
  stepsLeft: number;
  workersFail?: boolean;
  readyAfterSteps?: number;
  /** From this call on, every step takes twice as long (the machine got busy). */
  slowFromCall?: number;
}): Harness {
  let clock = 0;
  const calls: string[] = [];
  const decisions: RunThreads[] = [];
  const state = { disposed: 0, started: 0 };
  let stepsTaken = 0;
  const slowdown = (): number => (calls.length > (options.slowFromCall ?? Infinity) ? 2 : 1);
  let release: (() => void) | null = null;
  const result: StepResult = { loss: 1, correct: 0 };
  const parallelStep = Object.assign(
    async (_pixels: Float32Array, labels: Int32Array) => {
      calls.push('parallel');
      clock += (options.parallelMs * labels.length * slowdown()) / 32;
      return result;
    },
    {
      threads: 2,
      // Its split is settled from the start: the probe needs no warm-up beyond the first step.
      shardSplit: () => [16, 16],
      dispose: async () => {
        state.disposed++;
      },
    },
  ) as ParallelTrainStep;
  const threaded = probeThreads({
    single: (_pixels, labels) => {
      calls.push('single');
      clock += (options.singleMs * labels.length * slowdown()) / 32;
      return result;
    },
    startParallel: async () => {
      state.started++;
      if ((options.readyAfterSteps ?? 0) > 0) await new Promise<void>((resolve) => (release = resolve));
      if (options.workersFail) return null;
      return parallelStep;
    },
    parallelThreads: 2,
    stepsLeft: options.stepsLeft,
    batchSize: 32,
    onDecision: async (d) => {
      decisions.push(d);
    },
    now: () => clock,
  });
  return {
    calls,
    decisions,
    get disposed() {
      return state.disposed;
    },
    get started() {
      return state.started;
    },
    async run(steps, batch = 32) {
      for (let i = 0; i < steps; i++) {
        await threaded.step(new Float32Array(0), new Int32Array(batch));
        stepsTaken++;
        if (release && stepsTaken >= (options.readyAfterSteps ?? 0)) {
          const r = release as () => void;
          release = null;
          r();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    dispose: () => threaded.dispose(),
  };
}

test('two threads that are faster are kept; every step before the choice trained on one thread', async () => {
  const h = harness({ singleMs: 150, parallelMs: 100, stepsLeft: 1000 });
  await h.run(20);
  // 2 warm-up + 5 timed single steps, then the workers (ready at once): 1 warm-up, then single and
  // parallel steps in turn, 5 of each, so that both are timed in the same minutes; then kept.
  assert.deepEqual(h.calls.slice(0, 7), Array(7).fill('single'));
  assert.equal(h.calls[7], 'parallel');
  assert.deepEqual(h.calls.slice(8, 18), Array(5).fill(['single', 'parallel']).flat());
  assert.deepEqual(h.calls.slice(18), Array(2).fill('parallel'));
  assert.equal(h.decisions.length, 1);
  assert.deepEqual(h.decisions[0], {
    chosen: 2,
    decidedBy: 'probe',
    timings: [
      { threads: 1, msPerStep: 150 },
      { threads: 2, msPerStep: 100 },
    ],
    reason: '2 threads: 100 ms a step against 150 ms on one',
  });
  assert.equal(h.disposed, 0);
  await h.dispose();
  assert.equal(h.disposed, 1);
});

test('two threads that are not faster (within 5 %) are stopped and one thread goes on', async () => {
  const h = harness({ singleMs: 100, parallelMs: 97, stepsLeft: 1000 });
  await h.run(20);
  assert.equal(h.decisions[0].chosen, 1);
  assert.match(h.decisions[0].reason, /^one thread: 100 ms a step against 97 ms on 2$/);
  assert.equal(h.disposed, 1, 'the workers are stopped at the decision');
  assert.deepEqual(h.calls.slice(18), Array(2).fill('single'));
  await h.dispose();
  assert.equal(h.disposed, 1, 'and not twice');
});

test('a short run never starts workers: one thread, with the estimate that decided it', async () => {
  const h = harness({ singleMs: 50, parallelMs: 10, stepsLeft: 40 });
  await h.run(40);
  assert.equal(h.started, 0);
  assert.deepEqual(h.calls, Array(40).fill('single'));
  assert.equal(h.decisions[0].chosen, 1);
  assert.deepEqual(h.decisions[0].timings, [{ threads: 1, msPerStep: 50 }]);
  assert.match(h.decisions[0].reason, /about 2 s on one thread, too short for 2 threads to pay/);
});

test('the last, smaller batch of an epoch is timed per image', async () => {
  const h = harness({ singleMs: 160, parallelMs: 80, stepsLeft: 1000 });
  await h.run(2);
  await h.run(5, 16); // half batches: half the time, same ms per image
  assert.equal(h.decisions.length, 0);
  await h.run(12);
  assert.deepEqual(h.decisions[0].timings[0], { threads: 1, msPerStep: 160 });
});

test('training goes on on one thread while workers start; workers that fail leave one thread', async () => {
  const slow = harness({ singleMs: 150, parallelMs: 100, stepsLeft: 1000, readyAfterSteps: 12 });
  await slow.run(25);
  const firstParallel = slow.calls.indexOf('parallel');
  assert.ok(firstParallel >= 12, `workers used only once ready (first at step ${firstParallel})`);
  assert.equal(slow.decisions[0].chosen, 2);
  await slow.dispose();

  const failing = harness({ singleMs: 150, parallelMs: 100, stepsLeft: 1000, workersFail: true });
  await failing.run(10);
  assert.equal(failing.decisions[0].chosen, 1);
  assert.equal(failing.decisions[0].reason, 'one thread: the worker threads could not start');
  assert.ok(failing.calls.every((c) => c === 'single'));
});

test('a run that ends while workers are still starting waits for them and stops them', async () => {
  const h = harness({ singleMs: 150, parallelMs: 100, stepsLeft: 1000, readyAfterSteps: 100 });
  await h.run(9);
  assert.equal(h.started, 1);
  const ending = h.dispose();
  await h.run(100); // releases the workers' start
  await ending;
  assert.equal(h.disposed, 1);
});

test('a machine that gets busy during the probe slows both sides alike: the faster way is still kept', async () => {
  // One thread is timed at 150 ms; then the machine halves its speed just as the workers are ready. Timed
  // one after the other, 2 threads (200 ms now) would lose to the stale 150 ms; taken in turn they win.
  const h = harness({ singleMs: 150, parallelMs: 100, stepsLeft: 1000, slowFromCall: 7 });
  await h.run(20);
  assert.equal(h.decisions[0].chosen, 2);
  assert.deepEqual(h.decisions[0].timings, [
    { threads: 1, msPerStep: 300 },
    { threads: 2, msPerStep: 200 },
  ]);
  await h.dispose();
});
