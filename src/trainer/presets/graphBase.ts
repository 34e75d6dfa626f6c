// A TF.js graph model (a frozen feature extractor such as MobileNet v3 from TF Hub) as one layer of a layers
// model, so that a transfer model on it is an ordinary layers model for training, predict, evaluate and the
// dashboard. The layer holds no weights: its graph lives in the run's model/graph-base/ (copied there when
// the model is saved) and is loaded and registered, under its content digest, before the model is read.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { confineWeightPath, readModelJson, weightPaths } from '../../core/modelJson';
import { READ_LIMITS, readFileInside, readTextInside, resolveInside } from '../../core/runFiles';
import { graphFeatures, loadGraphBase } from '../bases/tfjsBases';
import { UsageError } from '../errors';
import { baseContentSha256 } from '../features/baseIdentity';

/** The layer's name in a transfer model (and so the run's transfer.cutLayer). */
export const GRAPH_BASE_LAYER = 'graph_base';
/** The folder beside model.json that holds the graph base's own model.json and weights. */
export const GRAPH_BASE_FOLDER = 'graph-base';

const registry = new Map<string, tf.GraphModel>();
/** Where each registered graph's files are, to copy them beside a saved model. */
const sources = new Map<string, string>();

interface GraphFeaturesArgs {
  /** baseContentSha256 of the graph's files: which registered graph this layer runs. */
  digest: string;
  features: number;
  name?: string;
  trainable?: boolean;
}

export class GraphFeatures extends tf.layers.Layer {
  static readonly className = 'ImageTrainerGraphFeatures';
  readonly digest: string;
  readonly features: number;

  constructor(args: GraphFeaturesArgs) {
    super({ name: args.name, trainable: false });
    this.digest = args.digest;
    this.features = args.features;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.features];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const model = registry.get(this.digest);
    if (!model)
      throw new UsageError(
        `the graph base ${this.digest.slice(0, 12)}… is not loaded — load the model with loadModelFromDir, which reads ${GRAPH_BASE_FOLDER}/`,
      );
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return graphFeatures(model, x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), digest: this.digest, features: this.features };
  }
}
tf.serialization.registerClass(GraphFeatures);

/** Is `dir`'s model.json (read confined to `dir`) a graph model? */
export async function isGraphModelDir(dir: string): Promise<boolean> {
  try {
    return readModelJson(await readTextInside(dir, 'model.json', READ_LIMITS.json)).format === 'graph';
  } catch {
    return false;
  }
}

/** Loads the graph base in `dir` (confined, offline) and registers it; returns its digest and feature size. */
export async function registerGraphBase(
  dir: string,
  imageShape: readonly [number, number, number],
): Promise<{ digest: string; features: number }> {
  const digest = await baseContentSha256(dir);
  let model = registry.get(digest);
  if (!model) {
    model = await loadGraphBase(dir);
    registry.set(digest, model);
  }
  sources.set(digest, dir);
  const probe = tf.tidy(() => graphFeatures(model, tf.zeros([1, ...imageShape]) as tf.Tensor4D));
  const features = probe.shape[1];
  probe.dispose();
  return { digest, features };
}

/** Graph layers of a layers model (the transfer models built on a graph base have one). */
export function graphLayersOf(model: tf.LayersModel): GraphFeatures[] {
  return model.layers.filter((l): l is GraphFeatures => l instanceof GraphFeatures);
}

/** Copies the graph base files (model.json and its weights, read confined) into `modelDir`/graph-base. */
export async function copyGraphBase(baseDir: string, modelDir: string): Promise<void> {
  const target = path.join(modelDir, GRAPH_BASE_FOLDER);
  await fs.mkdir(target, { recursive: true });
  const text = await readTextInside(baseDir, 'model.json', READ_LIMITS.json);
  await fs.writeFile(path.join(target, 'model.json'), text);
  for (const raw of weightPaths(readModelJson(text))) {
    const confined = confineWeightPath(raw, null);
    if (!confined.ok) throw new UsageError(`${path.join(baseDir, 'model.json')}: ${confined.reason}`);
    const file = path.join(target, confined.path);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, await readFileInside(baseDir, confined.path, READ_LIMITS.weights));
  }
}

/**
 * Before a model that may contain a graph layer is read from `modelDir`: registers the graph in its
 * graph-base/ folder. A missing folder is fine (most models have no graph layer).
 */
export async function prepareGraphBaseOf(modelDir: string): Promise<void> {
  const candidate = path.join(modelDir, GRAPH_BASE_FOLDER);
  if (!(await fs.lstat(candidate).catch(() => null))) return;
  // A graph-base folder that is a link out of the model folder is refused, not followed.
  const dir = await resolveInside(modelDir, GRAPH_BASE_FOLDER);
  if (!(await isGraphModelDir(dir))) return;
  const digest = await baseContentSha256(dir);
  if (!registry.has(digest)) registry.set(digest, await loadGraphBase(dir));
  if (!sources.has(digest)) sources.set(digest, dir);
}

/** Copies the files of every graph layer's base into `modelDir`/graph-base (one per model). */
export async function saveGraphBasesOf(model: tf.LayersModel, modelDir: string): Promise<void> {
  const layers = graphLayersOf(model);
  if (layers.length === 0) return;
  if (layers.length > 1) throw new UsageError('a model with more than one graph base cannot be saved');
  const source = sources.get(layers[0].digest);
  if (!source) throw new UsageError(`the graph base ${layers[0].digest.slice(0, 12)}… has no files to save`);
  if (path.resolve(source) !== path.resolve(modelDir, GRAPH_BASE_FOLDER))
    await copyGraphBase(source, modelDir);
}
