// Issue 8 §6: memory stays bounded. A batch that cannot fit is refused up front (exit 2, one line naming
// --batch-size and --image-size); a huge image in the data set is skipped with a reason while training
// goes on; `predict` over a folder of 10,000 images streams its JSON array. Peak memory is measured from
// /proc (VmRSS sampled while the child runs) and printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createDeflate } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../../src/core/config';
import { selectBackend } from '../../../src/trainer/backend';
import {
  assertTrainingFits,
  estimateTrainingBytes,
  memoryBudgetBytes,
} from '../../../src/trainer/memoryEstimate';
import { buildModel } from '../../../src/trainer/models';
import { UsageError } from '../../../src/trainer/errors';
import type { RunRecord } from '../../../src/protocol/runRecord';
import { fastPng, makeTempDir, pngChunk, removeDir } from '../../fixtures/imageFactory';
import {
  buildCli,
  killStrays,
  runCli,
  spawnCli,
  type BuiltCli,
  type CliChild,
} from '../../fixtures/trainerHarness';

const MiB = 1024 ** 2;

test('the memory guard: empty layers and oversized batches are refused with the flags to change', async () => {
  await selectBackend('cpu');
  const small = resolveConfig({ model: 'simple-cnn', imageSize: 16, channels: 1, batchSize: 16 });
  await assertTrainingFits(small, 'wasm', () => buildModel(small, 4));
  const model = buildModel(small, 4);
  const bytes = estimateTrainingBytes(model, 16);
  model.dispose();
  assert.ok(bytes > 0 && bytes < 64 * MiB, `a tiny run needs little (${bytes} bytes)`);

  // simple-cnn at 8×8: the second pooling's output is 0×0 (the WASM kernels then read out of bounds).
  const tiny = resolveConfig({ model: 'simple-cnn', imageSize: 8, channels: 1 });
  await assert.rejects(
    assertTrainingFits(tiny, 'wasm', () => buildModel(tiny, 4)),
    (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(
        err.message,
        /--image-size 8 is too small for simple-cnn: layer .* has an empty output — use a larger --image-size/,
      );
      return true;
    },
  );

  // The input batch alone is over the budget: refused before any model is built.
  const huge = resolveConfig({ model: 'simple-cnn', imageSize: 1024, channels: 3, batchSize: 4096 });
  let built = false;
  await assert.rejects(
    assertTrainingFits(huge, 'wasm', () => {
      built = true;
      return buildModel(huge, 4);
    }),
    /a batch of 4096 images of 1024×1024×3 needs about .* GiB to train simple-cnn, more than the 3\.0 GiB available to the wasm backend — use a smaller --batch-size or --image-size/,
  );
  assert.equal(built, false);

  // The activations are over the budget (the model itself fits): refused after building, model disposed.
  const wide = resolveConfig({ model: 'simple-cnn', imageSize: 64, channels: 3, batchSize: 512 });
  const before = tf.memory().numTensors;
  await assert.rejects(
    assertTrainingFits(wide, 'wasm', () => buildModel(wide, 4), 512 * MiB),
    /use a smaller --batch-size or --image-size/,
  );
  assert.equal(tf.memory().numTensors, before, 'the probe model is disposed');
  assert.equal(memoryBudgetBytes('wasm', 64 * 1024 ** 3), 3 * 1024 ** 3);
  assert.equal(memoryBudgetBytes('cpu', 8 * 1024 ** 3), 4 * 1024 ** 3);
});

