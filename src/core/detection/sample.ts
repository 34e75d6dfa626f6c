// The procedural detection sample: 1–4 shapes (circle, square, triangle) per image at random places,
// sizes and colours on textured backgrounds (noise, stripes, gradients), with exact, tight integer-pixel
// boxes. Deterministic for a seed; the writer turns one drawing into YOLO, COCO or VOC files, so the
// three forms hold the same pixels and the same boxes. Pure.
import type { BoxCorners, DetectionSplitName } from '../../protocol/detection';
import { createRng, deriveSeed, type Rng } from '../random';
import { intersectionOverUnion } from './boxes';

export const DETECTION_SAMPLE_CLASSES = ['circle', 'square', 'triangle'] as const;

export interface DetectionSampleOptions {
  images: number;
  size: number;
  seed: number;
}

/** Small enough for the detector to reach mAP@0.5 ≥ 0.8 in minutes on two cores. */
export const DEFAULT_DETECTION_SAMPLE: DetectionSampleOptions = { images: 400, size: 128, seed: 7 };

/** A shape's box side as a fraction of the image side. */
const MIN_SCALE = 0.12;
const MAX_SCALE = 0.4;
/** Shapes may overlap a little (as objects do), never so much that one hides another. */
const MAX_OVERLAP_IOU = 0.2;
const VALIDATION_FRACTION = 0.2;

export interface SampleBox {
  classIndex: number;
  box: BoxCorners;
}

export interface DetectionSampleImage {
  /** File stem, unique across splits: `img_0000`. */
  name: string;
  split: DetectionSplitName;
  size: number;
  /** RGB, size × size × 3, row-major. */
  pixels: Uint8Array;
  boxes: SampleBox[];
}

/** Which images go to validation: a seeded 20% (at least one when there are two or more images). */
export function sampleSplits(count: number, seed: number): DetectionSplitName[] {
  const valCount = count < 2 ? 0 : Math.max(1, Math.round(count * VALIDATION_FRACTION));
  const order = createRng(deriveSeed(seed, 'detect-split')).shuffle(
    Array.from({ length: count }, (_, i) => i),
  );
  const splits: DetectionSplitName[] = new Array<DetectionSplitName>(count).fill('train');
  for (const i of order.slice(0, valCount)) splits[i] = 'val';
  return splits;
}

export function sampleImageName(index: number, count: number): string {
  return `img_${String(index).padStart(Math.max(4, String(count - 1).length), '0')}`;
}

/** Every image of the sample, lazily (memory stays flat whatever the count). */
export function* generateDetectionSample(options: DetectionSampleOptions): Generator<DetectionSampleImage> {
  const splits = sampleSplits(options.images, options.seed);
  for (let i = 0; i < options.images; i++) {
    const rng = createRng(deriveSeed(options.seed, 'detect-image', i));
    const { pixels, boxes } = renderScene(options.size, rng);
    yield { name: sampleImageName(i, options.images), split: splits[i], size: options.size, pixels, boxes };
  }
}

type Colour = [number, number, number];

function randomColour(rng: Rng): Colour {
  return [rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)];
}

function luminance([r, g, b]: Colour): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Is (u, v) in [-1, 1]² (v down) inside the shape that fills that square? */
function insideShape(classIndex: number, u: number, v: number): boolean {
  switch (classIndex) {
    case 0:
      return u * u + v * v <= 1;
    case 1:
      return Math.abs(u) <= 1 && Math.abs(v) <= 1;
    default:
      // Apex at the top centre, base along the bottom.
      return v >= -1 && v <= 1 && Math.abs(u) <= (v + 1) / 2;
  }
}

/** Draws the background, then each shape (later ones over earlier ones), then sensor noise. */
export function renderScene(size: number, rng: Rng): { pixels: Uint8Array; boxes: SampleBox[] } {
  const image = new Float32Array(size * size * 3);
  const backgroundColours = paintBackground(image, size, rng);
  const count = 1 + rng.nextInt(4);
  const boxes: SampleBox[] = [];
  const SUB = [0.25, 0.75];
  for (let s = 0; s < count; s++) {
    const classIndex = rng.nextInt(DETECTION_SAMPLE_CLASSES.length);
    let placed: { cx: number; cy: number; r: number } | null = null;
    for (let attempt = 0; attempt < 30 && placed === null; attempt++) {
      const r = (size * rng.uniform(MIN_SCALE, MAX_SCALE)) / 2;
      const cx = rng.uniform(r, size - r);
      const cy = rng.uniform(r, size - r);
      const extent: BoxCorners = [cx - r, cy - r, cx + r, cy + r];
      if (boxes.every((b) => intersectionOverUnion(b.box, extent) <= MAX_OVERLAP_IOU)) placed = { cx, cy, r };
    }
    if (placed === null) continue;
    let colour = randomColour(rng);
    for (
      let tries = 0;
      tries < 40 && backgroundColours.some((bg) => Math.abs(luminance(colour) - luminance(bg)) < 70);
      tries++
    ) {
      colour = randomColour(rng);
    }
    const { cx, cy, r } = placed;
    let x1 = size;
    let y1 = size;
    let x2 = -1;
    let y2 = -1;
    const left = Math.max(0, Math.floor(cx - r));
    const right = Math.min(size - 1, Math.ceil(cx + r));
    const top = Math.max(0, Math.floor(cy - r));
    const bottom = Math.min(size - 1, Math.ceil(cy + r));
    for (let y = top; y <= bottom; y++) {
      for (let x = left; x <= right; x++) {
        let cover = 0;
        for (const oy of SUB)
          for (const ox of SUB) if (insideShape(classIndex, (x + ox - cx) / r, (y + oy - cy) / r)) cover++;
        if (cover === 0) continue;
        const t = cover / 4;
        const o = (y * size + x) * 3;
        for (let c = 0; c < 3; c++) image[o + c] = image[o + c] * (1 - t) + colour[c] * t;
        if (x < x1) x1 = x;
        if (y < y1) y1 = y;
        if (x > x2) x2 = x;
        if (y > y2) y2 = y;
      }
    }
    if (x2 >= x1 && y2 >= y1) boxes.push({ classIndex, box: [x1, y1, x2 + 1, y2 + 1] });
  }
  const noise = rng.uniform(2, 8);
  const pixels = new Uint8Array(size * size * 3);
  for (let i = 0; i < pixels.length; i++) {
    const value = image[i] + rng.normal() * noise;
    pixels[i] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
  }
  return { pixels, boxes };
}

/** Fills the image with noise, stripes or a gradient; returns the colours it used (for contrast). */
function paintBackground(image: Float32Array, size: number, rng: Rng): Colour[] {
  const kind = rng.nextInt(3);
  const a = randomColour(rng);
  const b = randomColour(rng);
  const angle = rng.uniform(0, Math.PI);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const period = rng.uniform(6, 20);
  const grain = rng.uniform(8, 24);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 3;
      const along = (x * dx + y * dy) / size;
      for (let c = 0; c < 3; c++) {
        let value: number;
        if (kind === 0) value = a[c] + rng.normal() * grain;
        else if (kind === 1) value = Math.floor((x * dx + y * dy) / period) % 2 === 0 ? a[c] : b[c];
        else value = a[c] + (b[c] - a[c]) * Math.min(1, Math.max(0, along + 0.5 - (0.5 * (dx + dy)) / 2));
        image[o + c] = value;
      }
    }
  }
  return kind === 0 ? [a] : [a, b];
}
