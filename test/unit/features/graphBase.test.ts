// A transfer head on a TF.js graph base (as MobileNet v3 feature vectors are): added to the cache by name,
// trained on its cached features, saved as one layers model that carries the graph in model/graph-base,
// and read back by predict with nothing but the run folder. Fine-tuning a graph base is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Evaluation, RunRecord } from '../../../src/protocol/runRecord';
import { resolveConfig } from '../../../src/core/config';
import { selectBackend } from '../../../src/trainer/backend';
import { addBase } from '../../../src/trainer/bases/cache';
import { trainAny } from '../../../src/trainer/experiments/trainAny';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';
import { writeGraphModelFixture } from '../../fixtures/baseModels';
import { predictedValidationAccuracy } from '../../fixtures/predictedAccuracy';

const quiet = { emit: () => undefined, stop: { requested: false } };

test.before(async () => {
  await selectBackend('wasm');
});

test('graph base: head trained on its features; model/ carries the graph; predict needs only the run folder', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'graph-base-'));
  const cacheDir = path.join(root, 'cache');
  await writeGraphModelFixture(path.join(root, 'graph'), {
    inputSize: 16,
    filters: 12,
    pooled: true,
    shards: 2,
  });
  await addBase(path.join(root, 'graph'), { cacheDir, name: 'tiny-graph', env: {} });
  await writeSampleDataset(path.join(root, 'data'), { perClass: 20, size: 24, seed: 4 }, true);
  const config = (extra: Record<string, unknown> = {}) =>
    resolveConfig({
      model: 'transfer',
      epochs: 3,
      batchSize: 8,
      learningRate: 0.02,
      backend: 'wasm',
      transfer: { base: 'tiny-graph', ...extra },
    });
  const run = await trainAny({
    dataDir: path.join(root, 'data'),
    runsRoot: path.join(root, 'runs'),
    cacheDir,
    config: config(),
    ...quiet,
  });
  assert.equal(run.status, 'completed', run.message);
  const record = JSON.parse(await fs.readFile(path.join(run.runDir!, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.base?.name, 'tiny-graph');
  assert.equal(record.base?.format, 'graph');
  assert.match(record.base?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(record.config.imageSize, 16, 'the input size comes from the graph');
  assert.equal(record.config.transfer?.normalisation, 'zeroOne');
  await fs.access(path.join(run.runDir!, 'model', 'graph-base', 'model.json'));

  // The cache and the original are gone: the run folder alone predicts what its evaluation recorded.
  await fs.rm(cacheDir, { recursive: true, force: true });
  await fs.rm(path.join(root, 'graph'), { recursive: true, force: true });
  const evaluation = JSON.parse(
    await fs.readFile(path.join(run.runDir!, 'evaluation.json'), 'utf8'),
  ) as Evaluation;
  assert.equal(await predictedValidationAccuracy(run.runDir!, path.join(root, 'data')), evaluation.accuracy);
});

test('graph base: fine-tuning is refused with the reason; a base not downloaded says how to get it', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'graph-base-'));
  const cacheDir = path.join(root, 'cache');
  await writeGraphModelFixture(path.join(root, 'graph'), { inputSize: 16, filters: 4, pooled: false });
  await addBase(path.join(root, 'graph'), { cacheDir, name: 'g', env: {} });
  await writeSampleDataset(path.join(root, 'data'), { perClass: 6, size: 16, seed: 4 }, true);
  const request = (transfer: Record<string, unknown>) =>
    trainAny({
      dataDir: path.join(root, 'data'),
      runsRoot: path.join(root, 'runs'),
      cacheDir,
      config: resolveConfig({ model: 'transfer', epochs: 3, backend: 'wasm', transfer }),
      ...quiet,
    });
  await assert.rejects(
    request({ base: 'g', fineTuneLayers: 1, fineTuneEpochs: 1 }),
    /graph model, used frozen/,
  );
  await assert.rejects(
    request({ base: 'mobilenet-v2-0.35' }),
    /not downloaded yet — run `image-trainer bases get mobilenet-v2-0\.35`/,
  );
});
