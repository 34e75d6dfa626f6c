// Gradients of Conv2D for the WASM backend, composed from its own (XNNPACK) forward convolution.
// The WASM backend has no Conv2DBackpropFilter, and its Conv2DBackpropInput is a plain loop that took
// 156 ms of a 313 ms simple-cnn step (PERF-NOTES.md).
import * as tf from '@tensorflow/tfjs';
import {
  type BackendWasm,
  type Pads4,
  type WasmKernelArgs,
  assertNhwc,
  conv2dInfo,
  disposeInfos,
  heapOf,
  runWasmKernel,
  sliceInfo,
  transposeInfo,
} from './wasmOps';
import { type SimdLoops, addressOf, heapBuffer, simdLoops, withScratch } from './simd';

type Shape4 = [number, number, number, number];

/** A filter-gradient call: its tensors and the convolution's geometry. */
interface FilterGradCall {
  backend: BackendWasm;
  x: tf.TensorInfo;
  dy: tf.TensorInfo;
  filterShape: Shape4;
  info: tf.backend_util.Conv2DInfo;
}

export function conv2dBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertNhwc('Conv2DBackpropFilter', dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const call: FilterGradCall = { backend: args.backend, x, dy, filterShape, info };
  // Medians of CPU ms per call at batch 64, im2col vs swapped: on 7×7 maps im2col wins (32→64 9–11 vs
  // 12.5, 64→128 37 vs 40, 128→128 57 vs 82); on 13×13 and larger the swapped convolution wins or ties
  // (simple-cnn's 13² 32→64 valid: 36–41 vs 23; 28² 32→32: 95 vs 84); first layers (fh·fw·Ci ≤ Co,
  // 28² 1→32: 4 vs 22) take im2col, whose column matrix is then no bigger than dy.
  const [fh, fw, inChannels, outChannels] = filterShape;
  if (
    inChannels % 4 === 0 &&
    outChannels % 8 === 0 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1
  ) {
    const loops = simdLoops(args.backend);
    if (loops) return filterGradDirect(call, loops);
  }
  const im2col = fh * fw * inChannels <= outChannels || info.outHeight * info.outWidth <= 64;
  return im2col ? filterGradIm2col(call) : filterGradSwapped(call);
}

/** Output indices o in [first, end) whose input index o·stride + k − pad lies in [0, size). */
export function span(
  k: number,
  pad: number,
  stride: number,
  outSize: number,
  size: number,
): [number, number] {
  const first = Math.max(0, Math.ceil((pad - k) / stride));
  const end = Math.min(outSize, Math.floor((size - 1 + pad - k) / stride) + 1);
  return [first, Math.max(first, end)];
}

/** One filter tap's rectangle of output positions whose input pixel lies inside the image. */
interface TapRectangle {
  b: number;
  kh: number;
  kw: number;
  /** First output position of the rectangle and its first input pixel. */
  oh: number;
  ow: number;
  ih: number;
  iw: number;
  rows: number;
  cols: number;
}

/** Visits every image × filter tap with a non-empty rectangle (both direct gradients walk the same way). */
function forEachTap(
  geometry: {
    batch: number;
    height: number;
    width: number;
    fh: number;
    fw: number;
    outHeight: number;
    outWidth: number;
    sh: number;
    sw: number;
    top: number;
    left: number;
  },
  visit: (tap: TapRectangle) => void,
): void {
  const { batch, height, width, fh, fw, outHeight, outWidth, sh, sw, top, left } = geometry;
  for (let b = 0; b < batch; b++) {
    for (let kh = 0; kh < fh; kh++) {
      const [ohFirst, ohEnd] = span(kh, top, sh, outHeight, height);
      if (ohEnd === ohFirst) continue;
      for (let kw = 0; kw < fw; kw++) {
        const [owFirst, owEnd] = span(kw, left, sw, outWidth, width);
        if (owEnd === owFirst) continue;
        visit({
          b,
          kh,
          kw,
          oh: ohFirst,
          ow: owFirst,
          ih: ohFirst * sh + kh - top,
          iw: owFirst * sw + kw - left,
          rows: ohEnd - ohFirst,
          cols: owEnd - owFirst,
        });
      }
    }
  }
}

