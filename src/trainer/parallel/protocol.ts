// Messages and shared memory between the data-parallel trainer and its worker threads. Bulk data
// (weights, gradients, the worker's shard) lives in SharedArrayBuffers, so a step's messages carry
// only counts and scalars.

export interface ParallelWorkerInit {
  type: 'init';
  /** Seed of the worker's Math.random, from which tfjs seeds its dropout masks. */
  seed: number;
  backend: 'wasm' | 'cpu';
  /** model.toJSON(null, false): the worker builds an identical replica. */
  topology: unknown;
  imageSize: number;
  channels: number;
  numClasses: number;
  classWeights: number[] | null;
  labelSmoothing: number;
  trainableShapes: number[][];
  nonTrainableShapes: number[][];
  /** Float32: trainable then non-trainable weights, written by the main thread before each step. */
  weights: SharedArrayBuffer;
  /** Float32: the shard's trainable gradients, then its non-trainable weights after the step. */
  gradients: SharedArrayBuffer;
  /** Float32 pixels and Int32 labels of the worker's shard. */
  pixels: SharedArrayBuffer;
  labels: SharedArrayBuffer;
}

export interface ParallelWorkerStep {
  type: 'step';
  /** Images in this step's shard. */
  count: number;
}

export type ToParallelWorker = ParallelWorkerInit | ParallelWorkerStep;

export type FromParallelWorker =
  | { type: 'ready' }
  | {
      type: 'done';
      loss: number;
      correct: number;
      /** When the shard's gradients were in shared memory: performance.timeOrigin + performance.now(),
       * which both threads read on the same clock (the main thread cannot see it any sooner while it
       * computes its own shard). */
      doneAt: number;
    }
  | { type: 'error'; message: string };

/** Wall-clock milliseconds on the clock every thread of this process shares. */
export function sharedClock(): number {
  return performance.timeOrigin + performance.now();
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isFromParallelWorker(value: unknown): value is FromParallelWorker {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'done' || type === 'error';
}
