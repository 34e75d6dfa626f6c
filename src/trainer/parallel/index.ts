// Data-parallel training over worker threads. The WASM backend runs one thread under Node, so one
// model trains on one core; here each batch is split into shards, the main thread and each worker
// (its own engine, backend and model replica) compute one shard's gradients at the same time, and the
// main thread averages them (weighted by shard size) and applies one optimizer update. The result is
// the same update as one step on the whole batch, up to float rounding and each shard's own dropout.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { shardGradients, trainableVariables } from './loss';
import {
  type FromParallelWorker,
  type ParallelWorkerInit,
  isFromParallelWorker,
  sharedClock,
  sizeOf,
} from './protocol';
import { type ShardPlan, ShardPlanner } from './shards';

export { splitByTime, splitEvenly } from './shards';

export interface ParallelTrainOptions {
  /** The model to train; its weights stay the truth, replicas copy them every step. */
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  imageSize: number;
  channels: number;
  numClasses: number;
  classWeights: number[] | null;
  /** Cross-entropy label smoothing (default 0, off). */
  labelSmoothing?: number;
  /** Largest batch the step will be given (sizes the shared buffers). */
  maxBatchSize: number;
  /** Worker threads besides the main thread; default: available cores − 1 (0 = no workers). */
  workers?: number;
  /** The backend the workers use; it should be the main thread's. */
  backend: 'wasm' | 'cpu';
  /** Seeds each worker's Math.random (its dropout masks), worker i with seed + i + 1. */
  seed?: number;
  /** How each batch is cut into shards; default: measured over the first steps (ShardPlanner). */
  shards?: ShardPlan;
}

export interface StepResult {
  /** Mean loss over the batch (the regularisation counted once). */
  loss: number;
  /** Correctly classified images in the batch. */
  correct: number;
}

export interface ParallelTrainStep {
  (pixels: Float32Array, labels: Int32Array): Promise<StepResult>;
  /** Threads that share each batch, the main thread included. */
  readonly threads: number;
  /** The split of a full batch once measured (main thread first), else null. */
  readonly shardSplit: () => readonly number[] | null;
  dispose(): Promise<void>;
}

/** Worker threads worth starting on this machine: one per core beyond the main thread. */
export function defaultWorkerCount(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(0, cores - 1);
}

interface WorkerHandle {
  worker: Worker;
  pixels: Float32Array;
  labels: Int32Array;
  gradients: Float32Array;
  next: () => Promise<FromParallelWorker>;
}

