// Gradients of DepthwiseConv2dNative for the WASM backend, which has neither. Direct loops over the
// tensors' memory in the WASM heap: correct for every stride, dilation and padding; depthwise layers
// are not in the presets, so speed matters less than for Conv2D.
import * as tf from '@tensorflow/tfjs';
import { type WasmKernelArgs, heapOf } from './wasmOps';

type Shape4 = [number, number, number, number];

interface DepthwiseGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  multiplier: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  top: number;
  left: number;
}

function geometry(
  inShape: Shape4,
  filterShape: Shape4,
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs | tf.DepthwiseConv2dNativeBackpropInputAttrs,
): DepthwiseGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    multiplier: info.outChannels / info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Calls visit(xOffset, dyOffset, filterOffset) for every (batch, output pixel, filter tap) whose input
 * pixel lies inside the image; offsets point at channel 0. Both gradients are sums over these triples.
 */
function forEachTap(
  g: DepthwiseGeometry,
  visit: (xOffset: number, dyOffset: number, wOffset: number) => void,
): void {
  const outChannels = g.inChannels * g.multiplier;
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        const dyOffset = ((b * g.outHeight + oh) * g.outWidth + ow) * outChannels;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = oh * g.strideHeight + kh * g.dilationHeight - g.top;
          if (ih < 0 || ih >= g.inHeight) continue;
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const iw = ow * g.strideWidth + kw * g.dilationWidth - g.left;
            if (iw < 0 || iw >= g.inWidth) continue;
            visit(
              ((b * g.inHeight + ih) * g.inWidth + iw) * g.inChannels,
              dyOffset,
              (kh * g.filterWidth + kw) * outChannels,
            );
          }
        }
      }
    }
  }
}

export function depthwiseConv2dNativeBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const g = geometry(x.shape as Shape4, attrs.filterShape, attrs);
  const outChannels = g.inChannels * g.multiplier;
  // Filter [fh,fw,Ci,M] flattened is [fh,fw,Ci·M]: the same channel index as dy's.
  const sums = new Float64Array(g.filterHeight * g.filterWidth * outChannels);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const xs = heapOf(backend, x);
  const dys = heapOf(backend, dy);
  forEachTap(g, (xOffset, dyOffset, wOffset) => {
    for (let c = 0; c < g.inChannels; c++) {
      const xv = xs[xOffset + c];
      for (let m = 0; m < g.multiplier; m++) {
        const k = c * g.multiplier + m;
        sums[wOffset + k] += xv * dys[dyOffset + k];
      }
    }
  });
  heapOf(backend, out).set(sums);
  return out;
}

export function depthwiseConv2dNativeBackpropInput(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const g = geometry(attrs.inputShape, filter.shape as Shape4, attrs);
  const sums = new Float64Array(g.batch * g.inHeight * g.inWidth * g.inChannels);
  const out = backend.makeOutput(attrs.inputShape, 'float32');
  const ws = heapOf(backend, filter);
  const dys = heapOf(backend, dy);
  forEachTap(g, (xOffset, dyOffset, wOffset) => {
    for (let c = 0; c < g.inChannels; c++) {
      let sum = 0;
      for (let m = 0; m < g.multiplier; m++) {
        const k = c * g.multiplier + m;
        sum += ws[wOffset + k] * dys[dyOffset + k];
      }
      sums[xOffset + c] += sum;
    }
  });
  heapOf(backend, out).set(sums);
  return out;
}
