// Training throughput of simple-cnn (28×28×1, batch 64, Adam, no augmentation) on our engine, and of
// PyTorch CPU on the same model, batch and images where Debian's python3-torch is present. The images are
// the first 256 of Fashion-MNIST's training set when dataset-fashion-mnist is installed (else fixed
// pseudo-random ones); both sides read the same bytes.
//
//   npm run bench   (= node --import tsx bench/throughput.ts)
//   node --import tsx bench/throughput.ts [--rounds N] [--steps N] [--warmup N] [--backend auto|wasm|cpu|…]
//       [--mode auto|trainer|trainOnBatch|parallel|all] [--workers N] [--kernels all|none|Name,Name] [--sweep]
//       [--profile] [--no-torch] [--torch-steps N]
//
// By default it runs 3 rounds, interleaved: ours with the trainer's default settings (`--mode auto`:
// threads chosen by the trainer's own probe, src/trainer/parallel/threadChoice.ts), then PyTorch on
// 1 thread, then PyTorch on all cores; each round's ratio is ours ÷ the faster PyTorch setting of that
// round, and the median ratio is the figure to quote (this machine's speed swings about 2× from
// minute to minute, so only figures of one round compare).
// --mode trainer times the trainer's own step (makeTrainStep: optimizer.minimize on categorical
// cross-entropy); trainOnBatch times tf.LayersModel.trainOnBatch; parallel splits each batch over the
// main thread and N worker threads (src/trainer/parallel; default N = cores − 1). --sweep adds our WASM kernels one
// at a time and times each stage. --profile prints the time per kernel. The last line is JSON.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_CHOICES, type BackendChoice } from '../src/protocol/config';
import { selectBackend } from '../src/trainer/backend';
import {
  WASM_KERNEL_NAMES,
  type WasmKernelName,
  registerWasmKernels,
  unregisterWasmKernels,
} from '../src/trainer/kernels';
import { buildSimpleCnn } from '../src/trainer/models';
import { createParallelTrainStep, defaultWorkerCount } from '../src/trainer/parallel';
import { probeThreads } from '../src/trainer/parallel/threadChoice';
import { makeTrainStep } from '../src/trainer/training/trainStep';
import type { RunThreads } from '../src/protocol/runRecord';
import { FASHION_SOURCE_DIR, readFashionSplit } from './fashionMnist';

const IMAGE_SIZE = 28;
const CHANNELS = 1;
const CLASSES = 10;
const BATCH = 64;
const TORCH_PYTHON = '/usr/bin/python3';

type Mode = 'auto' | 'trainer' | 'trainOnBatch' | 'parallel';
const MODES: Mode[] = ['auto', 'trainer', 'trainOnBatch', 'parallel'];

interface Options {
  steps: number;
  warmup: number;
  backend: BackendChoice;
  modes: Mode[];
  kernels: WasmKernelName[];
  sweep: boolean;
  profile: boolean;
  torch: boolean;
  torchSteps: number;
  workers: number;
  rounds: number;
}

