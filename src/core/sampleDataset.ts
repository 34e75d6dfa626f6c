// The procedural sample data set: shapes drawn in code (no download), varied in position, size, rotation,
// colour, background and noise, so a model must learn shape rather than a pixel or a colour.
import { createRng, deriveSeed, type Rng } from './random';

export const SAMPLE_CLASSES = ['circle', 'square', 'triangle', 'cross'] as const;
export type SampleClass = (typeof SAMPLE_CLASSES)[number];

export interface SampleOptions {
  perClass: number;
  size: number;
  seed: number;
}

/** A second data set of other shapes, for transfer tests: features learnt on one should help on the other. */
export const VARIANT_CLASSES = ['ring', 'diamond', 'hbar', 'vbar'] as const;
export type VariantClass = (typeof VARIANT_CLASSES)[number];

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = { perClass: 120, size: 48, seed: 7 };

/** Is the point (u, v) in shape-local coordinates (unit radius, centred) inside the shape? */
function inside(shape: SampleClass, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'square':
      return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
    case 'triangle':
      // Equilateral, circumradius 1, apex up: inside every edge, each 0.5 from the centre.
      return v <= 0.5 && -0.866 * u - 0.5 * v <= 0.5 && 0.866 * u - 0.5 * v <= 0.5;
    case 'cross':
      return (Math.abs(u) <= 0.25 && Math.abs(v) <= 0.9) || (Math.abs(v) <= 0.25 && Math.abs(u) <= 0.9);
  }
}

function insideVariant(shape: VariantClass, u: number, v: number): boolean {
  switch (shape) {
    case 'ring':
      return u * u + v * v <= 1 && u * u + v * v >= 0.36;
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1;
    case 'hbar':
      return Math.abs(u) <= 0.95 && Math.abs(v) <= 0.3;
    case 'vbar':
      return Math.abs(v) <= 0.95 && Math.abs(u) <= 0.3;
  }
}

function randomColour(rng: Rng): [number, number, number] {
  return [rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)];
}

function luminance([r, g, b]: [number, number, number]): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Renders one RGB image (size×size×3, uint8, HWC) of `shape`, drawn from `rng`. */
export function renderSample(shape: SampleClass | VariantClass, size: number, rng: Rng): Uint8Array {
  const test = (SAMPLE_CLASSES as readonly string[]).includes(shape)
    ? (u: number, v: number) => inside(shape as SampleClass, u, v)
    : (u: number, v: number) => insideVariant(shape as VariantClass, u, v);
  const background = randomColour(rng);
  let foreground = randomColour(rng);
  // Keep the shape visible: at least 60 levels of luminance away from the background.
  for (let tries = 0; tries < 20 && Math.abs(luminance(foreground) - luminance(background)) < 60; tries++) {
    foreground = randomColour(rng);
  }
  const radius = size * rng.uniform(0.26, 0.4);
  const cx = rng.uniform(radius, size - radius);
  const cy = rng.uniform(radius, size - radius);
  const angle = rng.uniform(-0.35, 0.35);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const noise = rng.uniform(3, 12);
  const gradient = rng.uniform(-0.4, 0.4);
  const pixels = new Uint8Array(size * size * 3);
  const sub = [0.25, 0.75];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // 2×2 supersampling for anti-aliased edges.
      let cover = 0;
      for (const oy of sub) {
        for (const ox of sub) {
          const dx = (x + ox - cx) / radius;
          const dy = (y + oy - cy) / radius;
          if (test(cos * dx + sin * dy, -sin * dx + cos * dy)) cover++;
        }
      }
      const t = cover / 4;
      const shade = 1 + gradient * (y / size - 0.5);
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const value = background[c] * shade * (1 - t) + foreground[c] * t + rng.normal() * noise;
        pixels[o + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
      }
    }
  }
  return pixels;
}

export interface SampleImage {
  label: SampleClass | VariantClass;
  /** Relative path: `<class>/<class>_<index>.png`. */
  path: string;
  pixels: Uint8Array;
}

/** Every image of the sample data set, deterministic for a seed. Yields lazily to keep memory flat. */
export function* generateSampleDataset(
  options: SampleOptions,
  classes: readonly (SampleClass | VariantClass)[] = SAMPLE_CLASSES,
): Generator<SampleImage> {
  for (const label of classes) {
    for (let i = 0; i < options.perClass; i++) {
      const rng = createRng(deriveSeed(options.seed, label, i));
      yield {
        label,
        path: `${label}/${label}_${String(i).padStart(4, '0')}.png`,
        pixels: renderSample(label, options.size, rng),
      };
    }
  }
}
