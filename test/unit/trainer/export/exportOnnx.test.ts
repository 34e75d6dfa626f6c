// ONNX export: every preset we train exports and passes parity with ONNX Runtime on the validation images;
// a tampered export is caught; predict.py's constants and arithmetic match the model's metadata; predict
// runs on ONNX Runtime with the same output as TF.js and falls back when the runtime cannot load; bad
// input to `export` is one line and exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelMetadata, Prediction, RunRecord } from '../../../../src/protocol/runRecord';
import type { TrainingConfig } from '../../../../src/protocol/config';
import { resolveConfig } from '../../../../src/core/config';
import { decodeOnnxSummary } from '../../../../src/core/onnxProto';
import { readRunRecord } from '../../../../src/core/runStore';
import { trainAny } from '../../../../src/trainer/experiments/trainAny';
import { checkOnnxParity, exportOnnx, ONNX_METADATA_KEYS } from '../../../../src/trainer/export/onnxExport';
import { loadOnnxRuntime } from '../../../../src/trainer/export/onnxRuntime';
import { PYTHON_NORMALISE_LINE } from '../../../../src/trainer/export/onnxSnippets';
import { predictWithEngine } from '../../../../src/trainer/export/onnxPredict';
import { loadRunModel, preprocess } from '../../../../src/trainer/runModel';
import { main, type CliIo } from '../../../../src/trainer/cli';
import { writeSampleDataset } from '../../../../src/trainer/sampleWriter';

const SIZE = 12;

async function trainRun(
  root: string,
  data: string,
  overrides: Partial<TrainingConfig> & Record<string, unknown>,
): Promise<string> {
  const run = await trainAny({
    dataDir: data,
    runsRoot: path.join(root, 'runs'),
    config: resolveConfig({
      imageSize: SIZE,
      epochs: 1,
      backend: 'wasm',
      learningRate: 0.01,
      batchSize: 16,
      ...overrides,
    }),
    emit: () => undefined,
    stop: { requested: false },
  });
  assert.equal(run.status, 'completed');
  return run.runDir!;
}

async function cli(root: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd: root };
  return { code: await main(argv, io), stdout, stderr };
}

