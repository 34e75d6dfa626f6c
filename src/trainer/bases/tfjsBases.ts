// Loads bases from disk with TF.js, never touching the network: weight paths are confined to the model's
// folder (relative, no `..`, no symbolic link out of it). Graph bases are frozen feature extractors.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { confineWeightPath } from '../../core/modelJson';
import { BaseError } from './errors';

const MODEL_JSON = 'model.json';

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** model.json and its weights from `dir`, every weight file confined to the folder. */
export async function readConfinedArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new BaseError(
      `${jsonPath}: cannot read the model (${reason.split('\n')[0]}) — pass a folder holding a TF.js model.json`,
    );
  }
  const root = await fs.realpath(dir);
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    if (!Array.isArray(manifest)) throw new BaseError(`${jsonPath}: weightsManifest is not a list`);
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const raw of group.paths) {
        const confined = confineWeightPath(raw, null);
        if (!confined.ok)
          throw new BaseError(
            `${jsonPath}: ${confined.reason} — refusing to read outside the model's folder`,
          );
        const file = path.join(root, confined.path);
        let real: string;
        try {
          real = await fs.realpath(file);
        } catch {
          throw new BaseError(
            `${jsonPath}: names ${confined.path}, but there is no such file beside it — the model is incomplete`,
          );
        }
        if (!inside(root, real))
          throw new BaseError(`${file}: links outside the model's folder — refusing to read it`);
        const bytes = await fs.readFile(real);
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  });
}

/** A TF.js layers model from `dir` (model.json + weights), read from disk only. */
export async function loadLayersBase(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readConfinedArtifacts(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new BaseError(
      `${path.join(dir, MODEL_JSON)}: not a loadable TF.js layers model (${(err as Error).message.split('\n')[0]})`,
    );
  }
}

/** A TF.js graph model from `dir` (tfjs-converter's format), read from disk only. */
export async function loadGraphBase(dir: string): Promise<tf.GraphModel> {
  const artifacts = await readConfinedArtifacts(dir);
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
