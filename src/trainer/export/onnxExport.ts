// `image-trainer export RUN_DIR --format onnx [--opset N] [--out DIR]`: the run's layers model as ONNX
// (onnxGraph.ts), its metadata (metadata.json and the .onnx's metadata_props), predict.mjs and predict.py,
// MODEL_CARD.md with the confusion matrix picture; then parity: model.onnx and metadata.json are read back
// from disk, run with ONNX Runtime on every validation image of split.json, and compared with the run's
// TF.js model (same top-1 on all, max probability difference ≤ PARITY_TOLERANCE), as the tfjs-layers export is.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelMetadata, RunRecord } from '../../protocol/runRecord';
import { RUN_FILES } from '../../protocol/runRecord';
import { checkSplitRecord } from '../../protocol/runSchema';
import { findCatalogueEntry } from '../../core/baseCatalogue';
import { confusionMatrixSvg } from '../../core/confusionSvg';
import { modelCardMarkdown } from '../../core/modelCard';
import { decodeOnnxSummary, encodeOnnxModel, OnnxDecodeError } from '../../core/onnxProto';
import {
  makeDirectoryInside,
  READ_LIMITS,
  readFileInside,
  readJsonInside,
  realRoot,
  resolveInside,
  RunFileError,
} from '../../core/runFiles';
import { RunLockedError, withRunLock } from '../../core/runLock';
import { readEvaluation } from '../../core/runStore';
import { ConfigError } from '../../core/config';
import { UsageError } from '../errors';
import { decodeImage } from '../imageDecode';
import { PARITY_TOLERANCE, type ParityReport } from '../experiments/exportModel';
import { writeFileAtomic } from '../runWriter';
import { loadRunModel, preprocess, readModelMetadata, resizeModeOf, type RunModel } from '../runModel';
import { exportableRun, prepareOutDir } from './exportChecks';
import { convertLayersModel, DEFAULT_OPSET, OnnxMappingError, type OnnxConversion } from './onnxGraph';
import { loadOnnxRuntime, OnnxClassifier, type OnnxRuntimeModule } from './onnxRuntime';
import { onnxNodeSnippet, onnxPythonSnippet, snippetPreprocessing } from './onnxSnippets';

export const ONNX_FILE = 'model.onnx';
export const MODEL_CARD_FILE = 'MODEL_CARD.md';
export const CONFUSION_PICTURE_FILE = 'confusion-matrix.svg';
/** metadata_props keys (JSON values): the preprocessing snippets apply, and the labels in output order. */
export const ONNX_METADATA_KEYS = {
  preprocessing: 'image_trainer.preprocessing',
  labels: 'image_trainer.labels',
  run: 'image_trainer.run',
  model: 'image_trainer.model',
} as const;

const PRODUCER_VERSION = '0.1.0';
const PARITY_BATCH = 32;

/** The tfjs-layers parity report, plus where the largest probability difference is. */
export interface OnnxParityReport extends ParityReport {
  runtime: string;
  largestDifference: { path: string; label: string; difference: number } | null;
  /** Why parity could not even be measured (the file does not load, metadata disagrees), if so. */
  problem?: string;
}

export interface OnnxExportResult {
  format: 'onnx';
  dir: string;
  files: string[];
  opset: number;
  operators: string[];
  parity: OnnxParityReport;
}

/** The .onnx bytes of a run's model, with the metadata every runtime needs in metadata_props. */
export function onnxModelBytes(
  source: RunModel,
  record: Pick<RunRecord, 'id' | 'config'>,
  opset = DEFAULT_OPSET,
): {
  bytes: Uint8Array;
  conversion: OnnxConversion;
} {
  const resize = resizeModeOf(source.metadata);
  const conversion = convertLayersModel(source.model, {
    opset,
    producerVersion: PRODUCER_VERSION,
    docString: `Image classifier trained by image-trainer (run ${record.id}, preset ${record.config.model}). Input: NHWC float32, preprocessing in metadata_props.`,
    metadata: {
      [ONNX_METADATA_KEYS.preprocessing]: JSON.stringify(snippetPreprocessing(source.metadata, resize)),
      [ONNX_METADATA_KEYS.labels]: JSON.stringify(source.metadata.labels),
      [ONNX_METADATA_KEYS.run]: record.id,
      [ONNX_METADATA_KEYS.model]: record.config.model,
    },
  });
  return { bytes: encodeOnnxModel(conversion.model), conversion };
}

