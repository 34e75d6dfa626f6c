// Scan speed at scale: N tiny PNGs in 10 class folders, 1 % of them corrupt (half truncated, half
// with garbled compressed data that only a decode notices). Times `scanDataset` with verify 'full'
// and 'header' and checks that every corrupt file is reported.
//
//   node --import tsx bench/scanScale.ts [--files 10000,100000] [--modes full,header] [--format png|jpeg|mixed]
//       [--keep DIR]
//
// png (default): written in plain JS (fast to generate); 1 % corrupt, half truncated, half with
// garbled compressed data that only a decode notices. jpeg and mixed (all six formats in turn):
// written with sharp (BMP with the test fixture's writer), the 1 % corrupt are truncated. Data sets
// go under the OS temp folder and are removed afterwards unless --keep names a folder to reuse.
// The last line is JSON.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanDataset } from '../src/trainer/scan';
import type { VerifyMode } from '../src/trainer/imageDecode';
import {
  encodeImage,
  fastPng,
  FIXTURE_FORMATS,
  garblePngData,
  truncate,
  type FixtureFormat,
} from '../test/fixtures/imageFactory';

type BenchFormat = 'png' | 'jpeg' | 'mixed';
const EXTENSIONS: Record<FixtureFormat, string> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  gif: '.gif',
  tiff: '.tif',
  bmp: '.bmp',
};

const CLASSES = 10;
const SIDE = 8;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function formatOf(format: BenchFormat, i: number): FixtureFormat {
  return format === 'mixed' ? FIXTURE_FORMATS[i % FIXTURE_FORMATS.length] : format;
}

function relPath(format: BenchFormat, i: number): string {
  return `class${i % CLASSES}/img${String(i).padStart(6, '0')}${EXTENSIONS[formatOf(format, i)]}`;
}

async function makeFile(format: BenchFormat, i: number, bad: boolean): Promise<Buffer> {
  if (format === 'png') {
    const png = fastPng(SIDE, SIDE, i + 1);
    if (!bad) return png;
    return Math.floor(i / 100) % 2 === 0 ? truncate(png, 0.8) : garblePngData(png);
  }
  const data = await encodeImage(formatOf(format, i), { width: SIDE, height: SIDE, seed: i + 1 });
  return bad ? truncate(data, 0.6) : data;
}

async function generate(root: string, files: number, format: BenchFormat): Promise<Set<string>> {
  const bad = new Set<string>();
  for (let c = 0; c < CLASSES; c++) await mkdir(join(root, `class${c}`), { recursive: true });
  const batch = 500;
  for (let start = 0; start < files; start += batch) {
    const writes: Promise<void>[] = [];
    for (let i = start; i < Math.min(files, start + batch); i++) {
      const rel = relPath(format, i);
      if (i % 100 === 37) bad.add(rel);
      writes.push(makeFile(format, i, i % 100 === 37).then((data) => writeFile(join(root, rel), data)));
    }
    await Promise.all(writes);
  }
  return bad;
}

interface Figure {
  format: BenchFormat;
  files: number;
  mode: VerifyMode;
  seconds: number;
  filesPerSecond: number;
  corrupt: number;
  corruptReported: number;
}

async function main(): Promise<void> {
  const sizes = arg('files', '10000,100000').split(',').map(Number);
  const modes = arg('modes', 'full,header').split(',') as VerifyMode[];
  const keep = arg('keep', '');
  const format = arg('format', 'png') as BenchFormat;
  console.log(
    `cores: ${availableParallelism()}, UV_THREADPOOL_SIZE: ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  const figures: Figure[] = [];
  for (const files of sizes) {
    const name = `scan-${format}-${files}`;
    const root = keep ? join(keep, name) : join(tmpdir(), `image-trainer-${name}-${process.pid}`);
    let bad: Set<string>;
    if (keep && existsSync(root) && (await readdir(root)).length === CLASSES) {
      bad = new Set();
      for (let i = 37; i < files; i += 100) bad.add(relPath(format, i));
    } else {
      const t0 = performance.now();
      bad = await generate(root, files, format);
      console.log(`generated ${files} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    try {
      for (const mode of modes) {
        const t0 = performance.now();
        const { report } = await scanDataset(root, { verify: mode });
        const seconds = (performance.now() - t0) / 1000;
        const reported = report.skipped.filter((s) => bad.has(s.path)).length;
        const figure: Figure = {
          format,
          files,
          mode,
          seconds: Number(seconds.toFixed(2)),
          filesPerSecond: Math.round(files / seconds),
          corrupt: bad.size,
          corruptReported: reported,
        };
        figures.push(figure);
        console.log(
          `${files} ${format} files, verify ${mode}: ${figure.seconds} s, ${figure.filesPerSecond} files/s; corrupt reported ${reported}/${bad.size} (all skipped: ${report.skipped.length})`,
        );
      }
    } finally {
      if (!keep) await rm(root, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(figures));
}

void main();
