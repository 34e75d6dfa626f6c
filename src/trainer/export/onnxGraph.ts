// Maps a trained TF.js layers model onto an ONNX graph, layer by layer, with nothing approximated: a layer
// (or a layer setting) without an exact ONNX counterpart is refused with its name (OnnxMappingError).
//
// Layout: the graph input is the model's own input, NHWC float32 already normalised (the preprocessing
// lives in metadata_props and in the snippets), so the same pixels feed TF.js and ONNX Runtime. Inside,
// 4-D maps run in ONNX's NCHW; a Transpose goes back to NHWC only where the order of values matters
// (Flatten, Reshape, the output), so flattened features keep Keras' H, W, C order.
//
// Operator semantics followed (onnx/docs/Operators.md): Conv (W is [M, C/group, kH, kW], pads
// [x1_begin, x2_begin, x1_end, x2_end]), BatchNormalization (inference: (x − mean)/√(var + ε)·scale + B),
// Gemm (A·B + C), MaxPool/AveragePool (count_include_pad 0 = TF's SAME averaging), GlobalAveragePool,
// Softmax (opset 13: one axis), Clip (min/max as inputs), Pad (pads as an input), LSTM (gate order i, o, f, c;
// X is [seq, batch, input]) and GRU (gate order z, r, h; linear_before_reset 0 = TF.js' reset-before).
import * as tf from '@tensorflow/tfjs';
import {
  float32Bytes,
  int64Bytes,
  irVersionForOpset,
  ONNX_FLOAT,
  ONNX_INT64,
  type OnnxAttributeValue,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from '../../core/onnxProto';

export const ONNX_INPUT_NAME = 'image';
export const ONNX_OUTPUT_NAME = 'probabilities';
export const DEFAULT_OPSET = 17;
/** Opsets whose operator forms this mapper writes (Softmax/Squeeze/Clip/Pad take their 13+ forms). */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export class OnnxMappingError extends Error {}

type Layout = 'nchw' | 'plain';

interface Value {
  name: string;
  layout: Layout;
  /** Keras shape (batch first, channels last), as the layers model sees it. */
  shape: readonly (number | null)[];
}

interface LayerConfig {
  [key: string]: unknown;
}

/** Collects nodes and initializers; names stay unique. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly nhwcOf = new Map<string, string>();
  private readonly nchwOf = new Map<string, string>();

  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  node(
    opType: string,
    inputs: string[],
    outputBase: string,
    attributes?: Record<string, OnnxAttributeValue>,
  ): string {
    const output = this.unique(outputBase);
    this.nodes.push({
      opType,
      name: this.unique(`${outputBase}/${opType}`),
      inputs,
      outputs: [output],
      attributes,
    });
    return output;
  }

  floats(base: string, dims: number[], values: ArrayLike<number>): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, raw: float32Bytes(values) });
    return name;
  }

  int64s(base: string, values: number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_INT64, raw: int64Bytes(values) });
    return name;
  }

  scalar(base: string, value: number): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [], dataType: ONNX_FLOAT, raw: float32Bytes([value]) });
    return name;
  }

  /** The value in the layout asked for, transposed once and reused. */
  as(value: Value, layout: Layout): string {
    if (value.layout === layout || value.shape.length !== 4) return value.name;
    const cache = layout === 'plain' ? this.nhwcOf : this.nchwOf;
    const known = cache.get(value.name);
    if (known) return known;
    const perm = layout === 'plain' ? [0, 2, 3, 1] : [0, 3, 1, 2];
    const out = this.node(
      'Transpose',
      [value.name],
      `${value.name}_${layout === 'plain' ? 'nhwc' : 'nchw'}`,
      {
        perm: { kind: 'ints', value: perm },
      },
    );
    cache.set(value.name, out);
    return out;
  }
}

const ints = (value: readonly number[]): OnnxAttributeValue => ({ kind: 'ints', value });
const int = (value: number): OnnxAttributeValue => ({ kind: 'int', value });
const float = (value: number): OnnxAttributeValue => ({ kind: 'float', value });

