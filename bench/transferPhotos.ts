// `npm run bench:transfer`: what a pretrained base buys on phone-like photos. A stand-in for ImageNet (a
// base our own trainer trains on eight kinds of object the photos never show) is served from 127.0.0.1,
// added with `image-trainer bases add`, and transferred to 12-megapixel colour JPEGs of four other kinds,
// half of them stored sideways (EXIF orientation 6). Compared, on the same photos and the same held-out
// test photos: from scratch (defaults, and a tuned recipe), the head alone on cached features (first run
// and a second run with other head settings), and fine-tuning. Each run is the real CLI in a child process;
// the table gives test accuracy on the upright and on the sideways-stored copies of the same test photos,
// time per phase (from the trainer's own events) and peak RSS (the child's VmHWM).
//
//   --per-class N         training photos per class (default 40)
//   --test-per-class N    test photos per class (default 20)
//   --size WxH            photo size (default 4032x3024)
//   --head-images N       images of the head-training timing set (default 1000; 0 skips it)
//   --pretrain-per-class N  photos per kind that the stand-in base is trained on (default 200)
//   --work DIR            keep data and runs here (default: a temporary folder, removed at the end)
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mapLimit } from '../src/trainer/dataPipeline';
import {
  PHOTO_KINDS,
  photoJpeg,
  photoSeed,
  writePhotoDataset,
  type PhotoKind,
} from '../test/fixtures/photoFactory';
import { startModelServer } from '../test/fixtures/modelServer';

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const PEAK = path.join(REPO, 'bench', 'reportPeakRss.mjs');

const TARGET_KINDS: PhotoKind[] = ['stripes', 'rings', 'checker', 'dots'];
/** The kinds PHOTO_KINDS adds for pretraining, after the first six: none of them is a target kind. */
const PRETRAIN_KINDS: PhotoKind[] = PHOTO_KINDS.slice(PHOTO_KINDS.indexOf('hexagon'));

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const perClass = Number(flag('--per-class', '40'));
const testPerClass = Number(flag('--test-per-class', '20'));
const [width, height] = flag('--size', '4032x3024').split('x').map(Number);
const headImages = Number(flag('--head-images', '1000'));
const pretrainPerClass = Number(flag('--pretrain-per-class', '200'));

interface CliRun {
  code: number;
  wallMs: number;
  peakRssMiB: number;
  /** Milliseconds from the first event of each phase to the next phase's. */
  phases: Record<string, number>;
  /** From the first epoch's start to the last epoch's end: training with its validation and checkpoints. */
  epochsMs: number;
  events: { type: string; [key: string]: unknown }[];
  stdout: string;
}

/** Runs the CLI with --json (when training) and times the trainer's phases from its events. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const peakFile = path.join(os.tmpdir(), `peak-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', PEAK, CLI, ...args], {
      env: { ...process.env, ...env, REPORT_PEAK_RSS_FILE: peakFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const events: CliRun['events'] = [];
    const phases: Record<string, number> = {};
    let phase = 'starting';
    let firstEpoch: number | null = null;
    let lastEpochEnd = 0;
    let phaseStarted = started;
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          const event = JSON.parse(line) as CliRun['events'][number];
          events.push(event);
          if (event.type === 'epochStarted' && firstEpoch === null) firstEpoch = performance.now();
          if (event.type === 'epochEnded') lastEpochEnd = performance.now();
          const next = event.type === 'phaseChanged' ? String(event.phase) : null;
          if (next && next !== phase) {
            const now = performance.now();
            phases[phase] = (phases[phase] ?? 0) + now - phaseStarted;
            phase = next;
            phaseStarted = now;
          }
        } catch {
          // Not an event (predict/evaluate print one object at the end).
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', async (code) => {
      const end = performance.now();
      phases[phase] = (phases[phase] ?? 0) + end - phaseStarted;
      const peak = Number(await fs.readFile(peakFile, 'utf8').catch(() => '0'));
      await fs.rm(peakFile, { force: true });
      if (code !== 0 && code !== 130) {
        reject(
          new Error(
            `image-trainer ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
        return;
      }
      resolve({
        code: code ?? -1,
        wallMs: end - started,
        peakRssMiB: peak / 1024 / 1024,
        phases,
        epochsMs: firstEpoch === null ? 0 : lastEpochEnd - firstEpoch,
        events,
        stdout,
      });
    });
  });
}

/** The test photos twice: upright, and the very same photos stored sideways with EXIF orientation 6. */
async function writeTestPair(root: string): Promise<void> {
  const jobs = TARGET_KINDS.flatMap((kind) =>
    Array.from({ length: testPerClass }, (_, i) => ({
      kind,
      seed: photoSeed(7777, TARGET_KINDS.indexOf(kind), i),
    })),
  );
  await mapLimit(jobs, 2, async ({ kind, seed }) => {
    for (const [folder, orientation] of [
      ['test/upright', 1],
      ['test/sideways', 6],
    ] as const) {
      const dir = path.join(root, folder, kind);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(
        path.join(dir, `${seed}.jpg`),
        await photoJpeg({ kind, seed, width, height }, { orientation }),
      );
    }
  });
}

