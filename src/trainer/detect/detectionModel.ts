// A detection run's model folder: the layers model and metadata.json, whose `detection` block records the
// task and how outputs become boxes (letterbox placement, stride, top-K, confidence floor, NMS). Read back
// as untrusted input: every number is checked before it is used.
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ModelMetadata } from '../../protocol/runRecord';
import { RUN_FILES } from '../../protocol/runRecord';
import { checkModelMetadata } from '../../protocol/runSchema';
import { isRecord } from '../../protocol/guards';
import { checkStoredField, ConfigError } from '../../core/config';
import { READ_LIMITS, readJsonInside, readTextInside, RunFileError } from '../../core/runFiles';
import { UsageError } from '../errors';
import { loadTrainedModel, resolveDirectory } from '../modelIO';
import { REGRESSION_CHANNELS } from '../../core/detection/centerTargets';
import type { DecodeParameters, DetectorSpec } from './detector';

export const DETECTION_METADATA_VERSION = 1;

export interface DetectionMetadataBlock extends DecodeParameters {
  version: number;
  task: 'detect';
  /** The image is scaled to fit and placed at the top-left corner of the square input. */
  letterbox: 'top-left';
  /** Output channels: heatmap logits (one per label), then box width, height, offset x, offset y (cells). */
  outputs: 'heatmap-logits+size+offset';
}

export interface DetectionModelMetadata extends ModelMetadata {
  detection: DetectionMetadataBlock;
}

export interface DetectionRunModel {
  model: tf.LayersModel;
  metadata: DetectionModelMetadata;
  spec: DetectorSpec;
  modelDir: string;
}

/** Whether a run directory's model folder holds a detector (its metadata has a `detection` block). */
export async function isDetectionModel(runDir: string): Promise<boolean> {
  try {
    const modelDir = await resolveDirectory(path.join(runDir, RUN_FILES.model), runDir);
    if (!modelDir) return false;
    // Through the bounded, link-checked reader: a crafted run's metadata.json may be a FIFO, /dev/zero or a
    // link out of the run; the answer is then "not a detector", and the real reader says why.
    const text = await readTextInside(modelDir, RUN_FILES.modelMetadata, READ_LIMITS.json);
    const value: unknown = JSON.parse(text);
    return isRecord(value) && isRecord(value.detection) && value.detection.task === 'detect';
  } catch {
    return false;
  }
}

function positive(value: unknown, name: string, file: string, max: number, integer: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > max ||
    (integer && !Number.isInteger(value))
  )
    throw new ConfigError(
      `${file}: detection.${name} must be ${integer ? 'a whole number' : 'a number'} from 0 to ${max}, got ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  return value;
}

export function checkDetectionBlock(value: unknown, file: string): DetectionMetadataBlock {
  if (!isRecord(value) || value.task !== 'detect')
    throw new ConfigError(`${file}: not a detection model (no detection block with task "detect")`);
  if (value.letterbox !== 'top-left' || value.outputs !== 'heatmap-logits+size+offset')
    throw new ConfigError(
      `${file}: detection.letterbox or detection.outputs is not one this version reads — retrain the model`,
    );
  const stride = positive(value.stride, 'stride', file, 64, true);
  if (stride < 1) throw new ConfigError(`${file}: detection.stride must be at least 1`);
  return {
    version: positive(value.version, 'version', file, 1e6, true),
    task: 'detect',
    letterbox: 'top-left',
    outputs: 'heatmap-logits+size+offset',
    stride,
    topK: positive(value.topK, 'topK', file, 10000, true),
    confidenceFloor: positive(value.confidenceFloor, 'confidenceFloor', file, 1, false),
    nmsIouThreshold: positive(value.nmsIouThreshold, 'nmsIouThreshold', file, 1, false),
    maxBoxes: positive(value.maxBoxes, 'maxBoxes', file, 10000, true),
  };
}

/** A detection run's model, checked against its metadata; a UsageError naming the file otherwise. */
export async function loadDetectionRunModel(runDirArg: string): Promise<DetectionRunModel> {
  const runDir = path.resolve(runDirArg);
  const fix = 'pass a detection run directory whose training finished';
  let modelDir: string | null;
  let metadata: DetectionModelMetadata;
  const file = path.join(runDir, RUN_FILES.model, RUN_FILES.modelMetadata);
  try {
    modelDir = await resolveDirectory(path.join(runDir, RUN_FILES.model), runDir);
    if (!modelDir)
      throw new UsageError(`${path.join(runDir, RUN_FILES.model)}: no trained model here — ${fix}`);
    let raw: unknown = null;
    const base = await readJsonInside(modelDir, RUN_FILES.modelMetadata, (value) => {
      raw = value;
      return checkModelMetadata(value);
    });
    checkStoredField('imageSize', base.preprocessing.imageSize, file, 'preprocessing.imageSize');
    checkStoredField('channels', base.preprocessing.channels, file, 'preprocessing.channels');
    const detection = checkDetectionBlock(isRecord(raw) ? raw.detection : undefined, file);
    metadata = { ...base, detection };
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing')
      throw new UsageError(`${err.file}: missing — ${fix}`);
    if (err instanceof RunFileError || err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const { imageSize, channels } = metadata.preprocessing;
  const {
    version: _version,
    task: _task,
    letterbox: _letterbox,
    outputs: _outputs,
    ...decode
  } = metadata.detection;
  const spec: DetectorSpec = { inputSize: imageSize, channels, numClasses: metadata.labels.length, decode };
  if (imageSize % decode.stride !== 0)
    throw new UsageError(
      `${file}: preprocessing.imageSize ${imageSize} is not a multiple of detection.stride ${decode.stride}`,
    );
  const model = await loadTrainedModel(modelDir);
  const input = model.inputs[0]?.shape ?? [];
  const output = model.outputs[0]?.shape ?? [];
  const cells = imageSize / decode.stride;
  const fits =
    input.length === 4 &&
    input[1] === imageSize &&
    input[2] === imageSize &&
    input[3] === channels &&
    output.length === 4 &&
    output[1] === cells &&
    output[2] === cells &&
    output[3] === metadata.labels.length + REGRESSION_CHANNELS;
  if (!fits) {
    model.dispose();
    throw new UsageError(
      `${file}: describes a ${imageSize}×${imageSize}×${channels} detector of ${metadata.labels.length} labels, but the model maps ${JSON.stringify(input)} to ${JSON.stringify(output)} — the model folder is damaged`,
    );
  }
  return { model, metadata, spec, modelDir };
}
