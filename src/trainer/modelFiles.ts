// The confined reader of TF.js model folders: model.json checked as untrusted input, every weight path
// relative and inside the folder (links included), every weight file regular, and the files together
// exactly the bytes the weight specs describe. modelIO builds layers models from it, the bases loader
// graph models; nothing here builds a model, so both can use it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isRecord } from '../protocol/guards';
import { relativeSegments, type Checked } from '../protocol/runSchema';
import { DTYPE_BYTES } from '../core/modelJson';
import { READ_LIMITS, readFileInside, readJsonInside, resolveInside, RunFileError } from '../core/runFiles';

const MODEL_JSON = 'model.json';

interface CheckedModelJson {
  json: tf.io.ModelJSON;
  /** Weight file paths relative to the folder, in manifest order. */
  paths: string[];
  /** Bytes the weight specs describe, all groups together. */
  expectedBytes: number;
}

export class ModelJsonProblem extends Error {}

export function weightSpecBytes(spec: unknown, field: string): number {
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
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
    throw new ModelJsonProblem(`${field} (${spec.name}) has the unsupported dtype ${JSON.stringify(dtype)}`);
  return elements * DTYPE_BYTES[dtype];
}

/** model.json's shape as far as loading relies on it: a topology, and weight paths that stay in the folder. */
export function checkModelJson(value: unknown): Checked<CheckedModelJson> {
  try {
    if (!isRecord(value) || !isRecord(value.modelTopology))
      throw new ModelJsonProblem('not a TF.js model (no modelTopology object)');
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
 * model.json and its weights from a folder, confined as loadLayersModelFromFolder describes; the artifacts
 * TF.js builds a layers or a graph model from.
 */
export async function readModelArtifactsFromFolder(dir: string): Promise<tf.io.ModelArtifacts> {
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
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    weightData,
  ]);
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
