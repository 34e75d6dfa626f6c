// CenterNet's targets ("Objects as Points", Zhou et al. 2019) and their decoding, in plain arrays: the
// trainer builds tensors from the targets, and decodes the model's output (already through its sigmoid)
// here, so both directions are unit-tested without tfjs.
//   heatmap  H×W×C   a Gaussian peak of 1 at each box centre's cell, in its class's channel
//   size     H×W×2   box width and height in output cells, at the centre cell only
//   offset   H×W×2   the centre's sub-cell position (0..1), lost by the stride, at the centre cell only
//   mask     H×W     1 at centre cells: where size and offset are trained
import type { BoxCorners } from '../../protocol/detection';
import type { LabelledBox } from './boxTransforms';

export interface CenterGrid {
  /** Input side in pixels; a multiple of `stride`. */
  inputSize: number;
  /** Input pixels per output cell. */
  stride: number;
  numClasses: number;
}

export interface CenterTargets {
  /** gridSize × gridSize × numClasses, row-major. */
  heatmap: Float32Array;
  /** gridSize × gridSize × 4: width, height (cells), offset x, offset y. */
  regression: Float32Array;
  /** gridSize × gridSize. */
  mask: Float32Array;
  /** Boxes that got a centre (all of them; two boxes of one cell share it, the later one's size wins). */
  centres: number;
}

/** A decoded box in input pixels. */
export interface CenterDetection {
  classIndex: number;
  confidence: number;
  box: BoxCorners;
}

export interface DecodeOptions {
  /** Peaks kept before suppression, highest first. */
  topK: number;
  /** Peaks below this score are not boxes. */
  minConfidence: number;
}

/** Channels of the regression output: width, height, offset x, offset y. */
export const REGRESSION_CHANNELS = 4;

export function gridSizeOf(grid: CenterGrid): number {
  const cells = grid.inputSize / grid.stride;
  if (!Number.isInteger(cells) || cells < 1)
    throw new RangeError(`input size ${grid.inputSize} is not a multiple of the stride ${grid.stride}`);
  return cells;
}

/**
 * CenterNet's Gaussian radius (from CornerNet): the largest shift of a box's corners that keeps its IoU
 * with the true box at `minOverlap`, for a box `height` × `width` (in cells).
 */
export function gaussianRadius(height: number, width: number, minOverlap = 0.7): number {
  const b1 = height + width;
  const c1 = (width * height * (1 - minOverlap)) / (1 + minOverlap);
  const r1 = (b1 + Math.sqrt(b1 * b1 - 4 * c1)) / 2;
  const b2 = 2 * (height + width);
  const c2 = (1 - minOverlap) * width * height;
  const r2 = (b2 + Math.sqrt(b2 * b2 - 16 * c2)) / 2;
  const a3 = 4 * minOverlap;
  const b3 = -2 * minOverlap * (height + width);
  const c3 = (minOverlap - 1) * width * height;
  const r3 = (b3 + Math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
  return Math.min(r1, r2, r3);
}

/** The targets of one image whose boxes are in input pixels. */
export function encodeCenterTargets(boxes: readonly LabelledBox[], grid: CenterGrid): CenterTargets {
  const cells = gridSizeOf(grid);
  const { stride, numClasses } = grid;
  const heatmap = new Float32Array(cells * cells * numClasses);
  const regression = new Float32Array(cells * cells * REGRESSION_CHANNELS);
  const mask = new Float32Array(cells * cells);
  let centres = 0;
  for (const { classIndex, box } of boxes) {
    if (!(classIndex >= 0 && classIndex < numClasses)) continue;
    const w = (box[2] - box[0]) / stride;
    const h = (box[3] - box[1]) / stride;
    if (!(w > 0 && h > 0)) continue;
    const cx = (box[0] + box[2]) / 2 / stride;
    const cy = (box[1] + box[3]) / 2 / stride;
    const ix = Math.min(cells - 1, Math.max(0, Math.floor(cx)));
    const iy = Math.min(cells - 1, Math.max(0, Math.floor(cy)));
    const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(h), Math.ceil(w))));
    drawGaussian(heatmap, cells, numClasses, classIndex, ix, iy, radius);
    const at = iy * cells + ix;
    regression.set([w, h, cx - ix, cy - iy], at * REGRESSION_CHANNELS);
    mask[at] = 1;
    centres++;
  }
  return { heatmap, regression, mask, centres };
}