function pair(value: unknown, name: string, layer: string): [number, number] {
  const v = Array.isArray(value) ? value : [value, value];
  if (v.length !== 2 || !v.every((n) => Number.isInteger(n) && (n as number) > 0))
    throw new OnnxMappingError(
      `layer "${layer}": ${name} ${JSON.stringify(value)} is not two positive integers`,
    );
  return [v[0] as number, v[1] as number];
}

function staticSpatial(shape: readonly (number | null)[], layer: string): [number, number] {
  const [h, w] = [shape[1], shape[2]];
  if (shape.length !== 4 || typeof h !== 'number' || typeof w !== 'number')
    throw new OnnxMappingError(
      `layer "${layer}": needs a fixed-size 4-D input, got ${JSON.stringify(shape)}`,
    );
  return [h, w];
}

/** TF's padding for `same`/`valid` as ONNX pads [top, left, bottom, right] (TF puts the odd pixel last). */
export function tfPads(
  padding: unknown,
  input: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
  layer: string,
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same')
    throw new OnnxMappingError(
      `layer "${layer}": padding ${JSON.stringify(padding)} has no exact ONNX mapping`,
    );
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < 2; d++) {
    const out = Math.ceil(input[d] / strides[d]);
    const total = Math.max((out - 1) * strides[d] + (kernel[d] - 1) * dilation[d] + 1 - input[d], 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

function requireChannelsLast(config: LayerConfig, layer: string): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast')
    throw new OnnxMappingError(`layer "${layer}": dataFormat ${String(config.dataFormat)} is not supported`);
}

/** An activation by its TF.js name, applied elementwise (softmax over the channel axis). */
function applyActivation(g: GraphBuilder, activation: unknown, value: Value, layer: string): Value {
  const name = activation === undefined || activation === null ? 'linear' : activation;
  const out = (
    op: string,
    attributes?: Record<string, OnnxAttributeValue>,
    inputs = [value.name],
  ): Value => ({
    ...value,
    name: g.node(op, inputs, `${layer}_${String(name)}`, attributes),
  });
  switch (name) {
    case 'linear':
      return value;
    case 'relu':
      return out('Relu');
    case 'relu6':
      return out('Clip', undefined, [value.name, g.scalar(`${layer}/min`, 0), g.scalar(`${layer}/max`, 6)]);
    case 'elu':
      return out('Elu', { alpha: float(1) });
    case 'selu':
      return out('Selu');
    case 'tanh':
      return out('Tanh');
    case 'sigmoid':
      return out('Sigmoid');
    case 'hardSigmoid':
      return out('HardSigmoid', { alpha: float(0.2), beta: float(0.5) });
    case 'softplus':
      return out('Softplus');
    case 'softsign':
      return out('Softsign');
    case 'swish': {
      const sigmoid = g.node('Sigmoid', [value.name], `${layer}_sigmoid`);
      return { ...value, name: g.node('Mul', [value.name, sigmoid], `${layer}_swish`) };
    }
    case 'softmax':
      return out('Softmax', { axis: int(value.layout === 'nchw' ? 1 : -1) });
    default:
      throw new OnnxMappingError(
        `layer "${layer}": activation ${JSON.stringify(name)} has no exact ONNX mapping`,
      );
  }
}

/** TF.js recurrent activations as ONNX RNN activation names (with HardSigmoid's α, β). */
function rnnActivation(name: unknown, layer: string): { op: string; alpha?: number; beta?: number } {
  switch (name) {
    case 'hardSigmoid':
      return { op: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    case 'sigmoid':
      return { op: 'Sigmoid' };
    case 'tanh':
      return { op: 'Tanh' };
    case 'relu':
      return { op: 'Relu' };
    default:
      throw new OnnxMappingError(
        `layer "${layer}": recurrent activation ${JSON.stringify(name)} has no exact ONNX mapping`,
      );
  }
}

/** Keras [in, k·units] gate blocks → ONNX [k·units, in] in another gate order. */
function regate(kernel: Float32Array, rows: number, units: number, order: number[]): Float32Array {
  const gates = order.length;
  const out = new Float32Array(rows * units * gates);
  order.forEach((kerasGate, onnxGate) => {
    for (let u = 0; u < units; u++)
      for (let r = 0; r < rows; r++)
        out[(onnxGate * units + u) * rows + r] = kernel[r * units * gates + kerasGate * units + u];
  });
  return out;
}

function regateBias(bias: Float32Array | null, units: number, order: number[]): Float32Array {
  const out = new Float32Array(units * order.length * 2); // Wb then Rb (TF.js has one bias: Rb = 0)
  if (bias)
    order.forEach((kerasGate, onnxGate) =>
      out.set(bias.subarray(kerasGate * units, (kerasGate + 1) * units), onnxGate * units),
    );
  return out;
}

function weightsOf(layer: tf.layers.Layer): Float32Array[] {
  return layer.getWeights().map((w) => w.dataSync() as Float32Array);
}

function mapRecurrent(g: GraphBuilder, layer: tf.layers.Layer, config: LayerConfig, input: Value): Value {
  const name = layer.name;
  const cls = layer.getClassName();
  for (const flag of ['returnSequences', 'returnState', 'goBackwards', 'stateful'] as const)
    if (config[flag] === true)
      throw new OnnxMappingError(`layer "${name}" (${cls}): ${flag} is not supported`);
  if (cls === 'GRU' && config.resetAfter === true)
    throw new OnnxMappingError(`layer "${name}" (GRU): resetAfter is not supported`);
  if (input.shape.length !== 3 || typeof input.shape[1] !== 'number' || typeof input.shape[2] !== 'number')
    throw new OnnxMappingError(`layer "${name}" (${cls}): needs a [batch, steps, features] input`);
  const units = config.units as number;
  const features = input.shape[2];
  const [kernel, recurrent, bias] = weightsOf(layer);
  const useBias = config.useBias !== false;
  // Keras gate order → ONNX's: LSTM i,f,c,o → i,o,f,c; GRU z,r,h → z,r,h.
  const order = cls === 'LSTM' ? [0, 3, 1, 2] : [0, 1, 2];
  const gates = order.length;
  const f = rnnActivation(config.recurrentActivation, name);
  const gAct = rnnActivation(config.activation, name);
  const activations = cls === 'LSTM' ? [f, gAct, gAct] : [f, gAct];
  const alphas = activations.flatMap((a) => (a.alpha === undefined ? [] : [a.alpha]));
  const betas = activations.flatMap((a) => (a.beta === undefined ? [] : [a.beta]));
  const w = g.floats(`${name}/W`, [1, gates * units, features], regate(kernel, features, units, order));
  const r = g.floats(`${name}/R`, [1, gates * units, units], regate(recurrent, units, units, order));
  const b = g.floats(
    `${name}/B`,
    [1, 2 * gates * units],
    regateBias(useBias ? (bias ?? null) : null, units, order),
  );
  const steps = g.node('Transpose', [input.name], `${name}_steps_first`, { perm: ints([1, 0, 2]) });
  const hidden = g.unique(`${name}_last_state`);
  const attributes: Record<string, OnnxAttributeValue> = {
    hidden_size: int(units),
    activations: { kind: 'strings', value: activations.map((a) => a.op) },
  };
  if (alphas.length) attributes.activation_alpha = { kind: 'floats', value: alphas };
  if (betas.length) attributes.activation_beta = { kind: 'floats', value: betas };
  if (cls === 'GRU') attributes.linear_before_reset = int(0);
  g.nodes.push({
    opType: cls,
    name: g.unique(`${name}/${cls}`),
    inputs: [steps, w, r, b],
    outputs: ['', hidden],
    attributes,
  });
  const squeezed = g.node('Squeeze', [hidden, g.int64s(`${name}/axes`, [0])], `${name}_out`);
  return { name: squeezed, layout: 'plain', shape: [null, units] };
}

function mapLayer(
  g: GraphBuilder,
  layer: tf.layers.Layer,
  inputs: Value[],
  outShape: readonly (number | null)[],
): Value {
  const cls = layer.getClassName();
  const name = layer.name;
  const config = layer.getConfig() as LayerConfig;
  const [input] = inputs;
  const nchw = (value: string): Value => ({ name: value, layout: 'nchw', shape: outShape });
  const plain = (value: string): Value => ({ name: value, layout: 'plain', shape: outShape });
  switch (cls) {
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      requireChannelsLast(config, name);
      const spatial = staticSpatial(input.shape, name);
      const kernelSize = pair(config.kernelSize, 'kernelSize', name);
      const strides = pair(config.strides ?? 1, 'strides', name);
      const dilation = pair(config.dilationRate ?? 1, 'dilationRate', name);
      const [kernel, bias] = weightsOf(layer);
      const [kh, kw] = kernelSize;
      const inChannels = input.shape[3] as number;
      let w: string;
      let group = 1;
      let outChannels: number;
      if (cls === 'Conv2D') {
        outChannels = config.filters as number;
        const data = new Float32Array(kernel.length); // [kh, kw, in, out] → [out, in, kh, kw]
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++)
            for (let c = 0; c < inChannels; c++)
              for (let o = 0; o < outChannels; o++)
                data[((o * inChannels + c) * kh + y) * kw + x] =
                  kernel[((y * kw + x) * inChannels + c) * outChannels + o];
        w = g.floats(`${name}/kernel`, [outChannels, inChannels, kh, kw], data);
      } else {
        const multiplier = (config.depthMultiplier as number | undefined) ?? 1;
        outChannels = inChannels * multiplier;
        group = inChannels;
        const data = new Float32Array(kernel.length); // [kh, kw, in, mult] → [in·mult, 1, kh, kw]
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++)
            for (let c = 0; c < inChannels; c++)
              for (let m = 0; m < multiplier; m++)
                data[((c * multiplier + m) * kh + y) * kw + x] =
                  kernel[((y * kw + x) * inChannels + c) * multiplier + m];
        w = g.floats(`${name}/depthwise_kernel`, [outChannels, 1, kh, kw], data);
      }
      const useBias = config.useBias !== false;
      const convInputs = [g.as(input, 'nchw'), w];
      if (useBias && bias) convInputs.push(g.floats(`${name}/bias`, [outChannels], bias));
      const conv = g.node('Conv', convInputs, name, {
        kernel_shape: ints(kernelSize),
        strides: ints(strides),
        dilations: ints(dilation),
        pads: ints(tfPads(config.padding, spatial, kernelSize, strides, dilation, name)),
        group: int(group),
      });
      return applyActivation(g, config.activation, nchw(conv), name);
    }
    case 'BatchNormalization': {
      const rank = input.shape.length;
      const axis = config.axis as number;
      if (!(rank === 4 || rank === 2) || !(axis === -1 || axis === rank - 1))
        throw new OnnxMappingError(
          `layer "${name}" (BatchNormalization): axis ${axis} on a rank-${rank} input is not supported`,
        );
      const weights = weightsOf(layer);
      const channels = input.shape[rank - 1] as number;
      let at = 0;
      const gamma = config.scale !== false ? weights[at++] : new Float32Array(channels).fill(1);
      const beta = config.center !== false ? weights[at++] : new Float32Array(channels);
      const [mean, variance] = [weights[at], weights[at + 1]];
      const x = rank === 4 ? g.as(input, 'nchw') : input.name;
      const out = g.node(
        'BatchNormalization',
        [
          x,
          g.floats(`${name}/gamma`, [channels], gamma),
          g.floats(`${name}/beta`, [channels], beta),
          g.floats(`${name}/moving_mean`, [channels], mean),
          g.floats(`${name}/moving_variance`, [channels], variance),
        ],
        name,
        { epsilon: float(config.epsilon as number) },
      );
      return rank === 4 ? nchw(out) : plain(out);
    }
    case 'Activation':
      return applyActivation(g, config.activation, input, name);
    case 'ReLU': {
      const max = config.maxValue;
      if (max === null || max === undefined) return { ...input, name: g.node('Relu', [input.name], name) };
      return {
        ...input,
        name: g.node(
          'Clip',
          [input.name, g.scalar(`${name}/min`, 0), g.scalar(`${name}/max`, max as number)],
          name,
        ),
      };
    }
    case 'LeakyReLU':
      return {
        ...input,
        name: g.node('LeakyRelu', [input.name], name, { alpha: float(config.alpha as number) }),
      };
    case 'ELU':
      return { ...input, name: g.node('Elu', [input.name], name, { alpha: float(config.alpha as number) }) };
    case 'Softmax': {
      const axis = config.axis as number;
      const rank = input.shape.length;
      if (axis !== -1 && axis !== rank - 1)
        throw new OnnxMappingError(`layer "${name}" (Softmax): axis ${axis} is not supported`);
      return applyActivation(g, 'softmax', input, name);
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      requireChannelsLast(config, name);
      const spatial = staticSpatial(input.shape, name);
      const pool = pair(config.poolSize, 'poolSize', name);
      const strides = pair(config.strides ?? pool, 'strides', name);
      const out = g.node(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [g.as(input, 'nchw')], name, {
        kernel_shape: ints(pool),
        strides: ints(strides),
        pads: ints(tfPads(config.padding, spatial, pool, strides, [1, 1], name)),
      });
      return nchw(out);
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      requireChannelsLast(config, name);
      if (config.keepDims === true)
        throw new OnnxMappingError(`layer "${name}" (${cls}): keepDims is not supported`);
      const pooled = g.node(
        cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool',
        [g.as(input, 'nchw')],
        `${name}_nc11`,
      );
      return plain(g.node('Flatten', [pooled], name, { axis: int(1) }));
    }
    case 'Flatten':
      return plain(g.node('Flatten', [g.as(input, 'plain')], name, { axis: int(1) }));
    case 'Reshape': {
      const target = config.targetShape as number[];
      return plain(
        g.node('Reshape', [g.as(input, 'plain'), g.int64s(`${name}/shape`, [0, ...target])], name),
      );
    }
    case 'Dense': {
      const [kernel, bias] = weightsOf(layer);
      const units = config.units as number;
      const inFeatures = kernel.length / units;
      const useBias = config.useBias !== false && bias !== undefined;
      const b = useBias ? bias : new Float32Array(units);
      const x = g.as(input, 'plain');
      let out: string;
      if (input.shape.length === 2) {
        out = g.node(
          'Gemm',
          [x, g.floats(`${name}/kernel`, [inFeatures, units], kernel), g.floats(`${name}/bias`, [units], b)],
          name,
        );
      } else {
        const product = g.node(
          'MatMul',
          [x, g.floats(`${name}/kernel`, [inFeatures, units], kernel)],
          `${name}_matmul`,
        );
        out = g.node('Add', [product, g.floats(`${name}/bias`, [units], b)], name);
      }
      return applyActivation(g, config.activation, plain(out), name);
    }
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'AlphaDropout':
      return input; // identities at inference
    case 'Add':
    case 'Multiply':
    case 'Maximum':
    case 'Minimum': {
      const op = { Add: 'Add', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min' }[cls];
      const layout = input.layout;
      let acc = g.as(inputs[0], layout);
      for (let i = 1; i < inputs.length; i++)
        acc = g.node(op, [acc, g.as(inputs[i], layout)], i === inputs.length - 1 ? name : `${name}_${i}`);
      return { name: acc, layout, shape: outShape };
    }
    case 'Concatenate': {
      const rank = input.shape.length;
      let axis = config.axis as number;
      if (axis < 0) axis += rank;
      const layout = input.layout;
      const onnxAxis = layout === 'nchw' && rank === 4 ? [0, 2, 3, 1][axis] : axis;
      return {
        name: g.node(
          'Concat',
          inputs.map((v) => g.as(v, layout)),
          name,
          { axis: int(onnxAxis) },
        ),
        layout,
        shape: outShape,
      };
    }
    case 'ZeroPadding2D': {
      requireChannelsLast(config, name);
      const p = config.padding as [[number, number], [number, number]];
      const pads = g.int64s(`${name}/pads`, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]);
      return nchw(
        g.node('Pad', [g.as(input, 'nchw'), pads], name, { mode: { kind: 'string', value: 'constant' } }),
      );
    }
    case 'Rescaling': {
      const scaled = g.node(
        'Mul',
        [input.name, g.scalar(`${name}/scale`, config.scale as number)],
        `${name}_scale`,
      );
      return {
        ...input,
        name: g.node('Add', [scaled, g.scalar(`${name}/offset`, config.offset as number)], name),
        shape: outShape,
      };
    }
    case 'LSTM':
    case 'GRU':
      return mapRecurrent(g, layer, config, input);
    case 'ImageTrainerGraphFeatures':
      throw new OnnxMappingError(
        `layer "${name}" (${cls}) wraps a TF.js graph-model base, which cannot be mapped to ONNX layer by layer — train on a layers base (such as mobilenet-v2-0.35) to export ONNX`,
      );
    case 'ImageTrainerKnn':
      throw new OnnxMappingError(`layer "${name}" (${cls}, k-nearest neighbours) has no exact ONNX mapping`);
    default:
      throw new OnnxMappingError(`layer "${name}" (${cls}) has no exact ONNX mapping`);
  }
}