/**
 * The gradient summed directly, one image and one filter tap at a time (our SIMD loop over the heap:
 * x and dy of one image stay in cache while all taps read them). For each tap, the output positions
 * whose input pixel lies inside the image form one rectangle, so padding costs nothing.
 */
function filterGradDirect(
  { backend, x, dy, filterShape, info }: FilterGradCall,
  loops: SimdLoops,
): tf.TensorInfo {
  const [batch, height, width, inChannels] = x.shape;
  const [fh, fw, , outChannels] = filterShape;
  const { outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const dW = backend.makeOutput([...filterShape], 'float32');
  heapOf(backend, dW).fill(0);
  const [xAt, dyAt, dwAt] = [addressOf(backend, x), addressOf(backend, dy), addressOf(backend, dW)];
  const xRow = width * inChannels * 4;
  const dyRow = outWidth * outChannels * 4;
  forEachTap({ batch, height, width, fh, fw, outHeight, outWidth, sh, sw, top, left }, (t) =>
    loops.filterGradTap(
      xAt + ((t.b * height + t.ih) * width + t.iw) * inChannels * 4,
      dyAt + ((t.b * outHeight + t.oh) * outWidth + t.ow) * outChannels * 4,
      dwAt + (t.kh * fw + t.kw) * inChannels * outChannels * 4,
      t.rows,
      t.cols,
      inChannels,
      outChannels,
      sw * inChannels * 4,
      sh * xRow,
      dyRow,
    ),
  );
  return dW;
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−top, ow·s+kw−left, ci] · dy[b,oh,ow,co].
 * Read with ci as the batch, b as the input channel and dy as a filter dilated by the stride, this
 * is a forward convolution of x (transposed to [Ci,H,W,B]) with dy (transposed to [OH,OW,B,Co]),
 * whose output [Ci,fh,fw,Co] is the filter gradient up to one transpose.
 */
function filterGradSwapped({ backend, x, dy, info }: FilterGradCall): tf.TensorInfo {
  const [, height, width, inChannels] = x.shape;
  const { top, left } = info.padInfo;
  // Rows and columns of the padded input that the windows cover; a negative far-side padding
  // means the last rows or columns are never read (e.g. 'valid' with stride 2 on an even size).
  const bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - top - height;
  const right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - left - width;

  const xT = transposeInfo(backend, x, [3, 1, 2, 0]);
  let xUsed = xT;
  if (bottom < 0 || right < 0) {
    xUsed = sliceInfo(
      backend,
      xT,
      [0, 0, 0, 0],
      [inChannels, height + Math.min(bottom, 0), width + Math.min(right, 0), x.shape[0]],
    );
  }
  const dyT = transposeInfo(backend, dy, [1, 2, 0, 3]);
  const pads: Pads4 = [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ];
  const swapped = conv2dInfo(backend, xUsed, dyT, [info.strideHeight, info.strideWidth], pads);
  const dW = transposeInfo(backend, swapped, [1, 2, 0, 3]);
  disposeInfos(backend, xT, dyT, swapped);
  if (xUsed !== xT) disposeInfos(backend, xUsed);
  return dW;
}

/**
 * dx is the forward convolution of dy — zero-dilated by the stride and padded by (filter − 1 − pad) —
 * with the filter rotated 180° and its in/out channels swapped.
 */
export function conv2dBackpropInput(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertNhwc('Conv2DBackpropInput', dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as Shape4,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const inChannels = inputShape[3];
  if (inChannels % 8 === 0 && info.dilationHeight === 1 && info.dilationWidth === 1) {
    const loops = simdLoops(backend);
    if (loops) return inputGradDirect(backend, dy, filter, info, loops);
  }
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth } = info;
  const dilatedHeight = (outHeight - 1) * strideHeight + 1;
  const dilatedWidth = (outWidth - 1) * strideWidth + 1;
  const padTop = filterHeight - 1 - info.padInfo.top;
  const padLeft = filterWidth - 1 - info.padInfo.left;
  const padBottom = inputShape[1] + filterHeight - 1 - dilatedHeight - padTop;
  const padRight = inputShape[2] + filterWidth - 1 - dilatedWidth - padLeft;
  if (Math.min(padTop, padLeft, padBottom, padRight) < 0) {
    // Explicit paddings wider than the filter: rare; the backend's own (slow) kernel handles them.
    return runWasmKernel('Conv2DBackpropInput', backend, args.inputs, args.attrs);
  }
  const rotated = rotateFilter(backend, filter);
  const dilated =
    strideHeight === 1 && strideWidth === 1 ? dy : dilateSpatial(backend, dy, strideHeight, strideWidth);
  const pads: Pads4 = [
    [0, 0],
    [padTop, padBottom],
    [padLeft, padRight],
    [0, 0],
  ];
  const dx = conv2dInfo(backend, dilated, rotated, [1, 1], pads);
  disposeInfos(backend, rotated);
  if (dilated !== dy) disposeInfos(backend, dilated);
  return dx;
}

/**
 * dx summed directly, one image and one filter tap at a time: the tap's output rectangle (as in the
 * filter gradient) adds dy[pos, :] · W[kh, kw]ᵀ into the input pixels it read. Only real products:
 * no zero padding or dilation of dy, which the convolution form pays for (199 M multiply-adds instead
 * of 142 M on simple-cnn's second layer).
 */
function inputGradDirect(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  loops: SimdLoops,
): tf.TensorInfo {
  const { batchSize: batch, inHeight: height, inWidth: width, inChannels, outChannels } = info;
  const { filterHeight: fh, filterWidth: fw, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const dx = backend.makeOutput([batch, height, width, inChannels], 'float32');
  heapOf(backend, dx).fill(0);
  const tapSize = inChannels * outChannels;
  return withScratch(backend, fh * fw * tapSize * 4, (transposed) => {
    // Each tap's [ci, co] slice as [co, ci], so that 8 input channels load as two vectors.
    const w = heapOf(backend, filter);
    const wT = new Float32Array(heapBuffer(backend), transposed, fh * fw * tapSize);
    for (let t = 0; t < fh * fw; t++) {
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++)
          wT[t * tapSize + o * inChannels + i] = w[t * tapSize + i * outChannels + o];
      }
    }
    const [dyAt, dxAt] = [addressOf(backend, dy), addressOf(backend, dx)];
    forEachTap({ batch, height, width, fh, fw, outHeight, outWidth, sh, sw, top, left }, (t) =>
      loops.inputGradTap(
        dyAt + ((t.b * outHeight + t.oh) * outWidth + t.ow) * outChannels * 4,
        transposed + (t.kh * fw + t.kw) * tapSize * 4,
        dxAt + ((t.b * height + t.ih) * width + t.iw) * inChannels * 4,
        t.rows,
        t.cols,
        inChannels,
        outChannels,
        sw * inChannels * 4,
        sh * width * inChannels * 4,
        outWidth * outChannels * 4,
      ),
    );
    return dx;
  });
}

