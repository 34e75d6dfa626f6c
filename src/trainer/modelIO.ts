// Saves and loads TF.js layers models in the standard format (model.json + weights.bin) without
// tfjs-node's file:// handler, so the pure-JS/WASM path can write models that every TF.js loader reads.
// Directories are replaced atomically: written beside, then swapped in by rename.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isRecord } from '../protocol/guards';
import { relativeSegments, type Checked } from '../protocol/runSchema';
import {
  READ_LIMITS,
  readFileInside,
  readJsonIfPresent,
  readJsonInside,
  resolveInside,
  RunFileError,
  writablePath,
} from '../core/runFiles';
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
}

/** Bytes per element of a stored weight, by its dtype or, when quantized, by its quantization dtype. */
const STORED_BYTES: Record<string, number> = Object.assign(Object.create(null), {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
});

interface CheckedModelJson {
  json: tf.io.ModelJSON;
  /** Weight file paths relative to the folder, in manifest order. */
  paths: string[];
  /** Bytes the weight specs describe, all groups together. */
  expectedBytes: number;
}

class ModelJsonProblem extends Error {}

function weightSpecBytes(spec: unknown, field: string): number {
  if (!isRecord(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape))
    throw new ModelJsonProblem(`${field} must be a weight with a name, a shape and a dtype`);
  let elements = 1;
  for (const dim of spec.shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0)
      throw new ModelJsonProblem(
        `${field}.shape must list whole numbers, got ${JSON.stringify(spec.shape).slice(0, 80)}`,
      );
    elements *= dim;
    if (elements > READ_LIMITS.weights)
      throw new ModelJsonProblem(`${field} (${spec.name}) is larger than a model may be`);
  }
  const quantization = spec.quantization;
  const dtype = isRecord(quantization) ? quantization.dtype : spec.dtype;
  if (typeof dtype !== 'string' || !Object.hasOwn(STORED_BYTES, dtype))
    throw new ModelJsonProblem(`${field} (${spec.name}) has the unsupported dtype ${JSON.stringify(dtype)}`);
  return elements * STORED_BYTES[dtype];
}

/** model.json's shape as far as loading relies on it: a topology, and weight paths that stay in the folder. */
export function checkModelJson(value: unknown): Checked<CheckedModelJson> {
  try {
    if (!isRecord(value) || !isRecord(value.modelTopology))
      throw new ModelJsonProblem('not a TF.js layers model (no modelTopology object)');
    const manifest = value.weightsManifest ?? [];
    if (!Array.isArray(manifest)) throw new ModelJsonProblem('weightsManifest must be a list');
    const paths: string[] = [];
    let expectedBytes = 0;
    manifest.forEach((group: unknown, g) => {
      if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
        throw new ModelJsonProblem(`weightsManifest[${g}] must have paths and weights lists`);
      group.paths.forEach((p: unknown, i) => {
        const relative = typeof p === 'string' ? p.replace(/^\.\//, '') : '';
        const segments = relativeSegments(relative);
        if (typeof segments === 'string')
          throw new ModelJsonProblem(
            `weightsManifest[${g}].paths[${i}] ${JSON.stringify(p)} is refused: weight files must be inside the model folder (${segments})`,
          );
        paths.push(relative);
      });
      group.weights.forEach((spec: unknown, i) => {
        expectedBytes += weightSpecBytes(spec, `weightsManifest[${g}].weights[${i}]`);
      });
    });
    return { ok: true, value: { json: value as unknown as tf.io.ModelJSON, paths, expectedBytes } };
  } catch (error) {
    if (error instanceof ModelJsonProblem) return { ok: false, problem: error.message };
    throw error;
  }
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
  const { json, paths, expectedBytes } = await readJsonInside(dir, MODEL_JSON, checkModelJson);
  await checkWeightFiles(dir, paths, expectedBytes);
  const jsonPath = path.join(dir, MODEL_JSON);
  // Counted again as read: a file that changed since it was measured must not slip through.
  const buffers: Buffer[] = [];
  let total = 0;
  for (const relative of paths) {
    const bytes = await readFileInside(dir, relative, READ_LIMITS.weights);
    total += bytes.length;
    if (total > expectedBytes) break;
    buffers.push(bytes);
  }
  if (total !== expectedBytes)
    throw new RunFileError(jsonPath, 'invalid', 'its weight files changed while they were read — try again');
  const weightData = tf.io.concatenateArrayBuffers(
    buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
  );
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    weightData,
  ]);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new RunFileError(
      jsonPath,
      'invalid',
      `not a loadable TF.js layers model (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/** Every weight file inside the folder, regular, and together exactly the bytes the specs describe. */
async function checkWeightFiles(dir: string, paths: readonly string[], expectedBytes: number): Promise<void> {
  let total = 0;
  for (const relative of paths) {
    const real = await resolveInside(dir, relative);
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new RunFileError(path.join(dir, relative), 'notFile', 'not a regular file');
    total += stat.size;
  }
  if (total !== expectedBytes) {
    throw new RunFileError(
      path.join(dir, MODEL_JSON),
      'invalid',
      `its weight files hold ${total} bytes where its weights need ${expectedBytes} — the model is damaged`,
    );
  }
}

/**
 * Checks a model folder as loadLayersModelFromFolder would, without building the model: before a resume
 * writes anything, a damaged or escaping checkpoint is refused.
 */
export async function checkLayersModelFolder(dir: string): Promise<void> {
  const { paths, expectedBytes } = await readJsonInside(dir, MODEL_JSON, checkModelJson);
  await checkWeightFiles(dir, paths, expectedBytes);
}

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
