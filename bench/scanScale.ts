// Scan speed at scale: N tiny PNGs in 10 class folders, 1 % of them corrupt (half truncated, half
// with garbled compressed data that only a decode notices). Times `scanDataset` with verify 'full'
// and 'header' and checks that every corrupt file is reported.
//
//   node --import tsx bench/scanScale.ts [--files 10000,100000] [--modes full,header] [--keep DIR]
//
// The data sets are generated with a pure-JS PNG writer (fast) under the OS temp folder and removed
// afterwards unless --keep names a folder to reuse. The last line is JSON.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { scanDataset } from '../src/trainer/scan';
import type { VerifyMode } from '../src/trainer/imageDecode';

const CLASSES = 10;
const SIDE = 8;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8×8 RGB PNG whose pixels depend on `seed` (so no two files are duplicates). */
function tinyPng(seed: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIDE, 0);
  ihdr.writeUInt32BE(SIDE, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc(SIDE * (1 + SIDE * 3));
  let s = (Math.imul(seed, 2654435761) + 1) >>> 0;
  for (let y = 0; y < SIDE; y++) {
    for (let i = 1; i <= SIDE * 3; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      raw[y * (1 + SIDE * 3) + i] = s >>> 24;
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function corrupt(png: Buffer, i: number): Buffer {
  if (i % 2 === 0) return png.subarray(0, Math.floor(png.length * 0.8));
  const out = Buffer.from(png);
  const idat = out.indexOf('IDAT');
  for (let k = idat + 4; k < idat + 24; k++) out[k] ^= 0x5a;
  return out;
}

async function generate(root: string, files: number): Promise<Set<string>> {
  const bad = new Set<string>();
  for (let c = 0; c < CLASSES; c++) await mkdir(join(root, `class${c}`), { recursive: true });
  const batch = 500;
  for (let start = 0; start < files; start += batch) {
    const writes: Promise<void>[] = [];
    for (let i = start; i < Math.min(files, start + batch); i++) {
      const rel = `class${i % CLASSES}/img${String(i).padStart(6, '0')}.png`;
      let data = tinyPng(i);
      if (i % 100 === 37) {
        data = corrupt(data, Math.floor(i / 100));
        bad.add(rel);
      }
      writes.push(writeFile(join(root, rel), data));
    }
    await Promise.all(writes);
  }
  return bad;
}

interface Figure {
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
  console.log(
    `cores: ${availableParallelism()}, UV_THREADPOOL_SIZE: ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  const figures: Figure[] = [];
  for (const files of sizes) {
    const root = keep
      ? join(keep, `scan-${files}`)
      : join(tmpdir(), `image-trainer-scan-bench-${files}-${process.pid}`);
    let bad: Set<string>;
    if (keep && existsSync(root) && (await readdir(root)).length === CLASSES) {
      bad = new Set();
      for (let i = 37; i < files; i += 100)
        bad.add(`class${i % CLASSES}/img${String(i).padStart(6, '0')}.png`);
    } else {
      const t0 = performance.now();
      bad = await generate(root, files);
      console.log(`generated ${files} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    try {
      for (const mode of modes) {
        const t0 = performance.now();
        const { report } = await scanDataset(root, { verify: mode });
        const seconds = (performance.now() - t0) / 1000;
        const reported = report.skipped.filter((s) => bad.has(s.path)).length;
        const figure: Figure = {
          files,
          mode,
          seconds: Number(seconds.toFixed(2)),
          filesPerSecond: Math.round(files / seconds),
          corrupt: bad.size,
          corruptReported: reported,
        };
        figures.push(figure);
        console.log(
          `${files} files, verify ${mode}: ${figure.seconds} s, ${figure.filesPerSecond} files/s; corrupt reported ${reported}/${bad.size} (all skipped: ${report.skipped.length})`,
        );
      }
    } finally {
      if (!keep) await rm(root, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(figures));
}

void main();
