// Reads a detection data set from disk (YOLO, COCO or Pascal VOC): lists the folder (links followed only
// inside it), reads each image's size from its header with EXIF orientation applied, reads the label
// files with size caps, and hands everything to the pure readers and the annotation doctor in
// src/core/detection/. Everything read is untrusted: a bad file becomes a finding or a skipped entry.
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type {
  DetectionFormat,
  DetectionScanReport,
  DetectionSet,
  SkippedDetectionFile,
} from '../../protocol/detection';
import { describeImageProblem, isImageCandidate } from '../../core/dataset';
import { inspectImage } from '../../core/imageHeader';
import { buildDetectionScanReport, type AssembledSet } from '../../core/detection/assemble';
import { buildCocoSet } from '../../core/detection/coco';
import {
  detectFormatFromListing,
  isCocoAnnotationFile,
  isVocAnnotationFile,
  segments,
  YOLO_YAML_NAMES,
  type ListedImage,
  type TextFile,
} from '../../core/detection/listing';
import { buildVocSet } from '../../core/detection/voc';
import { buildYoloSet, yoloSplitListPaths } from '../../core/detection/yolo';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PIXELS } from '../imageDecode';
import { DatasetInputError, walkDataset } from '../scan';

export interface DetectionReadOptions {
  /** Largest annotations JSON read (default 128 MiB): JSON.parse holds it all in memory. */
  maxJsonBytes?: number;
  /** Largest label, XML, YAML or split-list file read (default 4 MiB). */
  maxTextBytes?: number;
  /** Decompression-bomb guard on the header's dimensions (default 100 megapixels). */
  maxPixels?: number;
  maxImageBytes?: number;
  /** Images read at once (default: the number of cores, at least 2). */
  concurrency?: number;
}

const DEFAULT_MAX_JSON_BYTES = 128 * 1024 * 1024;
const DEFAULT_MAX_TEXT_BYTES = 4 * 1024 * 1024;

/** The detection format of a folder, or null when it is not a detection set (a classification set). */
export async function detectDetectionFormat(root: string): Promise<DetectionFormat | null> {
  const walked = await walkDataset(resolve(root));
  return detectFormatFromListing(walked.files.map((f) => f.path));
}

export async function readDetectionSet(
  root: string,
  options: DetectionReadOptions = {},
): Promise<DetectionSet> {
  const absRoot = resolve(root);
  const walked = await walkDataset(absRoot);
  const files = walked.files.map((f) => f.path);
  const format = detectFormatFromListing(files);
  if (format === null) {
    throw new DatasetInputError(
      `${absRoot}: not a detection data set — expected YOLO (images/ + labels/*.txt or data.yaml), COCO (instances_*.json) or Pascal VOC (Annotations/*.xml)`,
    );
  }
  const skipped: SkippedDetectionFile[] = walked.skipped.map((s) => ({ path: s.path, reason: s.reason }));
  const imagePaths = files.filter(isImageCandidate);
  const images = await readImageSizes(absRoot, imagePaths, options, skipped);
  const textLimit = options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const width = options.concurrency ?? Math.max(2, availableParallelism());
  const readTexts = (paths: string[], limit = textLimit): Promise<TextFile[]> =>
    mapPool(paths, width * 4, (p) => readTextFile(absRoot, p, limit));
  let assembled: AssembledSet;
  if (format === 'coco') {
    const jsonFiles = await readTexts(
      files.filter(isCocoAnnotationFile),
      options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES,
    );
    assembled = buildCocoSet({ images, imagePaths, files: jsonFiles });
  } else if (format === 'voc') {
    const xmlFiles = await readTexts(files.filter(isVocAnnotationFile));
    const imageSets = await readTexts(
      files.filter((f) => /(^|\/)ImageSets\/Main\/(train|val|test)\.txt$/.test(f)),
    );
    assembled = buildVocSet({ images, imagePaths, xmlFiles, imageSets });
  } else {
    const imageStems = new Set(imagePaths.map((p) => p.replace(/\.[^./]+$/, '')));
    const labelPaths = files.filter(
      (f) =>
        f.toLowerCase().endsWith('.txt') &&
        (segments(f).slice(0, -1).includes('labels') || imageStems.has(f.slice(0, -4))),
    );
    const yamlPath = files.find((f) => YOLO_YAML_NAMES.includes(f.toLowerCase()));
    const classesPath = files.find((f) => f === 'classes.txt');
    const [labels, yamlFiles, classesFiles] = await Promise.all([
      readTexts(labelPaths),
      readTexts(yamlPath ? [yamlPath] : []),
      readTexts(classesPath ? [classesPath] : []),
    ]);
    const yamlText = yamlFiles[0]?.text;
    const listed = new Set(files);
    const splitLists =
      yamlPath && yamlText
        ? await readTexts(yoloSplitListPaths(yamlText, yamlPath).filter((p) => listed.has(p)))
        : [];
    assembled = buildYoloSet({
      images,
      imagePaths,
      labels,
      ...(yamlFiles[0] ? { yaml: yamlFiles[0] } : {}),
      ...(classesFiles[0] ? { classesFile: classesFiles[0] } : {}),
      splitLists,
    });
  }
  return { root: absRoot, ...assembled, ...(skipped.length > 0 ? { skipped } : {}) };
}

