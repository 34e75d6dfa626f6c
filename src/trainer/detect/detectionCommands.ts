// `evaluate RUN DIR` and `predict RUN IMAGE...` for a detection run: the model and decode parameters that
// model/metadata.json records, images letterboxed as in training, boxes in pixels of the original image.
import type {
  DetectionEvaluation,
  DetectionImage,
  DetectionPrediction,
  DetectionSplitName,
} from '../../protocol/detection';
import { UsageError } from '../errors';
import { decodeImageLetterboxed, ImageDecodeError } from '../imageDecode';
import { loadDetectionSamples, sampleOf, type DetectionSample } from './detectData';
import { detectSamples, type Detection } from './detector';
import type { DetectionRunModel } from './detectionModel';
import { readDetectionSet } from './detectionSet';
import { evaluationOf } from './trainDetection';

const SPLITS: readonly DetectionSplitName[] = ['train', 'val', 'test'];
const PREDICT_BATCH = 16;

/** The images `evaluate` scores: `--split NAME`, else the set's test split, else val, else every image. */
export function chooseEvaluationImages(
  images: readonly DetectionImage[],
  split: string | undefined,
  root: string,
): { images: DetectionImage[]; source: string } {
  if (split !== undefined) {
    if (!(SPLITS as readonly string[]).includes(split))
      throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got "${split}"`);
    const chosen = images.filter((image) => image.split === split);
    if (chosen.length === 0) throw new UsageError(`${root}: has no "${split}" images — pick another --split`);
    return { images: chosen, source: split };
  }
  for (const name of ['test', 'val'] as const) {
    const chosen = images.filter((image) => image.split === name);
    if (chosen.length > 0) return { images: chosen, source: name };
  }
  return { images: [...images], source: root };
}

export async function evaluateDetectionFolder(
  runModel: DetectionRunModel,
  dataDir: string,
  split: string | undefined,
  onWarning: (message: string) => void,
): Promise<DetectionEvaluation> {
  let set;
  try {
    set = await readDetectionSet(dataDir);
  } catch (err) {
    throw new UsageError(`${dataDir}: ${(err as Error).message.split('\n')[0]}`);
  }
  const labels = runModel.metadata.labels;
  // The set's classes by name onto the model's: boxes of classes the model does not know are left out.
  const toModel = set.classNames.map((name) => labels.indexOf(name));
  const unknown = set.classNames.filter((_, i) => toModel[i] < 0);
  if (unknown.length > 0)
    onWarning(
      `${unknown.length} class(es) the model was not trained on are left out: ${unknown.slice(0, 5).join(', ')}`,
    );
  const chosen = chooseEvaluationImages(set.images, split, set.root);
  const images = chosen.images.map((image) => ({
    ...image,
    boxes: image.boxes
      .filter((b) => toModel[b.classIndex] >= 0)
      .map((b) => ({ ...b, classIndex: toModel[b.classIndex] })),
  }));
  const { spec } = runModel;
  const { samples, skipped } = await loadDetectionSamples(set.root, images, spec.inputSize, spec.channels);
  for (const s of skipped) onWarning(`skipped ${s.path}: ${s.reason}`);
  if (samples.length === 0)
    throw new UsageError(`${set.root}: none of the ${images.length} image(s) could be read`);
  const result = detectSamples(runModel.model, samples, spec, PREDICT_BATCH);
  return evaluationOf(labels, samples, result.detections, set.root, chosen.source);
}

/**
 * Boxes at or above `confidence` for each file, in pixels of the original (upright) image; a file that
 * cannot be decoded is reported through onError and left out.
 */
export async function predictDetectionFiles(
  runModel: DetectionRunModel,
  files: readonly string[],
  confidence: number,
  onError: (file: string, message: string) => void,
): Promise<DetectionPrediction[]> {
  const { metadata } = runModel;
  // A threshold under the recorded floor lowers the floor: the user asked to see those boxes.
  const floor = Math.min(runModel.spec.decode.confidenceFloor, confidence);
  const spec = { ...runModel.spec, decode: { ...runModel.spec.decode, confidenceFloor: floor } };
  const out: DetectionPrediction[] = [];
  for (let start = 0; start < files.length; start += PREDICT_BATCH) {
    const samples: DetectionSample[] = [];
    const paths: string[] = [];
    for (const file of files.slice(start, start + PREDICT_BATCH)) {
      try {
        const decoded = await decodeImageLetterboxed(file, spec.inputSize, spec.channels);
        samples.push(sampleOf(file, decoded.width, decoded.height, decoded.pixels, [], spec.inputSize));
        paths.push(file);
      } catch (err) {
        if (!(err instanceof ImageDecodeError)) throw err;
        onError(file, err.message.startsWith(file) ? err.message.slice(file.length + 2) : err.message);
      }
    }
    if (samples.length === 0) continue;
    const { detections } = detectSamples(runModel.model, samples, spec, PREDICT_BATCH);
    detections.forEach((found: Detection[], k) =>
      out.push({
        path: paths[k],
        boxes: found
          .filter((d) => d.confidence >= confidence)
          .map((d) => ({ label: metadata.labels[d.classIndex], confidence: d.confidence, box: d.box })),
      }),
    );
  }
  return out;
}

/** `--confidence X`: a number from 0 to 1. */
export function parseConfidence(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`--confidence must be a number from 0 to 1, got "${value}"`);
  return n;
}
