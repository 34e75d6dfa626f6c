// Adam's update as one WASM kernel per variable instead of tfjs' ten element-wise kernels (Mul, Add,
// Square, RealDiv, Sqrt, …), each dispatched through the engine: on simple-cnn and the default `cnn`
// those small kernels and their dispatch cost several ms of a step. The kernel runs the same float32
// operations in the same order (a SIMD loop, and the same arithmetic in JS for a tail of < 4 values),
// so the weights and moments come out bit-identical to tfjs' AdamOptimizer.
import * as tf from '@tensorflow/tfjs';
import { addressOf, heapBuffer, simdLoops, withScratch } from './simd';
import { type WasmKernelArgs, heapOf } from './wasmOps';

export const ADAM_UPDATE = 'ImageTrainerAdamUpdate';

interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

const f = Math.fround;

/**
 * inputs value, m, v, gradient (same shape), oneMinusAccBeta1, oneMinusAccBeta2 (scalars) →
 * outputs value', m', v'.
 */
export function adamUpdate(args: WasmKernelArgs): tf.TensorInfo[] {
  const { backend } = args;
  const { value, m, v, gradient, oneMinusAccBeta1, oneMinusAccBeta2 } = args.inputs as Record<
    string,
    tf.TensorInfo
  >;
  const { beta1, beta2, epsilon, learningRate } = args.attrs as unknown as AdamAttrs;
  const size = tf.util.sizeFromShape(value.shape);
  const outValue = backend.makeOutput(value.shape, 'float32');
  const outM = backend.makeOutput(value.shape, 'float32');
  const outV = backend.makeOutput(value.shape, 'float32');
  // The scalars as tfjs' ops see them: JS numbers become float32 tensors; 1 − β is computed in double.
  const constants = [
    f(beta1),
    f(1 - beta1),
    f(beta2),
    f(1 - beta2),
    heapOf(backend, oneMinusAccBeta1)[0],
    heapOf(backend, oneMinusAccBeta2)[0],
    f(epsilon),
    f(-learningRate),
  ];
  const vectorised = size - (size % 4);
  const loops = vectorised > 0 ? simdLoops(backend) : null;
  let done = 0;
  if (loops) {
    withScratch(backend, constants.length * 16, (at) => {
      const splats = new Float32Array(heapBuffer(backend), at, constants.length * 4);
      constants.forEach((c, k) => splats.fill(c, 4 * k, 4 * k + 4));
      const address = (info: tf.TensorInfo): number => addressOf(backend, info);
      loops.adam(
        address(value),
        address(m),
        address(v),
        address(gradient),
        address(outValue),
        address(outM),
        address(outV),
        vectorised,
        at,
      );
    });
    done = vectorised;
  }
  const [b1, c1, b2, c2, d1, d2, eps, negLr] = constants;
  const [w, ms, vs, g] = [value, m, v, gradient].map((info) => heapOf(backend, info));
  const [w2, m2, v2] = [outValue, outM, outV].map((info) => heapOf(backend, info));
  for (let i = done; i < size; i++) {
    const nm = f(f(ms[i] * b1) + f(g[i] * c1));
    const nv = f(f(vs[i] * b2) + f(f(g[i] * g[i]) * c2));
    m2[i] = nm;
    v2[i] = nv;
    const denominator = f(f(Math.sqrt(f(nv / d2))) + eps);
    w2[i] = f(f(f(f(nm / d1) / denominator) * negLr) + w[i]);
  }
  return [outValue, outM, outV];
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

type ApplyGradients = (
  this: tf.Optimizer,
  variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>,
) => void;

let libraryApply: ApplyGradients | null = null;

/** Whether the fused update can serve the active backend now (registered, and not put back). */
export function fusedAdamAvailable(): boolean {
  return tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
}

/**
 * Routes tf.train.adam's applyGradients through the fused kernel whenever the active backend has it;
 * otherwise the library's own code runs. Patched on the class, like the batch-norm layer, so that every
 * optimizer (created, restored, or a worker's) benefits and its state (moments, iterations, saved
 * weights) keeps the library's layout. Idempotent.
 */
export function installFusedAdam(): void {
  if (libraryApply !== null) return;
  // The class itself: creating an optimizer would create tensors before any backend is ready.
  const prototype = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients };
  const original = prototype.applyGradients;
  libraryApply = original;
  prototype.applyGradients = function (this: tf.Optimizer, variableGradients) {
    if (!fusedAdamAvailable()) {
      original.call(this, variableGradients);
      return;
    }
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, self.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, self.accBeta2);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        self.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients)
          ? variableGradients[i].tensor
          : variableGradients[name];
        if (gradient == null) return;
        const firstMoment = (self.accumulatedFirstMoment[i] as { variable: tf.Variable }).variable;
        const secondMoment = (self.accumulatedSecondMoment[i] as { variable: tf.Variable }).variable;
        if (value.dtype !== 'float32' || gradient.dtype !== 'float32') {
          throw new Error(
            `Adam: variable ${name} is ${value.dtype}, its gradient ${gradient.dtype}; float32 expected`,
          );
        }
        const [newValue, newFirstMoment, newSecondMoment] = tf.engine().runKernel(
          ADAM_UPDATE,
          { value, m: firstMoment, v: secondMoment, gradient, oneMinusAccBeta1, oneMinusAccBeta2 },
          {
            beta1: self.beta1,
            beta2: self.beta2,
            epsilon: self.epsilon,
            learningRate: self.learningRate,
          },
        ) as tf.Tensor[];
        firstMoment.assign(newFirstMoment);
        secondMoment.assign(newSecondMoment);
        value.assign(newValue);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  };
}
