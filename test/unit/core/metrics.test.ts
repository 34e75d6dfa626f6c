import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Evaluation } from '../../../src/protocol/runRecord';
import {
  classWeights,
  confusionMatrix,
  evaluationFromPredictions,
  meanStd,
  metricsFromConfusion,
  summarizeFolds,
} from '../../../src/core/metrics';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

// Three classes, ten examples:
//   true: a a a a b b b c c c
//   pred: a a b c b b a c c b
const trueIdx = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const predIdx = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
const labels = ['a', 'b', 'c'];

test('confusion matrix counts rows = true, columns = predicted', () => {
  // a: 2 → a, 1 → b, 1 → c; b: 1 → a, 2 → b; c: 1 → b, 2 → c.
  assert.deepEqual(confusionMatrix(trueIdx, predIdx, 3), [
    [2, 1, 1],
    [1, 2, 0],
    [0, 1, 2],
  ]);
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), RangeError);
  assert.throws(() => confusionMatrix([0], [0, 1], 3), RangeError);
});

test('precision, recall, F1, macro and weighted averages by hand', () => {
  const m = metricsFromConfusion(confusionMatrix(trueIdx, predIdx, 3), labels);
  // accuracy = (2 + 2 + 2) / 10
  close(m.accuracy, 0.6, 'accuracy');
  // a: TP 2, predicted a = column 0 = 2 + 1 + 0 = 3, support 4 → P 2/3, R 2/4, F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = 4/7
  // b: TP 2, predicted b = 1 + 2 + 1 = 4, support 3 → P 2/4, R 2/3, F1 = 4/7
  // c: TP 2, predicted c = 1 + 0 + 2 = 3, support 3 → P 2/3, R 2/3, F1 = 2/3
  const expected = [
    { label: 'a', precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, support: 4 },
    { label: 'b', precision: 1 / 2, recall: 2 / 3, f1: 4 / 7, support: 3 },
    { label: 'c', precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
  ];
  expected.forEach((e, c) => {
    const got = m.perClass[c];
    assert.equal(got.label, e.label);
    assert.equal(got.support, e.support);
    close(got.precision, e.precision, `${e.label} precision`);
    close(got.recall, e.recall, `${e.label} recall`);
    close(got.f1, e.f1, `${e.label} f1`);
  });
  // macro = plain mean over classes
  close(m.macro.precision, (2 / 3 + 1 / 2 + 2 / 3) / 3, 'macro precision'); // 11/18
  close(m.macro.recall, (1 / 2 + 2 / 3 + 2 / 3) / 3, 'macro recall'); // 11/18
  close(m.macro.f1, (4 / 7 + 4 / 7 + 2 / 3) / 3, 'macro f1');
  // weighted = support-weighted mean: (4·a + 3·b + 3·c) / 10
  close(m.weighted.precision, (4 * (2 / 3) + 3 * (1 / 2) + 3 * (2 / 3)) / 10, 'weighted precision'); // 37/60
  close(m.weighted.recall, (4 * (1 / 2) + 3 * (2 / 3) + 3 * (2 / 3)) / 10, 'weighted recall'); // = accuracy 0.6
  close(m.weighted.f1, (4 * (4 / 7) + 3 * (4 / 7) + 3 * (2 / 3)) / 10, 'weighted f1');
});

test('a class never predicted has precision 0 (zero_division = 0), not NaN', () => {
  // true: a a b b, pred: a a a a → column b is empty.
  const m = metricsFromConfusion(confusionMatrix([0, 0, 1, 1], [0, 0, 0, 0], 2), ['a', 'b']);
  // a: P 2/4, R 2/2, F1 = 2·(1/2)·1/(3/2) = 2/3; b: P 0 (0/0), R 0/2 = 0, F1 0
  close(m.perClass[0].precision, 0.5, 'a precision');
  close(m.perClass[0].f1, 2 / 3, 'a f1');
  assert.deepEqual([m.perClass[1].precision, m.perClass[1].recall, m.perClass[1].f1], [0, 0, 0]);
  close(m.macro.f1, (2 / 3 + 0) / 2, 'macro f1');
  close(m.accuracy, 0.5, 'accuracy');
});

test('an empty evaluation gives zeros, not NaN', () => {
  const m = metricsFromConfusion(confusionMatrix([], [], 2), ['a', 'b']);
  assert.equal(m.accuracy, 0);
  assert.deepEqual(m.macro, { precision: 0, recall: 0, f1: 0 });
  assert.deepEqual(m.weighted, { precision: 0, recall: 0, f1: 0 });
});

test('evaluationFromPredictions lists mistakes most confident first, optionally the top few', () => {
  const paths = trueIdx.map((_, i) => `img${i}.png`);
  const confidences = [0.9, 0.8, 0.55, 0.7, 0.6, 0.65, 0.99, 0.9, 0.85, 0.7];
  const evaluation = evaluationFromPredictions({
    labels,
    trueIdx,
    predIdx,
    confidences,
    paths,
    source: 'validation',
  });
  assert.equal(evaluation.source, 'validation');
  assert.deepEqual(evaluation.labels, labels);
  assert.deepEqual(evaluation.confusion[0], [2, 1, 1]);
  close(evaluation.accuracy, 0.6, 'accuracy');
  // mistakes: #2 a→b 0.55, #3 a→c 0.7, #6 b→a 0.99, #9 c→b 0.7 (tie with #3, broken by path)
  assert.deepEqual(evaluation.misclassified, [
    { path: 'img6.png', label: 'b', predicted: 'a', confidence: 0.99 },
    { path: 'img3.png', label: 'a', predicted: 'c', confidence: 0.7 },
    { path: 'img9.png', label: 'c', predicted: 'b', confidence: 0.7 },
    { path: 'img2.png', label: 'a', predicted: 'b', confidence: 0.55 },
  ]);
  const top = evaluationFromPredictions({
    labels,
    trueIdx,
    predIdx,
    confidences,
    paths,
    topMisclassified: 2,
  });
  assert.deepEqual(
    top.misclassified.map((m) => m.path),
    ['img6.png', 'img3.png'],
  );
  assert.equal(top.source, undefined);
  assert.throws(
    () => evaluationFromPredictions({ labels, trueIdx, predIdx, confidences: [1], paths }),
    RangeError,
  );
});

test('balanced class weights are n_samples / (n_classes × count)', () => {
  // 100 samples over counts 50, 30, 20: 100/(3·50) = 2/3, 100/(3·30) = 10/9, 100/(3·20) = 5/3
  const w = classWeights([50, 30, 20]);
  close(w[0], 2 / 3, 'w0');
  close(w[1], 10 / 9, 'w1');
  close(w[2], 5 / 3, 'w2');
  assert.deepEqual(classWeights([10, 10]), [1, 1]);
  // An absent class counts neither as a class nor gets a weight: 20 samples over 2 present classes.
  assert.deepEqual(classWeights([10, 0, 10]), [1, 0, 1]);
});

test('meanStd is the mean and the population standard deviation', () => {
  // values 2 4 4 4 5 5 7 9: mean 5, squared deviations 9 1 1 1 0 0 4 16 = 32, /8 = 4, sqrt = 2
  assert.deepEqual(meanStd([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, std: 2 });
  assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  assert.deepEqual(meanStd([]), { mean: 0, std: 0 });
});

test('summarizeFolds: mean ± std of every metric equals the folds’ mean, confusion matrices summed', () => {
  const fold = (t: number[], p: number[]): Evaluation =>
    evaluationFromPredictions({
      labels: ['a', 'b'],
      trueIdx: t,
      predIdx: p,
      confidences: t.map(() => 0.5),
      paths: t.map((_, i) => `${i}`),
    });
  const folds = [
    fold([0, 0, 1, 1], [0, 0, 1, 1]),
    fold([0, 0, 1, 1], [0, 1, 1, 1]),
    fold([0, 1, 1], [1, 1, 0]),
  ];
  // accuracies: 4/4 = 1, 3/4 = 0.75, 1/3 → mean (1 + 0.75 + 1/3)/3
  const summary = summarizeFolds(folds);
  assert.equal(summary.folds, 3);
  const accuracies = [1, 0.75, 1 / 3];
  const mean = accuracies.reduce((a, b) => a + b) / 3;
  close(summary.accuracy.mean, mean, 'accuracy mean');
  close(
    summary.accuracy.std,
    Math.sqrt(accuracies.reduce((a, v) => a + (v - mean) ** 2, 0) / 3),
    'accuracy std',
  );
  for (const kind of ['macro', 'weighted'] as const) {
    for (const key of ['precision', 'recall', 'f1'] as const) {
      close(summary[kind][key].mean, folds.reduce((a, f) => a + f[kind][key], 0) / 3, `${kind} ${key}`);
    }
  }
  close(summary.perClass[1].recall.mean, folds.reduce((a, f) => a + f.perClass[1].recall, 0) / 3, 'b recall');
  // [[2,0],[0,2]] + [[1,1],[0,2]] + [[0,1],[1,1]]
  assert.deepEqual(summary.confusion, [
    [3, 2],
    [1, 5],
  ]);
  assert.equal(summary.perClass[0].support, 2 + 2 + 1);
  assert.throws(() => summarizeFolds([]), RangeError);
  assert.throws(() => summarizeFolds([folds[0], { ...folds[1], labels: ['a', 'c'] }]), RangeError);
});
