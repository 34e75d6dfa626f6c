// Writes the procedural sample data set as PNG class folders.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { generateSampleDataset, SAMPLE_CLASSES, type SampleOptions } from '../core/sampleDataset';

export async function writeSampleDataset(dir: string, options: SampleOptions): Promise<{ images: number; classes: string[] }> {
  for (const label of SAMPLE_CLASSES) await fs.mkdir(path.join(dir, label), { recursive: true });
  let images = 0;
  let pending: Promise<unknown>[] = [];
  const flush = async () => {
    await Promise.all(pending);
    pending = [];
  };
  for (const image of generateSampleDataset(options)) {
    pending.push(
      sharp(Buffer.from(image.pixels), { raw: { width: options.size, height: options.size, channels: 3 } })
        .png()
        .toFile(path.join(dir, image.path)),
    );
    images++;
    if (pending.length >= 32) await flush();
  }
  await flush();
  return { images, classes: [...SAMPLE_CLASSES] };
}