function usageFrom(err: unknown): unknown {
  if (
    err instanceof RunFileError ||
    err instanceof RunLockedError ||
    err instanceof ConfigError ||
    err instanceof OnnxMappingError
  )
    return new UsageError(err.message);
  return err;
}

export async function exportOnnx(
  runDirArg: string,
  options: { outDir?: string; opset?: number; runtimeModule?: string } = {},
): Promise<OnnxExportResult> {
  const runDir = path.resolve(runDirArg);
  const record = await exportableRun(runDir);
  if (options.outDir) await prepareOutDir(options.outDir);
  const runtime = loadOnnxRuntime(options.runtimeModule);
  if (!runtime.ok)
    throw new Error(
      `${runtime.reason}: the export's parity cannot be proved — reinstall image-trainer's dependencies (npm ci)`,
    );
  const source = await loadRunModel(runDir);
  try {
    const { bytes, conversion } = onnxModelBytes(source, record, options.opset);
    const write = (dir: string): Promise<OnnxExportResult> =>
      writeOnnxExport(runDir, record, source, dir, bytes, conversion, runtime.ort);
    if (options.outDir) return await write(path.resolve(options.outDir));
    // The default folder is inside the run: made without following links, and written under the run's lock.
    return await withRunLock(runDir, { purpose: 'export' }, async () =>
      write(await makeDirectoryInside(runDir, path.join('export', 'onnx'))),
    );
  } catch (err) {
    throw usageFrom(err);
  } finally {
    source.model.dispose();
  }
}

async function writeOnnxExport(
  runDir: string,
  record: RunRecord,
  source: RunModel,
  dir: string,
  bytes: Uint8Array,
  conversion: OnnxConversion,
  ort: OnnxRuntimeModule,
): Promise<OnnxExportResult> {
  const resize = resizeModeOf(source.metadata);
  // Every file by rename (writeFileAtomic): a link planted under these names is replaced, never written through.
  await writeFileAtomic(path.join(dir, ONNX_FILE), bytes);
  await writeFileAtomic(path.join(dir, RUN_FILES.modelMetadata), JSON.stringify(source.metadata, null, 2));
  await writeFileAtomic(path.join(dir, 'predict.mjs'), onnxNodeSnippet(source.metadata, resize));
  await writeFileAtomic(path.join(dir, 'predict.py'), onnxPythonSnippet(source.metadata, resize));
  const parity = await checkOnnxParity(runDir, record, source, dir, ort);
  const evaluation = await readEvaluation(runDir);
  const picture = evaluation && evaluation.labels.length > 0 ? CONFUSION_PICTURE_FILE : null;
  if (evaluation && picture)
    await writeFileAtomic(
      path.join(dir, picture),
      confusionMatrixSvg(evaluation.labels, evaluation.confusion),
    );
  const card = modelCardMarkdown({
    record,
    metadata: source.metadata,
    evaluation,
    parity,
    format: 'ONNX',
    modelFile: ONNX_FILE,
    confusionPicture: picture,
    opset: conversion.model.opsetVersion,
    operators: conversion.operators,
    baseLicence: record.base ? (findCatalogueEntry(record.base.name)?.licence ?? null) : null,
    now: new Date(),
  });
  await writeFileAtomic(path.join(dir, MODEL_CARD_FILE), card);
  return {
    format: 'onnx',
    dir,
    files: (await fs.readdir(dir)).filter((f) => !f.startsWith('.')).sort(),
    opset: conversion.model.opsetVersion,
    operators: conversion.operators,
    parity,
  };
}