/** A Gaussian of standard deviation (2r+1)/6 around (ix, iy), merged by maximum (CenterNet's draw_gaussian). */
function drawGaussian(
  heatmap: Float32Array,
  cells: number,
  numClasses: number,
  classIndex: number,
  ix: number,
  iy: number,
  radius: number,
): void {
  const sigma = (2 * radius + 1) / 6;
  const twoSigmaSquared = 2 * sigma * sigma;
  for (let y = Math.max(0, iy - radius); y <= Math.min(cells - 1, iy + radius); y++) {
    for (let x = Math.max(0, ix - radius); x <= Math.min(cells - 1, ix + radius); x++) {
      const dx = x - ix;
      const dy = y - iy;
      const value = Math.exp(-(dx * dx + dy * dy) / twoSigmaSquared);
      const at = (y * cells + x) * numClasses + classIndex;
      if (value > heatmap[at]) heatmap[at] = value;
    }
  }
}

/**
 * Boxes (input pixels) from one image's outputs: `scores` H×W×C after the sigmoid, `regression` H×W×4.
 * A peak is a cell whose score is the maximum of its 3×3 neighbourhood in its class (CenterNet's max-pool
 * NMS); the `topK` highest peaks at or above `minConfidence` become boxes. Overlap suppression is the
 * caller's (nonMaxSuppression), after this.
 */
export function decodeCenterOutputs(
  scores: Float32Array,
  regression: Float32Array,
  grid: CenterGrid,
  options: DecodeOptions,
): CenterDetection[] {
  const cells = gridSizeOf(grid);
  const { numClasses, stride, inputSize } = grid;
  if (
    scores.length !== cells * cells * numClasses ||
    regression.length !== cells * cells * REGRESSION_CHANNELS
  )
    throw new RangeError('decodeCenterOutputs: output sizes do not match the grid');
  const peaks: { at: number; classIndex: number; score: number }[] = [];
  for (let y = 0; y < cells; y++) {
    for (let x = 0; x < cells; x++) {
      for (let c = 0; c < numClasses; c++) {
        const score = scores[(y * cells + x) * numClasses + c];
        if (!(score >= options.minConfidence)) continue;
        if (isPeak(scores, cells, numClasses, x, y, c, score))
          peaks.push({ at: y * cells + x, classIndex: c, score });
      }
    }
  }
  peaks.sort((a, b) => b.score - a.score || a.at - b.at || a.classIndex - b.classIndex);
  return peaks.slice(0, options.topK).map(({ at, classIndex, score }) => {
    const x = at % cells;
    const y = Math.floor(at / cells);
    const r = at * REGRESSION_CHANNELS;
    const w = Math.max(0, regression[r]) * stride;
    const h = Math.max(0, regression[r + 1]) * stride;
    const cx = (x + regression[r + 2]) * stride;
    const cy = (y + regression[r + 3]) * stride;
    const box: BoxCorners = [
      Math.max(0, cx - w / 2),
      Math.max(0, cy - h / 2),
      Math.min(inputSize, cx + w / 2),
      Math.min(inputSize, cy + h / 2),
    ];
    return { classIndex, confidence: score, box };
  });
}

/** Ties keep the first cell in reading order, so a flat plateau gives one peak, not several. */
function isPeak(
  scores: Float32Array,
  cells: number,
  numClasses: number,
  x: number,
  y: number,
  c: number,
  score: number,
): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    const ny = y + dy;
    if (ny < 0 || ny >= cells) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      if ((dx === 0 && dy === 0) || nx < 0 || nx >= cells) continue;
      const other = scores[(ny * cells + nx) * numClasses + c];
      if (other > score) return false;
      if (other === score && (dy < 0 || (dy === 0 && dx < 0))) return false;
    }
  }
  return true;
}
