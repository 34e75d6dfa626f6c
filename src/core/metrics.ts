// Classification metrics from predictions, the way scikit-learn computes them, so that figures can be
// checked against it. Convention (sklearn's zero_division=0): a ratio whose denominator is 0 is 0 —
// the precision of a class never predicted, the recall of a class with no support, F1 when P + R = 0.
import type {
  AveragedMetrics,
  ClassMetrics,
  Evaluation,
  FoldSummary,
  MeanStd,
  Misclassified,
} from '../protocol/runRecord';
import { compareCodeUnits } from '../protocol/order';

export interface PredictionSet {
  labels: readonly string[];
  trueIdx: readonly number[];
  predIdx: readonly number[];
  /** Probability of the predicted class, per example. */
  confidences: readonly number[];
  paths: readonly string[];
  /** Keep only the most confident mistakes (default: all). */
  topMisclassified?: number;
  /** Recorded as Evaluation.source (`validation`, `test`, a folder). */
  source?: string;
}

/** rows = true class, columns = predicted class. */
export function confusionMatrix(
  trueIdx: readonly number[],
  predIdx: readonly number[],
  numClasses: number,
): number[][] {
  if (trueIdx.length !== predIdx.length) {
    throw new RangeError(`confusionMatrix: ${trueIdx.length} true labels but ${predIdx.length} predictions`);
  }
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueIdx.length; i++) {
    const t = trueIdx[i];
    const p = predIdx[i];
    if (!isClassIndex(t, numClasses) || !isClassIndex(p, numClasses)) {
      throw new RangeError(
        `confusionMatrix: class index out of range at example ${i} (true ${t}, predicted ${p}, ${numClasses} classes)`,
      );
    }
    matrix[t][p]++;
  }
  return matrix;
}

/** Per-class precision, recall, F1 and support, and accuracy, from a confusion matrix. */
export function metricsFromConfusion(
  confusion: readonly (readonly number[])[],
  labels: readonly string[],
): Pick<Evaluation, 'accuracy' | 'macro' | 'weighted' | 'perClass'> {
  const n = labels.length;
  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const support = sum(confusion[c]);
    const predicted = sum(confusion.map((row) => row[c]));
    const tp = confusion[c][c];
    total += support;
    correct += tp;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: f1Score(precision, recall), support };
  });
  const average = (weightOf: (m: ClassMetrics) => number): AveragedMetrics => {
    const weights = perClass.map(weightOf);
    const totalWeight = sum(weights);
    const pick = (key: 'precision' | 'recall' | 'f1'): number =>
      ratio(sum(perClass.map((m, c) => m[key] * weights[c])), totalWeight);
    return { precision: pick('precision'), recall: pick('recall'), f1: pick('f1') };
  };
  return {
    accuracy: ratio(correct, total),
    // Macro averages every class, including one with no support (as sklearn does when given the labels).
    macro: n === 0 ? { precision: 0, recall: 0, f1: 0 } : average(() => 1),
    weighted: average((m) => m.support),
    perClass,
  };
}

/** The evaluation.json of a set of predictions. Mistakes are listed most confident first. */
export function evaluationFromPredictions(input: PredictionSet): Evaluation {
  const { labels, trueIdx, predIdx, confidences, paths } = input;
  if (confidences.length !== trueIdx.length || paths.length !== trueIdx.length) {
    throw new RangeError(
      `evaluationFromPredictions: ${trueIdx.length} labels, ${predIdx.length} predictions, ${confidences.length} confidences, ${paths.length} paths`,
    );
  }
  const confusion = confusionMatrix(trueIdx, predIdx, labels.length);
  const misclassified: Misclassified[] = [];
  for (let i = 0; i < trueIdx.length; i++) {
    if (trueIdx[i] !== predIdx[i]) {
      misclassified.push({
        path: paths[i],
        label: labels[trueIdx[i]],
        predicted: labels[predIdx[i]],
        confidence: confidences[i],
      });
    }
  }
  // Ties broken by path so that the list is the same on every run.
  misclassified.sort((a, b) => b.confidence - a.confidence || compareCodeUnits(a.path, b.path));
  const limit = input.topMisclassified ?? Infinity;
  const evaluation: Evaluation = {
    labels: [...labels],
    confusion,
    ...metricsFromConfusion(confusion, labels),
    misclassified: misclassified.slice(0, Math.max(0, limit)),
  };
  if (input.source !== undefined) evaluation.source = input.source;
  return evaluation;
}

/**
 * Keras/scikit-learn 'balanced' class weights: n_samples / (n_classes × count), where n_classes counts
 * the classes present. A class with no training images gets 0 (no sample carries its weight).
 */
export function classWeights(counts: readonly number[]): number[] {
  const present = counts.filter((c) => c > 0).length;
  const total = sum(counts);
  return counts.map((count) => (count > 0 ? total / (present * count) : 0));
}

/** Mean and population standard deviation (numpy's default, ddof = 0); both 0 for no values. */
export function meanStd(values: readonly number[]): MeanStd {
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = sum(values) / values.length;
  const variance = sum(values.map((v) => (v - mean) ** 2)) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/** k-fold summary: mean ± std of every metric over the folds and the summed confusion matrix. */
export function summarizeFolds(evaluations: readonly Evaluation[]): FoldSummary {
  if (evaluations.length === 0) throw new RangeError('summarizeFolds needs at least one evaluation');
  const labels = evaluations[0].labels;
  for (const evaluation of evaluations) {
    if (evaluation.labels.join('\u0000') !== labels.join('\u0000')) {
      throw new RangeError(
        `summarizeFolds: folds have different labels (${labels.join(', ')} vs ${evaluation.labels.join(', ')})`,
      );
    }
  }
  const over = (get: (e: Evaluation) => number): MeanStd => meanStd(evaluations.map(get));
  const averaged = (kind: 'macro' | 'weighted'): FoldSummary['macro'] => ({
    precision: over((e) => e[kind].precision),
    recall: over((e) => e[kind].recall),
    f1: over((e) => e[kind].f1),
  });
  return {
    folds: evaluations.length,
    labels: [...labels],
    accuracy: over((e) => e.accuracy),
    macro: averaged('macro'),
    weighted: averaged('weighted'),
    perClass: labels.map((label, c) => ({
      label,
      precision: over((e) => e.perClass[c].precision),
      recall: over((e) => e.perClass[c].recall),
      f1: over((e) => e.perClass[c].f1),
      support: sum(evaluations.map((e) => e.perClass[c].support)),
    })),
    confusion: labels.map((_, r) => labels.map((__, c) => sum(evaluations.map((e) => e.confusion[r][c])))),
  };
}

function f1Score(precision: number, recall: number): number {
  return ratio(2 * precision * recall, precision + recall);
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function isClassIndex(value: number, numClasses: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < numClasses;
}
