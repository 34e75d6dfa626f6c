// Phone photos through the decoder: ms to decode one 4032×3024 JPEG (half of them stored sideways with
// EXIF orientation 6) to the model's input, per resize mode, against the same pipeline without JPEG
// shrink-on-load; then throughput and peak RSS of `decodeEntries` as training runs it.
//
//   npm run bench:photos [-- --photos 8] [--rounds 5] [--size 224] [--rss-images 48] [--width 4032 --height 3024]
//
// Photos come from test/fixtures/photoFactory.ts (seeded: the same bytes every time), written to a
// temporary folder that is removed at the end. Timings are single-image latencies, variants interleaved
// round by round (the machine's speed drifts); each figure is the median over every photo and round, with
// the lowest and highest. RSS is measured in a fresh child process per variant (maxRSS never goes down).
// The last line is JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ResizeMode } from '../src/protocol/config';
import { decodeEntries, defaultDecodeConcurrency, mapLimit } from '../src/trainer/dataPipeline';
import { ALPHA_BACKGROUND, decodeImage } from '../src/trainer/imageDecode';
import { writePhotoDataset } from '../test/fixtures/photoFactory';
import { parseFlags } from './fashionMnist';
import { machineDescription } from './trainerProcess';

type Decoder = (file: string, size: number) => Promise<Uint8Array>;

const trainer =
  (resize: ResizeMode): Decoder =>
  (file, size) =>
    decodeImage(file, size, 3, { resize });

/** The trainer's stretch pipeline with sharp's shrink-on-load kept to factors that leave ≥ 2× for the resize. */
const conservativeShrink: Decoder = async (file, size) =>
  sharp(await readFile(file), { failOn: 'error', autoOrient: true })
    .flatten({ background: ALPHA_BACKGROUND })
    .resize(size, size, { fit: 'fill', fastShrinkOnLoad: false })
    .toColourspace('srgb')
    .raw()
    .toBuffer();

/** Decode at full size, then resize: what a pipeline without shrink-on-load pays (PIL without draft()). */
const fullDecode: Decoder = async (file, size) => {
  const full = await sharp(await readFile(file), { failOn: 'error', autoOrient: true })
    .flatten({ background: ALPHA_BACKGROUND })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(full.data, { raw: { width: full.info.width, height: full.info.height, channels: 3 } })
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer();
};

const VARIANTS: Record<string, Decoder> = {
  'trainer stretch': trainer('stretch'),
  'trainer crop': trainer('crop'),
  'trainer pad': trainer('pad'),
  'shrink-on-load ≤ 1/4 (fastShrinkOnLoad false)': conservativeShrink,
  'no shrink-on-load (full decode, then resize)': fullDecode,
};

interface Figure {
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number;
}

function summarise(samples: number[]): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const round = (v: number) => Number(v.toFixed(1));
  return {
    medianMs: round(median),
    minMs: round(sorted[0]),
    maxMs: round(sorted[sorted.length - 1]),
    samples: sorted.length,
  };
}

/**
 * This process's peak RSS. Linux's VmHWM, not resourceUsage().maxRSS: the latter keeps the high-water
 * mark of the process image that exec replaced, here the parent's (Linux carries it across execve).
 */
