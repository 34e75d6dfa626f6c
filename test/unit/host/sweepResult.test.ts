// The closing line of `image-trainer sweep --json` is unknown until the guard accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSweepCompleted } from '../../../src/protocol/cliResults';
import { parseJsonOutput } from '../../../src/host/training/trainerProcess';

const trial = (index: number, runId: string | null, best: number | null) => ({
  index,
  overrides: { learningRate: 0.001 * (index + 1) },
  runId,
  status: runId ? 'completed' : 'failed',
  best,
});

test('the sweep result is read from the last line after the trainer events', () => {
  const last = {
    type: 'sweepCompleted',
    sweepId: 'sweep-1',
    groupFile: '/runs/groups/sweep-1.json',
    best: trial(1, 'r2', 0.9),
    trials: [trial(0, 'r1', 0.8), trial(1, 'r2', 0.9), trial(2, null, null)],
  };
  const stdout =
    [JSON.stringify({ type: 'log', level: 'info', message: 'trial 1' }), JSON.stringify(last)].join('\n') +
    '\n';
  const value = parseJsonOutput(stdout);
  assert.ok(isSweepCompleted(value));
  assert.equal(value.best?.runId, 'r2');
});

test('malformed sweep results are refused', () => {
  const good = { type: 'sweepCompleted', sweepId: 's', groupFile: 'g', best: null, trials: [] };
  assert.ok(isSweepCompleted(good));
  for (const bad of [
    null,
    [],
    { ...good, type: 'runCompleted' },
    { ...good, sweepId: 3 },
    { ...good, trials: [{ index: 'x' }] },
    { ...good, best: { ...trial(0, 'r', 0.5), best: 'high' } },
    { ...good, trials: [{ ...trial(0, 'r', 0.5), overrides: null }] },
  ]) {
    assert.equal(isSweepCompleted(bad), false, JSON.stringify(bad));
  }
});
