// Scale: generated data sets of 10k, 50k and 100k tiny PNGs (32×32 RGB noise, 10 class folders). For each,
// times `image-trainer scan` (target < 30 s at 100k) and reads the trainer's peak RSS while it trains
// `simple-cnn` at 32×32×3 for one epoch (target < 1.5 GB, flat as the data grows: the decode cache spills
// to a file past its memory budget).
//
//   node --import tsx bench/scale.ts [--sizes 10000,50000,100000] [--train-seconds S] [--skip-train]
//
// Data sets are generated once under `${IMAGE_TRAINER_CACHE:-~/.cache/image-trainer}/scale/<N>`.
// --train-seconds stops each training run cleanly (SIGINT) after S seconds of the training loop: the
// decode-once phase, a partial epoch, validation and the final evaluation still run, so the peak covers
// every phase but not a whole epoch's worth of steps. The last line is JSON.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastPng } from '../test/fixtures/imageFactory';
import { parseFlags } from './fashionMnist';
import { machineDescription, mib, parseEvent, runCli } from './trainerProcess';

const CLASSES = 10;
const SIDE = 32;
const SCAN_TARGET_S = 30;
const RSS_TARGET_BYTES = 1.5 * 1024 ** 3;

async function ensureDataset(count: number): Promise<string> {
  const dir = join(
    process.env.IMAGE_TRAINER_CACHE ?? join(homedir(), '.cache', 'image-trainer'),
    'scale',
    String(count),
  );
  if (existsSync(join(dir, '.complete'))) return dir;
  const temp = `${dir}.partial-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  for (let c = 0; c < CLASSES; c++) await mkdir(join(temp, `class${c}`), { recursive: true });
  const started = Date.now();
  for (let i = 0; i < count; i++)
    await writeFile(join(temp, `class${i % CLASSES}`, `${i}.png`), fastPng(SIDE, SIDE, i + 1));
  await writeFile(join(temp, '.complete'), '');
  await rm(dir, { recursive: true, force: true });
  await rename(temp, dir);
  console.log(
    `generated ${count} PNGs of ${SIDE}×${SIDE} in ${((Date.now() - started) / 1000).toFixed(0)} s (${dir})`,
  );
  return dir;
}

interface ScaleFigures {
  images: number;
  scanSeconds: number;
  /** CPU seconds of the scan process: its wall time on an idle machine is at most this. */
  scanCpuSeconds: number;
  scanPeakRssMiB: number;
  trainPeakRssMiB: number | null;
  decodeSeconds: number | null;
  trainedSamples: number | null;
  fullEpoch: boolean | null;
  trainWallSeconds: number | null;
}

async function measure(
  count: number,
  trainSeconds: number | null,
  skipTrain: boolean,
): Promise<ScaleFigures> {
  const dir = await ensureDataset(count);
  const scan = await runCli(['scan', dir, '--json']);
  if (scan.code !== 0) throw new Error(`scan failed (exit ${scan.code}): ${scan.stderr.trim()}`);
  const report = JSON.parse(scan.stdout) as { classes: { count: number }[]; skipped: unknown[] };
  const found = report.classes.reduce((a, c) => a + c.count, 0);
  console.log(
    `${count} images: scan ${(scan.wallMs / 1000).toFixed(1)} s wall, ${(scan.cpuMs / 1000).toFixed(1)} s CPU (${found} usable, ${report.skipped.length} skipped; target < ${SCAN_TARGET_S} s at 100k), peak RSS ${mib(scan.peakRss)}`,
  );
  const figures: ScaleFigures = {
    images: count,
    scanSeconds: Number((scan.wallMs / 1000).toFixed(2)),
    scanCpuSeconds: Number((scan.cpuMs / 1000).toFixed(2)),
    scanPeakRssMiB: Math.round(scan.peakRss / 1048576),
    trainPeakRssMiB: null,
    decodeSeconds: null,
    trainedSamples: null,
    fullEpoch: null,
    trainWallSeconds: null,
  };
  if (skipTrain) return figures;
  const out = await mkdtemp(join(tmpdir(), 'scale-runs-'));
  try {
    let decodeStarted = 0;
    let trainingStarted = 0;
    let samples = 0;
    let partial = false;
    const args = [
      'train',
      dir,
      '--model',
      'simple-cnn',
      '--image-size',
      String(SIDE),
      '--channels',
      '3',
      '--epochs',
      '1',
    ];
    args.push(
      '--validation-split',
      '0.02',
      '--augment',
      'none',
      '--batch-size',
      '64',
      '--out',
      out,
      '--json',
    );
    const train = await runCli(args, {
      onLine: (line, elapsedMs, _cpu, stop) => {
        const event = parseEvent(line);
        if (event?.type === 'phaseChanged' && event.phase === 'decoding') decodeStarted = elapsedMs;
        if (event?.type === 'epochStarted') {
          trainingStarted = elapsedMs;
          if (trainSeconds !== null) setTimeout(stop, trainSeconds * 1000).unref();
        }
        if (event?.type === 'batchEnded') samples = Math.min(count, event.batch * 64);
        if (event?.type === 'epochEnded') partial = event.metrics.partial === true;
      },
    });
    if (train.code !== 0 && train.code !== 130)
      throw new Error(`train failed (exit ${train.code}): ${train.stderr.trim().slice(-300)}`);
    figures.trainPeakRssMiB = Math.round(train.peakRss / 1048576);
    figures.decodeSeconds = Number(((trainingStarted - decodeStarted) / 1000).toFixed(1));
    figures.trainedSamples = samples;
    figures.fullEpoch = !partial;
    figures.trainWallSeconds = Number((train.wallMs / 1000).toFixed(1));
    console.log(
      `${count} images: training peak RSS ${mib(train.peakRss)} (decode-once ${figures.decodeSeconds} s, ` +
        `${partial ? `stopped after ~${samples} samples` : 'one full epoch'}, ${figures.trainWallSeconds} s wall)`,
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  return figures;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const sizes = (flags.get('sizes') ?? '10000,50000,100000').split(',').map(Number);
  const trainSeconds = flags.has('train-seconds') ? Number(flags.get('train-seconds')) : null;
  const results: ScaleFigures[] = [];
  for (const size of sizes) results.push(await measure(size, trainSeconds, flags.has('skip-train')));
  const peaks = results.map((r) => r.trainPeakRssMiB).filter((p): p is number => p !== null);
  const largest = results.at(-1);
  if (peaks.length) {
    console.log(
      `\npeak training RSS ${peaks.map((p) => `${p} MiB`).join(' → ')} (target < ${mib(RSS_TARGET_BYTES)} and flat: ` +
        `${Math.max(...peaks) * 1048576 < RSS_TARGET_BYTES ? 'under' : 'OVER'}; growth ${(Math.max(...peaks) / Math.min(...peaks)).toFixed(2)}×)`,
    );
  }
  if (largest)
    console.log(
      `scan of ${largest.images}: ${largest.scanSeconds} s (target < ${SCAN_TARGET_S} s: ${largest.scanSeconds < SCAN_TARGET_S ? 'met' : 'NOT met'})`,
    );
  console.log(
    JSON.stringify({ bench: 'scale', imageSide: SIDE, trainSeconds, results, machine: machineDescription() }),
  );
}

main().catch((err: Error) => {
  console.error(`scale: ${err.message}`);
  process.exit(1);
});
