// Fitting a prepared run: the model and optimizer (fresh or from the checkpoint), the training step, the
// epoch loop with its observers, then the best weights, the final artefacts and the run's end status.
import * as tf from '@tensorflow/tfjs';
import { classWeights } from '../../core/metrics';
import { initialScheduleState, NO_BEST } from '../../core/trainingControl';
import { isFeatureShape, type BatchPlan } from '../dataPipeline';
import { UsageError } from '../errors';
import type { ObjectiveOptions } from '../loss';
import { loadModelFromDir } from '../modelIO';
import { chooseTrainStep } from '../parallel/plan';
import { createModel, trainingForward } from '../presets/presetIndex';
import { headModel, normalisationOf } from '../presets/transfer';
import { writeFinalArtefacts } from './artefacts';
import { restoreBestWeights, restoreOptimizerState } from './checkpoints';
import { runEpochs } from './epochLoop';
import type { DecodedSplit } from './loadSamples';
import {
  BestEpochTracker,
  epochObservers,
  monitoredMetric,
  type LoopControl,
  type Trainee,
} from './observers';
import type { PreparedRun, TrainOutcome, TrainRunRequest } from './runContext';
import { finishRun } from './runEnd';
import { createOptimizer, makeTrainStep } from './trainStep';

export type { TrainOutcome } from './runContext';

export async function fit(
  prepared: PreparedRun,
  parts: DecodedSplit,
  request: TrainRunRequest,
): Promise<TrainOutcome> {
  const { writer, config, classNames } = prepared;
  const { emit, stop } = request;
  const numClasses = classNames.length;
  const plan: BatchPlan = {
    store: parts.decoded.store,
    shape: parts.shape,
    normalisation: normalisationOf(config),
    labels: parts.labels,
    augment: config.augment,
    seed: config.seed,
  };

  const trainee: Trainee = {
    model: await modelToTrain(prepared, parts, numClasses),
    optimizer: createOptimizer(config),
  };
  await restoreOptimizerState(trainee.optimizer, prepared.resume, emit);
  const objective = trainingObjective(
    config.classWeight === 'balanced',
    parts,
    numClasses,
    config.labelSmoothing,
  );
  const forward = trainingForward(trainee.model, config);
  const makeStep = () => makeTrainStep(trainee.model, trainee.optimizer, parts.shape, objective, forward);
  const startEpoch = (prepared.resume?.state.epoch ?? 0) + 1;
  const batchesPerEpoch = Math.ceil(parts.train.length / config.batchSize);
  // How many threads share each batch: set, resumed as the run began, or measured on its first steps.
  const threaded = await chooseTrainStep({
    model: trainee.model,
    optimizer: trainee.optimizer,
    config,
    objective,
    single: makeStep(),
    ownStep: forward !== null,
    stepsLeft: batchesPerEpoch * Math.max(0, config.epochs - startEpoch + 1),
    resumed: prepared.resume ? writer.current.threads : undefined,
    emit,
    record: (threads) => writer.update({ threads }),
  });

  const control: LoopControl = { stopTraining: false };
  const best = new BestEpochTracker(prepared.resume?.state.tracker ?? NO_BEST, monitoredMetric(config));
  const { observers, earlyStopping } = epochObservers({ writer, trainee, best, control, config, emit, stop });

  if (parts.validation.length === 0 && (config.earlyStopping || config.schedule.type === 'reduceOnPlateau')) {
    emit({
      type: 'log',
      level: 'warn',
      message:
        'no validation images: early stopping and reduce-on-plateau watch the training figures instead',
    });
  }
  emit({
    type: 'phaseChanged',
    phase: 'training',
    message: `Training on ${parts.train.length} images, validating on ${parts.validation.length}`,
  });
  let lastEpoch: number;
  try {
    lastEpoch = await runEpochs({
      config,
      parts,
      plan,
      numClasses,
      trainee,
      step: threaded.step,
      makeStep,
      startEpoch,
      schedule: prepared.resume?.state.schedule ?? initialScheduleState(config.learningRate),
      observers,
      control,
      emit,
    });
  } finally {
    await threaded.dispose();
  }

  const { model } = trainee;
  const bestEpoch = best.tracker.bestEpoch;
  if (config.earlyStopping?.restoreBest && bestEpoch !== null && bestEpoch !== lastEpoch)
    await restoreBestWeights(writer, model, bestEpoch, best.monitor, emit);
  // On cached features the head trained alone; model/ holds the base and that head as one model.
  await writeFinalArtefacts(prepared, parts.transferModel ?? model, model, plan, parts, emit);
  model.dispose();
  trainee.optimizer.dispose();

  return finishRun(prepared, request, { lastEpoch, bestEpoch, endedEarly: earlyStopping.stopped });
}

/** Cross-entropy options of the run: class weights from the training counts when balanced. */
function trainingObjective(
  balanced: boolean,
  parts: DecodedSplit,
  numClasses: number,
  labelSmoothing: number,
): ObjectiveOptions {
  const trainCounts = new Array<number>(numClasses).fill(0);
  for (const i of parts.train) trainCounts[parts.labels[i]]++;
  return { numClasses, classWeights: balanced ? classWeights(trainCounts) : null, labelSmoothing };
}

/**
 * The model the epochs train: a new or resumed model on pixels, or, on cached features, the head of the
 * transfer model built for extraction (sharing its layers), with a resumed run's head weights.
 */
async function modelToTrain(
  prepared: PreparedRun,
  parts: DecodedSplit,
  numClasses: number,
): Promise<tf.LayersModel> {
  const { config, resume } = prepared;
  if (parts.transferModel && isFeatureShape(parts.shape)) {
    const head = headModel(parts.transferModel, parts.shape.features);
    if (resume) {
      const saved = await loadModelFromDir(resume.dir);
      try {
        head.setWeights(saved.getWeights());
      } catch (err) {
        throw new UsageError(
          `${resume.dir}: the checkpoint does not fit this run's head (${(err as Error).message.split('\n')[0]})`,
        );
      } finally {
        saved.dispose();
      }
    }
    return head;
  }
  return resume
    ? await loadModelFromDir(resume.dir)
    : await createModel(config, numClasses, parts.train.length);
}
