// The pure parts: catalogue entries and their guard, the installed-base manifest, download events,
// model.json reading, and the confinement of weight paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  BASE_ENTRY_FIELDS,
  baseDigestText,
  isBaseDownloadEvent,
  isBaseEntry,
  isBaseName,
  isConfinedRelativePath,
  isInstalledBaseManifest,
  toBaseEntry,
} from '../../../src/protocol/bases';
import { BASE_CATALOGUE, findCatalogueEntry, toCatalogueEntry } from '../../../src/core/baseCatalogue';
import { confineWeightPath, readModelJson, weightPaths } from '../../../src/core/modelJson';
import { formatBytes } from '../../../src/protocol/format';
import { buildMobileNetV2Like } from '../../fixtures/baseModels';
import { writeGraphModelFixture } from '../../fixtures/baseModels';
import { GRAPH_OPTIONS, mobileNetFixture, tempDir } from './helpers';

test('catalogue: every shipped entry passes the guard, names are unique, and the issue’s five bases are there', () => {
  const names = BASE_CATALOGUE.map((e) => e.name);
  assert.equal(new Set(names).size, names.length);
  for (const entry of BASE_CATALOGUE) {
    assert.ok(isBaseEntry(toBaseEntry(entry)), `${entry.name} is a valid BaseEntry`);
    assert.match(entry.source, /^https:\/\/.+model\.json/);
    assert.ok(entry.sizeBytes > 100_000, `${entry.name} has a documented size`);
    assert.deepEqual(entry.inputShape, [224, 224, 3]);
  }
  const v2 = BASE_CATALOGUE.filter((e) => e.format === 'layers');
  assert.deepEqual(
    v2.map((e) => [e.name, e.cutLayer, e.preprocessing]),
    [
      ['mobilenet-v2-0.35', 'out_relu', 'minusOneOne'],
      ['mobilenet-v2-1.0', 'out_relu', 'minusOneOne'],
    ],
  );
  for (const e of v2)
    assert.match(e.source, /storage\.googleapis\.com\/teachable-machine-models\/mobilenet_v2_/);
  const graphs = BASE_CATALOGUE.filter((e) => e.format === 'graph');
  assert.ok(graphs.every((e) => e.cutLayer === null && e.preprocessing === 'zeroOne'));
  assert.ok(findCatalogueEntry('mobilenet-v3-small') && findCatalogueEntry('mobilenet-v3-large'));
  assert.ok(findCatalogueEntry('resnet-v2-50'));
  assert.equal(findCatalogueEntry('nope'), undefined);
});

test('catalogue: the documented MobileNet v2 sizes are the float32 weights of Keras’ architecture', () => {
  // Keras reports 2,257,984 parameters for MobileNetV2(alpha=1.0, include_top=False); our builder matches.
  for (const [alpha, name] of [
    [0.35, 'mobilenet-v2-0.35'],
    [1.0, 'mobilenet-v2-1.0'],
  ] as const) {
    const model = buildMobileNetV2Like({ inputSize: 224, alpha });
    assert.equal(findCatalogueEntry(name)!.sizeBytes, model.countParams() * 4, name);
    if (alpha === 1.0) assert.equal(model.countParams(), 2_257_984);
    assert.deepEqual(model.getLayer('out_relu').outputShape, [null, 7, 7, 1280]);
    model.dispose();
  }
});

test('guards: a base entry is rejected for each kind of bad field', () => {
  const good = toBaseEntry(BASE_CATALOGUE[0]);
  assert.ok(isBaseEntry(good));
  const bad: Record<string, unknown>[] = [
    { ...good, name: '../etc' },
    { ...good, name: 'Upper' },
    { ...good, format: 'onnx' },
    { ...good, inputShape: [224, 224, 4] },
    { ...good, inputShape: [224, 224] },
    { ...good, preprocessing: 'auto' },
    { ...good, cutLayer: '' },
    { ...good, sizeBytes: -1 },
    { ...good, sha256: 'abc' },
    { ...good, source: '' },
  ];
  for (const value of bad) assert.equal(isBaseEntry(value), false, JSON.stringify(value).slice(0, 80));
  assert.deepEqual(Object.keys(toBaseEntry(BASE_CATALOGUE[0])), [...BASE_ENTRY_FIELDS]);
  assert.ok(
    isBaseName('mobilenet-v2-0.35') && !isBaseName('a..b') && !isBaseName('.hidden') && !isBaseName(''),
  );
  assert.equal(toCatalogueEntry({ ...good, alternateSources: [1] }), null);
  assert.deepEqual(toCatalogueEntry(good)?.alternateSources, []);
});

