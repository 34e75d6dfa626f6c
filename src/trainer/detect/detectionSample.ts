// Writes the procedural detection sample (src/core/detection/sample.ts) as PNG images plus labels in
// one of the three formats. Every format puts the images at images/<split>/img_NNNN.png, so the same
// seed gives the same files, pixels and boxes whichever format is asked for; only the labels differ:
//   yolo: data.yaml, labels/<split>/img_NNNN.txt
//   coco: annotations/instances_<split>.json
//   voc:  Annotations/img_NNNN.xml, ImageSets/Main/<split>.txt
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { DetectionFormat, DetectionSplitName } from '../../protocol/detection';
import { formatCocoJson, type CocoWriteImage } from '../../core/detection/coco';
import { formatDataYaml } from '../../core/detection/dataYaml';
import {
  DEFAULT_DETECTION_SAMPLE,
  DETECTION_SAMPLE_CLASSES,
  generateDetectionSample,
} from '../../core/detection/sample';
import { formatVocXml } from '../../core/detection/voc';
import { formatYoloLine } from '../../core/detection/yolo';
import { UsageError } from '../errors';

export interface DetectionSampleWriteOptions {
  format: DetectionFormat;
  images?: number;
  size?: number;
  seed?: number;
}

export interface DetectionSampleSummary {
  root: string;
  format: DetectionFormat;
  images: number;
  boxes: number;
  classes: string[];
  splits: Partial<Record<DetectionSplitName, number>>;
}

export async function writeDetectionSample(
  dir: string,
  options: DetectionSampleWriteOptions,
): Promise<DetectionSampleSummary> {
  const root = path.resolve(dir);
  const images = options.images ?? DEFAULT_DETECTION_SAMPLE.images;
  const size = options.size ?? DEFAULT_DETECTION_SAMPLE.size;
  const seed = options.seed ?? DEFAULT_DETECTION_SAMPLE.seed;
  if (!Number.isInteger(images) || images < 1)
    throw new UsageError(`images must be a whole number ≥ 1, got ${images}`);
  if (!Number.isInteger(size) || size < 16 || size > 4096)
    throw new UsageError(`size must be from 16 to 4096 pixels, got ${size}`);
  // Never mixes with (or overwrites) what a folder holds already: a second format would confuse the reader.
  const info = await fs.lstat(root).catch(() => null);
  if (info && !info.isDirectory())
    throw new UsageError(`${root} exists and is not a folder; choose a new folder`);
  const existing = info ? await fs.readdir(root) : [];
  if (existing.length > 0) throw new UsageError(`${root} is not empty; write the sample into a new folder`);
  const classes = [...DETECTION_SAMPLE_CLASSES];
  const splits: Partial<Record<DetectionSplitName, number>> = {};
  const coco = new Map<DetectionSplitName, CocoWriteImage[]>();
  const vocLists = new Map<DetectionSplitName, string[]>();
  let boxes = 0;
  let pending: Promise<unknown>[] = [];
  const made = new Set<string>();
  const write = async (rel: string, data: string | Buffer | (() => Promise<Buffer>)): Promise<void> => {
    const full = path.join(root, rel);
    const folder = path.dirname(full);
    if (!made.has(folder)) {
      await fs.mkdir(folder, { recursive: true });
      made.add(folder);
    }
    await fs.writeFile(full, typeof data === 'function' ? await data() : data, { flag: 'wx' });
  };
  for (const scene of generateDetectionSample({ images, size, seed })) {
    splits[scene.split] = (splits[scene.split] ?? 0) + 1;
    boxes += scene.boxes.length;
    const fileName = `${scene.name}.png`;
    const pixels = Buffer.from(scene.pixels);
    pending.push(
      write(`images/${scene.split}/${fileName}`, () =>
        sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
          .png()
          .toBuffer(),
      ),
    );
    if (options.format === 'yolo') {
      const text = scene.boxes.map((b) => formatYoloLine(b.classIndex, b.box, size, size)).join('\n');
      pending.push(write(`labels/${scene.split}/${scene.name}.txt`, text === '' ? '' : text + '\n'));
    } else if (options.format === 'coco') {
      if (!coco.has(scene.split)) coco.set(scene.split, []);
      coco.get(scene.split)?.push({ fileName, width: size, height: size, boxes: scene.boxes });
    } else {
      if (!vocLists.has(scene.split)) vocLists.set(scene.split, []);
      vocLists.get(scene.split)?.push(scene.name);
      const xml = formatVocXml(
        { folder: `images/${scene.split}`, filename: fileName, width: size, height: size },
        scene.boxes.map((b) => ({ className: classes[b.classIndex], box: b.box })),
      );
      pending.push(write(`Annotations/${scene.name}.xml`, xml));
    }
    if (pending.length >= 32) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  if (options.format === 'yolo') {
    await write(
      'data.yaml',
      formatDataYaml(classes, {
        ...(splits.train ? { train: 'images/train' } : {}),
        ...(splits.val ? { val: 'images/val' } : {}),
      }),
    );
  } else if (options.format === 'coco') {
    for (const [split, list] of coco)
      await write(`annotations/instances_${split}.json`, formatCocoJson(classes, list));
  } else {
    for (const [split, ids] of vocLists) await write(`ImageSets/Main/${split}.txt`, ids.join('\n') + '\n');
  }
  return { root, format: options.format, images, boxes, classes, splits };
}
