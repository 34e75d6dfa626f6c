// Training throughput of simple-cnn (28×28×1, batch 64, Adam, random data, no augmentation) on our
// engine, and of PyTorch CPU on the same model, batch and data where Debian's python3-torch is present.
//
//   node --import tsx bench/throughput.ts [--steps N] [--warmup N] [--backend auto|wasm|cpu|…]
//       [--mode trainer|trainOnBatch|parallel|all] [--workers N] [--kernels all|none|Name,Name] [--sweep] [--profile]
//       [--no-torch] [--torch-steps N]
//
// --mode trainer times the trainer's own step (makeTrainStep: optimizer.minimize on categorical
// cross-entropy); trainOnBatch times tf.LayersModel.trainOnBatch; parallel splits each batch over the
// main thread and N worker threads (src/trainer/parallel; default N = cores − 1). --sweep adds our WASM kernels one
// at a time and times each stage. --profile prints the time per kernel. The last line is JSON.
import { spawnSync } from 'node:child_process';
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
import { makeTrainStep } from '../src/trainer/training/trainStep';

const IMAGE_SIZE = 28;
const CHANNELS = 1;
const CLASSES = 10;
const BATCH = 64;
const TORCH_PYTHON = '/usr/bin/python3';

type Mode = 'trainer' | 'trainOnBatch' | 'parallel';
const MODES: Mode[] = ['trainer', 'trainOnBatch', 'parallel'];

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
}

interface Timing {
  msPerStep: number;
  samplesPerSecond: number;
  /** CPU time of the whole process (all threads) per step: robust to other processes' load. */
  cpuMsPerStep: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    steps: 30,
    warmup: 5,
    backend: 'auto',
    modes: [...MODES],
    kernels: [...WASM_KERNEL_NAMES],
    sweep: false,
    profile: false,
    torch: true,
    torchSteps: 40,
    workers: defaultWorkerCount(),
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

/** A few fixed random batches, cycled, so data generation stays out of the timing. */
function makeBatches(count: number): Array<{ pixels: Float32Array; labels: Int32Array }> {
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
}

/** Returns a function running one training step on batch i (mod the batches). */
async function makeStepper(
  mode: Mode,
  options: Options,
  batches: ReturnType<typeof makeBatches>,
): Promise<Stepper> {
  const model = buildSimpleCnn({ imageSize: IMAGE_SIZE, channels: CHANNELS, numClasses: CLASSES });
  const optimizer = tf.train.adam(1e-3);
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
    const trainStep = makeTrainStep(
      model,
      optimizer,
      { imageSize: IMAGE_SIZE, channels: CHANNELS },
      { numClasses: CLASSES, classWeights: null },
    );
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

async function timeMode(
  mode: Mode,
  options: Options,
  batches: ReturnType<typeof makeBatches>,
): Promise<Timing> {
  const { step, dispose } = await makeStepper(mode, options, batches);
  try {
    for (let i = 0; i < options.warmup; i++) await step(i);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < options.steps; i++) await step(i);
    const cpu = process.cpuUsage(cpuStart);
    const msPerStep = (performance.now() - start) / options.steps;
    return {
      msPerStep,
      samplesPerSecond: (BATCH * 1000) / msPerStep,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / options.steps,
    };
  } finally {
    await dispose();
  }
}

async function profileMode(
  mode: Mode,
  options: Options,
  batches: ReturnType<typeof makeBatches>,
): Promise<void> {
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

function runTorch(steps: number, threads: number): TorchResult | string {
  const script = path.join(__dirname, 'torchThroughput.py');
  const result = spawnSync(TORCH_PYTHON, [script, '--steps', String(steps), '--threads', String(threads)], {
    encoding: 'utf8',
  });
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { backend, notes } = await selectBackend(options.backend);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `simple-cnn ${IMAGE_SIZE}×${IMAGE_SIZE}×${CHANNELS}, batch ${BATCH}, Adam, random data; ${options.steps} timed steps after ${options.warmup} warm-up`,
  );
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${load}`,
  );
  console.log(`backend: ${backend}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  const batches = makeBatches(4);
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
  const results: Partial<Record<Mode, Timing>> = {};
  for (const mode of options.modes) {
    const timing = await timeMode(mode, options, batches);
    results[mode] = timing;
    const label = mode === 'parallel' ? `parallel, ${options.workers + 1} threads` : mode;
    console.log(`ours (${backend}, ${label}): ${fmt(timing)}`);
    if (options.profile && mode !== 'parallel') await profileMode(mode, options, batches);
  }
  const ours = Math.max(...Object.values(results).map((t) => t.samplesPerSecond));

  let torch: { default?: TorchResult; allCores?: TorchResult; error?: string } | null = null;
  let ratio: number | null = null;
  let cpuRatio: number | null = null;
  if (options.torch) {
    if (!torchAvailable()) {
      console.log(`PyTorch: not measured (${TORCH_PYTHON} cannot import torch; apt install python3-torch)`);
    } else {
      torch = {};
      const byDefault = runTorch(options.torchSteps, 0);
      if (typeof byDefault === 'string') torch.error = byDefault;
      else {
        torch.default = byDefault;
        console.log(
          `PyTorch ${byDefault.torch} CPU, default threads (${byDefault.threads}): ${fmt(byDefault)}`,
        );
        const cores = os.cpus().length;
        if (byDefault.threads !== cores) {
          const all = runTorch(options.torchSteps, cores);
          if (typeof all !== 'string') {
            torch.allCores = all;
            console.log(`PyTorch ${all.torch} CPU, all ${cores} cores: ${fmt(all)}`);
          }
        }
        const best = Math.max(byDefault.samplesPerSecond, torch.allCores?.samplesPerSecond ?? 0);
        ratio = ours / best;
        console.log(`ratio ours / PyTorch (samples/s, each at its faster setting): ${ratio.toFixed(2)}`);
        // CPU time per step of one thread each: a comparison that other processes' load distorts less.
        const single = results.trainer ?? results.trainOnBatch;
        if (single && byDefault.threads === 1) {
          cpuRatio = byDefault.cpuMsPerStep / single.cpuMsPerStep;
          console.log(`per-core ratio (PyTorch CPU ms/step ÷ ours, one thread each): ${cpuRatio.toFixed(2)}`);
        }
      }
      if (torch.error) console.log(torch.error);
    }
  }
  console.log(
    JSON.stringify({
      model: 'simple-cnn',
      batch: BATCH,
      backend,
      kernels: backend === 'wasm' ? options.kernels : [],
      workers: options.workers,
      ours: results,
      sweep,
      torch,
      ratio,
      cpuRatio,
      cpus: os.cpus().length,
      loadAverage: os.loadavg(),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
