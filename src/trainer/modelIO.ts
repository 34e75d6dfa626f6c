// Saves and loads TF.js layers models in the standard format (model.json + weights.bin) without
// tfjs-node's file:// handler, so the pure-JS/WASM path can write models that every TF.js loader reads.
// Directories are replaced atomically: written beside, then swapped in by rename.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelJsonProblem, readModelArtifactsFromFolder, weightSpecBytes } from './modelFiles';
import { prepareGraphBaseOf, saveGraphBasesOf } from './presets/graphBase';
import { isRecord } from '../protocol/guards';
import type { Checked } from '../protocol/runSchema';
import {
  READ_LIMITS,
  readFileInside,
  readJsonIfPresent,
  resolveInside,
  RunFileError,
  writablePath,
} from '../core/runFiles';
import { UsageError } from './errors';
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
 * point leaves either `dir` or `dir.old` complete (see resolveDirectory). With `root` (the run directory
 * that holds `dir`), every folder from the root down is checked to be a real folder, not a link, and
 * neither `dir` nor `dir.old` may be a link: nothing outside the root is ever renamed or removed.
 */
export async function replaceDirectory(
  dir: string,
  fill: (tempDir: string) => Promise<void>,
  options: { root?: string } = {},
): Promise<void> {
  if (options.root) {
    const relative = path.relative(options.root, dir);
    await writablePath(options.root, relative, { create: true });
    await writablePath(options.root, `${relative}.old`);
  }
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

/**
 * The complete copy of a directory written by replaceDirectory, or null when there is none. With `root`,
 * a copy whose model.json resolves outside the root (a linked folder or file) does not count.
 */
export async function resolveDirectory(dir: string, root?: string): Promise<string | null> {
  for (const candidate of [dir, `${dir}.old`]) {
    if (root) {
      const inside = await resolveInside(root, path.relative(root, path.join(candidate, MODEL_JSON))).then(
        () => true,
        (error: unknown) => {
          if (error instanceof RunFileError && error.problem === 'missing') return false;
          throw error;
        },
      );
      if (inside) return candidate;
    } else if (await exists(path.join(candidate, MODEL_JSON))) return candidate;
  }
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

/**
 * Loads a TF.js layers model from a folder (the one loader for run models, checkpoints, transfer bases and
 * pretrained bases). model.json and every weight file are read through the confined reader of
 * core/runFiles.ts: each weight path must be relative and resolve (links included) inside the folder, be a
 * regular file, and the files together must hold exactly the bytes the manifest's weight specs describe —
 * so a manifest naming /etc/passwd, `../x` or a link out of the folder is refused before anything is read.
 * Errors are RunFileError, one line naming the file.
 */
export async function loadLayersModelFromFolder(dir: string): Promise<tf.LayersModel> {
  // A transfer model on a graph base needs its graph registered before its layers can be built.
  await prepareGraphBaseOf(dir);
  const artifacts = await readModelArtifactsFromFolder(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new RunFileError(
      path.join(dir, MODEL_JSON),
      'invalid',
      `not a loadable TF.js layers model (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/** A run's trained model for `evaluate` and `predict`; a model folder it cannot load is a UsageError. */
export async function loadTrainedModel(modelDir: string): Promise<tf.LayersModel> {
  try {
    return await loadLayersModelFromFolder(modelDir);
  } catch (err) {
    if (err instanceof RunFileError) throw new UsageError(err.message);
    throw err;
  }
}

export { checkLayersModelFolder, checkModelJson, readModelArtifactsFromFolder } from './modelFiles';

/** The confined loader under its earlier name (callers written before the confinement keep working). */
export const loadModelFromDir = loadLayersModelFromFolder;

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

function checkOptimizerMeta(
  value: unknown,
): Checked<{ className: string; specs: tf.io.WeightsManifestEntry[]; bytes: number }> {
  try {
    if (!isRecord(value) || typeof value.className !== 'string' || !Array.isArray(value.specs))
      throw new ModelJsonProblem('must hold a className and a specs list');
    let bytes = 0;
    value.specs.forEach((spec: unknown, i) => {
      bytes += weightSpecBytes(spec, `specs[${i}]`);
    });
    return {
      ok: true,
      value: { className: value.className, specs: value.specs as tf.io.WeightsManifestEntry[], bytes },
    };
  } catch (error) {
    if (error instanceof ModelJsonProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

/**
 * Restores the optimizer from a checkpoint folder; false when the checkpoint has none (or one of another
 * optimizer). A damaged one (a bad spec, the wrong number of bytes) is a RunFileError.
 */
export async function loadOptimizerState(optimizer: tf.Optimizer, dir: string): Promise<boolean> {
  const meta = await readJsonIfPresent(dir, 'optimizer.json', checkOptimizerMeta);
  if (!meta || meta.className !== optimizer.getClassName()) return false;
  const bytes = await readFileInside(dir, 'optimizer.bin', READ_LIMITS.weights);
  if (bytes.length !== meta.bytes)
    throw new RunFileError(
      path.join(dir, 'optimizer.bin'),
      'invalid',
      `holds ${bytes.length} bytes where optimizer.json describes ${meta.bytes} — the checkpoint is damaged`,
    );
  const named = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    meta.specs,
  );
  const list = meta.specs.map((spec) => ({ name: spec.name, tensor: named[spec.name] }));
  await optimizer.setWeights(list);
  // setWeights copies into variables of its own (reference-counted), so the decoded tensors can go.
  for (const tensor of Object.values(named)) tensor.dispose();
  return true;
}
