// `image-trainer export RUN_DIR --format tfjs-layers|tfjs-graph|savedmodel [--out DIR]`: writes the model
// with its metadata and a self-contained inference snippet, then reloads what it wrote and checks parity
// with the run's model on the validation images of split.json (same top-1, max probability difference).
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunRecord } from '../../protocol/runRecord';
import { checkSplitRecord } from '../../protocol/runSchema';
import {
  makeDirectoryInside,
  readJsonInside,
  realRoot,
  resolveInside,
  RunFileError,
} from '../../core/runFiles';
import { RunLockedError, withRunLock } from '../../core/runLock';
import { RUN_FILES } from '../../protocol/runRecord';
import { readRunRecordChecked } from '../../core/runStore';
import { decodeImage } from '../imageDecode';
import { UsageError } from '../errors';
import { loadModelFromDir, saveModelFiles } from '../modelIO';
import { writeFileAtomic } from '../runWriter';
import { findKnnLayer } from '../presets/knnLayer';
import { loadRunModel, preprocess, readModelMetadata, resizeModeOf, type RunModel } from '../runModel';
import { snippetText } from './snippet';

export const EXPORT_FORMATS = ['tfjs-layers', 'tfjs-graph', 'savedmodel'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Probabilities may differ by float rounding only. */
export const PARITY_TOLERANCE = 1e-4;

export interface ParityReport {
  images: number;
  sameTop1: number;
  maxProbabilityDifference: number;
  passed: boolean;
  /** Up to five images whose top-1 differs. */
  mismatches: { path: string; expected: string; exported: string }[];
}

export interface ExportResult {
  format: ExportFormat;
  dir: string;
  files: string[];
  parity: ParityReport;
}

function isInstalled(name: string): boolean {
  try {
    createRequire(__filename).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Formats TF.js cannot write by itself: say what would, and stop (exit 2), rather than fake a file. */
function unsupportedFormat(format: ExportFormat): string | null {
  const converter =
    'TensorFlow.js cannot write it without the Python converter: pip install tensorflowjs, then tensorflowjs_converter --input_format=tfjs_layers_model';
  if (format === 'tfjs-graph')
    return `--format tfjs-graph: ${converter} --output_format=tfjs_graph_model RUN_DIR/model OUT_DIR`;
  if (format === 'savedmodel') {
    if (!isInstalled('@tensorflow/tfjs-node')) {
      return '--format savedmodel needs @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node), which is not installed';
    }
    return `--format savedmodel: @tensorflow/tfjs-node reads SavedModels but does not write them; ${converter} --output_format=keras_saved_model RUN_DIR/model OUT_DIR`;
  }
  return null;
}

export async function exportRun(
  runDir: string,
  format: ExportFormat,
  outDir?: string,
): Promise<ExportResult> {
  const unsupported = unsupportedFormat(format);
  if (unsupported) throw new UsageError(unsupported);
  const run = path.resolve(runDir);
  const read = await readRunRecordChecked(run);
  if (!read.ok)
    throw new UsageError(
      read.missing
        ? `${path.join(run, RUN_FILES.run)}: not a run directory (no readable run.json)`
        : read.reason,
    );
  const record = read.record;
  const source = await loadRunModel(run);
  try {
    // The default folder is inside the run: made without following links, and written under the run's lock.
    if (outDir) return await writeExport(run, record, source, format, path.resolve(outDir));
    return await withRunLock(run, { purpose: 'export' }, async () =>
      writeExport(run, record, source, format, await makeDirectoryInside(run, path.join('export', format))),
    );
  } catch (err) {
    if (err instanceof RunFileError || err instanceof RunLockedError) throw new UsageError(err.message);
    throw err;
  } finally {
    source.model.dispose();
  }
}

async function writeExport(
  run: string,
  record: RunRecord,
  source: RunModel,
  format: ExportFormat,
  dir: string,
): Promise<ExportResult> {
  await fs.mkdir(dir, { recursive: true });
  // Every file by rename (writeFileAtomic): a link planted under the export folder's names is replaced, never written through.
  await saveModelFiles(source.model, dir);
  await writeFileAtomic(path.join(dir, RUN_FILES.modelMetadata), JSON.stringify(source.metadata, null, 2));
  await writeFileAtomic(
    path.join(dir, 'predict.mjs'),
    snippetText(source.metadata, findKnnLayer(source.model) !== null, resizeModeOf(source.metadata)),
  );
  const parity = await checkParity(run, record, source, dir);
  return { format, dir, files: (await fs.readdir(dir)).sort(), parity };
}

/** Reloads the export from `exportDir` (model + its metadata.json) and compares it with the run's model. */
export async function checkParity(
  runDir: string,
  record: RunRecord,
  reference: RunModel,
  exportDir: string,
): Promise<ParityReport> {
  const exported: RunModel = {
    model: await loadModelFromDir(exportDir),
    metadata: await readModelMetadata(exportDir),
  };
  try {
    const split = await readJsonInside(runDir, RUN_FILES.split, (value) =>
      checkSplitRecord(value, record.dataset.classNames),
    );
    const entries = split.validation.length > 0 ? split.validation : split.train;
    // run.json's data set root is a claim: only images really inside it are read.
    const dataRoot = await realRoot(record.dataset.root).catch(() => null);
    const report: ParityReport = {
      images: 0,
      sameTop1: 0,
      maxProbabilityDifference: 0,
      passed: false,
      mismatches: [],
    };
    for (const entry of entries) {
      if (dataRoot === null) break;
      let expected: Float32Array;
      let actual: Float32Array;
      try {
        const file = await resolveInside(dataRoot, entry.path);
        expected = await probabilities(reference, file);
        actual = await probabilities(exported, file);
      } catch {
        continue; // a file removed since training: parity is about the model, not the data
      }
      report.images++;
      const top = (p: Float32Array) => p.indexOf(Math.max(...p));
      const [e, a] = [top(expected), top(actual)];
      if (reference.metadata.labels[e] === exported.metadata.labels[a]) report.sameTop1++;
      else if (report.mismatches.length < 5)
        report.mismatches.push({
          path: entry.path,
          expected: reference.metadata.labels[e],
          exported: exported.metadata.labels[a],
        });
      for (let c = 0; c < expected.length; c++) {
        report.maxProbabilityDifference = Math.max(
          report.maxProbabilityDifference,
          Math.abs(expected[c] - (actual[c] ?? 0)),
        );
      }
    }
    if (report.images === 0)
      throw new UsageError(
        `${path.join(runDir, RUN_FILES.split)}: none of its images can be read for the parity check`,
      );
    report.passed = report.sameTop1 === report.images && report.maxProbabilityDifference <= PARITY_TOLERANCE;
    return report;
  } finally {
    exported.model.dispose();
  }
}

/** One image through a model with the preprocessing its metadata records. */
async function probabilities(runModel: RunModel, file: string): Promise<Float32Array> {
  const { imageSize, channels } = runModel.metadata.preprocessing;
  const pixels = preprocess(
    await decodeImage(file, imageSize, channels, { resize: resizeModeOf(runModel.metadata) }),
    runModel.metadata,
  );
  const output = tf.tidy(
    () => runModel.model.predict(tf.tensor4d(pixels, [1, imageSize, imageSize, channels])) as tf.Tensor,
  );
  const data = (await output.data()) as Float32Array;
  output.dispose();
  return data;
}