export async function scanDetectionSet(
  root: string,
  options: DetectionReadOptions = {},
): Promise<DetectionScanReport> {
  return buildDetectionScanReport(await readDetectionSet(root, options));
}

/** A text file with a size cap; an oversized, unreadable or non-UTF-8 file comes back with the reason. */
async function readTextFile(absRoot: string, path: string, maxBytes: number): Promise<TextFile> {
  try {
    const handle = await open(join(absRoot, path), 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes)
        return { path, text: null, error: `${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit` };
      const buf = await handle.readFile();
      if (!isUtf8(buf)) return { path, text: null, error: 'not UTF-8 text' };
      return { path, text: buf.toString('utf8') };
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { path, text: null, error: codeOf(error) };
  }
}

/** `work` over every item, at most `width` at once (a set may hold 100,000 label files), in order. */
async function mapPool<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return results;
}

/** Each image's displayed size (EXIF orientation 5–8 swaps width and height); failures go to `skipped`. */
async function readImageSizes(
  absRoot: string,
  paths: readonly string[],
  options: DetectionReadOptions,
  skipped: SkippedDetectionFile[],
): Promise<ListedImage[]> {
  const maxBytes = options.maxImageBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const width = options.concurrency ?? Math.max(2, availableParallelism());
  const outcomes = await mapPool(paths, width, (p) => readImageSize(join(absRoot, p), maxBytes, maxPixels));
  const images: ListedImage[] = [];
  outcomes.forEach((outcome, i) => {
    if (typeof outcome === 'string') skipped.push({ path: paths[i], reason: outcome });
    else images.push({ path: paths[i], ...outcome });
  });
  return images;
}

async function readImageSize(
  absPath: string,
  maxBytes: number,
  maxPixels: number,
): Promise<{ width: number; height: number } | string> {
  let buf: Buffer;
  try {
    const handle = await open(absPath, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) return describeImageProblem({ kind: 'too-large', bytes: size, limit: maxBytes });
      buf = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    return describeImageProblem({ kind: 'unreadable', detail: codeOf(error) });
  }
  const check = inspectImage(buf, maxPixels);
  if (!check.ok) return describeImageProblem(check.problem);
  const { width, height, format } = check.header;
  if (format === 'bmp') return { width, height };
  let orientation = 1;
  try {
    orientation = (await sharp(buf).metadata()).orientation ?? 1;
  } catch {
    // A header that inspectImage accepts but sharp cannot read: training reports it when it decodes.
  }
  return orientation >= 5 && orientation <= 8 ? { width: height, height: width } : { width, height };
}

function formatBytes(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

function codeOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
