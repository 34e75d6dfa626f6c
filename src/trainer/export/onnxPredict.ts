// `predict` (and the editor's Classify Image, which runs it) on ONNX Runtime: the run's model is converted
// in memory (onnxGraph.ts; milliseconds), so the ONNX graph is always the run's own model, never a file
// someone may have changed. Same decoding, preprocessing, batching and top-k as the TF.js path; a model
// without an exact ONNX mapping, or a machine where onnxruntime-node does not load, predicts with TF.js.
import { predictFiles, type PredictOptions, type RunModel } from '../runModel';
import { convertLayersModel, OnnxMappingError } from './onnxGraph';
import { encodeOnnxModel } from '../../core/onnxProto';
import { loadOnnxRuntime, OnnxClassifier } from './onnxRuntime';

export type PredictEngine = 'auto' | 'tfjs';
export const PREDICT_ENGINES: readonly PredictEngine[] = ['auto', 'tfjs'];

export interface EngineUsed {
  engine: 'onnxruntime' | 'tfjs';
  /** Why ONNX Runtime was not used, when `auto` fell back. */
  note?: string;
  count: number;
}

export interface EnginePredictOptions extends PredictOptions {
  engine: PredictEngine;
  /** Tests name a stand-in that is not installed to exercise the fallback. */
  runtimeModule?: string;
  /** ONNX Runtime intra-op threads (0: its default). */
  threads?: number;
}

/** An ONNX Runtime classifier for the run's model, or why there is none. */
export async function onnxClassifierFor(
  runModel: RunModel,
  runtimeModule?: string,
  threads = 0,
): Promise<{ ok: true; classifier: OnnxClassifier } | { ok: false; reason: string }> {
  const runtime = loadOnnxRuntime(runtimeModule);
  if (!runtime.ok) return { ok: false, reason: runtime.reason };
  let bytes: Uint8Array;
  try {
    bytes = encodeOnnxModel(
      convertLayersModel(runModel.model, { metadata: {}, docString: '', producerVersion: '' }).model,
    );
  } catch (err) {
    if (err instanceof OnnxMappingError) return { ok: false, reason: err.message };
    throw err;
  }
  const { imageSize, channels } = runModel.metadata.preprocessing;
  try {
    return {
      ok: true,
      classifier: await OnnxClassifier.create(runtime.ort, bytes, [imageSize, imageSize, channels], threads),
    };
  } catch (err) {
    return {
      ok: false,
      reason: `ONNX Runtime cannot load the model (${(err as Error).message.split('\n')[0].slice(0, 160)})`,
    };
  }
}

export async function predictWithEngine(
  runModel: RunModel,
  files: readonly string[],
  options: EnginePredictOptions,
): Promise<EngineUsed> {
  if (options.engine === 'tfjs')
    return { engine: 'tfjs', count: await predictFiles(runModel, files, options) };
  const made = await onnxClassifierFor(runModel, options.runtimeModule, options.threads);
  if (!made.ok)
    return { engine: 'tfjs', note: made.reason, count: await predictFiles(runModel, files, options) };
  try {
    return {
      engine: 'onnxruntime',
      count: await predictWithClassifier(runModel, made.classifier, files, options),
    };
  } finally {
    await made.classifier.dispose();
  }
}

export async function predictWithClassifier(
  runModel: RunModel,
  classifier: OnnxClassifier,
  files: readonly string[],
  options: PredictOptions,
): Promise<number> {
  return predictFiles(runModel, files, options, (input, count) => classifier.predict(input, count));
}
