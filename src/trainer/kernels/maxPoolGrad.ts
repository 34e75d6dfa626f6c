// MaxPoolGrad for the WASM backend. Its own kernel took 35 ms on [64,26,26,32] with a 2×2 pool — as
// long as simple-cnn's whole forward pass (PERF-NOTES.md). This one finds each window's first maximum
// (the pure-JS backend's rule for ties) with channels innermost, so memory is read in order, and adds
// dy there.
import * as tf from '@tensorflow/tfjs';
import { addressOf, simdLoops } from './simd';
import { type WasmKernelArgs, heapOf } from './wasmOps';

type Shape4 = [number, number, number, number];

export function maxPoolGrad(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const out = backend.makeOutput(input.shape, 'float32');
  const xs = heapOf(backend, input);
  const dys = heapOf(backend, dy);
  const dx = heapOf(backend, out);
  const pairs =
    info.effectiveFilterHeight === 2 &&
    info.effectiveFilterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2;
  if (
    pairs &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * outHeight <= inHeight &&
    2 * outWidth <= inWidth
  ) {
    const loops = channels % 4 === 0 ? simdLoops(backend) : null;
    if (loops) {
      // The loop writes every pixel of every window; only rows and columns past the last window
      // (odd sizes) need zeros first.
      if (2 * outHeight !== inHeight || 2 * outWidth !== inWidth) dx.fill(0);
      loops.maxPoolGrad2x2(
        addressOf(backend, input),
        addressOf(backend, dy),
        addressOf(backend, out),
        batchSize,
        inHeight,
        inWidth,
        channels,
        outHeight,
        outWidth,
      );
      return out;
    }
    dx.fill(0);
    scatterTwoByTwo(xs, dys, dx, batchSize, inHeight, inWidth, channels, outHeight, outWidth);
    return out;
  }
  dx.fill(0);
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const rowStart = oh * info.strideHeight - info.padInfo.top;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + info.effectiveFilterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const colStart = ow * info.strideWidth - info.padInfo.left;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + info.effectiveFilterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let r = rowFrom; r < rowTo; r++) {
          for (let c = colFrom; c < colTo; c++) {
            const base = ((b * inHeight + r) * inWidth + c) * channels;
            for (let ch = 0; ch < channels; ch++) {
              const v = xs[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                bestAt[ch] = base + ch;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let ch = 0; ch < channels; ch++) {
          if (bestAt[ch] >= 0) dx[bestAt[ch]] += dys[dyBase + ch];
        }
      }
    }
  }
  return out;
}

/**
 * The common 2×2, stride-2 pool whose windows all lie inside the input: each input pixel belongs to at
 * most one window, so dy is written, not added, at the first maximum of the four (3× faster).
 */
function scatterTwoByTwo(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): void {
  const rowStride = inWidth * channels;
  let d = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, d += channels) {
        const p00 = ((b * inHeight + 2 * oh) * inWidth + 2 * ow) * channels;
        const p01 = p00 + channels;
        const p10 = p00 + rowStride;
        const p11 = p10 + channels;
        for (let ch = 0; ch < channels; ch++) {
          let at = p00 + ch;
          let best = xs[at];
          if (xs[p01 + ch] > best) {
            at = p01 + ch;
            best = xs[at];
          }
          if (xs[p10 + ch] > best) {
            at = p10 + ch;
            best = xs[at];
          }
          if (xs[p11 + ch] > best) at = p11 + ch;
          dx[at] = dys[d + ch];
        }
      }
    }
  }
}
