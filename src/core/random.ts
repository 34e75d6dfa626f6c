// Seeded randomness. Every random choice of a run (split, per-epoch order, per-sample augmentation) draws
// from its own stream derived from the run's seed and a label, so a resumed run replays the same order
// and changing one consumer (more augmentation draws) never shifts another (the split).

export interface Rng {
  /** Uniform in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
  /** A shuffled copy (Fisher–Yates); the input is left as it was. */
  shuffle<T>(items: readonly T[]): T[];
  /** Standard normal (mean 0, standard deviation 1), Box–Muller. */
  normal(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
}

/** mulberry32: 32-bit state, passes BigCrush's practical tests, and fast enough for per-sample use. */
export function createRng(seed: number): Rng {
  let state = toUint32(seed);
  const nextFloat = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const nextInt = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`nextInt needs a positive whole number, got ${n}`);
    return Math.floor(nextFloat() * n);
  };
  return {
    nextFloat,
    nextInt,
    shuffle<T>(items: readonly T[]): T[] {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = nextInt(i + 1);
        const tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
      }
      return out;
    },
    normal(): number {
      // 1 - u keeps the logarithm's argument in (0, 1].
      const u = 1 - nextFloat();
      const v = nextFloat();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    uniform(min: number, max: number): number {
      return min + (max - min) * nextFloat();
    },
  };
}

/**
 * A seed for an independent stream: `deriveSeed(seed, 'epoch', 3)`, `deriveSeed(seed, 'augment', epoch, i)`.
 * FNV-1a over the labels, then a murmur3 finaliser so that nearby inputs give unrelated seeds.
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let h = 0x811c9dc5 ^ toUint32(seed);
  h = Math.imul(h, 0x01000193) >>> 0;
  for (const label of labels) {
    const text = `${typeof label}:${label}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return fmix32(h);
}

function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Any finite number maps to a 32-bit seed; seeds above 2^32 keep their high bits rather than wrapping. */
function toUint32(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const whole = Math.trunc(seed);
  const low = whole >>> 0;
  const high = Math.floor(whole / 4294967296) >>> 0;
  return (low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
}
