// CPU cost of one training step of `simple-cnn` and of the default `cnn` preset (28×28×1, batch 64, Adam,
// the trainer's own step), on the WASM backend with our kernels, one thread; and where it goes per kernel.
//
//   node --import tsx bench/kernelProfile.ts [--model simple-cnn|cnn|both] [--steps N] [--warmup N]
//       [--profile] [--by-shape] [--losses N] [--kernels all|none|Name,Name]
//
// The figure to compare is CPU ms per step (process.cpuUsage): on a shared machine it moves far less than
// wall time. --profile adds the CPU time per kernel (outermost kernel calls, timed with process.cpuUsage); --by-shape splits it by input shapes. --losses N
// prints the loss of N steps from fixed, seeded weights and batches, to check that a kernel change keeps
// the results (compare the printed losses between two checkouts). The last line is JSON.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CNN } from '../src/core/configFields';
import { selectBackend } from '../src/trainer/backend';
import {
  WASM_KERNEL_NAMES,
  type WasmKernelName,
  registerWasmKernels,
  unregisterWasmKernels,
} from '../src/trainer/kernels';
import { buildCnn, buildSimpleCnn } from '../src/trainer/models';
import { makeTrainStep } from '../src/trainer/training/trainStep';
import { createRng } from '../src/core/random';

const IMAGE_SIZE = 28;
const CHANNELS = 1;
const CLASSES = 10;
const BATCH = 64;

type ModelName = 'simple-cnn' | 'cnn';

