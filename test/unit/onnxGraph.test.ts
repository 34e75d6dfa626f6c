// The pure parts of ONNX export: TF's SAME padding, refusals that name the layer, the protobuf round trip
// of what consumers read (metadata_props, input, operators), and escaping in the SVG and the model card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { confusionMatrixSvg } from '../../src/core/confusionSvg';
import { markdownText } from '../../src/core/modelCard';
import { decodeOnnxSummary, encodeOnnxModel, OnnxDecodeError } from '../../src/core/onnxProto';
import { convertLayersModel, OnnxMappingError, tfPads } from '../../src/trainer/export/onnxGraph';

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
