// The forward Conv2D of training steps (stride 1), summed directly per image and filter tap by the
// same SIMD loop as the input gradient: with the image's input pixels as the rows it reads and the
// tap's [Ci, Co] filter slice as the matrix, it adds x[pixel, :] · W[kh, kw] into the output positions.
// XNNPACK repacks the filter on every call (Adam gives it a new tensor each step) and ran the default
// `cnn`'s 14×14 and 7×7 layers at ~7 G multiply-adds/s. Other strides, dilations, channel counts
// (Ci not a multiple of 4, e.g. a first layer; Co not of 8) keep the backend's kernel.
import * as tf from '@tensorflow/tfjs';
import { span } from './conv2dGrad';
import { addressOf, simdLoops } from './simd';
import { type WasmKernelArgs, assertNhwc, heapOf, runWasmKernel } from './wasmOps';

type Shape4 = [number, number, number, number];

export function conv2d(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
  assertNhwc('Conv2D', dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    strides,
    dilations,
    pad,
    dimRoundingMode,
  );
  const { inChannels, outChannels } = info;
  const direct =
    x.dtype === 'float32' &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    inChannels % 4 === 0 &&
    outChannels % 8 === 0;
  const loops = direct ? simdLoops(backend) : null;
  if (!loops) return runWasmKernel('Conv2D', backend, args.inputs, args.attrs);
  const { batchSize: batch, inHeight: height, inWidth: width, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const y = backend.makeOutput([batch, outHeight, outWidth, outChannels], 'float32');
  heapOf(backend, y).fill(0);
  const [xAt, wAt, yAt] = [addressOf(backend, x), addressOf(backend, filter), addressOf(backend, y)];
  const tapSize = inChannels * outChannels;
  for (let b = 0; b < batch; b++) {
    for (let kh = 0; kh < fh; kh++) {
      const [ohFirst, ohEnd] = span(kh, top, 1, outHeight, height);
      if (ohEnd === ohFirst) continue;
      for (let kw = 0; kw < fw; kw++) {
        const [owFirst, owEnd] = span(kw, left, 1, outWidth, width);
        if (owEnd === owFirst) continue;
        const ih = ohFirst + kh - top;
        const iw = owFirst + kw - left;
        // inputGradTap's roles: "dy" = the input pixels read (Ci per column), "wT" = W[kh, kw] as
        // [Ci, Co], "dx" = the output positions written (Co per column).
        loops.inputGradTap(
          xAt + ((b * height + ih) * width + iw) * inChannels * 4,
          wAt + (kh * fw + kw) * tapSize * 4,
          yAt + ((b * outHeight + ohFirst) * outWidth + owFirst) * outChannels * 4,
          ohEnd - ohFirst,
          owEnd - owFirst,
          outChannels,
          inChannels,
          outChannels * 4,
          outWidth * outChannels * 4,
          width * inChannels * 4,
        );
      }
    }
  }
  return y;
}