/** A real grayscale PNG of width×height (all black), deflated row by row so the test never holds it raw. */
async function bigPng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const deflate = createDeflate({ level: 1 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(1 + width);
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Samples the child's resident memory until it exits; returns the peak in bytes. */
function trackPeakRss(run: CliChild): Promise<number> {
  let peak = 0;
  const sample = (): void => {
    try {
      const status = readFileSync(`/proc/${run.child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? /VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch {
      // Gone already.
    }
  };
  const timer = setInterval(sample, 50);
  return run.exit.then(() => {
    clearInterval(timer);
    return peak;
  });
}

let built: BuiltCli;
let work: string;
test.before(async () => {
  built = await buildCli();
  work = await makeTempDir('it-limits-');
});
test.after(async () => {
  await killStrays();
  await removeDir(work);
  await built.dispose();
});

test('a batch that would not fit: exit 2, one line naming --batch-size and --image-size, no run directory', async () => {
  const data = path.join(work, 'small');
  assert.equal((await runCli(built.cli, ['sample', data, '--per-class', '4', '--size', '16'])).code, 0);
  const out = path.join(work, 'runs-refused');
  const result = await runCli(built.cli, [
    'train',
    data,
    '--out',
    out,
    '--image-size',
    '1024',
    '--batch-size',
    '4096',
    '--channels',
    '3',
    '--json',
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
  assert.match(
    result.stderr,
    /^image-trainer: a batch of 4096 images .* use a smaller --batch-size or --image-size\n$/,
  );
  assert.deepEqual(await readdir(out).catch(() => []), [], 'no run directory was made');
});

test(
  'a 20000×20000 PNG in the data set is skipped with a reason; a 5000×5000 one trains; memory stays bounded; predict streams over 10,000 images',
  { timeout: 600_000 },
  async () => {
    const data = path.join(work, 'data');
    assert.equal((await runCli(built.cli, ['sample', data, '--per-class', '12', '--size', '16'])).code, 0);
    await writeFile(path.join(data, 'circle', 'huge.png'), await bigPng(20000, 20000));
    await writeFile(path.join(data, 'square', 'large.png'), await bigPng(5000, 5000));
    const out = path.join(work, 'runs');
    const train = spawnCli(built.cli, [
      'train',
      data,
      '--out',
      out,
      '--image-size',
      '12',
      '--channels',
      '1',
      '--model',
      'simple-cnn',
      '--epochs',
      '1',
      '--json',
    ]);
    const trainPeak = await trackPeakRss(train);
    const { code } = await train.exit;
    assert.equal(code, 0, train.stderr);
    const done = train.events.find((e) => e.type === 'runCompleted');
    assert.ok(done && done.type === 'runCompleted');
    const record = JSON.parse(await readFile(path.join(done.runDir, 'run.json'), 'utf8')) as RunRecord;
    const skipped = new Map(record.dataset.skipped.map((s) => [s.path, s.reason]));
    assert.match(skipped.get('circle/huge.png') ?? '', /over the pixel limit \(20000×20000/);
    assert.equal(skipped.has('square/large.png'), false, 'a large image within the limit is used');
    const split = JSON.parse(await readFile(path.join(done.runDir, 'split.json'), 'utf8')) as {
      train: { path: string }[];
      validation: { path: string }[];
    };
    assert.ok([...split.train, ...split.validation].some((e) => e.path === 'square/large.png'));
    // 5000×5000 decodes through libvips at 25 M pixels; a trainer that held the 20000² image would need 400 MB+.
    assert.ok(trainPeak < 1536 * MiB, `training peak RSS ${Math.round(trainPeak / MiB)} MiB`);

    // predict over 10,000 tiny images: the JSON array grows while the files are still being read.
    const folder = path.join(work, 'many');
    await mkdir(folder);
    const names: string[] = [];
    for (let start = 0; start < 10_000; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) => {
          const name = `img${String(start + k).padStart(5, '0')}.png`;
          names.push(name);
          return writeFile(path.join(folder, name), fastPng(6, 6, 50_000 + start + k));
        }),
      );
    }
    names.sort();
    const lastFile = path.join(folder, names.at(-1)!);
    const predict = spawnCli(built.cli, ['predict', done.runDir, folder, '--json', '--top', '2']);
    let text = '';
    let removedLast = false;
    const removal: Promise<void>[] = [];
    predict.child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      // The first predictions are out: take the last file away. A streaming predict has not read it yet and
      // reports it as skipped; one that read everything first would still print it.
      if (!removedLast && text.includes('"path"')) {
        removedLast = true;
        removal.push(rm(lastFile));
      }
    });
    const predictPeak = await trackPeakRss(predict);
    const result = await predict.exit;
    await Promise.all(removal);
    assert.equal(result.code, 0, predict.stderr.slice(0, 500));
    const predictions = JSON.parse(text) as { path: string; label: string }[];
    assert.equal(predictions.length, 9_999, 'every image but the removed one was predicted');
    assert.ok(!predictions.some((p) => p.path === lastFile));
    assert.match(predict.stderr, new RegExp(`skipped ${lastFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(predictPeak < 1024 * MiB, `predict peak RSS ${Math.round(predictPeak / MiB)} MiB`);
    console.log(
      `peak RSS: training with a 5000² image and a skipped 20000² one ${Math.round(trainPeak / MiB)} MiB; predict over 10,000 images ${Math.round(predictPeak / MiB)} MiB`,
    );
  },
);