test('onnx export: every preset passes parity; tampering is caught; snippets agree with the metadata', async (t) => {
  assert.ok(loadOnnxRuntime().ok, 'onnxruntime-node loads in this checkout');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'export-onnx-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const data = path.join(root, 'data');
  await writeSampleDataset(data, { perClass: 6, size: SIZE, seed: 7 });

  const runs: Record<string, string> = {};
  runs['simple-cnn'] = await trainRun(root, data, { model: 'simple-cnn', channels: 1 });
  for (const [name, overrides] of [
    ['cnn', { model: 'cnn', channels: 3, cnn: { activation: 'swish', blocks: 2 } }],
    ['resnet', { model: 'resnet', channels: 3 }],
    ['mobilenet', { model: 'mobilenet', channels: 3, resize: 'crop' }],
    ['svm', { model: 'svm', channels: 1 }],
    ['rnn-lstm', { model: 'rnn', channels: 1, rnn: { cell: 'lstm', units: 8 } }],
    ['rnn-gru', { model: 'rnn', channels: 1, rnn: { cell: 'gru', units: 8 } }],
    [
      'transfer',
      {
        model: 'transfer',
        channels: 1,
        transfer: { base: path.join(runs['simple-cnn'], 'model'), headUnits: 8 },
      },
    ],
  ] as const)
    runs[name] = await trainRun(root, data, overrides as Partial<TrainingConfig> & Record<string, unknown>);

  for (const [name, runDir] of Object.entries(runs)) {
    const out = path.join(root, 'onnx', name);
    const result = await exportOnnx(runDir, { outDir: out });
    const p = result.parity;
    assert.equal(p.problem, undefined, `${name}: ${p.problem}`);
    assert.ok(p.images > 0 && p.sameTop1 === p.images, `${name}: same top-1 on ${p.sameTop1}/${p.images}`);
    assert.ok(p.maxProbabilityDifference <= 1e-4, `${name}: max difference ${p.maxProbabilityDifference}`);
    assert.equal(p.passed, true, name);
    assert.deepEqual(
      result.files,
      ['MODEL_CARD.md', 'confusion-matrix.svg', 'metadata.json', 'model.onnx', 'predict.mjs', 'predict.py'],
      name,
    );
    if (name.startsWith('rnn'))
      assert.ok(result.operators.includes(name === 'rnn-lstm' ? 'LSTM' : 'GRU'), name);
    const card = await fs.readFile(path.join(out, 'MODEL_CARD.md'), 'utf8');
    assert.match(card, /## Intended use/);
    assert.match(card, /\| class \| precision \| recall \| F1 \| support \|/);
    assert.match(card, /!\[Confusion matrix[^\]]*\]\(confusion-matrix\.svg\)/);
    assert.match(card, new RegExp(`same top-1 on ${p.sameTop1}.*passed`));
  }

  // The default folder is inside the run, and the CLI prints the parity line.
  const viaCli = await cli(root, ['export', runs['simple-cnn'], '--format', 'onnx', '--opset', '13']);
  assert.equal(viaCli.code, 0, viaCli.stderr);
  assert.match(viaCli.stdout, /Exported onnx \(opset 13\) to .*export[/\\]onnx/);
  assert.match(viaCli.stdout, /Parity on \d+ validation images with onnxruntime-node .* passed/);

  // predict.py: its constants are the model's metadata_props and metadata.json, and its arithmetic
  // (float32 v × scale + offset) gives the trainer's input for every pixel value.
  const out = path.join(root, 'onnx', 'simple-cnn');
  const python = await fs.readFile(path.join(out, 'predict.py'), 'utf8');
  const summary = decodeOnnxSummary(await fs.readFile(path.join(out, 'model.onnx')));
  const metadata = JSON.parse(await fs.readFile(path.join(out, 'metadata.json'), 'utf8')) as ModelMetadata;
  const constants = JSON.parse(/^PREPROCESSING = (.*)$/m.exec(python)![1]) as Record<string, number | string>;
  assert.deepEqual(constants, JSON.parse(summary.metadata[ONNX_METADATA_KEYS.preprocessing]));
  assert.deepEqual(JSON.parse(/^LABELS = (.*)$/m.exec(python)![1]), metadata.labels);
  assert.deepEqual(JSON.parse(summary.metadata[ONNX_METADATA_KEYS.labels]), metadata.labels);
  assert.equal(constants.input, summary.inputs[0].name);
  assert.deepEqual(summary.inputs[0].shape, [
    'batch',
    constants.imageSize,
    constants.imageSize,
    constants.channels,
  ]);
  assert.equal(constants.scale, metadata.preprocessing.scale);
  assert.equal(constants.offset, metadata.preprocessing.offset);
  assert.ok(python.includes(`    ${PYTHON_NORMALISE_LINE}\n`), 'normalise() is the float32 affine map');
  const values = Uint8Array.from({ length: 256 }, (_, v) => v);
  const trainer = preprocess(values, metadata);
  const f32 = Math.fround;
  values.forEach((v) => {
    const pythonValue = f32(f32(f32(v) * f32(constants.scale as number)) + f32(constants.offset as number));
    assert.ok(Math.abs(pythonValue - trainer[v]) <= 1e-6, `pixel ${v}: ${pythonValue} vs ${trainer[v]}`);
  });

  // predict.mjs runs as written and prints PATH<TAB>LABEL<TAB>CONFIDENCE (modules resolved from this checkout).
  await fs.symlink(path.resolve('node_modules'), path.join(root, 'onnx', 'node_modules'));
  const images = (await fs.readdir(path.join(data, metadata.labels[0])))
    .slice(0, 2)
    .map((f) => path.join(data, metadata.labels[0], f));
  const snippet = spawnSync(process.execPath, [path.join(out, 'predict.mjs'), ...images], {
    encoding: 'utf8',
  });
  assert.equal(snippet.status, 0, snippet.stderr);
  const lines = snippet.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  for (const [i, line] of lines.entries()) {
    const [file, label, confidence] = line.split('\t');
    assert.equal(file, images[i]);
    assert.ok(metadata.labels.includes(label));
    assert.ok(Number(confidence) > 0 && Number(confidence) <= 1);
  }

  // Tampering: a changed weight in model.onnx, then a file that is not ONNX at all.
  const onnxFile = path.join(out, 'model.onnx');
  const bytes = await fs.readFile(onnxFile);
  const classifierBias = summary.initializers.filter((i) => i.dims.length === 1).at(-1)!;
  const at = bytes.indexOf(Buffer.from(classifierBias.raw));
  assert.ok(at > 0);
  const tampered = Buffer.from(bytes);
  tampered.writeFloatLE(50, at); // the first class's bias: every image now says class 0
  await fs.writeFile(onnxFile, tampered);
  const record = (await readRunRecord(runs['simple-cnn'])) as RunRecord;
  const reference = await loadRunModel(runs['simple-cnn']);
  const ort = loadOnnxRuntime();
  assert.ok(ort.ok);
  const caught = await checkOnnxParity(runs['simple-cnn'], record, reference, out, ort.ort);
  assert.equal(caught.passed, false);
  assert.ok(caught.maxProbabilityDifference > 1e-4 && caught.largestDifference !== null);
  await fs.writeFile(onnxFile, Buffer.from('not a model'));
  const garbage = await checkOnnxParity(runs['simple-cnn'], record, reference, out, ort.ort);
  assert.equal(garbage.passed, false);
  assert.match(garbage.problem ?? '', /model\.onnx/);
  reference.model.dispose();

  // predict: ONNX Runtime gives TF.js' labels and confidences; without the runtime it falls back to TF.js.
  const files = images.concat(
    (await fs.readdir(path.join(data, metadata.labels[1])))
      .slice(0, 3)
      .map((f) => path.join(data, metadata.labels[1], f)),
  );
  for (const name of ['simple-cnn', 'resnet', 'rnn-gru']) {
    const model = await loadRunModel(runs[name]);
    const collect = async (engine: 'auto' | 'tfjs', runtimeModule?: string) => {
      const predictions: Prediction[] = [];
      const used = await predictWithEngine(model, files, {
        top: 3,
        engine,
        runtimeModule,
        onPredictions: (p) => predictions.push(...p),
        onError: (file, message) => assert.fail(`${file}: ${message}`),
      });
      return { used, predictions };
    };
    const onnx = await collect('auto');
    const tfjs = await collect('tfjs');
    const fallback = await collect('auto', 'image-trainer-test-missing-onnxruntime-stand-in');
    assert.equal(onnx.used.engine, 'onnxruntime');
    assert.equal(tfjs.used.engine, 'tfjs');
    assert.equal(fallback.used.engine, 'tfjs');
    assert.match(fallback.used.note ?? '', /cannot be loaded/);
    assert.deepEqual(fallback.predictions, tfjs.predictions);
    onnx.predictions.forEach((p, i) => {
      const q = tfjs.predictions[i];
      assert.equal(p.path, q.path);
      assert.equal(p.label, q.label, `${name} ${p.path}`);
      assert.deepEqual(
        p.top.map((x) => x.label),
        q.top.map((x) => x.label),
      );
      assert.ok(Math.abs(p.confidence - q.confidence) <= 1e-4);
    });
    model.model.dispose();
  }
});

