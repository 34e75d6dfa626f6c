// Loading bases for training: resolveBase (installed names verified by sha256, local paths, helpful
// errors), loadGraphBase / graphFeatures on a hand-built graph model, loadLayersBase on the MobileNet-shaped
// fixture, `addBase` by path and URL, and weight paths confined to the model's folder when loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { addBase, baseDigest, getBase } from '../../../src/trainer/bases/cache';
import { BaseError } from '../../../src/trainer/bases/errors';
import { resolveBase } from '../../../src/trainer/bases/resolve';
import { graphFeatures, loadGraphBase, loadLayersBase } from '../../../src/trainer/bases/tfjsBases';
import { defaultCutLayer } from '../../../src/trainer/presets/transfer';
import { graphFixtureKernel, writeGraphModelFixture } from '../../fixtures/baseModels';
import { startModelServer } from '../../fixtures/modelServer';
import {
  copyDir,
  GRAPH_INPUT,
  GRAPH_OPTIONS,
  graphEntry,
  mobileNetEntry,
  mobileNetFixture,
  MOBILENET_INPUT,
  NO_PROXY_ENV,
  servedFolder,
  tempDir,
} from './helpers';

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof BaseError, `a BaseError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

/** conv2d(SAME) → relu → mean over height and width, computed directly with the fixture's kernel. */
function expectedFeatures(batch: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const kernel = graphFixtureKernel(GRAPH_OPTIONS);
    return tf.mean(tf.relu(tf.conv2d(batch, kernel, 1, 'same')), [1, 2]) as tf.Tensor2D;
  });
}

test('graph base: tfjs-converter loads the hand-built GraphDef; features are [batch, filters] and exact', async () => {
  for (const pooled of [true, false]) {
    const dir = await tempDir(`graph-${pooled}`);
    await writeGraphModelFixture(dir, { ...GRAPH_OPTIONS, pooled });
    const model = await loadGraphBase(dir);
    const batch = tf.randomUniform([3, GRAPH_INPUT, GRAPH_INPUT, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const features = graphFeatures(model, batch);
    assert.equal(tf.memory().numTensors, before + 1, 'only the result stays allocated');
    assert.deepEqual(
      features.shape,
      [3, GRAPH_OPTIONS.filters],
      pooled ? 'Mean in the graph' : '4-D output averaged',
    );
    const expected = expectedFeatures(batch);
    const diff = tf.max(tf.abs(tf.sub(features, expected))).dataSync()[0];
    assert.ok(diff < 1e-4, `max difference ${diff}`);
    tf.dispose([features, expected, batch]);
    model.dispose();
  }
});

test('installed graph base: resolveBase by name verifies it, and it loads and runs with the server gone', async () => {
  const root = await servedFolder();
  const server = await startModelServer(root);
  const cacheDir = await tempDir('offline');
  const catalogue = [graphEntry(server.origin)];
  const { dir, manifest } = await getBase('graph-test', { cacheDir, catalogue, env: NO_PROXY_ENV });
  await server.close();
  const resolved = await resolveBase('graph-test', { cacheDir, catalogue });
  assert.deepEqual(resolved, {
    name: 'graph-test',
    dir,
    format: 'graph',
    inputShape: [GRAPH_INPUT, GRAPH_INPUT, 3],
    preprocessing: 'zeroOne',
    cutLayer: null,
    source: `${server.origin}/graph/model.json`,
    sha256: manifest.sha256,
  });
  // The server is closed: loading reads the cache only.
  const model = await loadGraphBase(resolved.dir);
  const features = graphFeatures(model, tf.ones([1, GRAPH_INPUT, GRAPH_INPUT, 3]) as tf.Tensor4D);
  assert.deepEqual(features.shape, [1, 8]);
  tf.dispose(features);
  model.dispose();
});

test('tampering: a changed byte in a cached shard or an edited base.json is caught before use', async () => {
  const root = await servedFolder();
  const server = await startModelServer(root);
  const cacheDir = await tempDir('tamper');
  const catalogue = [graphEntry(server.origin), mobileNetEntry(server.origin)];
  try {
    const { dir } = await getBase('graph-test', { cacheDir, catalogue, env: NO_PROXY_ENV });
    const shard = path.join(dir, 'group1-shard2of2.bin');
    const bytes = await fs.readFile(shard);
    bytes[0] ^= 1;
    await fs.writeFile(shard, bytes);
    await rejectsWith(
      resolveBase('graph-test', { cacheDir, catalogue }),
      /group1-shard2of2\.bin: its sha256 differs from the one recorded when the base was installed — the cached base is damaged or was modified; run `image-trainer bases remove graph-test` then `image-trainer bases get graph-test`/,
    );
    bytes[0] ^= 1;
    await fs.writeFile(shard, bytes);
    await resolveBase('graph-test', { cacheDir, catalogue });

    const manifestFile = path.join(dir, 'base.json');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    manifest.files[1].sha256 = '0'.repeat(64);
    await fs.writeFile(manifestFile, JSON.stringify(manifest));
    await rejectsWith(
      resolveBase('graph-test', { cacheDir, catalogue }),
      /base\.json: its file list does not match its recorded sha256/,
    );

    await fs.rm(manifestFile);
    await rejectsWith(
      resolveBase('graph-test', { cacheDir, catalogue }),
      /base\.json: missing — the cached base is damaged; remove it with `image-trainer bases remove graph-test`/,
    );
  } finally {
    await server.close();
  }
});

test('resolveBase: catalogue names not yet downloaded, unknown names, and local folders / model.json paths', async () => {
  const cacheDir = await tempDir('resolve');
  await rejectsWith(
    resolveBase('mobilenet-v2-0.35', { cacheDir }),
    /base mobilenet-v2-0\.35 is not downloaded yet — run `image-trainer bases get mobilenet-v2-0\.35` \(about 1\.6 MB\) and train again/,
  );
  await rejectsWith(
    resolveBase('no-such-base', { cacheDir, cwd: cacheDir }),
    /no base named "no-such-base" — `image-trainer bases list` shows the names/,
  );

  const model = path.join(await tempDir('local'), 'model');
  await copyDir(await mobileNetFixture(), model);
  await fs.writeFile(
    path.join(model, 'metadata.json'),
    JSON.stringify({ preprocessing: { scale: 2 / 255, offset: -1 } }),
  );
  for (const given of [model, path.join(model, 'model.json')]) {
    const resolved = await resolveBase(given, { cacheDir });
    assert.equal(resolved.dir, model);
    assert.equal(resolved.format, 'layers');
    assert.deepEqual(resolved.inputShape, [MOBILENET_INPUT, MOBILENET_INPUT, 3]);
    assert.equal(resolved.preprocessing, 'minusOneOne', "from our runs' metadata.json");
    assert.equal(resolved.cutLayer, null, "transfer.ts' default decides for a bare path");
    assert.equal(resolved.source, path.join(model, 'model.json'));
  }
  // The digest of a local model equals the one the same files get when installed.
  const installed = await addBase(model, { cacheDir, name: 'local-copy', env: NO_PROXY_ENV });
  assert.equal((await resolveBase(model, { cacheDir })).sha256, installed.manifest.sha256);
  const relative = await resolveBase(`./${path.basename(model)}`, { cacheDir, cwd: path.dirname(model) });
  assert.equal(relative.dir, model);
});

test('add by path: layers model copied, cut layer chosen as transfer.ts does (overridable), preprocessing read or forced', async () => {
  const cacheDir = await tempDir('add-path');
  const source = await mobileNetFixture();
  const added = await addBase(source, { cacheDir, name: 'mine', env: NO_PROXY_ENV });
  const reference = await loadLayersBase(source);
  assert.equal(
    added.manifest.cutLayer,
    defaultCutLayer(reference),
    "the same rule as transfer.ts' defaultCutLayer",
  );
  assert.equal(added.manifest.preprocessing, 'zeroOne');
  assert.equal(added.manifest.origin, 'added');
  assert.equal(added.manifest.licence, 'unknown');
  assert.deepEqual(added.manifest.inputShape, [MOBILENET_INPUT, MOBILENET_INPUT, 3]);
  assert.equal(added.manifest.sha256, baseDigest(added.manifest.files));

  // The installed copy loads from disk and computes what the original computes.
  const copy = await loadLayersBase(added.dir);
  const input = tf.randomUniform([2, MOBILENET_INPUT, MOBILENET_INPUT, 3], -1, 1, 'float32', 5);
  const a = reference.predict(input) as tf.Tensor;
  const b = copy.predict(input) as tf.Tensor;
  assert.deepEqual(b.shape, [2, 4, 4, 64]);
  assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] === 0, 'identical weights');
  tf.dispose([input, a, b]);
  reference.dispose();
  copy.dispose();

  const forced = await addBase(source, {
    cacheDir,
    name: 'mine-out-relu',
    cutLayer: 'out_relu',
    preprocessing: 'minusOneOne',
    env: NO_PROXY_ENV,
  });
  assert.equal(forced.manifest.cutLayer, 'out_relu');
  assert.equal(forced.manifest.preprocessing, 'minusOneOne');
  await rejectsWith(
    addBase(source, { cacheDir, name: 'bad-cut', cutLayer: 'nope', env: NO_PROXY_ENV }),
    /--cut-layer nope: no such layer in .* — its last layers: .*out_relu/,
  );
  await rejectsWith(
    addBase(source, { cacheDir, name: 'mine', env: NO_PROXY_ENV }),
    /a base named mine is already installed — remove it first/,
  );
  await rejectsWith(
    addBase(source, { cacheDir, name: 'mobilenet-v2-1.0', env: NO_PROXY_ENV }),
    /--name mobilenet-v2-1\.0: that name belongs to the catalogue/,
  );
  await rejectsWith(
    addBase(path.join(source, 'nothing'), { cacheDir, name: 'x', env: NO_PROXY_ENV }),
    /nothing: no such file or folder/,
  );
  assert.deepEqual((await fs.readdir(path.join(cacheDir, 'bases'))).sort(), ['mine', 'mine-out-relu']);
});

test('add by URL: a graph model whose input size is open needs --input-size; --cut-layer is refused for graphs; --sha256 pins', async () => {
  const root = await servedFolder();
  const open = JSON.parse(await fs.readFile(path.join(root, 'graph', 'model.json'), 'utf8'));
  open.modelTopology.node[0].attr.shape.shape.dim = [
    { size: '-1' },
    { size: '-1' },
    { size: '-1' },
    { size: '3' },
  ];
  await copyDir(path.join(root, 'graph'), path.join(root, 'open'));
  await fs.writeFile(path.join(root, 'open', 'model.json'), JSON.stringify(open));
  const server = await startModelServer(root);
  const cacheDir = await tempDir('add-url');
  const common = { cacheDir, env: NO_PROXY_ENV };
  try {
    await rejectsWith(
      addBase(`${server.origin}/open/model.json`, { ...common, name: 'open' }),
      /open\/model\.json: the model leaves its input size open — pass --input-size N/,
    );
    const added = await addBase(`${server.origin}/open/`, { ...common, name: 'open', inputSize: 24 });
    assert.deepEqual(added.manifest.inputShape, [24, 24, 3]);
    assert.equal(
      added.manifest.source,
      `${server.origin}/open/model.json`,
      'a folder address gets model.json',
    );
    assert.equal(added.manifest.cutLayer, null);
    await rejectsWith(
      addBase(`${server.origin}/graph/model.json`, { ...common, name: 'g', cutLayer: 'x' }),
      /--cut-layer: .* is a graph model, used whole/,
    );
    await rejectsWith(
      addBase(`${server.origin}/graph/model.json`, { ...common, name: 'g2', inputSize: 20 }),
      /--input-size 20: .* takes 16×16 images/,
    );
    await rejectsWith(
      addBase(`${server.origin}/graph/model.json`, { ...common, name: 'pinned', sha256: 'a'.repeat(64) }),
      /does not match the pinned aaaaaaaaaaaa…/,
    );
    await rejectsWith(
      addBase(`${server.origin}/graph/model.json`, {
        ...common,
        name: 'pinned',
        sha256: added.manifest.sha256,
      }),
      /does not match the pinned/,
    );
    const ok = await addBase(`${server.origin}/graph/model.json`, { ...common, name: 'graph-url' });
    const again = await addBase(`${server.origin}/graph/model.json`, {
      ...common,
      name: 'graph-pinned',
      sha256: ok.manifest.sha256,
    });
    assert.equal(again.manifest.sha256, ok.manifest.sha256);
  } finally {
    await server.close();
  }
});

test('loading confines weight paths: `..`, absolute paths and symbolic links out of the folder are refused', async () => {
  const dir = await tempDir('confine');
  const model = path.join(dir, 'model');
  await writeGraphModelFixture(model, GRAPH_OPTIONS);
  const jsonPath = path.join(model, 'model.json');
  const json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  await fs.writeFile(path.join(dir, 'outside.bin'), Buffer.alloc(8));
  // Loading goes through the one confined loader (modelFiles.ts), whose words differ from the downloader's.
  for (const [bad, pattern, loaded] of [
    ['../outside.bin', /leaves model\.json's folder/, /may not contain "\.\."/],
    [path.join(dir, 'outside.bin'), /is absolute/, /must be relative, not absolute/],
  ] as const) {
    json.weightsManifest[0].paths[1] = bad;
    await fs.writeFile(jsonPath, JSON.stringify(json));
    await rejectsWith(
      loadGraphBase(model),
      new RegExp(
        `model\\.json: weightsManifest\\[0\\]\\.paths\\[1\\] .* is refused: weight files must be inside the model folder .*${loaded.source}`,
      ),
    );
    await rejectsWith(resolveBase(model, { cacheDir: dir }), pattern);
    await rejectsWith(addBase(model, { cacheDir: dir, name: 'escape', env: NO_PROXY_ENV }), pattern);
  }
  json.weightsManifest[0].paths[1] = 'linked.bin';
  await fs.writeFile(jsonPath, JSON.stringify(json));
  await fs.symlink(path.join(dir, 'outside.bin'), path.join(model, 'linked.bin'));
  await rejectsWith(
    loadGraphBase(model),
    /linked\.bin: resolves to .*outside\.bin, outside .* — remove the link/,
  );
  await rejectsWith(
    addBase(model, { cacheDir: dir, name: 'escape', env: NO_PROXY_ENV }),
    /linked\.bin: links outside the model's folder/,
  );
  json.weightsManifest[0].paths[1] = 'missing.bin';
  await fs.writeFile(jsonPath, JSON.stringify(json));
  await rejectsWith(loadGraphBase(model), /missing\.bin: no such file/);
  await rejectsWith(loadLayersBase(path.join(dir, 'nowhere')), /nowhere: no such folder/);
});