/** Does the .onnx's metadata_props say what metadata.json says? (Each one is read by some consumer.) */
function metadataProblem(bytes: Uint8Array, metadata: ModelMetadata): string | null {
  let summary;
  try {
    summary = decodeOnnxSummary(bytes);
  } catch (err) {
    if (err instanceof OnnxDecodeError) return `${ONNX_FILE} is not an ONNX model (${err.message})`;
    throw err;
  }
  const expected = JSON.stringify(snippetPreprocessing(metadata, resizeModeOf(metadata)));
  if (summary.metadata[ONNX_METADATA_KEYS.preprocessing] !== expected)
    return `${ONNX_FILE}'s metadata_props preprocessing differs from metadata.json`;
  if (summary.metadata[ONNX_METADATA_KEYS.labels] !== JSON.stringify(metadata.labels))
    return `${ONNX_FILE}'s metadata_props labels differ from metadata.json`;
  return null;
}

/**
 * Reloads `exportDir`'s model.onnx and metadata.json (confined reads) and compares the exported model,
 * run by ONNX Runtime with the export's own preprocessing, with the run's model on the validation images.
 */
export async function checkOnnxParity(
  runDir: string,
  record: RunRecord,
  reference: RunModel,
  exportDir: string,
  ort: OnnxRuntimeModule,
): Promise<OnnxParityReport> {
  const report: OnnxParityReport = {
    images: 0,
    sameTop1: 0,
    maxProbabilityDifference: 0,
    passed: false,
    mismatches: [],
    runtime: `onnxruntime-node ${ort.env.versions?.node ?? ''}`.trim(),
    largestDifference: null,
  };
  const bytes = await readFileInside(exportDir, ONNX_FILE, READ_LIMITS.weights);
  const metadata = await readModelMetadata(exportDir);
  const problem = metadataProblem(bytes, metadata);
  if (problem) return { ...report, problem };
  const { imageSize, channels } = metadata.preprocessing;
  let classifier: OnnxClassifier;
  try {
    classifier = await OnnxClassifier.create(ort, bytes, [imageSize, imageSize, channels]);
  } catch (err) {
    return {
      ...report,
      problem: `ONNX Runtime cannot load ${ONNX_FILE}: ${(err as Error).message.split('\n')[0].slice(0, 200)}`,
    };
  }
  try {
    const split = await readJsonInside(runDir, RUN_FILES.split, (value) =>
      checkSplitRecord(value, record.dataset.classNames),
    );
    const entries = split.validation.length > 0 ? split.validation : split.train;
    // run.json's data set root is a claim: only images really inside it are read.
    const dataRoot = await realRoot(record.dataset.root).catch(() => null);
    if (dataRoot === null)
      throw new UsageError(
        `${record.dataset.root}: the run's data set folder is gone — the parity check needs its validation images`,
      );
    for (let start = 0; start < entries.length; start += PARITY_BATCH) {
      const batch: { path: string; expected: Float32Array; actual: Float32Array | null }[] = [];
      const onnxInput: Float32Array[] = [];
      for (const entry of entries.slice(start, start + PARITY_BATCH)) {
        try {
          const file = await resolveInside(dataRoot, entry.path);
          const expected = await tfjsProbabilities(reference, file);
          onnxInput.push(await modelInput(metadata, file));
          batch.push({ path: entry.path, expected, actual: null });
        } catch {
          continue; // a file removed since training: parity is about the model, not the data
        }
      }
      if (batch.length === 0) continue;
      const per = imageSize * imageSize * channels;
      const joined = new Float32Array(batch.length * per);
      onnxInput.forEach((x, i) => joined.set(x, i * per));
      let probabilities: Float32Array;
      try {
        probabilities = await classifier.predict(joined, batch.length);
      } catch (err) {
        return {
          ...report,
          problem: `ONNX Runtime cannot run ${ONNX_FILE}: ${(err as Error).message.split('\n')[0].slice(0, 200)}`,
        };
      }
      const classes = metadata.labels.length;
      batch.forEach((b, i) => {
        b.actual = probabilities.subarray(i * classes, (i + 1) * classes);
      });
      for (const b of batch)
        compareOne(report, b.path, b.expected, b.actual ?? new Float32Array(0), reference.metadata, metadata);
    }
  } finally {
    await classifier.dispose();
  }
  if (report.images === 0)
    throw new UsageError(
      `${path.join(runDir, RUN_FILES.split)}: none of its images can be read for the parity check`,
    );
  report.passed = report.sameTop1 === report.images && report.maxProbabilityDifference <= PARITY_TOLERANCE;
  return report;
}

