// The New Training form's augmentation preview shows exactly what the trainer's first epoch trains on:
// the same images (split and shuffle of the seed) drawn through the same augmentation stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { resolveConfig } from '../../../src/core/config';
import { stratifiedSplit } from '../../../src/core/split';
import { isAugmentPreviewResult } from '../../../src/protocol/cliResults';
import { main, type CliIo } from '../../../src/trainer/cli';
import { previewAugmentation, previewPng, PREVIEW_EPOCH } from '../../../src/trainer/augmentPreview';
import {
  assembleBatch,
  chunk,
  decodeEntries,
  epochOrder,
  type BatchPlan,
} from '../../../src/trainer/dataPipeline';
import { normalisationOf } from '../../../src/trainer/presets/transfer';
import { scanDataset } from '../../../src/trainer/scan';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-preview-'));
const data = path.join(work, 'shapes');
test.after(() => rmSync(work, { recursive: true, force: true }));
test.before(async () => {
  await writeSampleDataset(data, { perClass: 14, size: 40, seed: 3 });
});

function configOf(overrides: Record<string, string>) {
  return resolveConfig(undefined, { imageSize: '24', batchSize: '8', seed: '11', ...overrides });
}

/**
 * The first batch of epoch 1 as the trainer builds it (training/loadSamples.ts and epochLoop.ts): every
 * split image decoded into one store (train, validation, test), the seeded order of the train indices,
 * assembleBatch with the config's normalisation.
 */
async function trainerFirstBatch(config: ReturnType<typeof configOf>) {
  const scan = await scanDataset(data, { verify: 'header' });
  const split = stratifiedSplit(scan.entries, config);
  const all = [...split.train, ...split.validation, ...split.test];
  const decoded = await decodeEntries(all, {
    root: data,
    imageSize: config.imageSize,
    channels: config.channels,
    resize: config.resize,
  });
  const train = split.train.map((_, i) => i);
  const normalisation = normalisationOf(config);
  const plan: BatchPlan = {
    store: decoded.store,
    shape: { imageSize: config.imageSize, channels: config.channels },
    normalisation,
    labels: new Int32Array(all.length),
    augment: config.augment,
    seed: config.seed,
  };
  const order = epochOrder(train.length, config.seed, PREVIEW_EPOCH).map((k) => train[k]);
  const [first] = chunk(order, config.batchSize);
  const batch = await assembleBatch(plan, first, PREVIEW_EPOCH);
  await decoded.store.close();
  return { batch, normalisation, paths: first.map((i) => all[i].path) };
}

test('the preview’s pixels are the trainer’s first batch of epoch 1, for that seed', async () => {
  const cases: Record<string, string>[] = [
    { augment: 'default' },
    { augment: 'default', channels: '1', resize: 'crop' },
    { augment: 'none' },
  ];
  for (const overrides of cases) {
    const config = configOf(overrides);
    const preview = await previewAugmentation(data, config, 8);
    const { batch, normalisation, paths } = await trainerFirstBatch(config);
    assert.equal(preview.images.length, 8);
    assert.deepEqual(
      preview.images.map((i) => i.path),
      paths,
      'the same images, in the order the trainer shuffles them',
    );
    const per = config.imageSize * config.imageSize * config.channels;
    let worst = 0;
    preview.images.forEach((image, i) => {
      assert.equal(image.pixels.length, per);
      for (let j = 0; j < per; j++) {
        // The trainer's value mapped back to 0–255, against the preview's rounded byte.
        const trained = (batch.pixels[i * per + j] - normalisation.offset) / normalisation.scale;
        worst = Math.max(worst, Math.abs(image.pixels[j] - trained));
      }
    });
    assert.ok(worst <= 0.5 + 1e-3, `${JSON.stringify(overrides)}: off by ${worst}`);
  }
});

test('the augmentation and the seed change the preview; the PNG holds its exact pixels', async () => {
  const plain = await previewAugmentation(data, configOf({ augment: 'none' }), 4);
  const augmented = await previewAugmentation(data, configOf({ augment: 'default' }), 4);
  const reseeded = await previewAugmentation(data, configOf({ augment: 'default', seed: '12' }), 4);
  assert.deepEqual(
    plain.images.map((i) => i.path),
    augmented.images.map((i) => i.path),
    'the augmentation does not change which images',
  );
  assert.notDeepEqual(plain.images[0].pixels, augmented.images[0].pixels, 'augmentation is applied');
  assert.notDeepEqual(
    augmented.images.map((i) => [...i.pixels]),
    reseeded.images.map((i) => [...i.pixels]),
    'another seed, other images or other draws',
  );
  const png = await previewPng(augmented, augmented.images[0]);
  const { data: decoded, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 24);
  assert.deepEqual(new Uint8Array(decoded), augmented.images[0].pixels);
});

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd: work };
  return { code: await main(argv, io), stdout, stderr };
}

test('image-trainer preview-augment: data URLs with --json, PNG files with --out, usage errors', async () => {
  const json = await cli([
    'preview-augment',
    'shapes',
    '--image-size',
    '24',
    '--augment',
    'default',
    '--json',
  ]);
  assert.equal(json.code, 0, json.stderr);
  const result: unknown = JSON.parse(json.stdout);
  assert.ok(isAugmentPreviewResult(result));
  assert.equal(result.images.length, 8);
  assert.equal(result.seed, resolveConfig(undefined).seed, 'the default seed');
  assert.equal(result.augmented, true);
  const direct = await previewAugmentation(
    data,
    resolveConfig(undefined, { imageSize: '24', augment: 'default' }),
  );
  const png = await previewPng(direct, direct.images[0]);
  assert.equal(result.images[0].png, `data:image/png;base64,${png.toString('base64')}`);

  const out = await cli(['preview-augment', 'shapes', '--count', '3', '--out', 'previews']);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(readdirSync(path.join(work, 'previews')).sort(), [
    'augment-1.png',
    'augment-2.png',
    'augment-3.png',
  ]);

  const missing = await cli(['preview-augment', 'shapes']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /needs --out DIR .* or --json/);
  const tooMany = await cli(['preview-augment', 'shapes', '--count', '65', '--json']);
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.stderr, /--count must be a whole number from 1 to 64/);
});