test('manifest guard: accepts a complete base.json and refuses unsafe paths, duplicates, a missing model.json', () => {
  const sha = 'a'.repeat(64);
  const manifest = {
    formatVersion: 1,
    ...toBaseEntry(BASE_CATALOGUE[0]),
    sha256: sha,
    files: [
      { path: 'model.json', bytes: 10, sha256: sha },
      { path: 'group1-shard1of1.bin', bytes: 5, sha256: sha },
    ],
    installedAt: '2025-01-01T00:00:00Z',
    origin: 'catalogue',
  };
  assert.ok(isInstalledBaseManifest(manifest));
  assert.equal(isInstalledBaseManifest({ ...manifest, sha256: null }), false);
  assert.equal(isInstalledBaseManifest({ ...manifest, files: manifest.files.slice(1) }), false);
  assert.equal(
    isInstalledBaseManifest({
      ...manifest,
      files: [...manifest.files, { path: '../x', bytes: 1, sha256: sha }],
    }),
    false,
  );
  assert.equal(
    isInstalledBaseManifest({ ...manifest, files: [...manifest.files, manifest.files[1]] }),
    false,
  );
  assert.equal(isInstalledBaseManifest({ ...manifest, origin: 'elsewhere' }), false);
});

test('digest text: sha256sum layout, sorted by path, independent of the order files are listed in', () => {
  const a = { path: 'b.bin', sha256: '1'.repeat(64) };
  const b = { path: 'a.json', sha256: '2'.repeat(64) };
  assert.equal(baseDigestText([a, b]), `${'2'.repeat(64)}  a.json\n${'1'.repeat(64)}  b.bin\n`);
  assert.equal(baseDigestText([a, b]), baseDigestText([b, a]));
});

test('events guard: accepts each event and rejects malformed ones', () => {
  const base = toBaseEntry(BASE_CATALOGUE[2]);
  const good = [
    {
      type: 'baseDownloadStarted',
      name: 'x',
      source: 'u',
      files: 3,
      bytesTotal: 10,
      bytesDone: 0,
      resumedBytes: 0,
    },
    { type: 'baseDownloadProgress', name: 'x', file: 'f', bytesDone: 5, bytesTotal: 10, etaMs: null },
    { type: 'baseDownloadProgress', name: 'x', file: 'f', bytesDone: 5, bytesTotal: 10, etaMs: 1200 },
    { type: 'baseInstalled', name: 'x', dir: '/d', base, resumedBytes: 0 },
    { type: 'baseDownloadStopped', name: 'x', bytesDone: 5, bytesTotal: 10 },
    { type: 'baseDownloadFailed', name: 'x', message: 'm' },
    { type: 'baseRemoved', name: 'x', dir: '/d' },
  ];
  for (const e of good) assert.ok(isBaseDownloadEvent(e), e.type);
  assert.equal(
    isBaseDownloadEvent({
      type: 'baseDownloadProgress',
      name: 'x',
      file: 'f',
      bytesDone: -1,
      bytesTotal: 1,
      etaMs: null,
    }),
    false,
  );
  assert.equal(
    isBaseDownloadEvent({ type: 'baseInstalled', name: 'x', dir: '/d', base: {}, resumedBytes: 0 }),
    false,
  );
  assert.equal(isBaseDownloadEvent({ type: 'other', name: 'x' }), false);
  assert.equal(
    isBaseDownloadEvent({
      type: 'baseDownloadStarted',
      name: 'x',
      source: 'u',
      files: 3,
      bytesTotal: 10,
      bytesDone: 0,
    }),
    false,
  );
});