/** Writes a data set unless the folder already holds the same one (a stamp records its options). */
async function once(dir: string, options: object, write: () => Promise<unknown>): Promise<void> {
  const stamp = `${dir}.ready.json`;
  const wanted = JSON.stringify(options);
  if (existsSync(stamp) && (await fs.readFile(stamp, 'utf8')) === wanted) return;
  await fs.rm(dir, { recursive: true, force: true });
  await write();
  await fs.writeFile(stamp, wanted);
}

async function makeData(work: string): Promise<void> {
  const t0 = performance.now();
  const pretrain = { classes: PRETRAIN_KINDS, perClass: pretrainPerClass, width: 640, height: 480, seed: 11 };
  await once(path.join(work, 'pretrain'), pretrain, () =>
    writePhotoDataset(path.join(work, 'pretrain'), pretrain),
  );
  const photos = { classes: TARGET_KINDS, perClass, width, height, seed: 21, sideways: 'half' as const };
  await once(path.join(work, 'photos'), photos, () => writePhotoDataset(path.join(work, 'photos'), photos));
  await once(path.join(work, 'test'), { testPerClass, width, height }, () => writeTestPair(work));
  if (headImages > 0) {
    const head = {
      classes: TARGET_KINDS,
      perClass: Math.ceil(headImages / TARGET_KINDS.length),
      width: 800,
      height: 600,
      seed: 31,
      sideways: 'half' as const,
    };
    await once(path.join(work, 'head-1000'), head, () =>
      writePhotoDataset(path.join(work, 'head-1000'), head),
    );
  }
  console.log(`data ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** The feature phase's own figures, from the trainer's log event (decode and extraction are one phase). */
function featureTimes(run: CliRun): { decodeMs: number; extractMs: number; cached: boolean } | null {
  for (const event of run.events) {
    if (event.type !== 'log') continue;
    const text = String(event.message);
    const computed = /decode ([\d.]+) s, extraction ([\d.]+) s/.exec(text);
    if (computed)
      return { decodeMs: Number(computed[1]) * 1000, extractMs: Number(computed[2]) * 1000, cached: false };
    const cached = /extraction skipped \(([\d.]+) s to check the files\)/.exec(text);
    if (cached) return { decodeMs: 0, extractMs: Number(cached[1]) * 1000, cached: true };
  }
  return null;
}

function runDirOf(run: CliRun): string {
  const started = run.events.find((e) => e.type === 'runStarted');
  if (!started) throw new Error('no runStarted event');
  return String(started.runDir);
}

async function testAccuracy(runDir: string, folder: string, env: NodeJS.ProcessEnv): Promise<number> {
  const run = await cli(['evaluate', runDir, folder, '--json'], env);
  return (JSON.parse(run.stdout) as { accuracy: number }).accuracy;
}

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

async function main(): Promise<void> {
  const keep = process.argv.includes('--work');
  const work = keep
    ? path.resolve(flag('--work', '.'))
    : await fs.mkdtemp(path.join(os.tmpdir(), 'bench-transfer-'));
  await fs.mkdir(work, { recursive: true });
  const env = { IMAGE_TRAINER_CACHE_DIR: path.join(work, 'cache') };
  const out = path.join(work, 'runs');
  console.log(
    `work folder ${work}; ${os.cpus().length} cores; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  await makeData(work);

  // The stand-in for ImageNet: trained here on other kinds, then served over HTTP and added as a base.
  const pretrain = await cli(
    ['train', path.join(work, 'pretrain'), '--out', out, '--json', '--config', await writeBaseConfig(work)],
    env,
  );
  const baseRun = runDirOf(pretrain);
  const server = await startModelServer(path.join(baseRun, 'model'));
  await fs.rm(path.join(env.IMAGE_TRAINER_CACHE_DIR, 'features'), { recursive: true, force: true });
  await cli(['bases', 'remove', 'standin'], env).catch(() => undefined);
  await cli(['bases', 'add', `${server.origin}/model.json`, '--name', 'standin'], env);
  await server.close();
  console.log(
    `stand-in base: ${PRETRAIN_KINDS.length} other kinds, ${PRETRAIN_KINDS.length * pretrainPerClass} photos at 640×480, trained in ${seconds(pretrain.wallMs)}; ` +
      `its own validation accuracy ${pretrain.events.find((e) => e.type === 'runCompleted')?.bestValAccuracy}`,
  );

  const photos = path.join(work, 'photos');
  const rows: string[] = [];
  const measure = async (label: string, args: string[]) => {
    const run = await cli(['train', photos, '--out', out, '--json', ...args], env);
    const dir = runDirOf(run);
    const upright = await testAccuracy(dir, path.join(work, 'test', 'upright'), env);
    const sideways = await testAccuracy(dir, path.join(work, 'test', 'sideways'), env);
    const f = featureTimes(run);
    const extraction = f
      ? f.cached
        ? `cache (${seconds(f.extractMs)} to check the files)`
        : seconds(f.extractMs)
      : '–';
    rows.push(
      `| ${label} | ${(upright * 100).toFixed(1)} % | ${(sideways * 100).toFixed(1)} % | ${seconds(f?.decodeMs ?? run.phases.decoding)} | ${extraction} | ${seconds(run.epochsMs)} | ${seconds(run.wallMs)} | ${run.peakRssMiB.toFixed(0)} MiB |`,
    );
    console.log(rows[rows.length - 1]);
    return run;
  };
  await measure('from scratch, defaults (`train DIR`)', []);
  await measure('from scratch, tuned (cnn 96 px, augment, 20 epochs)', [
    '--image-size',
    '96',
    '--augment',
    'default',
    '--epochs',
    '20',
  ]);
  await measure('head only, cached features — first run (extracts)', [
    '--base',
    'standin',
    '--epochs',
    '20',
    '--augment',
    'default',
  ]);
  await measure('head only, cached features — second run, other head', [
    '--base',
    'standin',
    '--epochs',
    '20',
    '--augment',
    'default',
    '--config',
    await writeHeadConfig(work),
  ]);
  await measure('fine-tuned (head, then top 4 base layers for 4 epochs)', [
    '--base',
    'standin',
    '--epochs',
    '12',
    '--augment',
    'default',
    '--fine-tune-layers',
    '4',
    '--fine-tune-epochs',
    '4',
  ]);
  console.log(
    '\n| run | test accuracy, upright | same photos stored sideways | decode | feature extraction | epochs (train + validate) | wall | peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);

  if (headImages > 0) {
    const set = path.join(work, 'head-1000');
    const first = await cli(
      ['train', set, '--out', out, '--json', '--base', 'standin', '--epochs', '10'],
      env,
    );
    const second = await cli(
      [
        'train',
        set,
        '--out',
        out,
        '--json',
        '--base',
        'standin',
        '--epochs',
        '10',
        '--config',
        await writeHeadConfig(work),
      ],
      env,
    );
    const images = second.events.find((e) => e.type === 'runStarted') as
      { dataset?: { counts?: { train: number; validation: number } } } | undefined;
    console.log(
      `\nhead training on cached features, ${headImages} images (${images?.dataset?.counts?.train} train / ${images?.dataset?.counts?.validation} validation), 10 epochs: ` +
        `first run decode ${seconds(featureTimes(first)?.decodeMs)}, extraction ${seconds(featureTimes(first)?.extractMs)}, head training ${seconds(first.epochsMs)}; ` +
        `second run (cache: ${seconds(featureTimes(second)?.extractMs)} to check the files) head training ${seconds(second.epochsMs)}, wall ${seconds(second.wallMs)}, peak RSS ${second.peakRssMiB.toFixed(0)} MiB`,
    );
  }
  if (!keep) await fs.rm(work, { recursive: true, force: true });
}

/**
 * The stand-in base: a cnn of four blocks (16–128 filters, two convolutions each, batch norm), global-average
 * features, trained at 96 px with augmentation on both cores. Small beside ImageNet's networks, but trained on
 * ten times the photos of the target set, which is the point of a base.
 */
async function writeBaseConfig(work: string): Promise<string> {
  const file = path.join(work, 'standin-base.imagetrainer.json');
  const config = {
    model: 'cnn',
    imageSize: 96,
    channels: 3,
    epochs: 12,
    batchSize: 64,
    threads: 2,
    learningRate: 0.003,
    augment: 'default',
    schedule: { type: 'cosine', minLearningRate: 0.0001 },
    cnn: {
      blocks: 4,
      filters: 16,
      convsPerBlock: 2,
      batchNorm: true,
      head: 'globalAverage',
      denseUnits: 128,
    },
  };
  await fs.writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/** Other head settings than the first head run: a hidden layer and dropout. */
async function writeHeadConfig(work: string): Promise<string> {
  const file = path.join(work, 'head.imagetrainer.json');
  await fs.writeFile(
    file,
    JSON.stringify({ model: 'transfer', transfer: { base: 'standin', headUnits: 64, dropout: 0.2 } }),
  );
  return file;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
