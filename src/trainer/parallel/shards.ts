// How a batch is cut into shards, one per thread. Pure: no tfjs, no workers.
//
// Equal shards leave the main thread waiting: a worker starts later (its wake-up, copying the weights in)
// and hands its gradients back through memory, so it finishes behind on the same number of images. After a
// few measured steps the split follows each thread's measured time per image, then stays fixed, so a run's
// shards stop depending on the minute's load.

/** n split into k near-equal parts, larger first (shard 0, the main thread's, is never smaller). */
export function splitEvenly(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/**
 * n split in proportion to each thread's speed (`msPerImage[i]`: measured milliseconds per image, thread 0
 * the main thread), rounded so the parts add up to n; every thread keeps at least one image when n allows.
 * Falls back to an even split when a figure is missing or not positive.
 */
export function splitByTime(n: number, msPerImage: readonly number[]): number[] {
  const k = msPerImage.length;
  if (k === 0) return [];
  if (!msPerImage.every((t) => Number.isFinite(t) && t > 0)) return splitEvenly(n, k);
  const rates = msPerImage.map((t) => 1 / t);
  const total = rates.reduce((a, b) => a + b, 0);
  const ideal = rates.map((r) => (n * r) / total);
  const parts = ideal.map((x) => Math.floor(x));
  // Largest remainders first (ties to the lower index), so the rounding error is below one image each.
  const order = ideal
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let left = n - parts.reduce((a, b) => a + b, 0), j = 0; left > 0; left--, j++) parts[order[j % k].i]++;
  if (n >= k) {
    for (let i = 0; i < k; i++) {
      if (parts[i] > 0) continue;
      const donor = parts.indexOf(Math.max(...parts));
      parts[donor]--;
      parts[i]++;
    }
  }
  return parts;
}

/** Cuts each batch into one shard per thread, and hears how long each thread took on its shard. */
export interface ShardPlan {
  plan(n: number): number[];
  record(n: number, shards: readonly number[], ms: readonly number[]): void;
  readonly fixedSplit: readonly number[] | null;
}

/** Steps measured (after the first, which warms up) before the split is fixed. */
export const MEASURED_STEPS = 6;

/**
 * Keeps each thread's time per image over the first steps of a full batch, then fixes the split for
 * that batch size. Smaller batches (an epoch's last) are split evenly.
 */
export class ShardPlanner implements ShardPlan {
  private readonly totals: number[];
  private readonly images: number[];
  private steps = 0;
  private fixed: number[] | null = null;

  /**
   * `workerCapacity`: the most images a worker's shared buffers hold; a measured split never gives a
   * worker more (the rest goes to the main thread, which has no such buffer).
   */
  constructor(
    private readonly threads: number,
    private readonly fullBatch: number,
    private readonly workerCapacity: number = Number.POSITIVE_INFINITY,
  ) {
    this.totals = new Array<number>(threads).fill(0);
    this.images = new Array<number>(threads).fill(0);
  }

  /** The shards for a batch of n images. */
  plan(n: number): number[] {
    if (n !== this.fullBatch || this.fixed === null) return splitEvenly(n, this.threads);
    return this.fixed;
  }

  /** Records how long each thread took on its shard of a full batch (ms from the step's start). */
  record(n: number, shards: readonly number[], ms: readonly number[]): void {
    if (n !== this.fullBatch || this.fixed !== null) return;
    this.steps++;
    if (this.steps === 1) return; // the first step compiles and allocates
    shards.forEach((count, i) => {
      this.totals[i] += ms[i];
      this.images[i] += count;
    });
    if (this.steps > MEASURED_STEPS) {
      this.fixed = capWorkers(
        splitByTime(
          n,
          this.totals.map((t, i) => (this.images[i] > 0 ? t / this.images[i] : 0)),
        ),
        this.workerCapacity,
      );
    }
  }

  /** The split in use for full batches once fixed, else null. */
  get fixedSplit(): readonly number[] | null {
    return this.fixed;
  }
}

/** Shards 1.. held to `capacity` images each; what they give up goes to shard 0 (the main thread). */
export function capWorkers(shards: readonly number[], capacity: number): number[] {
  const capped = [...shards];
  for (let i = 1; i < capped.length; i++) {
    const excess = capped[i] - capacity;
    if (excess > 0) {
      capped[i] -= excess;
      capped[0] += excess;
    }
  }
  return capped;
}
