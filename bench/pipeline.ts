// The data pipeline: how fast the trainer decodes and resizes JPEG and PNG to 224×224 (sharp's thread
// pool, `decodeEntries` as training runs it), and the share of a training epoch spent waiting for data
// (the trainer's `dataWaitMs` over the wall time of its training loop, prefetch on).
//
//   node --import tsx bench/pipeline.ts [--count 2000] [--formats jpeg,png] [--train-seconds 90]
//       [--train-size 224] [--skip-train]
//
// Source images (~500×400, smooth shapes with light noise, 4 classes) are generated once under
// `${IMAGE_TRAINER_CACHE:-~/.cache/image-trainer}/pipeline/<format>-<count>`. The training part runs
// `simple-cnn` with the default augmentation on the JPEG set and stops cleanly (SIGINT) after
// --train-seconds of training, so the figure covers a partial epoch. The last line is JSON.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeEntries, defaultDecodeConcurrency, mapLimit } from '../src/trainer/dataPipeline';
import { parseFlags } from './fashionMnist';
import { machineDescription, mib, parseEvent, runCli } from './trainerProcess';

type SourceFormat = 'jpeg' | 'png';
const CLASSES = ['circle', 'square', 'stripe', 'ring'];
const WIDTH = 500;
const HEIGHT = 400;

function cacheRoot(): string {
  return join(process.env.IMAGE_TRAINER_CACHE ?? join(homedir(), '.cache', 'image-trainer'), 'pipeline');
}

/** A photo-sized RGB image: a colour gradient, one class-specific shape, and light noise. */
function sourcePixels(index: number, label: number): Buffer {
  const pixels = Buffer.alloc(WIDTH * HEIGHT * 3);
  let state = (index * 2654435761) >>> 0;
  const rand = () => (state = (state * 1664525 + 1013904223) >>> 0) / 4294967296;
  const cx = WIDTH * (0.3 + 0.4 * rand());
  const cy = HEIGHT * (0.3 + 0.4 * rand());
  const r = 60 + 60 * rand();
  const tint = [rand() * 255, rand() * 255, rand() * 255];
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const d = Math.hypot(x - cx, y - cy);
      const inside =
        label === 0
          ? d < r
          : label === 1
            ? Math.abs(x - cx) < r && Math.abs(y - cy) < r
            : label === 2
              ? Math.floor(x / 25) % 2 === 0
              : Math.abs(d - r) < 12;
      const o = (y * WIDTH + x) * 3;
      for (let c = 0; c < 3; c++) {
        const base = inside ? tint[c] : (x / WIDTH) * 160 + (y / HEIGHT) * 60 + c * 10;
        pixels[o + c] = Math.max(0, Math.min(255, base + (rand() - 0.5) * 24));
      }
    }
  }
  return pixels;
}

async function ensureSources(format: SourceFormat, count: number): Promise<string> {
  const dir = join(cacheRoot(), `${format}-${count}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const temp = `${dir}.partial-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  for (const name of CLASSES) await mkdir(join(temp, name), { recursive: true });
  const started = Date.now();
  await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    availableParallelism(),
    async (i) => {
      const label = i % CLASSES.length;
      const image = sharp(sourcePixels(i, label), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });
      const data =
        format === 'jpeg' ? await image.jpeg({ quality: 85 }).toBuffer() : await image.png().toBuffer();
      await writeFile(join(temp, CLASSES[label], `${i}.${format === 'jpeg' ? 'jpg' : 'png'}`), data);
    },
  );
  await writeFile(join(temp, '.complete'), '');
  await rm(dir, { recursive: true, force: true });
  await rename(temp, dir);
  console.log(
    `generated ${count} ${format} images of ${WIDTH}×${HEIGHT} in ${((Date.now() - started) / 1000).toFixed(0)} s (${dir})`,
  );
  return dir;
}

interface DecodeFigures {
  format: SourceFormat;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  cpuSeconds: number;
  imagesPerCpuSecond: number;
  concurrency: number;
  spilledToFile: boolean;
}