interface Timing {
  msPerStep: number;
  samplesPerSecond: number;
  /** CPU time of the whole process (all threads) per step: robust to other processes' load. */
  cpuMsPerStep: number;
  /** Threads the auto mode chose (with its probe's reason). */
  threads?: number;
  reason?: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    steps: 30,
    warmup: 5,
    backend: 'auto',
    modes: ['auto'],
    kernels: [...WASM_KERNEL_NAMES],
    sweep: false,
    profile: false,
    torch: true,
    torchSteps: 40,
    workers: defaultWorkerCount(),
    rounds: 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--steps':
        options.steps = positiveInt(flag, value());
        break;
      case '--warmup':
        options.warmup = positiveInt(flag, value());
        break;
      case '--rounds':
        options.rounds = positiveInt(flag, value());
        break;
      case '--torch-steps':
        options.torchSteps = positiveInt(flag, value());
        break;
      case '--backend': {
        const v = value();
        if (!(BACKEND_CHOICES as readonly string[]).includes(v))
          throw new Error(`--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
        options.backend = v as BackendChoice;
        break;
      }
      case '--mode': {
        const v = value();
        if (v === 'all') options.modes = [...MODES];
        else if ((MODES as string[]).includes(v)) options.modes = [v as Mode];
        else throw new Error(`--mode must be one of ${MODES.join(', ')} or all`);
        break;
      }
      case '--workers':
        options.workers = Number(value());
        if (!Number.isInteger(options.workers) || options.workers < 0)
          throw new Error('--workers must be an integer ≥ 0');
        break;
      case '--kernels':
        options.kernels = parseKernels(value());
        break;
      case '--sweep':
        options.sweep = true;
        break;
      case '--profile':
        options.profile = true;
        break;
      case '--no-torch':
        options.torch = false;
        break;
      default:
        throw new Error(`unknown flag ${flag}`);
    }
  }
  return options;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
  return n;
}

function parseKernels(text: string): WasmKernelName[] {
  if (text === 'all') return [...WASM_KERNEL_NAMES];
  if (text === 'none') return [];
  const names = text.split(',');
  for (const name of names) {
    if (!(WASM_KERNEL_NAMES as readonly string[]).includes(name))
      throw new Error(`unknown kernel ${name}; known: ${WASM_KERNEL_NAMES.join(', ')}`);
  }
  return names as WasmKernelName[];
}

type Batches = Array<{ pixels: Float32Array; labels: Int32Array }>;

/** The first count × 64 Fashion-MNIST training images in [0, 1], or null without the Debian package. */
async function fashionBatches(count: number): Promise<Batches | null> {
  if (!existsSync(FASHION_SOURCE_DIR)) return null;
  const { images, labels } = await readFashionSplit('train');
  const size = IMAGE_SIZE * IMAGE_SIZE;
  return Array.from({ length: count }, (_, b) => {
    const pixels = new Float32Array(BATCH * size);
    const batchLabels = new Int32Array(BATCH);
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      for (let p = 0; p < size; p++) pixels[i * size + p] = images[n * size + p] / 255;
      batchLabels[i] = labels[n];
    }
    return { pixels, labels: batchLabels };
  });
}

/** The batches as PyTorch reads them: int32 count, then float32 pixels (N×784), then int32 labels. */
function writeSharedBatches(batches: Batches): string {
  const n = batches.length * BATCH;
  const size = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;
  const buffer = Buffer.alloc(4 + n * size * 4 + n * 4);
  buffer.writeInt32LE(n, 0);
  let offset = 4;
  for (const b of batches) for (const v of b.pixels) offset = buffer.writeFloatLE(v, offset);
  for (const b of batches) for (const v of b.labels) offset = buffer.writeInt32LE(v, offset);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-throughput-')), 'batches.bin');
  writeFileSync(file, buffer);
  return file;
}

/** A few fixed random batches, cycled, so data generation stays out of the timing. */
function makeBatches(count: number): Batches {
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const pixels = new Float32Array(BATCH * IMAGE_SIZE * IMAGE_SIZE * CHANNELS);
    for (let i = 0; i < pixels.length; i++) pixels[i] = next();
    const labels = new Int32Array(BATCH);
    for (let i = 0; i < BATCH; i++) labels[i] = Math.floor(next() * CLASSES);
    return { pixels, labels };
  });
}

interface Stepper {
  step: (i: number) => Promise<void>;
  dispose: () => void | Promise<void>;
  decision?: () => RunThreads | null;
}

/** The trainer's own single-thread step for the bench's model. */
function trainerStep(model: tf.LayersModel, optimizer: tf.Optimizer): ReturnType<typeof makeTrainStep> {
  return makeTrainStep(
    model,
    optimizer,
    { imageSize: IMAGE_SIZE, channels: CHANNELS },
    { numClasses: CLASSES, classWeights: null },
  );
}

/** Returns a function running one training step on batch i (mod the batches). */
async function makeStepper(mode: Mode, options: Options, batches: Batches): Promise<Stepper> {
  const model = buildSimpleCnn({ imageSize: IMAGE_SIZE, channels: CHANNELS, numClasses: CLASSES });
  const optimizer = tf.train.adam(1e-3);
  if (mode === 'auto') {
    // The trainer's default: its own probe decides how many threads share each batch.
    const single = trainerStep(model, optimizer);
    const backend = tf.getBackend();
    const threads = Math.min(options.workers + 1, Math.floor(BATCH / 8));
    let decision: RunThreads | null = null;
    const threaded = probeThreads({
      single,
      startParallel: async () =>
        backend === 'wasm' || backend === 'cpu'
          ? createParallelTrainStep({
              model,
              optimizer,
              imageSize: IMAGE_SIZE,
              channels: CHANNELS,
              numClasses: CLASSES,
              classWeights: null,
              maxBatchSize: BATCH,
              workers: threads - 1,
              backend,
            })
          : null,
      parallelThreads: threads,
      // A long training run, as in the Fashion-MNIST benchmark: the probe finds it worth measuring.
      stepsLeft: 10_000,
      batchSize: BATCH,
      onDecision: (d) => {
        decision = d;
      },
    });
    // The probe's own steps run before the timing starts (they are the trainer's first steps).
    let i = 0;
    while (decision === null && i < 200) {
      const { pixels, labels } = batches[i % batches.length];
      await threaded.step(pixels, labels);
      i++;
    }
    return {
      step: async (k) => {
        const { pixels, labels } = batches[k % batches.length];
        await threaded.step(pixels, labels);
      },
      decision: () => decision,
      dispose: async () => {
        await threaded.dispose();
        model.dispose();
        optimizer.dispose();
      },
    };
  }
  if (mode === 'parallel') {
    const backend = tf.getBackend();
    if (backend !== 'wasm' && backend !== 'cpu')
      throw new Error(`parallel mode needs the wasm or cpu backend, not ${backend}`);
    const parallel = await createParallelTrainStep({
      model,
      optimizer,
      imageSize: IMAGE_SIZE,
      channels: CHANNELS,
      numClasses: CLASSES,
      classWeights: null,
      maxBatchSize: BATCH,
      workers: options.workers,
      backend,
    });
    return {
      step: async (i) => {
        const { pixels, labels } = batches[i % batches.length];
        await parallel(pixels, labels);
      },
      dispose: async () => {
        await parallel.dispose();
        model.dispose();
        optimizer.dispose();
      },
    };
  }
  if (mode === 'trainer') {
    const trainStep = trainerStep(model, optimizer);
    return {
      step: async (i) => {
        const { pixels, labels } = batches[i % batches.length];
        trainStep(pixels, labels);
      },
      dispose: () => {
        model.dispose();
        optimizer.dispose();
      },
    };
  }
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const tensors = batches.map(({ pixels, labels }) => ({
    x: tf.tensor4d(pixels, [BATCH, IMAGE_SIZE, IMAGE_SIZE, CHANNELS]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES),
  }));
  return {
    step: async (i) => {
      const { x, y } = tensors[i % tensors.length];
      await model.trainOnBatch(x, y);
    },
    dispose: () => {
      for (const { x, y } of tensors) tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
    },
  };
}

async function timeMode(mode: Mode, options: Options, batches: Batches): Promise<Timing> {
  const { step, dispose, decision } = await makeStepper(mode, options, batches);
  try {
    for (let i = 0; i < options.warmup; i++) await step(i);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < options.steps; i++) await step(i);
    const cpu = process.cpuUsage(cpuStart);
    const msPerStep = (performance.now() - start) / options.steps;
    const chosen = decision?.();
    return {
      msPerStep,
      samplesPerSecond: (BATCH * 1000) / msPerStep,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / options.steps,
      ...(chosen ? { threads: chosen.chosen, reason: chosen.reason } : {}),
    };
  } finally {
    await dispose();
  }
}

async function profileMode(mode: Mode, options: Options, batches: Batches): Promise<void> {
  const { step, dispose } = await makeStepper(mode, options, batches);
  const steps = Math.min(options.steps, 10);
  try {
    for (let i = 0; i < options.warmup; i++) await step(i);
    const totals = new Map<string, { ms: number; calls: number }>();
    for (let i = 0; i < steps; i++) {
      const info = await tf.profile(() => step(i));
      for (const kernel of info.kernels) {
        const entry = totals.get(kernel.name) ?? { ms: 0, calls: 0 };
        entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
        entry.calls += 1;
        totals.set(kernel.name, entry);
      }
    }
    const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const sum = rows.reduce((s, [, e]) => s + e.ms, 0);
    console.log(`  per-kernel time per step (${mode}, ${steps} profiled steps; profiling adds overhead):`);
    for (const [name, e] of rows) {
      if (e.ms / steps < 0.05) continue;
      console.log(
        `    ${name.padEnd(36)} ${(e.ms / steps).toFixed(2).padStart(8)} ms  ${String(e.calls / steps).padStart(4)} calls`,
      );
    }
    console.log(`    ${'total in kernels'.padEnd(36)} ${(sum / steps).toFixed(2).padStart(8)} ms`);
  } finally {
    await dispose();
  }
}

interface TorchResult {
  samplesPerSecond: number;
  msPerStep: number;
  cpuMsPerStep: number;
  threads: number;
  torch: string;
}

function torchAvailable(): boolean {
  return spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function runTorch(steps: number, threads: number, dataFile: string): TorchResult | string {
  const script = path.join(__dirname, 'torchThroughput.py');
  const result = spawnSync(
    TORCH_PYTHON,
    [script, '--steps', String(steps), '--threads', String(threads), '--data', dataFile],
    { encoding: 'utf8' },
  );
  if (result.status !== 0)
    return `PyTorch run failed: ${(result.stderr || '').trim().split('\n').pop() ?? ''}`;
  const last = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as TorchResult;
}

const fmt = (t: { msPerStep: number; samplesPerSecond: number; cpuMsPerStep?: number }): string =>
  `${t.msPerStep.toFixed(1)} ms/step, ${t.samplesPerSecond.toFixed(0)} samples/s` +
  (t.cpuMsPerStep === undefined ? '' : ` (CPU ${t.cpuMsPerStep.toFixed(1)} ms/step)`);

/** Stages of --sweep: each adds kernels to the previous one (Conv2DBackpropFilter is required on WASM). */
const SWEEP_STEPS: Array<{ label: string; adds: WasmKernelName[] }> = [
  {
    label: 'WASM + Conv2DBackpropFilter',
    adds: [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
    ],
  },
  { label: '+ Conv2DBackpropInput', adds: ['Conv2DBackpropInput'] },
  { label: '+ transposed matMul', adds: ['BatchMatMul', '_FusedMatMul'] },
  { label: '+ MaxPoolGrad', adds: ['MaxPoolGrad'] },
  { label: '+ Sum over leading axes (all)', adds: ['Sum'] },
];

function useKernels(kernels: WasmKernelName[]): void {
  unregisterWasmKernels();
  registerWasmKernels(kernels);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Round {
  ours: Partial<Record<Mode, Timing>>;
  torch1?: TorchResult;
  torchAll?: TorchResult;
  /** Ours (the best of the modes timed) ÷ the faster PyTorch setting of this round. */
  ratio: number | null;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { backend, notes } = await selectBackend(options.backend);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const fashion = await fashionBatches(4);
  const batches = fashion ?? makeBatches(4);
  console.log(
    `simple-cnn ${IMAGE_SIZE}×${IMAGE_SIZE}×${CHANNELS}, batch ${BATCH}, Adam; ${fashion ? 'the first 256 Fashion-MNIST training images' : 'fixed pseudo-random images (install dataset-fashion-mnist for real ones)'}, the same bytes for both sides; ${options.steps} timed steps after ${options.warmup} warm-up`,
  );
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${load}`,
  );
  console.log(`backend: ${backend}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  const sweep: Array<{ label: string } & Timing> = [];
  if (options.sweep && backend === 'wasm') {
    const kernels: WasmKernelName[] = [];
    for (const stage of SWEEP_STEPS) {
      kernels.push(...stage.adds);
      useKernels(kernels);
      const timing = await timeMode('trainer', options, batches);
      sweep.push({ label: stage.label, ...timing });
      console.log(`  ${stage.label.padEnd(34)} ${fmt(timing)}`);
    }
  }
  if (backend === 'wasm') useKernels(options.kernels);

  const torchReady = options.torch && torchAvailable();
  if (options.torch && !torchReady)
    console.log(`PyTorch: not measured (${TORCH_PYTHON} cannot import torch; apt install python3-torch)`);
  const dataFile = torchReady ? writeSharedBatches(batches) : null;
  const cores = os.cpus().length;
  const rounds: Round[] = [];
  try {
    for (let r = 1; r <= options.rounds; r++) {
      console.log(`round ${r} of ${options.rounds}`);
      const round: Round = { ours: {}, ratio: null };
      for (const mode of options.modes) {
        const timing = await timeMode(mode, options, batches);
        round.ours[mode] = timing;
        const label =
          mode === 'parallel'
            ? `parallel, ${options.workers + 1} threads`
            : mode === 'auto'
              ? `default settings: ${timing.reason ?? `${timing.threads ?? 1} thread(s)`}`
              : mode;
        console.log(`  ours (${backend}, ${label}): ${fmt(timing)}`);
        if (options.profile && mode !== 'parallel' && mode !== 'auto' && r === 1)
          await profileMode(mode, options, batches);
      }
      if (dataFile) {
        const one = runTorch(options.torchSteps, 1, dataFile);
        const all = runTorch(options.torchSteps, cores, dataFile);
        if (typeof one === 'string') console.log(`  ${one}`);
        else {
          round.torch1 = one;
          console.log(`  PyTorch ${one.torch} CPU, 1 thread: ${fmt(one)}`);
        }
        if (typeof all === 'string') console.log(`  ${all}`);
        else {
          round.torchAll = all;
          console.log(`  PyTorch ${all.torch} CPU, ${all.threads} threads: ${fmt(all)}`);
        }
        const best = Math.max(round.torch1?.samplesPerSecond ?? 0, round.torchAll?.samplesPerSecond ?? 0);
        const ours = Math.max(...Object.values(round.ours).map((t) => t.samplesPerSecond));
        if (best > 0) {
          round.ratio = ours / best;
          console.log(`  ratio ours / faster PyTorch: ${round.ratio.toFixed(2)}`);
        }
      }
      rounds.push(round);
    }
  } finally {
    if (dataFile) rmSync(path.dirname(dataFile), { recursive: true, force: true });
  }
  const ratios = rounds.flatMap((r) => (r.ratio === null ? [] : [r.ratio]));
  const medianRatio = ratios.length > 0 ? median(ratios) : null;
  if (medianRatio !== null) {
    console.log(
      `median ratio ours / faster PyTorch over ${ratios.length} rounds: ${medianRatio.toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; goal ≥ 1.0)`,
    );
  }
  console.log(
    JSON.stringify({
      model: 'simple-cnn',
      batch: BATCH,
      images: fashion ? 'fashion-mnist' : 'pseudo-random',
      backend,
      kernels: backend === 'wasm' ? options.kernels : [],
      rounds,
      sweep,
      medianRatio,
      ratios,
      cpus: cores,
      loadAverage: os.loadavg(),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
