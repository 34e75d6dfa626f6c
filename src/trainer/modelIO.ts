// Saves and loads TF.js layers models in the standard format (model.json + weights.bin) without
// tfjs-node's file:// handler, so the pure-JS/WASM path can write models that every TF.js loader reads.
// Directories are replaced atomically: written beside, then swapped in by rename.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { prepareGraphBaseOf, saveGraphBasesOf } from './presets/graphBase';
import { guardWrite, writeFileAtomic } from './runWriter';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

async function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<void> {
  const weightData = artifacts.weightData
    ? tf.io.concatenateArrayBuffers(artifacts.weightData)
    : new ArrayBuffer(0);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  await writeFileAtomic(path.join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
  await writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
}

/**
 * Replaces `dir` with a freshly written directory. `fill` writes the content into a temporary sibling;
 * the old directory is moved aside, the new one renamed in, then the old one removed. A crash at any
 * point leaves either `dir` or `dir.old` complete (see resolveDirectory).
 */
export async function replaceDirectory(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  const temp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old`;
  await guardWrite(temp, async () => {
    await removeStaleTemps(dir);
    await fs.mkdir(temp, { recursive: true });
  });
  await fill(temp);
  await guardWrite(dir, async () => {
    const hadDir = await exists(dir);
    // Without `dir` (a crash between the renames below), `dir.old` is the only complete copy: keep it
    // until the new one is in place.
    if (hadDir) {
      await fs.rm(old, { recursive: true, force: true });
      await fs.rename(dir, old);
    }
    await fs.rename(temp, dir);
    await fs.rm(old, { recursive: true, force: true });
  });
}

/** Temporary siblings left by killed writers (`dir.tmp-<pid>`), which would pile up across resumes. */
async function removeStaleTemps(dir: string): Promise<void> {
  const prefix = `${path.basename(dir)}.tmp-`;
  const names = await fs.readdir(path.dirname(dir)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix))
      await fs.rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
}

/** The complete copy of a directory written by replaceDirectory, or null when there is none. */
export async function resolveDirectory(dir: string): Promise<string | null> {
  if (await exists(path.join(dir, MODEL_JSON))) return dir;
  if (await exists(path.join(`${dir}.old`, MODEL_JSON))) return `${dir}.old`;
  return null;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes model.json + weights.bin into `dir` (which must exist). */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await writeArtifacts(dir, artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  // A transfer model on a graph base carries the graph's files, so the folder is a whole model.
  await saveGraphBasesOf(model, dir);
}

export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  await prepareGraphBaseOf(dir);
  const jsonPath = path.join(dir, MODEL_JSON);
  const modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const p of group.paths) {
        const bytes = await fs.readFile(path.join(dir, p));
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Optimizer state (Adam moments, momentum, iteration count) as JSON specs + one binary file. */
export async function saveOptimizerState(optimizer: tf.Optimizer, dir: string): Promise<void> {
  const weights = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  // getWeights makes a fresh scalar for the iteration count; the moments are the optimizer's own variables.
  for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  await writeFileAtomic(path.join(dir, 'optimizer.bin'), new Uint8Array(tf.io.concatenateArrayBuffers(data)));
  await writeFileAtomic(
    path.join(dir, 'optimizer.json'),
    JSON.stringify({ className: optimizer.getClassName(), specs }),
  );
}

export async function loadOptimizerState(optimizer: tf.Optimizer, dir: string): Promise<boolean> {
  let meta: { className: string; specs: tf.io.WeightsManifestEntry[] };
  try {
    meta = JSON.parse(await fs.readFile(path.join(dir, 'optimizer.json'), 'utf8'));
  } catch {
    return false;
  }
  if (meta.className !== optimizer.getClassName()) return false;
  const bytes = await fs.readFile(path.join(dir, 'optimizer.bin'));
  const named = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    meta.specs,
  );
  const list = meta.specs.map((spec) => ({ name: spec.name, tensor: named[spec.name] }));
  await optimizer.setWeights(list);
  // setWeights copies into variables of its own (reference-counted), so the decoded tensors can go.
  for (const tensor of Object.values(named)) tensor.dispose();
  return true;
}
