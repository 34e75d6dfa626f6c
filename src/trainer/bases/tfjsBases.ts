// Loads bases from disk with TF.js, never touching the network: weight paths are confined to the model's
// folder (relative, no `..`, no symbolic link out of it). Graph bases are frozen feature extractors.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BaseError } from './errors';
import { RunFileError } from '../../core/runFiles';
import { readModelArtifactsFromFolder } from '../modelFiles';

const MODEL_JSON = 'model.json';

/**
 * A TF.js layers model from `dir`, through the one confined loader (modelIO). Imported when called: modelIO
 * reads graph bases through this module, and a static import would make the two depend on each other.
 */
export async function loadLayersBase(dir: string): Promise<tf.LayersModel> {
  const { loadLayersModelFromFolder } = await import('../modelIO');
  return asBaseError(() => loadLayersModelFromFolder(dir));
}

/** A confined read that fails is a BaseError (exit 2, one line), whichever loader found the problem. */
async function asBaseError<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof RunFileError) throw new BaseError(err.message);
    throw err;
  }
}

/** A TF.js graph model from `dir` (tfjs-converter's format), read from disk only and confined the same way. */
export async function loadGraphBase(dir: string): Promise<tf.GraphModel> {
  const artifacts = await asBaseError(() => readModelArtifactsFromFolder(dir));
  try {
    return await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new BaseError(
      `${path.join(dir, MODEL_JSON)}: not a loadable TF.js graph model (${(err as Error).message.split('\n')[0]})`,
    );
  }
}

/**
 * Runs a graph base on a batch [batch, height, width, channels] (already scaled as the base expects) and
 * returns [batch, features]: a 4-D output is averaged over height and width, a 2-D one is returned as is.
 */
export function graphFeatures(model: tf.GraphModel, batch: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const result = model.execute(batch);
    const output = Array.isArray(result) ? result[0] : result;
    if (output.rank === 4) return tf.mean(output, [1, 2]) as tf.Tensor2D;
    if (output.rank === 2) return output as tf.Tensor2D;
    if (output.rank === 3) return tf.mean(output, 1) as tf.Tensor2D;
    throw new BaseError(
      `the graph base returns a tensor of shape [${output.shape.join(', ')}]; expected [batch, features] or [batch, h, w, c]`,
    );
  });
}

export interface BaseInspection {
  /** [height, width, channels]; null where the model leaves a dimension open. */
  inputShape: [number | null, number | null, number | null];
  /** Layers bases: top-level layer names and the default cut (transfer.ts' rule). */
  layerNames: string[];
  defaultCutLayer: string | null;
}

/** Loads the base in `dir` (proving it loads) and reports its input shape and, for layers, the default cut. */
export async function inspectBase(dir: string, format: 'layers' | 'graph'): Promise<BaseInspection> {
  const dim = (d: number | null | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);
  if (format === 'graph') {
    const model = await loadGraphBase(dir);
    try {
      const shape = model.inputs[0]?.shape ?? [];
      return {
        inputShape: shape.length === 4 ? [dim(shape[1]), dim(shape[2]), dim(shape[3])] : [null, null, null],
        layerNames: [],
        defaultCutLayer: null,
      };
    } finally {
      model.dispose();
    }
  }
  const model = await loadLayersBase(dir);
  try {
    const { defaultCutLayer } = await import('../presets/transfer');
    const shape = model.inputs[0].shape;
    let cut: string | null = null;
    try {
      cut = defaultCutLayer(model);
    } catch {
      cut = null;
    }
    return {
      inputShape: shape.length === 4 ? [dim(shape[1]), dim(shape[2]), dim(shape[3])] : [null, null, null],
      layerNames: model.layers.map((l) => l.name),
      defaultCutLayer: cut,
    };
  } finally {
    model.dispose();
  }
}
