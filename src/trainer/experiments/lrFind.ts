// `image-trainer lr-find DIR`: Smith's learning-rate range test. Trains from fresh weights for `steps`
// batches while the rate grows exponentially from `min` to `max`, records the (smoothed) loss, stops once
// the loss diverges, and suggests a rate. The curve goes to <runsRoot>/lr-find/<id>.json for the dashboard.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TrainingConfig } from '../../protocol/config';
import { stratifiedSplit } from '../../core/split';
import { assembleBatch, decodeEntries, epochOrder, type BatchPlan } from '../dataPipeline';
import { UsageError } from '../errors';
import { createModel, trainingForward } from '../presets/presetIndex';
import { normalisationOf } from '../presets/transfer';
import { newRunId } from '../runWriter';
import { makeDirectoryInside, writeFileInside } from '../../core/runFiles';
import type { Emit, StopSignal } from '../training/runContext';
import { openDataset } from '../training/openDataset';
import { createOptimizer, makeTrainStep, setLearningRate } from '../training/trainStep';
import type { LrFindOptions } from './lrFindOptions';
import { resolveExperimentConfig } from './trainAny';

export { DEFAULT_LR_FIND, type LrFindOptions } from './lrFindOptions';

export interface LrPoint {
  step: number;
  learningRate: number;
  loss: number;
  smoothedLoss: number;
}

export interface LrSuggestion {
  /** Where the smoothed loss falls fastest against log(rate). */
  steepest: number | null;
  /** A tenth of the rate at the lowest smoothed loss (fast.ai's rule). */
  minLossOver10: number | null;
  suggested: number | null;
}

const SMOOTHING = 0.98;
const DIVERGENCE = 4;

/** Exponential moving average with bias correction, as in Smith (2017) and fast.ai. */
export function smoothLosses(losses: readonly number[], beta = SMOOTHING): number[] {
  let average = 0;
  return losses.map((loss, i) => {
    average = beta * average + (1 - beta) * loss;
    return average / (1 - beta ** (i + 1));
  });
}

/** Steepest descent of the smoothed curve (central differences over log rate) and min-loss/10. */
export function suggestLearningRate(points: readonly LrPoint[]): LrSuggestion {
  if (points.length < 3) return { steepest: null, minLossOver10: null, suggested: null };
  // Skip the first tenth: the smoothed average is still warming up there.
  const from = Math.max(1, Math.floor(points.length / 10));
  let steepest: number | null = null;
  let steepestSlope = 0;
  for (let i = from; i < points.length - 1; i++) {
    const slope =
      (points[i + 1].smoothedLoss - points[i - 1].smoothedLoss) /
      (Math.log(points[i + 1].learningRate) - Math.log(points[i - 1].learningRate));
    if (slope < steepestSlope) {
      steepestSlope = slope;
      steepest = points[i].learningRate;
    }
  }
  const lowest = points.reduce((best, p) => (p.smoothedLoss < best.smoothedLoss ? p : best));
  const minLossOver10 = lowest.learningRate / 10;
  return { steepest, minLossOver10, suggested: steepest ?? minLossOver10 };
}

export interface LrFindRequest {
  dataDir: string;
  runsRoot: string;
  config: TrainingConfig;
  options: LrFindOptions;
  emit: Emit;
  stop: StopSignal;
}

export interface LrFindResult {
  file: string;
  points: LrPoint[];
  suggestion: LrSuggestion;
  diverged: boolean;
}

export async function lrFind(request: LrFindRequest): Promise<LrFindResult> {
  const { options, emit } = request;
  if (!(options.min > 0 && options.max > options.min))
    throw new UsageError(`lr-find needs 0 < --min < --max, got ${options.min} and ${options.max}`);
  const { config } = await resolveExperimentConfig(request.config);
  if (config.model === 'knn')
    throw new UsageError(
      'knn has no learning rate: lr-find works with the presets trained by gradient descent',
    );
  const { root, scan, classNames } = await openDataset(request.dataDir, config);
  const split = stratifiedSplit(scan.entries, config);
  const decoded = await decodeEntries(split.train, {
    root,
    imageSize: config.imageSize,
    channels: config.channels,
    resize: config.resize,
  });
  const points: LrPoint[] = [];
  let diverged = false;
  try {
    const index = new Map(classNames.map((c, i) => [c, i]));
    const plan: BatchPlan = {
      store: decoded.store,
      shape: { imageSize: config.imageSize, channels: config.channels },
      normalisation: normalisationOf(config),
      labels: Int32Array.from(decoded.entries, (e) => index.get(e.label) ?? 0),
      augment: config.augment,
      seed: config.seed,
    };
    const model = await createModel(config, classNames.length, decoded.entries.length);
    const optimizer = createOptimizer(config);
    const step = makeTrainStep(
      model,
      optimizer,
      plan.shape,
      { numClasses: classNames.length, classWeights: null, labelSmoothing: config.labelSmoothing },
      trainingForward(model, config),
    );
    const losses: number[] = [];
    let order: number[] = [];
    let epoch = 0;
    for (let i = 0; i < options.steps && !request.stop.requested; i++) {
      if (order.length < config.batchSize)
        order = [...order, ...epochOrder(decoded.entries.length, config.seed, ++epoch)];
      const learningRate = options.min * (options.max / options.min) ** (i / Math.max(1, options.steps - 1));
      setLearningRate(optimizer, learningRate);
      const batch = await assembleBatch(plan, order.splice(0, config.batchSize), epoch);
      const { loss } = step(batch.pixels, batch.labels);
      if (!Number.isFinite(loss)) {
        diverged = true;
        break;
      }
      losses.push(loss);
      const smoothedLoss = smoothLosses(losses).at(-1)!;
      points.push({ step: i + 1, learningRate, loss, smoothedLoss });
      emit({ type: 'progress', phase: 'training', done: i + 1, total: options.steps });
      if (smoothedLoss > DIVERGENCE * Math.min(...points.map((p) => p.smoothedLoss))) {
        diverged = true;
        break;
      }
    }
    model.dispose();
    optimizer.dispose();
  } finally {
    await decoded.store.close();
  }
  const suggestion = suggestLearningRate(points);
  const id = `lr-find-${newRunId()}`;
  const file = path.join(request.runsRoot, 'lr-find', `${id}.json`);
  // A real lr-find folder inside the runs root: a link planted there is refused, never written through.
  await fs.mkdir(request.runsRoot, { recursive: true });
  await makeDirectoryInside(request.runsRoot, 'lr-find');
  await writeFileInside(
    request.runsRoot,
    path.join('lr-find', `${id}.json`),
    JSON.stringify(
      {
        kind: 'lrFind',
        id,
        createdAt: new Date().toISOString(),
        dataset: root,
        config,
        options,
        diverged,
        suggestion,
        points,
      },
      null,
      2,
    ),
  );
  return { file, points, suggestion, diverged };
}