/** Starts the workers (each loads its backend and builds its replica) and returns the step function. */
export async function createParallelTrainStep(options: ParallelTrainOptions): Promise<ParallelTrainStep> {
  const { model, optimizer } = options;
  const workerCount = options.workers ?? defaultWorkerCount();
  const variables = trainableVariables(model);
  const trainableShapes = model.trainableWeights.map((w) => w.read().shape);
  const nonTrainableShapes = model.nonTrainableWeights.map((w) => w.read().shape);
  const trainableSize = trainableShapes.reduce((s, shape) => s + sizeOf(shape), 0);
  const nonTrainableSize = nonTrainableShapes.reduce((s, shape) => s + sizeOf(shape), 0);
  const pixelsPerImage = options.imageSize * options.imageSize * options.channels;
  // Room for a quarter more than an even share, so a measured split can give a faster worker more.
  const workerCapacity = Math.min(
    options.maxBatchSize,
    Math.ceil((1.25 * options.maxBatchSize) / (workerCount + 1)),
  );
  const weights = new SharedArrayBuffer(4 * (trainableSize + nonTrainableSize));
  const topology = model.toJSON(null, false);

  const handles: WorkerHandle[] = [];
  try {
    for (let i = 0; i < workerCount; i++) {
      const init: ParallelWorkerInit = {
        type: 'init',
        backend: options.backend,
        seed: (options.seed ?? 0) + i + 1,
        topology,
        imageSize: options.imageSize,
        channels: options.channels,
        numClasses: options.numClasses,
        classWeights: options.classWeights,
        labelSmoothing: options.labelSmoothing ?? 0,
        trainableShapes,
        nonTrainableShapes,
        weights,
        gradients: new SharedArrayBuffer(4 * (trainableSize + nonTrainableSize)),
        pixels: new SharedArrayBuffer(4 * workerCapacity * pixelsPerImage),
        labels: new SharedArrayBuffer(4 * workerCapacity),
      };
      const handle = startWorker(init);
      handles.push(handle);
      const reply = await handle.next();
      if (reply.type !== 'ready')
        throw new Error(reply.type === 'error' ? reply.message : 'unexpected reply');
    }
  } catch (error) {
    await Promise.all(handles.map((h) => h.worker.terminate()));
    throw new Error(
      `data-parallel workers failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  const sharedWeights = new Float32Array(weights);
  const publishWeights = (): void => {
    let offset = 0;
    for (const w of [...model.trainableWeights, ...model.nonTrainableWeights]) {
      const values = w.read().dataSync() as Float32Array;
      sharedWeights.set(values, offset);
      offset += values.length;
    }
  };

  const planner =
    options.shards ?? new ShardPlanner(handles.length + 1, options.maxBatchSize, workerCapacity);
  const step = async (pixels: Float32Array, labels: Int32Array): Promise<StepResult> => {
    const n = labels.length;
    if (n > options.maxBatchSize)
      throw new Error(`batch of ${n} exceeds maxBatchSize ${options.maxBatchSize}`);
    const shards = planner.plan(n);
    if (shards.length !== handles.length + 1 || shards.reduce((a, b) => a + b, 0) !== n)
      throw new Error(
        `shards ${shards.join('/')} do not cut a batch of ${n} over ${handles.length + 1} threads`,
      );
    if (shards.slice(1).some((count) => count > workerCapacity))
      throw new Error(`shards ${shards.join('/')} give a worker more than its ${workerCapacity} images`);
    const started = sharedClock();
    const finished = new Array<number>(handles.length + 1).fill(0);
    if (handles.length > 0) publishWeights();
    // Workers take shards 1..k; the main thread keeps shard 0 and computes it meanwhile.
    const replies: Array<Promise<FromParallelWorker>> = [];
    let start = shards[0];
    handles.forEach((h, i) => {
      const count = shards[i + 1];
      h.pixels.set(pixels.subarray(start * pixelsPerImage, (start + count) * pixelsPerImage));
      h.labels.set(labels.subarray(start, start + count));
      const reply = h.next();
      h.worker.postMessage({ type: 'step', count });
      replies.push(reply);
      start += count;
    });
    const own = shardGradients(model, {
      pixels: pixels.subarray(0, shards[0] * pixelsPerImage),
      labels: labels.subarray(0, shards[0]),
      imageSize: options.imageSize,
      channels: options.channels,
      numClasses: options.numClasses,
      classWeights: options.classWeights,
      labelSmoothing: options.labelSmoothing ?? 0,
    });
    finished[0] = sharedClock() - started;
    const results = await Promise.all(replies);
    const failed = results.find((r) => r.type !== 'done');
    if (failed !== undefined) {
      tf.dispose(own.grads);
      throw new Error(
        `data-parallel worker failed: ${failed.type === 'error' ? failed.message : 'unexpected reply'}`,
      );
    }
    let loss = (own.loss * shards[0]) / n;
    let correct = own.correct;
    results.forEach((r, i) => {
      if (r.type !== 'done') return;
      loss += (r.loss * shards[i + 1]) / n;
      correct += r.correct;
    });
    if (handles.length === 0) {
      applyGradients(optimizer, variables, own.grads);
    } else {
      const averaged = averageGradients(own.grads, handles, shards, n);
      tf.dispose(own.grads);
      applyGradients(optimizer, variables, averaged);
      averageNonTrainable(model, handles, shards, n, trainableSize);
      results.forEach((r, i) => {
        if (r.type === 'done') finished[i + 1] = r.doneAt - started;
      });
      planner.record(n, shards, finished);
    }
    return { loss, correct };
  };

  return Object.assign(step, {
    threads: handles.length + 1,
    shardSplit: () => planner.fixedSplit,
    dispose: async () => {
      await Promise.all(handles.map((h) => h.worker.terminate()));
    },
  });
}

function applyGradients(optimizer: tf.Optimizer, variables: tf.Variable[], grads: tf.Tensor[]): void {
  const named: tf.NamedTensorMap = {};
  variables.forEach((v, i) => {
    named[v.name] = grads[i];
  });
  optimizer.applyGradients(named);
  tf.dispose(grads);
}

/** Σ shard size × shard gradient / batch size, as WASM ops: the workers' gradients are copied in once
 * from shared memory, and the main thread's never leave the backend. */
function averageGradients(
  own: tf.Tensor[],
  handles: WorkerHandle[],
  shards: number[],
  n: number,
): tf.Tensor[] {
  let offset = 0;
  return own.map((g) => {
    const sum = weightedSum(g, handles, shards, n, offset);
    offset += g.size;
    return sum;
  });
}

/** Moving statistics (batch norm) updated by every shard's forward pass: their weighted mean. */
function averageNonTrainable(
  model: tf.LayersModel,
  handles: WorkerHandle[],
  shards: number[],
  n: number,
  trainableSize: number,
): void {
  let offset = trainableSize;
  for (const w of model.nonTrainableWeights) {
    const mine = w.read();
    const value = weightedSum(mine, handles, shards, n, offset);
    offset += mine.size;
    w.write(value);
    value.dispose();
  }
}

/** mine·shards[0]/n + Σ the workers' values at offset·shards[i+1]/n. */
function weightedSum(
  mine: tf.Tensor,
  handles: WorkerHandle[],
  shards: number[],
  n: number,
  offset: number,
): tf.Tensor {
  return tf.tidy(() => {
    let sum = tf.mul(mine, shards[0] / n);
    handles.forEach((h, i) => {
      const theirs = tf.tensor(h.gradients.subarray(offset, offset + mine.size), mine.shape);
      sum = tf.add(sum, tf.mul(theirs, shards[i + 1] / n));
    });
    return sum;
  });
}

function startWorker(init: ParallelWorkerInit): WorkerHandle {
  const { file, execArgv } = workerEntry();
  const worker = new Worker(file, { execArgv });
  const waiting: Array<(message: FromParallelWorker) => void> = [];
  // Once a worker is gone, every later request fails at once instead of waiting forever.
  let gone: string | null = null;
  const fail = (message: string): void => {
    gone ??= message;
    for (const resolve of waiting.splice(0)) resolve({ type: 'error', message });
  };
  worker.on('message', (message: unknown) => {
    if (isFromParallelWorker(message)) waiting.shift()?.(message);
  });
  worker.on('error', (error) => fail(error.message));
  worker.on('exit', (code) => fail(`worker exited with code ${code}`));
  worker.postMessage(init);
  return {
    worker,
    pixels: new Float32Array(init.pixels),
    labels: new Int32Array(init.labels),
    gradients: new Float32Array(init.gradients),
    next: () =>
      new Promise<FromParallelWorker>((resolve) => {
        if (gone !== null) resolve({ type: 'error', message: gone });
        else waiting.push(resolve);
      }),
  };
}

/**
 * The bundle ships the worker as dist/parallelWorker.js next to dist/cli.js; from sources (tsx,
 * tests) the TypeScript file runs through tsx's CommonJS hook (its --import hook does not reach the
 * entry file of a worker thread under Node 20: "Unknown file extension .ts").
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const bundled = path.join(__dirname, 'parallelWorker.js');
  if (fs.existsSync(bundled)) return { file: bundled, execArgv: [] };
  return { file: path.join(__dirname, 'worker.ts'), execArgv: ['--require', 'tsx/cjs'] };
}
