// Transfer learning: a base trained here on one procedural data set, transferred to another. The head on
// the frozen base must reach the target accuracy in fewer epochs than the same budget from scratch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../../../src/protocol/runRecord';
import { resolveConfig } from '../../../../src/core/config';
import { parseMetricsLines, splitMetrics } from '../../../../src/core/runStore';
import { trainAny } from '../../../../src/trainer/experiments/trainAny';
import { loadModelFromDir } from '../../../../src/trainer/modelIO';
import { writeSampleDataset } from '../../../../src/trainer/sampleWriter';

const quiet = { emit: () => undefined, stop: { requested: false } };
const common = { imageSize: 16, channels: 1, batchSize: 16, backend: 'wasm', validationSplit: 0.25 };
const TARGET = 0.5;
const EPOCHS = 6;

async function epochs(runDir: string) {
  return splitMetrics(parseMetricsLines(await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')))
    .epochs;
}

/** The first epoch whose validation accuracy reaches the target; Infinity when none does. */
async function epochsToTarget(runDir: string): Promise<number> {
  const hit = (await epochs(runDir)).find((e) => (e.valAccuracy ?? 0) >= TARGET);
  return hit ? hit.epoch : Infinity;
}

test('transfer: the head on a frozen base reaches the target in fewer epochs than from scratch; fine-tuning unfreezes only the top layers', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'transfer-'));
  await writeSampleDataset(path.join(root, 'shapes'), { perClass: 60, size: 16, seed: 1 });
  await writeSampleDataset(path.join(root, 'variant'), { perClass: 40, size: 16, seed: 2 }, true);
  const runsRoot = path.join(root, 'runs');
  const base = await trainAny({
    dataDir: path.join(root, 'shapes'),
    runsRoot,
    config: resolveConfig({ ...common, model: 'simple-cnn', epochs: 10, learningRate: 0.003 }),
    ...quiet,
  });
  assert.equal(base.status, 'completed');
  const baseModelDir = path.join(base.runDir!, 'model');

  const scratch = await trainAny({
    dataDir: path.join(root, 'variant'),
    runsRoot,
    config: resolveConfig({ ...common, model: 'simple-cnn', epochs: EPOCHS }),
    ...quiet,
  });
  const transfer = await trainAny({
    dataDir: path.join(root, 'variant'),
    runsRoot,
    config: resolveConfig({
      ...common,
      imageSize: 32,
      model: 'transfer',
      epochs: EPOCHS,
      learningRate: 0.01,
      transfer: { base: baseModelDir },
    }),
    ...quiet,
  });
  assert.equal(transfer.status, 'completed');
  const record = JSON.parse(await fs.readFile(path.join(transfer.runDir!, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(record.config.imageSize, 16, 'the input size comes from the base model, not the flag');
  assert.match(
    record.config.transfer!.cutLayer,
    /flatten/i,
    'default cut: the last pooling or flatten layer',
  );
  assert.equal(record.config.transfer!.normalisation, 'zeroOne', "read from the base run's metadata.json");
  const fromScratch = await epochsToTarget(scratch.runDir!);
  const withBase = await epochsToTarget(transfer.runDir!);
  assert.ok(Number.isFinite(withBase), `the transfer head reaches ${TARGET} within ${EPOCHS} epochs`);
  assert.ok(
    withBase < fromScratch,
    `transfer reached ${TARGET} at epoch ${withBase}, from scratch at ${fromScratch}`,
  );

  // Fine-tuning: 3 epochs, the last one with the top base layer with weights unfrozen at a lower rate.
  const tuned = await trainAny({
    dataDir: path.join(root, 'variant'),
    runsRoot,
    config: resolveConfig({
      ...common,
      model: 'transfer',
      epochs: 3,
      learningRate: 0.01,
      transfer: { base: baseModelDir, fineTuneLayers: 1, fineTuneEpochs: 1, fineTuneLearningRate: 0.0005 },
    }),
    ...quiet,
  });
  assert.equal(tuned.status, 'completed');
  const lines = await epochs(tuned.runDir!);
  assert.deepEqual(
    lines.map((e) => e.learningRate),
    [0.01, 0.01, 0.0005],
  );
  const before = await loadModelFromDir(baseModelDir);
  const after = await loadModelFromDir(path.join(tuned.runDir!, 'model'));
  const changed = (name: string) => {
    const a = before.getLayer(name).getWeights()[0].dataSync();
    const b = after.getLayer(name).getWeights()[0].dataSync();
    return a.some((v, i) => v !== b[i]);
  };
  const withWeights = before.layers
    .filter((l) => l.getWeights().length > 0 && after.layers.some((m) => m.name === l.name))
    .map((l) => l.name);
  // simple-cnn cut at flatten keeps two convolutions: only the top one was unfrozen, so only it changes.
  assert.equal(withWeights.length, 2);
  assert.deepEqual(withWeights.map(changed), [false, true]);
  before.dispose();
  after.dispose();
  await fs.rm(root, { recursive: true, force: true });
});
