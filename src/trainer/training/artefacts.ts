// What a finished (or stopped) run leaves besides its checkpoints: model/ with the metadata that predict
// and export need, evaluation.json on the validation split, and test-evaluation.json on the test split.
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TrainingConfig } from '../../protocol/config';
import type { Evaluation, ModelMetadata } from '../../protocol/runRecord';
import { RUN_FILES, RUN_FORMAT_VERSION } from '../../protocol/runRecord';
import { evaluationFromPredictions } from '../../core/metrics';
import { READ_LIMITS, readTextInside } from '../../core/runFiles';
import { parseMetricsLines, splitMetrics } from '../../core/runStore';
import type { BatchPlan } from '../dataPipeline';
import { predictIndices } from '../inference';
import { replaceDirectory, saveModelFiles } from '../modelIO';
import { guardWrite } from '../runWriter';
import type { DecodedSplit } from './loadSamples';
import type { Emit, PreparedRun } from './runContext';

/** Batch size of validation and evaluation passes: no gradients, so larger than the training batch. */
export function evalBatchSize(config: TrainingConfig): number {
  return Math.max(config.batchSize, 128);
}

export interface EvaluateIndicesOptions {
  model: tf.LayersModel;
  plan: BatchPlan;
  /** The samples of `plan` to evaluate. */
  indices: readonly number[];
  /** Class names, in the model's output order. */
  labels: readonly string[];
  /** Every sample's path (indexed like the plan), for the misclassified list. */
  paths: readonly string[];
  /** The data set root the paths are relative to. */
  root: string;
  /** What was evaluated: `validation`, `test`, `train` or a folder. */
  source: string;
  batchSize: number;
}

export async function evaluateIndices(options: EvaluateIndicesOptions): Promise<Evaluation> {
  const { model, plan, indices, batchSize } = options;
  const result = await predictIndices(model, plan, indices, batchSize);
  const evaluation = evaluationFromPredictions({
    labels: options.labels,
    trueIdx: indices.map((i) => plan.labels[i]),
    predIdx: result.predicted,
    confidences: result.confidences,
    paths: indices.map((i) => options.paths[i]),
    source: options.source,
  });
  return { ...evaluation, root: options.root };
}

/**
 * Writes model/ (`deployed`, with its metadata), evaluation.json (validation) and the test-split evaluation,
 * both computed by `model` on the plan's samples: the same model, or on cached features its head.
 */
export async function writeFinalArtefacts(
  prepared: PreparedRun,
  deployed: tf.LayersModel,
  model: tf.LayersModel,
  plan: BatchPlan,
  parts: DecodedSplit,
  emit: Emit,
): Promise<void> {
  const { writer, config, classNames } = prepared;
  emit({ type: 'phaseChanged', phase: 'saving', message: 'Saving the model' });
  const metadata: ModelMetadata = {
    formatVersion: RUN_FORMAT_VERSION,
    labels: classNames,
    preprocessing: {
      imageSize: config.imageSize,
      channels: config.channels,
      resize: config.resize,
      scale: plan.normalisation.scale,
      offset: plan.normalisation.offset,
    },
    model: config.model,
    createdAt: new Date().toISOString(),
  };
  await replaceDirectory(
    writer.path(RUN_FILES.model),
    async (temp) => {
      await saveModelFiles(deployed, temp);
      const file = path.join(temp, RUN_FILES.modelMetadata);
      await guardWrite(file, () => fs.writeFile(file, JSON.stringify(metadata, null, 2)));
    },
    { root: writer.runDir },
  );

  emit({ type: 'phaseChanged', phase: 'evaluating', message: 'Evaluating' });
  const paths = parts.decoded.entries.map((e) => e.path);
  const evaluate = (source: string, indices: readonly number[]): Promise<Evaluation> =>
    evaluateIndices({
      model,
      plan,
      indices,
      labels: classNames,
      paths,
      root: prepared.datasetRoot,
      source,
      batchSize: evalBatchSize(config),
    });
  const evaluation =
    parts.validation.length > 0
      ? await evaluate('validation', parts.validation)
      : await evaluate('train', parts.train);
  const metricsText = await readTextInside(writer.runDir, RUN_FILES.metrics, READ_LIMITS.metrics).catch(
    () => '',
  );
  const confusionByEpoch = splitMetrics(parseMetricsLines(metricsText))
    .epochs.filter((e) => e.valConfusion)
    .map((e) => ({ epoch: e.epoch, confusion: e.valConfusion! }));
  await writer.writeJson(RUN_FILES.evaluation, {
    ...evaluation,
    ...(confusionByEpoch.length ? { confusionByEpoch } : {}),
  });
  emit({ type: 'evaluationWritten', accuracy: evaluation.accuracy, path: writer.path(RUN_FILES.evaluation) });
  if (parts.test.length > 0) {
    const test = await evaluate('test', parts.test);
    await writer.writeJson('test-evaluation.json', test);
    await writer.update({ testAccuracy: test.accuracy });
    emit({
      type: 'log',
      level: 'info',
      message: `Test accuracy ${(test.accuracy * 100).toFixed(2)}% on ${parts.test.length} held-out images`,
    });
  }
}
