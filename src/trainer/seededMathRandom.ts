// TensorFlow.js draws the seed of every unseeded random op from Math.random: the layers' weight
// initialisers, dropout masks, tf.randomUniform. A run's `seed` promises the same initial weights (and,
// with dropout, the same masks) every time, so training runs with Math.random replaced by a generator
// seeded from it, and puts the original back afterwards. Only the trainer's own process (the CLI child,
// its worker threads, tests) ever trains; the extension host never does.
import { createRng } from '../core/random';

/** Runs `work` with Math.random drawn from `seed`; restores the previous Math.random when it settles. */
export async function withSeededMathRandom<T>(seed: number, work: () => Promise<T>): Promise<T> {
  const previous = Math.random;
  Math.random = createRng(seed).nextFloat;
  try {
    return await work();
  } finally {
    Math.random = previous;
  }
}

/** For a worker thread, which trains for its whole life: seeds Math.random once, for good. */
export function seedMathRandom(seed: number): void {
  Math.random = createRng(seed).nextFloat;
}
