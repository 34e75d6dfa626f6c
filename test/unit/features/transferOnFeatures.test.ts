// Training a transfer head on cached features of a frozen base, end to end through trainAny: a second run
// with other head settings skips extraction and says so; model/ (base + head as one model) predicts what the
// run's evaluation recorded; a stopped run resumes with its head's weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Evaluation } from '../../../src/protocol/runRecord';
import type { TrainerToHost } from '../../../src/protocol/trainerMessages';
import { resolveConfig } from '../../../src/core/config';
import { trainAny } from '../../../src/trainer/experiments/trainAny';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';
import { predictedValidationAccuracy } from '../../fixtures/predictedAccuracy';

const common = { imageSize: 16, channels: 1, batchSize: 16, backend: 'wasm', validationSplit: 0.25 } as const;

function recorder() {
  const events: TrainerToHost[] = [];
  return {
    events,
    emit: (e: TrainerToHost): void => void events.push(e),
    stop: { requested: false },
  };
}

const logs = (events: TrainerToHost[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

test('transfer on cached features: extraction once, reused by other head settings; model/ predicts as evaluated; resume', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'transfer-features-'));
  const cacheDir = path.join(root, 'cache');
  await writeSampleDataset(path.join(root, 'shapes'), { perClass: 30, size: 16, seed: 1 });
  await writeSampleDataset(path.join(root, 'variant'), { perClass: 24, size: 16, seed: 2 }, true);
  const runsRoot = path.join(root, 'runs');
  const base = await trainAny({
    dataDir: path.join(root, 'shapes'),
    runsRoot,
    config: resolveConfig({ ...common, model: 'cnn', epochs: 2, cnn: { head: 'flatten' } }),
    ...recorder(),
  });
  assert.equal(base.status, 'completed');
  const transfer = (extra: Record<string, unknown>, epochs = 4) =>
    resolveConfig({
      ...common,
      model: 'transfer',
      epochs,
      learningRate: 0.01,
      augment: 'default',
      transfer: { base: path.join(base.runDir!, 'model'), augmentedViews: 2, ...extra },
    });

  const first = recorder();
  const a = await trainAny({
    dataDir: path.join(root, 'variant'),
    runsRoot,
    cacheDir,
    config: transfer({}),
    ...first,
  });
  assert.equal(a.status, 'completed', a.message);
  assert.ok(first.events.some((e) => e.type === 'progress' && e.phase === 'extracting'));
  assert.match(logs(first.events).join('\n'), /Features: 0 of \d+ images from the cache, \d+ computed/);

  const second = recorder();
  const b = await trainAny({
    dataDir: path.join(root, 'variant'),
    runsRoot,
    cacheDir,
    config: transfer({ headUnits: 16, dropout: 0.2 }),
    ...second,
  });
  assert.equal(b.status, 'completed', b.message);
  assert.ok(
    !second.events.some((e) => e.type === 'progress' && e.phase === 'extracting'),
    'nothing extracted',
  );
  assert.match(logs(second.events).join('\n'), /read from the cache: extraction skipped/);

  // model/ is the base and the head as one model on pixels: it predicts what evaluation.json recorded.
  for (const run of [a, b]) {
    const evaluation = JSON.parse(
      await fs.readFile(path.join(run.runDir!, 'evaluation.json'), 'utf8'),
    ) as Evaluation;
    assert.equal(
      await predictedValidationAccuracy(run.runDir!, path.join(root, 'variant')),
      evaluation.accuracy,
    );
  }

  // Stopped after epoch 1, resumed: the head continues from its checkpoint (features from the cache).
  const stopping = recorder();
  stopping.emit = (e: TrainerToHost) => {
    stopping.events.push(e);
    if (e.type === 'epochEnded') stopping.stop.requested = true;
  };
  const stopped = await trainAny({
    dataDir: path.join(root, 'variant'),
    runsRoot,
    cacheDir,
    config: transfer({ headUnits: 8 }, 3),
    ...stopping,
    emit: stopping.emit,
  });
  assert.equal(stopped.status, 'stopped');
  const resumed = recorder();
  const again = await trainAny({
    runsRoot,
    cacheDir,
    resumeRunDir: stopped.runDir!,
    config: transfer({}),
    ...resumed,
  });
  assert.equal(again.status, 'completed', again.message);
  const started = resumed.events.find((e) => e.type === 'runStarted');
  assert.equal(started?.type === 'runStarted' && started.startEpoch, 2);
  const lines = (await fs.readFile(path.join(stopped.runDir!, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; kind?: string })
    .filter((m) => m.kind !== 'batch');
  assert.deepEqual(
    lines.map((m) => m.epoch),
    [1, 2, 3],
  );
  await fs.rm(root, { recursive: true, force: true });
});