function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Child mode: decode `count` photos as training does and report wall time and peak RSS. */
async function rssChild(variant: string, dir: string, count: number, size: number): Promise<void> {
  if (variant === 'trainer, sharp cache off') sharp.cache(false);
  const { files } = JSON.parse(await readFile(join(dir, 'files.json'), 'utf8')) as { files: string[] };
  const entries = Array.from({ length: count }, (_, i) => ({ path: files[i % files.length], label: 'x' }));
  const baseline = process.memoryUsage().rss;
  const started = performance.now();
  if (variant === 'no shrink-on-load') {
    await mapLimit(entries, defaultDecodeConcurrency(), (e) => fullDecode(join(dir, e.path), size));
  } else {
    const decoded = await decodeEntries(entries, { root: dir, imageSize: size, channels: 3 });
    await decoded.store.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = peakRss();
  console.log(JSON.stringify({ variant, images: count, seconds, baseline, peak }));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await rssChild(argv[1], argv[2], Number(argv[3]), Number(argv[4]));
    return;
  }
  const flags = parseFlags(argv);
  const photos = Number(flags.get('photos') ?? 8);
  const rounds = Number(flags.get('rounds') ?? 5);
  const size = Number(flags.get('size') ?? 224);
  const rssImages = Number(flags.get('rss-images') ?? 48);
  const width = Number(flags.get('width') ?? 4032);
  const height = Number(flags.get('height') ?? 3024);
  const dir = await mkdtemp(join(tmpdir(), 'bench-photos-'));
  try {
    const started = performance.now();
    const set = await writePhotoDataset(dir, {
      classes: 4,
      perClass: Math.max(1, Math.ceil(photos / 4)),
      width,
      height,
      sideways: 'half',
    });
    const generationMs = (performance.now() - started) / set.files.length;
    const files = set.files.map((f) => f.path);
    const megabytes = set.files.reduce((n, f) => n + f.bytes, 0) / set.files.length / 1e6;
    console.log(
      `${files.length} photos ${width}×${height} (half stored sideways, EXIF 6), ${megabytes.toFixed(2)} MB each, generated in ${generationMs.toFixed(0)} ms each`,
    );
    await writeFile(join(dir, 'files.json'), JSON.stringify({ files }));

    // Warm-up: the first sharp call loads libvips' modules.
    for (const decode of Object.values(VARIANTS)) await decode(join(dir, files[0]), size);
    const names = Object.keys(VARIANTS);
    const samples = new Map<string, number[]>(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order every round so that no variant always runs first or last.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        for (const file of files) {
          const t = performance.now();
          await VARIANTS[name](join(dir, file), size);
          samples.get(name)!.push(performance.now() - t);
        }
      }
    }
    const latency: Record<string, Figure> = {};
    console.log(
      `\nms per photo to ${size}×${size}×3 (median [min–max] over ${rounds} rounds × ${files.length} photos)`,
    );
    for (const name of names) {
      latency[name] = summarise(samples.get(name)!);
      const f = latency[name];
      console.log(`  ${name.padEnd(48)} ${String(f.medianMs).padStart(7)}  [${f.minMs}–${f.maxMs}]`);
    }

    const rss: unknown[] = [];
    console.log(
      `\ndecodeEntries as training runs it (${defaultDecodeConcurrency()} photos in flight), a fresh process each`,
    );
    // The trainer at two counts: peak RSS should grow by the decoded pixels kept, not by the photos read.
    const runs: [string, number][] = [
      ['trainer', rssImages],
      ['trainer', rssImages * 4],
      ['trainer, sharp cache off', rssImages],
      ['no shrink-on-load', rssImages],
    ];
    for (const [variant, count] of runs) {
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', __filename, '--child', variant, dir, String(count), String(size)],
        { encoding: 'utf8' },
      );
      const line = child.stdout.trim().split('\n').at(-1) ?? '';
      if (child.status !== 0 || !line.startsWith('{')) {
        console.log(`  ${variant}: failed (${child.stderr.trim().split('\n').at(-1) ?? child.status})`);
        continue;
      }
      const r = JSON.parse(line) as { seconds: number; baseline: number; peak: number; images: number };
      rss.push({ variant, ...r });
      const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
      console.log(
        `  ${variant.padEnd(26)} ${String(r.images).padStart(4)} photos ${(r.images / r.seconds).toFixed(1).padStart(6)} photos/s   peak RSS ${mib(r.peak)} (${mib(r.peak - r.baseline)} above the ${mib(r.baseline)} before decoding; decoded pixels ${mib(r.images * size * size * 3)})`,
      );
    }
    console.log(
      JSON.stringify({
        machine: machineDescription(),
        photos: files.length,
        width,
        height,
        size,
        generationMsPerPhoto: Number(generationMs.toFixed(0)),
        latency,
        rss,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