/** W[kh,kw,ci,co] → R[fh−1−kh, fw−1−kw, co, ci]. */
function rotateFilter(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo {
  const [fh, fw, ci, co] = filter.shape;
  const out = backend.makeOutput([fh, fw, co, ci], 'float32');
  const src = heapOf(backend, filter);
  const dst = heapOf(backend, out);
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const srcBase = (kh * fw + kw) * ci * co;
      const dstBase = ((fh - 1 - kh) * fw + (fw - 1 - kw)) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[srcBase + i * co + o];
      }
    }
  }
  return out;
}

/** Inserts stride−1 zero rows and columns between the pixels of an NHWC tensor. */
function dilateSpatial(backend: BackendWasm, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const outHeight = (height - 1) * sh + 1;
  const outWidth = (width - 1) * sw + 1;
  const out = backend.makeOutput([batch, outHeight, outWidth, channels], 'float32');
  const src = heapOf(backend, x);
  const dst = heapOf(backend, out);
  dst.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0; w < width; w++) {
        const from = ((b * height + h) * width + w) * channels;
        const to = ((b * outHeight + h * sh) * outWidth + w * sw) * channels;
        dst.set(src.subarray(from, from + channels), to);
      }
    }
  }
  return out;
}

/**
 * The same gradient as an explicit product: dW [fh·fw·Ci, Co] = colsᵀ [fh·fw·Ci, B·OH·OW] · dy
 * [B·OH·OW, Co], where colsᵀ (im2col, written already transposed) holds, for each filter tap and
 * input channel, the input pixel that tap sees at every output position. x is first transposed to
 * channel-major [Ci, B, H, W], so that with stride 1 each row of colsᵀ is a series of contiguous runs
 * of one input row (plus the zeros of the padding): plain copies instead of strided gathers.
 */
