// The pure parts of ONNX export: TF's SAME padding, refusals that name the layer, the protobuf round trip
// of what consumers read (metadata_props, input, operators), and escaping in the SVG and the model card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { confusionMatrixSvg } from '../../../../src/core/confusionSvg';
import { markdownText } from '../../../../src/core/modelCard';
import { decodeOnnxSummary, encodeOnnxModel, OnnxDecodeError } from '../../../../src/core/onnxProto';
import { convertLayersModel, OnnxMappingError, tfPads } from '../../../../src/trainer/export/onnxGraph';
import { loadOnnxRuntime } from '../../../../src/trainer/export/onnxRuntime';

test('tfPads: TF puts the odd padding pixel after, valid pads nothing', () => {
  assert.deepEqual(tfPads('same', [12, 12], [3, 3], [1, 1], [1, 1], 'c'), [1, 1, 1, 1]);
  // 12 → 6 with stride 2 and a 3×3 kernel: total 1, all of it after (bottom, right).
  assert.deepEqual(tfPads('same', [12, 12], [3, 3], [2, 2], [1, 1], 'c'), [0, 0, 1, 1]);
  assert.deepEqual(tfPads('same', [7, 8], [2, 2], [2, 2], [1, 1], 'p'), [0, 0, 1, 0]);
  assert.deepEqual(tfPads('valid', [7, 8], [3, 3], [1, 1], [1, 1], 'c'), [0, 0, 0, 0]);
  assert.throws(() => tfPads('causal', [7, 8], [3, 3], [1, 1], [1, 1], 'conv_x'), /conv_x/);
});

test('convertLayersModel refuses what it cannot map exactly, naming the layer', () => {
  const conv1d = tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [4, 4, 1], targetShape: [16, 1], name: 'rows' }),
      tf.layers.conv1d({ filters: 2, kernelSize: 3, name: 'my_conv1d' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  assert.throws(
    () => convertLayersModel(conv1d, { metadata: {}, docString: '', producerVersion: '' }),
    (e: Error) =>
      e instanceof OnnxMappingError &&
      /layer "my_conv1d" \(Conv1D\) has no exact ONNX mapping/.test(e.message),
  );
  const mish = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [2, 2, 1] }),
      tf.layers.dense({ units: 2, activation: 'mish', name: 'odd_dense' }),
    ],
  });
  assert.throws(
    () => convertLayersModel(mish, { metadata: {}, docString: '', producerVersion: '' }),
    /layer "odd_dense": activation "mish"/,
  );
  const fine = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [2, 2, 1] }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  assert.throws(
    () => convertLayersModel(fine, { opset: 9, metadata: {}, docString: '', producerVersion: '' }),
    /--opset/,
  );
  conv1d.dispose();
  mish.dispose();
  fine.dispose();
});

test('the encoded model reads back: metadata_props, input shape, operators and weights', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [3, 3, 1] }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }),
    ],
  });
  const metadata = { 'image_trainer.labels': JSON.stringify(['a|b', 'ü "c"']) };
  const { model: onnx, operators } = convertLayersModel(model, {
    opset: 15,
    metadata,
    docString: 'd',
    producerVersion: '1',
  });
  const bytes = encodeOnnxModel(onnx);
  const summary = decodeOnnxSummary(bytes);
  assert.equal(summary.opsetVersion, 15);
  assert.equal(summary.irVersion, 8);
  assert.equal(summary.producerName, 'image-trainer');
  assert.deepEqual(summary.metadata, metadata);
  assert.deepEqual(summary.inputs, [{ name: 'image', elemType: 1, shape: ['batch', 3, 3, 1] }]);
  assert.deepEqual(summary.outputs, [{ name: 'probabilities', elemType: 1, shape: ['batch', 2] }]);
  assert.deepEqual(summary.operators, operators);
  assert.deepEqual(operators, ['Flatten', 'Gemm', 'Softmax', 'Identity']);
  const kernel = summary.initializers.find((i) => i.name === 'head/kernel')!;
  assert.deepEqual(kernel.dims, [9, 2]);
  const stored = new Float32Array(kernel.raw.slice().buffer);
  assert.deepEqual(Array.from(stored), Array.from(model.layers[1].getWeights()[0].dataSync()));
  assert.throws(() => decodeOnnxSummary(new TextEncoder().encode('not a model')), OnnxDecodeError);
  model.dispose();
});

