// Writes the procedural sample data set as PNG class folders.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import {
  generateSampleDataset,
  SAMPLE_CLASSES,
  VARIANT_CLASSES,
  type SampleOptions,
} from '../core/sampleDataset';

/** `variant` writes the second set of shapes (VARIANT_CLASSES) instead of the demo's. */
export async function writeSampleDataset(
  dir: string,
  options: SampleOptions,
  variant = false,
): Promise<{ images: number; classes: string[] }> {
  const classes = variant ? VARIANT_CLASSES : SAMPLE_CLASSES;
  for (const label of classes) await fs.mkdir(path.join(dir, label), { recursive: true });
  let images = 0;
  let pending: Promise<unknown>[] = [];
  const flush = async () => {
    await Promise.all(pending);
    pending = [];
  };
  for (const image of generateSampleDataset(options, classes)) {
    pending.push(
      sharp(Buffer.from(image.pixels), { raw: { width: options.size, height: options.size, channels: 3 } })
        .png()
        .toFile(path.join(dir, image.path)),
    );
    images++;
    if (pending.length >= 32) await flush();
  }
  await flush();
  return { images, classes: [...classes] };
}
