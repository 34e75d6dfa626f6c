// Deterministic run records for the dashboard's tests, benchmark and screenshot harness: the same
// shapes the run store produces, with curves that look like training and an evaluation whose
// misclassified list agrees with its confusion matrix.
import { DEFAULT_CONFIG } from '../../src/core/configFields';
import { evaluateDetections } from '../../src/core/detection/metrics';
import type { TrainingConfig } from '../../src/protocol/config';
import type {
  BatchMetrics,
  EpochMetrics,
  Evaluation,
  Misclassified,
  RunDetails,
  RunStatus,
  RunSummary,
} from '../../src/protocol/runRecord';
import type { DashboardSnapshot, LrFindCurve } from '../../src/protocol/webviewMessages';
import { mulberry32 } from '../fixtures/prng';

export interface RunOptions {
  index: number;
  epochs: number;
  totalEpochs?: number;
  batchesPerEpoch?: number;
  classes?: string[];
  status?: RunStatus;
  group?: string | null;
  datasetRoot?: string;
  withEvaluation?: boolean;
  confusionByEpoch?: boolean;
}

export const DEFAULT_CLASSES = ['cat', 'dog', 'bird'];

/** A small deterministic PRNG (mulberry32) so fixtures never change between runs. */
export const prng = mulberry32;

export function runId(index: number): string {
  return `2026-11-26T10-${String(Math.floor(index / 60)).padStart(2, '0')}-${String(index % 60).padStart(2, '0')}-run${index}`;
}

export function configFor(index: number): TrainingConfig {
  const learningRates = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
  return {
    ...DEFAULT_CONFIG,
    learningRate: learningRates[index % learningRates.length],
    batchSize: [16, 32, 64][index % 3],
    optimizer: (['adam', 'sgd', 'rmsprop'] as const)[index % 3],
    seed: 42,
  };
}

export function makeEpochs(index: number, count: number): EpochMetrics[] {
  const random = prng(index + 1);
  const rate = 0.04 + (index % 7) * 0.01;
  return Array.from({ length: count }, (_, i) => {
    const epoch = i + 1;
    const progress = 1 - Math.exp(-rate * epoch * 3);
    const noise = (random() - 0.5) * 0.02;
    return {
      epoch,
      loss: 1.1 * (1 - progress) + 0.05 + noise,
      accuracy: 0.34 + 0.6 * progress + noise,
      valLoss: 1.15 * (1 - progress) + 0.12 + noise,
      valAccuracy: 0.33 + 0.55 * progress - noise,
      learningRate: configFor(index).learningRate * Math.pow(0.9, Math.floor(i / 10)),
      durationMs: 1000 + Math.round(random() * 200),
      samplesPerSecond: 300 + Math.round(random() * 40),
    };
  });
}

export function makeBatches(epochs: readonly EpochMetrics[], perEpoch: number): BatchMetrics[] {
  return epochs.flatMap((e) =>
    Array.from({ length: perEpoch }, (_, b) => ({
      kind: 'batch' as const,
      epoch: e.epoch,
      batch: b,
      loss: e.loss * (1.1 - (0.2 * b) / perEpoch),
      accuracy: e.accuracy * (0.95 + (0.05 * b) / perEpoch),
    })),
  );
}