test('labels from folder names are escaped in the SVG and the model card', () => {
  const svg = confusionMatrixSvg(
    ['<script>', 'a&b'],
    [
      [3, 1],
      [0, 4],
    ],
  );
  assert.ok(!svg.includes('<script>'));
  assert.match(svg, /&lt;script&gt;/);
  assert.match(svg, /a&amp;b/);
  assert.equal((svg.match(/<rect /g) ?? []).length, 5, 'background and four cells');
  assert.equal(markdownText('a|b\n<img>'), 'a\\|b \\<img\\>');
});

test('the layers of a MobileNet v2 base and the other mapped layers run in ONNX Runtime as in TF.js', async () => {
  const ort = loadOnnxRuntime();
  assert.ok(ort.ok);
  const input = tf.input({ shape: [9, 9, 3], name: 'image' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  let x = apply(tf.layers.rescaling({ scale: 2, offset: -1 }), input);
  x = apply(
    tf.layers.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }),
    x,
  );
  x = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }), x);
  x = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), x);
  x = apply(tf.layers.reLU({ maxValue: 6 }), x);
  const dw = apply(
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6' }),
    x,
  );
  const pw = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, dilationRate: 1, activation: 'elu' }), x);
  let y = apply(tf.layers.add(), [dw, pw]);
  y = apply(tf.layers.concatenate(), [y, apply(tf.layers.leakyReLU({ alpha: 0.3 }), y)]);
  y = apply(tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }), y);
  y = apply(
    tf.layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'selu' }),
    y,
  );
  const pooled = apply(tf.layers.globalMaxPooling2d({}), y);
  let z = apply(tf.layers.dense({ units: 6, activation: 'hardSigmoid' }), pooled);
  z = apply(tf.layers.elu({}), z);
  z = apply(tf.layers.dense({ units: 6, activation: 'softsign' }), z);
  z = apply(tf.layers.activation({ activation: 'softplus' }), z);
  z = apply(tf.layers.batchNormalization({ center: false }), z);
  const output = apply(tf.layers.dense({ units: 3, activation: 'softmax' }), z);
  const model = tf.model({ inputs: input, outputs: output });
  for (const layer of model.layers)
    if (layer.getClassName() === 'BatchNormalization')
      layer.setWeights(
        layer
          .getWeights()
          .map((w, i, all) =>
            i === all.length - 1 ? tf.randomUniform(w.shape, 0.5, 2) : tf.randomNormal(w.shape),
          ),
      );
  const { model: onnx, operators } = convertLayersModel(model, {
    metadata: {},
    docString: '',
    producerVersion: '',
  });
  for (const op of [
    'Pad',
    'Clip',
    'Concat',
    'LeakyRelu',
    'AveragePool',
    'GlobalMaxPool',
    'HardSigmoid',
    'Softsign',
    'Softplus',
  ])
    assert.ok(operators.includes(op), op);
  const session = await ort.ort.InferenceSession.create(encodeOnnxModel(onnx));
  const pixels = tf.randomUniform([4, 9, 9, 3]);
  const expected = (model.predict(pixels) as tf.Tensor).dataSync();
  const result = await session.run({
    image: new ort.ort.Tensor('float32', pixels.dataSync() as Float32Array, [4, 9, 9, 3]),
  });
  const actual = result.probabilities.data as Float32Array;
  const difference = Math.max(...Array.from(expected, (v, i) => Math.abs(v - actual[i])));
  assert.ok(difference <= 1e-5, `max difference ${difference}`);
  await session.release();
  model.dispose();
});