function filterGradIm2col({ backend, x, dy, filterShape, info }: FilterGradCall): tf.TensorInfo {
  const [batch, height, width, inChannels] = x.shape;
  const { filterHeight: fh, filterWidth: fw, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const taps = fh * fw * inChannels;
  const positions = batch * outHeight * outWidth;
  const cols = backend.makeOutput([taps, positions], 'float32');
  const planes = backend.makeOutput([inChannels, batch, height, width], 'float32');
  const xs = heapOf(backend, x);
  const xt = heapOf(backend, planes);
  const out = heapOf(backend, cols);
  const pixels = batch * height * width;
  for (let p = 0; p < pixels; p++) {
    const from = p * inChannels;
    for (let ci = 0; ci < inChannels; ci++) xt[ci * pixels + p] = xs[from + ci];
  }
  const planeSize = height * width;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      // Output columns whose input column lies inside the image: [owFirst, owEnd).
      const shift = kw - left;
      const owFirst = Math.min(outWidth, Math.max(0, Math.ceil(-shift / sw)));
      const owEnd = Math.max(owFirst, Math.min(outWidth, Math.floor((width - 1 - shift) / sw) + 1));
      for (let ci = 0; ci < inChannels; ci++) {
        let o = ((kh * fw + kw) * inChannels + ci) * positions;
        const plane = ci * pixels;
        for (let b = 0; b < batch; b++) {
          const image = plane + b * planeSize;
          for (let oh = 0; oh < outHeight; oh++, o += outWidth) {
            const ih = oh * sh + kh - top;
            if (ih < 0 || ih >= height) {
              out.fill(0, o, o + outWidth);
              continue;
            }
            for (let ow = 0; ow < owFirst; ow++) out[o + ow] = 0;
            const row = image + ih * width + shift;
            if (sw === 1) {
              for (let ow = owFirst; ow < owEnd; ow++) out[o + ow] = xt[row + ow];
            } else {
              for (let ow = owFirst; ow < owEnd; ow++) out[o + ow] = xt[row + ow * sw];
            }
            for (let ow = owEnd; ow < outWidth; ow++) out[o + ow] = 0;
          }
        }
      }
    }
  }
  disposeInfos(backend, planes);
  const outChannels = filterShape[3];
  // First layers (taps ≤ Co, e.g. 3×3×1 → 32): our SIMD product, 3× faster than XNNPACK on fresh dy
  // (2.7–3.7 vs 8.7–13.8 ms CPU for [64,28,28,1] → 32, 1.7–1.9 vs 4.9–5.5 for → 16). With many taps
  // (7² 32→64: 9.3–11.3 vs 7.3–8) XNNPACK's blocked product wins.
  const loops = outChannels % 16 === 0 && taps <= outChannels ? simdLoops(backend) : null;
  if (loops) {
    // colsᵀ·dy with k = batch × positions, long, and m·n small: XNNPACK would first repack all of dy.
    const dW = backend.makeOutput([...filterShape], 'float32');
    heapOf(backend, dW).fill(0);
    const gemm = outChannels % 32 === 0 ? loops.gemm32 : loops.gemm16;
    gemm(
      addressOf(backend, cols),
      addressOf(backend, dy),
      addressOf(backend, dW),
      taps,
      positions,
      outChannels,
    );
    disposeInfos(backend, cols);
    return dW;
  }
  const product = runWasmKernel(
    'BatchMatMul',
    backend,
    { a: cols, b: { ...dy, shape: [positions, outChannels] } },
    { transposeA: false, transposeB: false },
  );
  disposeInfos(backend, cols);
  return { dataId: product.dataId, shape: [...filterShape], dtype: 'float32' };
}
