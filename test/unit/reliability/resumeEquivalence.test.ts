// Issue 8 §1, sharpened: a resume must continue exactly where the crash left off — the same weights, the
// same optimizer state, the same seeded shuffling and augmentation — so that it trains as if never
// interrupted. The run directory is copied at the moment a kill could strike (epoch 1's checkpoint just
// written); the original trains on uninterrupted, the copy is resumed. A model without dropout (the only
// unseeded randomness in training) makes both deterministic, so their epochs must agree to float noise.
// A negative control (the copy resumed without its optimizer state) shows the comparison can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { EpochMetrics } from '../../../src/protocol/runRecord';
import type { TrainerToHost } from '../../../src/protocol/trainerMessages';
import { resolveConfig } from '../../../src/core/config';
import { readRunDetails } from '../../../src/core/runStore';
import { selectBackend } from '../../../src/trainer/backend';
import { trainRun } from '../../../src/trainer/train';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';
import { makeTempDir, removeDir } from '../../fixtures/imageFactory';

const EPOCHS = 3;
const CONFIG = resolveConfig({
  model: 'cnn',
  cnn: { blocks: 2, filters: 6, convsPerBlock: 1, batchNorm: true, dropout: 0, denseUnits: 16 },
  imageSize: 16,
  channels: 1,
  epochs: EPOCHS,
  batchSize: 16,
  optimizer: 'adam',
  learningRate: 0.01,
  augment: 'default',
  seed: 11,
});
/** Float32 training on WASM is deterministic; what may differ is how Adam's bias-correction powers are rebuilt. */
const TOLERANCE = 1e-4;

async function epochsOf(runDir: string): Promise<EpochMetrics[]> {
  return (await readRunDetails(runDir))!.epochs;
}

function largestDifference(a: EpochMetrics[], b: EpochMetrics[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const) {
      worst = Math.max(worst, Math.abs((a[i][key] ?? 0) - (b[i][key] ?? 0)));
    }
  }
  return worst;
}

test(
  'a run resumed from a crash-time copy trains exactly like the uninterrupted run',
  { timeout: 300_000 },
  async () => {
    await selectBackend('wasm');
    const work = await makeTempDir('it-equiv-');
    try {
      const data = path.join(work, 'data');
      await writeSampleDataset(data, { perClass: 24, size: 16, seed: 5 });
      const copies = [path.join(work, 'copy'), path.join(work, 'copy-no-optimizer')];
      let runDir = '';
      const emit = (event: TrainerToHost): void => {
        if (event.type === 'runStarted') runDir = event.runDir;
        // The instant after epoch 1's last checkpoint: what a SIGKILL here would leave on disk.
        if (event.type === 'checkpointSaved' && event.kind === 'last' && event.epoch === 1) {
          for (const copy of copies) cpSync(runDir, copy, { recursive: true });
        }
      };
      const original = await trainRun({
        dataDir: data,
        runsRoot: path.join(work, 'runs'),
        config: CONFIG,
        emit,
        stop: { requested: false },
      });
      assert.equal(original.status, 'completed', original.message);
      await fsp.rm(path.join(copies[1], 'checkpoints', 'last', 'optimizer.json'));

      const warnings: string[] = [];
      for (const copy of copies) {
        const resumed = await trainRun({
          resumeRunDir: copy,
          runsRoot: work,
          config: CONFIG,
          emit: (e) => {
            if (e.type === 'log' && e.level === 'warn') warnings.push(`${path.basename(copy)}: ${e.message}`);
          },
          stop: { requested: false },
        });
        assert.equal(resumed.status, 'completed', resumed.message);
      }
      const uninterrupted = await epochsOf(original.runDir!);
      const resumed = await epochsOf(copies[0]);
      const control = await epochsOf(copies[1]);
      assert.deepEqual(
        resumed.map((e) => e.epoch),
        [1, 2, 3],
      );
      assert.equal(
        largestDifference(uninterrupted.slice(0, 1), resumed.slice(0, 1)),
        0,
        'epoch 1 is the same record',
      );
      const difference = largestDifference(uninterrupted.slice(1), resumed.slice(1));
      const controlDifference = largestDifference(uninterrupted.slice(1), control.slice(1));
      assert.ok(
        difference <= TOLERANCE,
        `resumed epochs 2–3 differ from the uninterrupted run by ${difference}`,
      );
      assert.ok(
        controlDifference > 10 * TOLERANCE,
        `without the optimizer state the resume is visibly different (${controlDifference})`,
      );
      assert.deepEqual(warnings, [
        'copy-no-optimizer: optimizer state not found in the checkpoint; it starts afresh',
      ]);
      console.log(
        `resume equivalence: largest difference in epochs 2–3 ${difference.toExponential(2)} (control without optimizer state ${controlDifference.toExponential(2)})`,
      );
    } finally {
      await removeDir(work);
    }
  },
);