test('onnx export: running, failed and model-less runs, an unwritable --out and an unknown format are exit 2', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'export-onnx-bad-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const data = path.join(root, 'data');
  await writeSampleDataset(data, { perClass: 4, size: 8, seed: 3 });
  const runDir = await trainRun(root, data, { model: 'svm', channels: 1, imageSize: 8 });
  const record = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  const variant = async (
    name: string,
    change: (r: RunRecord) => RunRecord,
    keepModel = true,
  ): Promise<string> => {
    const dir = path.join(root, 'runs', name);
    await fs.cp(runDir, dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'run.json'), JSON.stringify(change(record)));
    if (!keepModel) await fs.rm(path.join(dir, 'model'), { recursive: true });
    return dir;
  };
  const running = await variant('running', (r) => ({
    ...r,
    status: 'running',
    pid: process.pid,
    hostname: os.hostname(),
  }));
  const failed = await variant('failed', (r) => ({
    ...r,
    status: 'failed',
    error: { message: 'out of memory' },
  }));
  const modelless = await variant('modelless', (r) => r, false);
  const blocker = path.join(root, 'a-file');
  await fs.writeFile(blocker, 'not a folder');
  for (const [argv, pattern] of [
    [['export', running, '--format', 'onnx'], /still training/],
    [['export', failed, '--format', 'onnx'], /failed \(out of memory\)/],
    [['export', modelless, '--format', 'onnx'], /no trained model/],
    [
      ['export', runDir, '--format', 'onnx', '--out', path.join(blocker, 'out')],
      /--out .*cannot write there/,
    ],
    [['export', runDir, '--format', 'tflite'], /--format must be one of tfjs-layers\|onnx/],
    [['export', runDir, '--format', 'onnx', '--opset', '7'], /--opset must be a whole number from 13/],
    [['export', running], /still training/],
  ] as const) {
    const result = await cli(root, [...argv]);
    assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(result.stderr, pattern);
  }
  assert.deepEqual(
    await fs.readdir(path.join(running)).then((f) => f.includes('export')),
    false,
    'nothing written',
  );
});
