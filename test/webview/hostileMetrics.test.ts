// A run folder whose metrics.jsonl holds 200,000 epochs (a crafted or very long run): the run pages'
// charts are built without spreading every value into one call, which overflows the stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DashboardState } from '../../webview/src/state';
import { initialState } from '../../webview/src/state';
import { detectionCharts } from '../../webview/src/views/detectionPage';
import { spansMoreThanDecade } from '../../webview/src/views/lineChart';
import { makeDetectionRun } from './fixtures';

test('learning-rate axis: log when positive values span more than a decade, for 200,000 epochs too', () => {
  assert.equal(spansMoreThanDecade([0.1, 0.05, 0]), false);
  assert.equal(spansMoreThanDecade([0.1, 0.001]), true);
  assert.equal(spansMoreThanDecade([]), false);
  const many = Array.from({ length: 200_000 }, (_, i) => 0.1 / (1 + i));
  assert.equal(spansMoreThanDecade(many), true);
});

test('a detection run of 200,000 epochs still gets its charts', () => {
  const details = makeDetectionRun(0, 2);
  const [first] = details.epochs;
  const epochs = Array.from({ length: 200_000 }, (_, i) => ({
    ...first,
    epoch: i + 1,
    learningRate: 0.01 / (1 + i),
  }));
  const state: DashboardState = { ...initialState(), details: { ...details, epochs } };
  const charts = detectionCharts(state);
  const lr = charts.find((c) => c.title === 'Learning rate');
  assert.equal(lr?.logY, true);
});