test('readModelJson: a MobileNet-shaped layers model and a hand-written graph model', async () => {
  const layersText = await fs.readFile(path.join(await mobileNetFixture(), 'model.json'), 'utf8');
  const layers = readModelJson(layersText);
  assert.equal(layers.format, 'layers');
  assert.deepEqual(layers.inputShape, [32, 32, 3]);
  assert.ok(layers.layerNames.includes('out_relu') && layers.layerNames.includes('block_1_depthwise'));
  assert.deepEqual(weightPaths(layers), [
    'group1-shard1of3.bin',
    'group1-shard2of3.bin',
    'group1-shard3of3.bin',
  ]);
  let onDisk = 0;
  for (const p of weightPaths(layers)) onDisk += (await fs.stat(path.join(await mobileNetFixture(), p))).size;
  assert.equal(layers.groups[0].bytes, onDisk, 'group bytes from the specs equal the shard sizes');

  const dir = await tempDir('graph-json');
  await writeGraphModelFixture(dir, GRAPH_OPTIONS);
  const graph = readModelJson(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(graph.format, 'graph');
  assert.deepEqual(graph.inputShape, [16, 16, 3]);
  assert.equal(graph.groups[0].bytes, 3 * 3 * 3 * 8 * 4 + 2 * 4);
});

test('readModelJson: format from modelTopology when `format` is absent; open dimensions are null; quantised sizes', () => {
  const keras = {
    modelTopology: {
      keras_version: '2.2.4',
      model_config: {
        class_name: 'Model',
        config: {
          layers: [
            { class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, 224, 224, 3] } },
            { class_name: 'Conv2D', config: { name: 'Conv1' } },
          ],
          input_layers: [['input_1', 0, 0]],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['a.bin'],
        weights: [
          {
            name: 'k',
            shape: [3, 3, 3, 4],
            dtype: 'float32',
            quantization: { dtype: 'uint8', scale: 1, min: 0 },
          },
        ],
      },
    ],
  };
  const info = readModelJson(JSON.stringify(keras));
  assert.equal(info.format, 'layers');
  assert.deepEqual(info.inputShape, [224, 224, 3]);
  assert.deepEqual(info.layerNames, ['input_1', 'Conv1']);
  assert.equal(info.groups[0].bytes, 108);
  const graph = {
    modelTopology: {
      node: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: {
            shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } },
          },
        },
      ],
    },
    weightsManifest: [{ paths: ['s.bin'], weights: [{ name: 's', shape: [1], dtype: 'string' }] }],
  };
  const g = readModelJson(JSON.stringify(graph));
  assert.equal(g.format, 'graph');
  assert.deepEqual(g.inputShape, [null, null, 3]);
  assert.equal(g.groups[0].bytes, null, 'strings have no fixed size');
});

test('readModelJson: bad files come back as sentences', () => {
  assert.throws(() => readModelJson('<html>'), /not JSON/);
  assert.throws(() => readModelJson('[]'), /not a JSON object/);
  assert.throws(() => readModelJson('{}'), /no modelTopology/);
  assert.throws(
    () => readModelJson('{"modelTopology":{}}'),
    /neither a TF\.js layers model nor a graph model/,
  );
  assert.throws(
    () => readModelJson('{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":{}}'),
    /weightsManifest is not a list/,
  );
  assert.throws(
    () =>
      readModelJson(
        '{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":[{"paths":["a"],"weights":[{"name":"w","shape":[-1],"dtype":"float32"}]}]}',
      ),
    /invalid shape/,
  );
});

test('confineWeightPath: relative paths inside the folder pass; escapes, absolute paths and other hosts do not', () => {
  const url = 'https://host.example/models/m/model.json?tfjs-format=file';
  assert.deepEqual(confineWeightPath('group1-shard1of3.bin', url), {
    ok: true,
    path: 'group1-shard1of3.bin',
  });
  assert.deepEqual(confineWeightPath('./sub/w.bin', null), { ok: true, path: 'sub/w.bin' });
  assert.deepEqual(confineWeightPath('https://host.example/models/m/w%201.bin', url), {
    ok: true,
    path: 'w 1.bin',
  });
  const refused: [string, string | null, RegExp][] = [
    ['../../etc/passwd', url, /leaves model\.json's folder/],
    ['a/../../b.bin', null, /leaves/],
    ['/etc/passwd', url, /is absolute/],
    ['C:\\Windows\\x.bin', null, /is absolute/],
    ['https://other.example/models/m/w.bin', url, /another host/],
    ['https://host.example/elsewhere/w.bin', url, /outside model\.json's folder/],
    ['https://host.example/models/m/../x.bin', url, /outside|leaves/],
    ['file:///etc/passwd', null, /is a URL/],
    ['a\\b.bin', null, /backslash/],
    ['a//b.bin', null, /empty or malformed/],
    ['', null, /empty or malformed/],
  ];
  for (const [raw, base, reason] of refused) {
    const result = confineWeightPath(raw, base);
    assert.equal(result.ok, false, raw);
    if (!result.ok) assert.match(result.reason, reason, raw);
  }
  assert.ok(
    isConfinedRelativePath('a/b.bin') && !isConfinedRelativePath('../a') && !isConfinedRelativePath('/a'),
  );
});

test('formatBytes: decimal units', () => {
  assert.equal(formatBytes(820), '820 B');
  assert.equal(formatBytes(1_640_832), '1.6 MB');
  assert.equal(formatBytes(94_000_000), '94 MB');
  assert.equal(formatBytes(-1), '—');
});