async function measureDecode(
  format: SourceFormat,
  dir: string,
  count: number,
  size: number,
): Promise<DecodeFigures> {
  const entries = Array.from({ length: count }, (_, i) => ({
    path: `${CLASSES[i % CLASSES.length]}/${i}.${format === 'jpeg' ? 'jpg' : 'png'}`,
    label: CLASSES[i % CLASSES.length],
  }));
  const cacheDir = await mkdtemp(join(tmpdir(), 'pipeline-cache-'));
  const concurrency = defaultDecodeConcurrency();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  try {
    const decoded = await decodeEntries(entries, {
      root: dir,
      imageSize: size,
      channels: 3,
      cacheDir,
      concurrency,
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await decoded.store.close();
    if (decoded.failed.length)
      throw new Error(`${decoded.failed.length} images failed to decode: ${decoded.failed[0].reason}`);
    return {
      format,
      images: count,
      seconds: Number(seconds.toFixed(2)),
      imagesPerSecond: Math.round(count / seconds),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      imagesPerCpuSecond: Math.round(count / cpuSeconds),
      concurrency,
      spilledToFile: count * size * size * 3 > 256 * 1024 * 1024,
    };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

interface WaitFigures {
  imageSize: number;
  decodeSeconds: number;
  trainLoopSeconds: number;
  dataWaitSeconds: number;
  waitShare: number;
  samplesPerSecond: number;
  peakRssMiB: number;
}

/** Trains on `dir` until `seconds` of training have passed, then stops cleanly and reads the epoch's dataWaitMs. */
async function measureWait(dir: string, size: number, seconds: number): Promise<WaitFigures> {
  const out = await mkdtemp(join(tmpdir(), 'pipeline-runs-'));
  let decodeStarted = 0;
  let trainingStarted = 0;
  let loopEnded = 0;
  let metrics: { dataWaitMs?: number; samplesPerSecond: number } | null = null;
  try {
    const args = [
      'train',
      dir,
      '--model',
      'simple-cnn',
      '--image-size',
      String(size),
      '--channels',
      '3',
      '--augment',
      'default',
    ];
    args.push('--epochs', '1', '--validation-split', '0.05', '--out', out, '--json');
    console.log(`image-trainer ${args.join(' ')}  (stopped after ${seconds} s of training)`);
    const result = await runCli(args, {
      onLine: (line, elapsedMs, _cpu, stop) => {
        const event = parseEvent(line);
        if (event?.type === 'phaseChanged' && event.phase === 'decoding') decodeStarted = elapsedMs;
        if (event?.type === 'epochStarted') {
          trainingStarted = elapsedMs;
          setTimeout(stop, seconds * 1000).unref();
        }
        if (event?.type === 'phaseChanged' && event.phase === 'evaluating' && trainingStarted && !loopEnded)
          loopEnded = elapsedMs;
        if (event?.type === 'epochEnded') metrics = event.metrics;
      },
    });
    const m = metrics as { dataWaitMs?: number; samplesPerSecond: number } | null;
    if (!m || m.dataWaitMs === undefined)
      throw new Error(
        `no epoch metrics with dataWaitMs (exit ${result.code}): ${result.stderr.trim().slice(-300)}`,
      );
    const loopMs = loopEnded - trainingStarted;
    return {
      imageSize: size,
      decodeSeconds: Number(((trainingStarted - decodeStarted) / 1000).toFixed(1)),
      trainLoopSeconds: Number((loopMs / 1000).toFixed(1)),
      dataWaitSeconds: Number((m.dataWaitMs / 1000).toFixed(2)),
      waitShare: Number((m.dataWaitMs / loopMs).toFixed(4)),
      samplesPerSecond: Number(m.samplesPerSecond.toFixed(1)),
      peakRssMiB: Math.round(result.peakRss / 1048576),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const count = Number(flags.get('count') ?? '2000');
  const formats = (flags.get('formats') ?? 'jpeg,png').split(',') as SourceFormat[];
  const trainSeconds = Number(flags.get('train-seconds') ?? '90');
  const trainSize = Number(flags.get('train-size') ?? '224');
  const dirs = new Map<SourceFormat, string>();
  for (const format of formats) dirs.set(format, await ensureSources(format, count));
  const decode: DecodeFigures[] = [];
  for (const format of formats) {
    const figures = await measureDecode(format, dirs.get(format)!, count, 224);
    decode.push(figures);
    console.log(
      `${format}: ${figures.images} images ${WIDTH}×${HEIGHT} → 224×224×3 in ${figures.seconds} s: ${figures.imagesPerSecond} images/s ` +
        `(${figures.imagesPerCpuSecond} per CPU-second, ${figures.concurrency} in flight${figures.spilledToFile ? ', cache spilled to a file' : ''})`,
    );
  }
  let wait: WaitFigures | null = null;
  if (!flags.has('skip-train')) {
    wait = await measureWait(dirs.get(formats[0])!, trainSize, trainSeconds);
    console.log(
      `training at ${wait.imageSize}×${wait.imageSize}: decode-once phase ${wait.decodeSeconds} s; training loop ${wait.trainLoopSeconds} s, ` +
        `of which waiting for data ${wait.dataWaitSeconds} s = ${(wait.waitShare * 100).toFixed(2)} % (target < 10 %); ` +
        `${wait.samplesPerSecond} samples/s; peak RSS ${mib(wait.peakRssMiB * 1048576)}`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'pipeline',
      sourceSize: [WIDTH, HEIGHT],
      decode,
      wait,
      machine: machineDescription(),
    }),
  );
}

main().catch((err: Error) => {
  console.error(`pipeline: ${err.message}`);
  process.exit(1);
});