export interface OnnxConversion {
  model: OnnxModel;
  /** ONNX operator types used, in order of first use. */
  operators: string[];
}

/** Converts a layers model with one NHWC image input and one [batch, classes] output. */
export function convertLayersModel(
  model: tf.LayersModel,
  options: { opset?: number; metadata: Record<string, string>; docString: string; producerVersion: string },
): OnnxConversion {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new OnnxMappingError(
      `--opset must be a whole number from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`,
    );
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new OnnxMappingError(`model "${model.name}": needs one input and one output`);
  const g = new GraphBuilder();
  g.unique(ONNX_INPUT_NAME);
  g.unique(ONNX_OUTPUT_NAME);
  const input = model.inputs[0];
  const inputShape = input.shape;
  if (inputShape.length !== 4 || inputShape.slice(1).some((d) => typeof d !== 'number'))
    throw new OnnxMappingError(`model "${model.name}": needs a fixed [batch, height, width, channels] input`);
  const values = new Map<number, Value>([
    [input.id, { name: ONNX_INPUT_NAME, layout: 'plain', shape: inputShape }],
  ]);
  // Walk back from the output through each symbolic tensor's producing node, then emit in dependency order.
  const visiting = new Set<number>();
  const resolve = (tensor: tf.SymbolicTensor): Value => {
    const known = values.get(tensor.id);
    if (known) return known;
    if (visiting.has(tensor.id)) throw new OnnxMappingError(`model "${model.name}": has a cycle`);
    visiting.add(tensor.id);
    const layer = tensor.sourceLayer;
    if (layer instanceof tf.LayersModel)
      throw new OnnxMappingError(`layer "${layer.name}" is a nested model; export needs a flat model`);
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (!node || node.outputTensors.length !== 1)
      throw new OnnxMappingError(
        `layer "${layer.name}" (${layer.getClassName()}) has no exact ONNX mapping (several outputs)`,
      );
    const inputs = node.inputTensors.map(resolve);
    const value = mapLayer(g, layer, inputs, tensor.shape);
    values.set(tensor.id, value);
    return value;
  };
  const output = model.outputs[0];
  const result = resolve(output);
  if (output.shape.length !== 2 || typeof output.shape[1] !== 'number')
    throw new OnnxMappingError(
      `model "${model.name}": needs a [batch, classes] output, got ${JSON.stringify(output.shape)}`,
    );
  g.nodes.push({
    opType: 'Identity',
    name: g.unique('output/Identity'),
    inputs: [g.as(result, 'plain')],
    outputs: [ONNX_OUTPUT_NAME],
  });
  const operators = [...new Set(g.nodes.map((n) => n.opType))];
  return {
    operators,
    model: {
      irVersion: irVersionForOpset(opset),
      opsetVersion: opset,
      producerName: 'image-trainer',
      producerVersion: options.producerVersion,
      docString: options.docString,
      metadata: options.metadata,
      graph: {
        name: model.name.replace(/[^A-Za-z0-9_]/g, '_') || 'model',
        nodes: g.nodes,
        initializers: g.initializers,
        inputs: [
          {
            name: ONNX_INPUT_NAME,
            elemType: ONNX_FLOAT,
            shape: ['batch', ...(inputShape.slice(1) as number[])],
          },
        ],
        outputs: [{ name: ONNX_OUTPUT_NAME, elemType: ONNX_FLOAT, shape: ['batch', output.shape[1]] }],
      },
    },
  };
}