interface Options {
  models: ModelName[];
  steps: number;
  warmup: number;
  profile: boolean;
  byShape: boolean;
  losses: number;
  kernels: WasmKernelName[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    models: ['simple-cnn', 'cnn'],
    steps: 20,
    warmup: 5,
    profile: false,
    byShape: false,
    losses: 0,
    kernels: [...WASM_KERNEL_NAMES],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model': {
        const v = value();
        if (v === 'both') options.models = ['simple-cnn', 'cnn'];
        else if (v === 'simple-cnn' || v === 'cnn') options.models = [v];
        else throw new Error('--model must be simple-cnn, cnn or both');
        break;
      }
      case '--steps':
        options.steps = count(flag, value(), 1);
        break;
      case '--warmup':
        options.warmup = count(flag, value(), 0);
        break;
      case '--losses':
        options.losses = count(flag, value(), 0);
        break;
      case '--profile':
        options.profile = true;
        break;
      case '--by-shape':
        options.profile = true;
        options.byShape = true;
        break;
      case '--kernels': {
        const v = value();
        if (v === 'all') options.kernels = [...WASM_KERNEL_NAMES];
        else if (v === 'none') options.kernels = [];
        else {
          for (const name of v.split(','))
            if (!(WASM_KERNEL_NAMES as readonly string[]).includes(name))
              throw new Error(`unknown kernel ${name}; known: ${WASM_KERNEL_NAMES.join(', ')}`);
          options.kernels = v.split(',') as WasmKernelName[];
        }
        break;
      }
      default:
        throw new Error(`unknown flag ${flag}`);
    }
  }
  return options;
}

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}`);
  return n;
}

/** The trainer's own seeded generator (mulberry32), as a function. */
function seededRandom(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.nextFloat();
}

function makeBatches(count: number): Array<{ pixels: Float32Array; labels: Int32Array }> {
  const next = seededRandom(12345);
  return Array.from({ length: count }, () => {
    const pixels = new Float32Array(BATCH * IMAGE_SIZE * IMAGE_SIZE * CHANNELS);
    for (let i = 0; i < pixels.length; i++) pixels[i] = next();
    const labels = new Int32Array(BATCH);
    for (let i = 0; i < BATCH; i++) labels[i] = Math.floor(next() * CLASSES);
    return { pixels, labels };
  });
}

function buildModel(name: ModelName): tf.LayersModel {
  const input = { imageSize: IMAGE_SIZE, channels: CHANNELS, numClasses: CLASSES };
  return name === 'simple-cnn' ? buildSimpleCnn(input) : buildCnn(input, DEFAULT_CNN);
}

/** Replaces every trainable weight by seeded values of a fan-in scale, so that runs compare. */
function seedWeights(model: tf.LayersModel): void {
  const next = seededRandom(777);
  for (const weight of model.trainableWeights) {
    const shape = weight.shape as number[];
    const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const scale = shape.length > 1 ? Math.sqrt(3 / fanIn) : 0.1;
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (next() * 2 - 1) * scale + (shape.length > 1 ? 0 : 1);
    weight.write(tf.tensor(values, shape));
  }
}

interface Stepper {
  step: (i: number) => number;
  dispose: () => void;
}

function makeStepper(name: ModelName, batches: ReturnType<typeof makeBatches>): Stepper {
  const model = buildModel(name);
  seedWeights(model);
  const optimizer = tf.train.adam(1e-3);
  const trainStep = makeTrainStep(
    model,
    optimizer,
    { imageSize: IMAGE_SIZE, channels: CHANNELS },
    { numClasses: CLASSES, classWeights: null },
  );
  return {
    step: (i) => {
      const { pixels, labels } = batches[i % batches.length];
      return trainStep(pixels, labels).loss;
    },
    dispose: () => {
      model.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * Wraps every WASM kernel registered now with a CPU timer (process.cpuUsage, all threads, µs), counting
 * only outermost calls so that a kernel run from inside another is not counted twice. Returns the undo.
 */
function wrapKernelsWithCpuTimers(
  totals: Map<string, { us: number; calls: number }>,
  byShape: boolean,
): () => void {
  const configs = tf.getKernelsForBackend('wasm');
  let depth = 0;
  for (const config of configs) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args);
        depth++;
        const start = process.cpuUsage();
        try {
          return inner(args);
        } finally {
          const used = process.cpuUsage(start);
          depth--;
          const key = byShape
            ? `${config.kernelName} ${Object.values(args.inputs)
                .filter((t) => t !== undefined)
                .map((t) => `[${t.shape.join(',')}]`)
                .join(' ')}`
            : config.kernelName;
          const entry = totals.get(key) ?? { us: 0, calls: 0 };
          entry.us += used.user + used.system;
          entry.calls += 1;
          totals.set(key, entry);
        }
      },
    });
  }
  return () => {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  };
}

interface ModelFigures {
  model: ModelName;
  cpuMsPerStep: number;
  wallMsPerStep: number;
  losses: number[];
  kernels: Array<{ name: string; ms: number; calls: number }>;
}

async function measure(name: ModelName, options: Options): Promise<ModelFigures> {
  const batches = makeBatches(4);
  const figures: ModelFigures = { model: name, cpuMsPerStep: 0, wallMsPerStep: 0, losses: [], kernels: [] };
  if (options.losses > 0) {
    // Dropout draws its seeds from Math.random: seeded here so that the losses compare between runs.
    const random = Math.random;
    Math.random = seededRandom(4242);
    try {
      const { step, dispose } = makeStepper(name, batches);
      for (let i = 0; i < options.losses; i++) figures.losses.push(step(i));
      dispose();
    } finally {
      Math.random = random;
    }
    console.log(`${name} losses: ${figures.losses.map((l) => l.toPrecision(7)).join(' ')}`);
  }
  const { step, dispose } = makeStepper(name, batches);
  try {
    for (let i = 0; i < options.warmup; i++) step(i);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < options.steps; i++) step(i);
    const cpu = process.cpuUsage(cpuStart);
    figures.wallMsPerStep = (performance.now() - start) / options.steps;
    figures.cpuMsPerStep = (cpu.user + cpu.system) / 1000 / options.steps;
    console.log(
      `${name}: CPU ${figures.cpuMsPerStep.toFixed(1)} ms/step, wall ${figures.wallMsPerStep.toFixed(1)} ms/step (${options.steps} steps)`,
    );
    if (options.profile) {
      const steps = options.steps;
      const totals = new Map<string, { us: number; calls: number }>();
      const restore = wrapKernelsWithCpuTimers(totals, options.byShape);
      const profileStart = process.cpuUsage();
      try {
        for (let i = 0; i < steps; i++) step(i);
      } finally {
        restore();
      }
      const whole = process.cpuUsage(profileStart);
      figures.kernels = [...totals.entries()]
        .map(([kernel, e]) => ({ name: kernel, ms: e.us / 1000 / steps, calls: e.calls / steps }))
        .sort((a, b) => b.ms - a.ms);
      const sum = figures.kernels.reduce((s, k) => s + k.ms, 0);
      const stepMs = (whole.user + whole.system) / 1000 / steps;
      console.log(
        `  per-kernel CPU ms per step (${steps} profiled steps, ${stepMs.toFixed(1)} ms/step with timers):`,
      );
      for (const k of figures.kernels) {
        if (k.ms < 0.05) continue;
        console.log(
          `    ${k.name.padEnd(options.byShape ? 70 : 36)} ${k.ms.toFixed(2).padStart(8)} ms  ${String(k.calls).padStart(4)} calls`,
        );
      }
      console.log(`    ${'total in kernels'.padEnd(36)} ${sum.toFixed(2).padStart(8)} ms`);
      console.log(`    ${'outside kernels'.padEnd(36)} ${(stepMs - sum).toFixed(2).padStart(8)} ms`);
    }
  } finally {
    dispose();
  }
  return figures;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { backend } = await selectBackend('wasm');
  if (backend !== 'wasm') throw new Error(`the WASM backend did not start (got ${backend})`);
  unregisterWasmKernels();
  registerWasmKernels(options.kernels);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`28×28×1, batch ${BATCH}, Adam; load average ${load}`);
  const results: ModelFigures[] = [];
  for (const name of options.models) results.push(await measure(name, options));
  console.log(JSON.stringify({ results, loadAverage: os.loadavg() }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