/** An evaluation with a made-up matrix, per-class metrics derived from it, and the mistakes listed. */
export function makeEvaluation(index: number, classes: readonly string[], withEpochs = false): Evaluation {
  const random = prng(1000 + index);
  const n = classes.length;
  const confusion = classes.map((_, r) =>
    classes.map((__, c) => (r === c ? 20 + Math.floor(random() * 10) : Math.floor(random() * 4))),
  );
  // One cell is always empty so tests can ask for an honest "none".
  if (n > 2) confusion[0][n - 1] = 0;
  const misclassified: Misclassified[] = [];
  classes.forEach((label, r) =>
    classes.forEach((predicted, c) => {
      if (r === c) return;
      for (let k = 0; k < confusion[r][c]; k++) {
        misclassified.push({
          path: `${label}/${label}-${c}-${k}.png`,
          label,
          predicted,
          confidence: 0.5 + ((k * 7 + c) % 10) / 21,
        });
      }
    }),
  );
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  const correct = classes.reduce((a, _, i) => a + confusion[i][i], 0);
  const perClass = classes.map((label, i) => {
    const support = confusion[i].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[i], 0);
    const precision = predicted === 0 ? 0 : confusion[i][i] / predicted;
    const recall = support === 0 ? 0 : confusion[i][i] / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  const mean = (key: 'precision' | 'recall' | 'f1') => perClass.reduce((a, c) => a + c[key], 0) / n;
  const weighted = (key: 'precision' | 'recall' | 'f1') =>
    perClass.reduce((a, c) => a + c[key] * c.support, 0) / total;
  return {
    labels: [...classes],
    confusion,
    accuracy: correct / total,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    weighted: { precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1') },
    perClass,
    misclassified,
    source: 'test',
    confusionByEpoch: withEpochs
      ? [1, 2, 3].map((epoch) => ({
          epoch,
          confusion: confusion.map((row, r) =>
            row.map((v, c) => (r === c ? Math.max(0, v - 4 + epoch) : v + 3 - epoch)),
          ),
        }))
      : undefined,
  };
}

export function makeRun(options: RunOptions): RunDetails {
  const classes = options.classes ?? DEFAULT_CLASSES;
  const id = runId(options.index);
  const status = options.status ?? 'completed';
  const totalEpochs = options.totalEpochs ?? options.epochs;
  const epochs = makeEpochs(options.index, options.epochs);
  const batches = makeBatches(epochs, options.batchesPerEpoch ?? 0);
  const evaluation =
    options.withEvaluation === false
      ? null
      : makeEvaluation(options.index, classes, options.confusionByEpoch);
  const config = { ...configFor(options.index), epochs: totalEpochs };
  const datasetRoot = options.datasetRoot ?? '/data/pets';
  const best = epochs.reduce<EpochMetrics | null>(
    (b, e) => (b === null || (e.valAccuracy ?? 0) > (b.valAccuracy ?? 0) ? e : b),
    null,
  );
  const last = epochs[epochs.length - 1];
  const createdAt = new Date(Date.UTC(2026, 10, 26, 10, 0, options.index)).toISOString();
  const counts = { train: 600, validation: 150, test: 150 };
  const summary: RunSummary = {
    id,
    runDir: `/work/runs/${id}`,
    status,
    createdAt,
    updatedAt: createdAt,
    model: config.model,
    epochsCompleted: epochs.length,
    totalEpochs,
    bestEpoch: best?.epoch ?? null,
    bestValAccuracy: best?.valAccuracy ?? null,
    lastValAccuracy: last?.valAccuracy ?? null,
    lastValLoss: last?.valLoss ?? null,
    testAccuracy: evaluation?.accuracy ?? null,
    datasetRoot,
    classNames: [...classes],
    backend: 'wasm',
    group: options.group ?? null,
    config,
    error: status === 'failed' ? 'out of memory' : null,
  };
  return {
    summary,
    record: {
      formatVersion: 1,
      id,
      status,
      createdAt,
      updatedAt: createdAt,
      config,
      dataset: {
        root: datasetRoot,
        layout: 'class-folders',
        classNames: [...classes],
        counts,
        classCounts: Object.fromEntries(classes.map((c) => [c, { train: 200, validation: 50, test: 50 }])),
        skipped: [{ path: 'cat/broken.png', reason: 'truncated PNG' }],
      },
      backend: 'wasm',
      backendNotes: ['tensorflow: module not installed'],
      epochsCompleted: epochs.length,
      bestEpoch: best?.epoch,
      bestValAccuracy: best?.valAccuracy ?? undefined,
      ...(options.group ? { group: options.group } : {}),
    },
    epochs,
    batches,
    evaluation,
  };
}

/** A learning-rate range test: loss falls, bottoms out near 1e-2, then diverges. */
export function makeLrFind(steps = 60): LrFindCurve {
  const points = Array.from({ length: steps }, (_, i) => {
    const learningRate = 1e-6 * Math.pow(1e6, i / (steps - 1));
    const x = Math.log10(learningRate) + 2;
    const loss = 1.1 - 0.6 / (1 + Math.exp(-3 * (x + 2.5))) + (x > 0 ? x * x : 0);
    return { learningRate, loss, smoothedLoss: loss };
  });
  return {
    id: 'lr-find-1',
    createdAt: '2026-11-26T09:00:00.000Z',
    dataset: '/data/pets',
    suggested: 3e-3,
    diverged: true,
    points,
  };
}

/** A full snapshot: `runCount` runs of `epochs` epochs, the first selected. */
export function makeSnapshot(
  runCount: number,
  epochs: number,
  overrides: Partial<DashboardSnapshot> = {},
): { snapshot: DashboardSnapshot; all: RunDetails[] } {
  const all = Array.from({ length: runCount }, (_, i) =>
    makeRun({
      index: i,
      epochs,
      group: i % 4 === 0 ? 'sweep-lr' : null,
      batchesPerEpoch: i === 0 ? 4 : 0,
      confusionByEpoch: i === 0,
    }),
  );
  const snapshot: DashboardSnapshot = {
    runs: all.map((r) => r.summary),
    selectedRunId: all[0]?.summary.id ?? null,
    details: all[0] ?? null,
    page: 'run',
    compareRunIds: [],
    compare: [],
    thumbnailBases: Object.fromEntries(
      all.map((r) => [r.summary.id, 'https://file+.vscode-resource.vscode-cdn.net/data/pets']),
    ),
    lrFinds: [makeLrFind()],
    ...overrides,
  };
  return { snapshot, all };
}

/**
 * A detection run (issue 18): epoch lines with the detector's class and box losses and validation mAP, and
 * (unless `withEvaluation` is false) an evaluation.json computed by the real evaluator on a small made-up
 * set: `shapes` has no ground truth (AP -1), `circle` is found, `square` half found with one box predicted
 * as `circle`, and one false positive.
 */
export function makeDetectionRun(index: number, epochs: number, withEvaluation = true): RunDetails {
  const labels = ['circle', 'square', 'shapes'];
  const base = makeRun({ index, epochs, classes: labels, withEvaluation: false });
  const detectEpochs: EpochMetrics[] = base.epochs.map((e) => ({
    ...e,
    task: 'detect',
    classLoss: e.loss * 0.7,
    boxLoss: e.loss * 0.3,
    valClassLoss: e.valLoss === null ? null : e.valLoss * 0.7,
    valBoxLoss: e.valLoss === null ? null : e.valLoss * 0.3,
    map50: e.valAccuracy,
    map50_95: e.valAccuracy === null ? null : e.valAccuracy * 0.6,
  }));
  const detectionEvaluation = withEvaluation
    ? evaluateDetections({
        labels,
        source: 'val',
        images: [
          {
            path: 'images/val/0.png',
            truth: [
              { classIndex: 0, box: [10, 10, 50, 50] },
              { classIndex: 1, box: [60, 60, 100, 100] },
            ],
            predicted: [
              { classIndex: 0, confidence: 0.95, box: [15, 10, 50, 50] },
              { classIndex: 1, confidence: 0.8, box: [60, 61, 99, 100] },
              { classIndex: 0, confidence: 0.6, box: [150, 150, 170, 170] },
            ],
          },
          {
            path: 'images/val/1.png',
            truth: [{ classIndex: 1, box: [0, 0, 30, 30] }],
            predicted: [{ classIndex: 0, confidence: 0.7, box: [0, 0, 30, 31] }],
          },
        ],
      })
    : null;
  return { ...base, epochs: detectEpochs, evaluation: null, detectionEvaluation };
}