function compareOne(
  report: OnnxParityReport,
  file: string,
  expected: Float32Array,
  actual: Float32Array,
  referenceMetadata: ModelMetadata,
  exportedMetadata: ModelMetadata,
): void {
  report.images++;
  const top = (p: Float32Array): number => (p.length ? p.indexOf(Math.max(...p)) : -1);
  const [e, a] = [top(expected), top(actual)];
  const expectedLabel = referenceMetadata.labels[e];
  const exportedLabel = exportedMetadata.labels[a] ?? '(none)';
  if (expectedLabel === exportedLabel) report.sameTop1++;
  else if (report.mismatches.length < 5)
    report.mismatches.push({ path: file, expected: expectedLabel, exported: exportedLabel });
  for (let c = 0; c < expected.length; c++) {
    const difference = Math.abs(expected[c] - (actual[c] ?? 0));
    if (Number.isNaN(difference) || difference > report.maxProbabilityDifference) {
      report.maxProbabilityDifference = Number.isNaN(difference) ? Infinity : difference;
      report.largestDifference = {
        path: file,
        label: referenceMetadata.labels[c],
        difference: report.maxProbabilityDifference,
      };
    }
  }
}

async function modelInput(metadata: ModelMetadata, file: string): Promise<Float32Array> {
  const { imageSize, channels } = metadata.preprocessing;
  return preprocess(
    await decodeImage(file, imageSize, channels, { resize: resizeModeOf(metadata) }),
    metadata,
  );
}

async function tfjsProbabilities(runModel: RunModel, file: string): Promise<Float32Array> {
  const { imageSize, channels } = runModel.metadata.preprocessing;
  const pixels = await modelInput(runModel.metadata, file);
  const output = tf.tidy(
    () => runModel.model.predict(tf.tensor4d(pixels, [1, imageSize, imageSize, channels])) as tf.Tensor,
  );
  const data = (await output.data()) as Float32Array;
  output.dispose();
  return data;
}

/** One line per fact, for the CLI. */
export function onnxExportSummary(result: OnnxExportResult): string[] {
  const p = result.parity;
  const lines = [
    `Exported onnx (opset ${result.opset}) to ${result.dir} (${result.files.join(', ')})`,
    p.problem
      ? `Parity not measured: ${p.problem} — FAILED`
      : `Parity on ${p.images} validation images with ${p.runtime}: same top-1 on ${p.sameTop1}, max probability difference ${p.maxProbabilityDifference.toExponential(2)} — ${p.passed ? 'passed' : 'FAILED'}`,
    ...p.mismatches.map((m) => `  ${m.path}: trained model says ${m.expected}, export says ${m.exported}`),
  ];
  if (!p.passed && p.largestDifference && p.maxProbabilityDifference > PARITY_TOLERANCE)
    lines.push(
      `  largest difference ${p.largestDifference.difference.toExponential(2)} on ${p.largestDifference.path} (class ${p.largestDifference.label}), tolerance ${PARITY_TOLERANCE}`,
    );
  return lines;
}
