import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterEpoch,
  initialScheduleState,
  learningRateForEpoch,
  NO_BEST,
  shouldStopEarly,
  trackBest,
  type EpochOutcome,
} from '../../../src/core/trainingControl';

const outcome = (epoch: number, valLoss: number | null, valAccuracy: number | null = null): EpochOutcome => ({
  epoch,
  valLoss,
  valAccuracy,
  loss: 1,
  accuracy: 0.5,
});

test('step schedule multiplies by gamma every stepSize epochs', () => {
  const s = { type: 'step', stepSize: 2, gamma: 0.5 } as const;
  const state = initialScheduleState(0.1);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((e) => learningRateForEpoch(s, 0.1, e, 5, state)),
    [0.1, 0.1, 0.05, 0.05, 0.025],
  );
});

test('cosine schedule goes from the base rate to the minimum over the run', () => {
  const s = { type: 'cosine', minLearningRate: 0.001 } as const;
  const state = initialScheduleState(0.1);
  assert.equal(learningRateForEpoch(s, 0.1, 1, 11, state), 0.1);
  assert.ok(Math.abs(learningRateForEpoch(s, 0.1, 6, 11, state) - (0.001 + 0.099 / 2)) < 1e-12);
  assert.ok(Math.abs(learningRateForEpoch(s, 0.1, 11, 11, state) - 0.001) < 1e-12);
});

test('reduce-on-plateau cuts the rate after `patience` epochs without improvement, not before', () => {
  const s = { type: 'reduceOnPlateau', factor: 0.5, patience: 2, minLearningRate: 0.01 } as const;
  let state = initialScheduleState(0.08);
  state = afterEpoch(s, state, outcome(1, 1.0));
  state = afterEpoch(s, state, outcome(2, 1.0));
  assert.equal(learningRateForEpoch(s, 0.08, 3, 10, state), 0.08);
  state = afterEpoch(s, state, outcome(3, 1.1));
  assert.equal(learningRateForEpoch(s, 0.08, 4, 10, state), 0.04);
  for (let e = 4; e < 12; e++) state = afterEpoch(s, state, outcome(e, 2));
  assert.equal(state.learningRate, 0.01, 'never below the minimum');
});

test('early stopping tracks the best epoch and stops after patience epochs without improvement', () => {
  let tracker = NO_BEST;
  const config = { monitor: 'valLoss', patience: 2, restoreBest: true } as const;
  const losses = [0.9, 0.7, 0.8, 0.75, 0.72];
  const stops: boolean[] = [];
  losses.forEach((loss, i) => {
    tracker = trackBest(tracker, 'valLoss', outcome(i + 1, loss)).tracker;
    stops.push(shouldStopEarly(config, tracker));
  });
  assert.equal(tracker.bestEpoch, 2);
  assert.deepEqual(stops, [false, false, false, true, true]);
  assert.equal(shouldStopEarly(null, tracker), false);
});

test('valAccuracy is maximised; without validation the training figure stands in', () => {
  let tracker = trackBest(NO_BEST, 'valAccuracy', outcome(1, null, 0.5)).tracker;
  const worse = trackBest(tracker, 'valAccuracy', outcome(2, null, 0.4));
  assert.equal(worse.improved, false);
  tracker = trackBest(tracker, 'valAccuracy', outcome(3, null, 0.6)).tracker;
  assert.equal(tracker.bestEpoch, 3);
  const noValidation = trackBest(NO_BEST, 'valAccuracy', {
    epoch: 1,
    loss: 1,
    accuracy: 0.3,
    valLoss: null,
    valAccuracy: null,
  });
  assert.equal(noValidation.tracker.bestValue, 0.3);
});
