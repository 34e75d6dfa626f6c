// Resize modes: the geometry of stretch, crop and pad on pictures with known pixels; the same pixels in
// training and in predict; the config field and its flag; what old model metadata means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RESIZE_MODES, recordedResizeMode } from '../../../src/protocol/config';
import { ConfigError, DEFAULT_CONFIG, describeConfig, resolveConfig } from '../../../src/core/config';
import { selectBackend } from '../../../src/trainer/backend';
import { main, type CliIo } from '../../../src/trainer/cli';
import { assembleBatch, decodeEntries } from '../../../src/trainer/dataPipeline';
import { decodeImageBuffer } from '../../../src/trainer/imageDecode';
import { loadRunModel, predictFiles, resizeModeOf } from '../../../src/trainer/runModel';
import { UsageError } from '../../../src/trainer/errors';
import { encodePixels, makeTempDir, removeDir, writeFixture } from '../../fixtures/imageFactory';
import { writeFixedModelRun } from '../../fixtures/fixedModel';

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];

/** Three bands of 20 px: red, green, blue from left to right (or from top to bottom when `tall`). */
async function bands(tall = false): Promise<Buffer> {
  const [w, h] = tall ? [20, 60] : [60, 20];
  const pixels = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const along = tall ? y : x;
      pixels.set(along < 20 ? RED : along < 40 ? GREEN : BLUE, (y * w + x) * 3);
    }
  return encodePixels('png', pixels, w, h, 3);
}

const at = (out: Uint8Array, size: number, x: number, y: number): number[] => [
  ...out.subarray((y * size + x) * 3, (y * size + x) * 3 + 3),
];
const near = (rgb: number[], expected: number[], tolerance: number): boolean =>
  rgb.every((v, i) => Math.abs(v - expected[i]) <= tolerance);

test('stretch squeezes the whole picture into the square: red, green and blue columns side by side', async () => {
  const out = await decodeImageBuffer(await bands(), 6, 3, { resize: 'stretch' });
  assert.deepEqual(out, await decodeImageBuffer(await bands(), 6, 3), 'stretch is the default');
  for (let y = 0; y < 6; y++) {
    assert.ok(near(at(out, 6, 0, y), RED, 2) && near(at(out, 6, 5, y), BLUE, 2), `row ${y}`);
    assert.ok(at(out, 6, 2, y)[1] > 200 && at(out, 6, 3, y)[1] > 200, `row ${y} green in the middle`);
  }
});

test('crop keeps the centre square: only the green band is left, for wide and tall pictures', async () => {
  for (const tall of [false, true]) {
    const out = await decodeImageBuffer(await bands(tall), 6, 3, { resize: 'crop' });
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++) {
        // Resampling at the crop's edges borrows a little of the neighbouring band.
        const inner = tall ? y >= 1 && y <= 4 : x >= 1 && x <= 4;
        assert.ok(
          near(at(out, 6, x, y), GREEN, inner ? 2 : 24),
          `${tall ? 'tall' : 'wide'} ${x},${y}: ${at(out, 6, x, y)}`,
        );
      }
  }
});

test('pad keeps the whole picture and fills the bands with black (0), across or along', async () => {
  const wide = await decodeImageBuffer(await bands(), 6, 3, { resize: 'pad' });
  const stretchedStrip = await decodeImageBuffer(await bands(), 6, 3, { resize: 'stretch' });
  for (let x = 0; x < 6; x++) {
    for (const y of [0, 1, 4, 5]) assert.deepEqual(at(wide, 6, x, y), [0, 0, 0], `band ${x},${y}`);
    // The picture's 6×2 strip: the same columns as stretch gives (red, green, blue).
    for (const y of [2, 3]) assert.ok(near(at(wide, 6, x, y), at(stretchedStrip, 6, x, 0), 2), `${x},${y}`);
  }
  const tall = await decodeImageBuffer(await bands(true), 6, 3, { resize: 'pad' });
  for (let y = 0; y < 6; y++) {
    for (const x of [0, 1, 4, 5]) assert.deepEqual(at(tall, 6, x, y), [0, 0, 0], `band ${x},${y}`);
  }
  assert.ok(near(at(tall, 6, 2, 0), RED, 2) && near(at(tall, 6, 3, 5), BLUE, 2));
  // Greyscale: the bands are black too.
  const grey = await decodeImageBuffer(await bands(), 6, 1, { resize: 'pad' });
  assert.deepEqual([...grey.subarray(0, 12)], new Array(12).fill(0));
  assert.ok(grey[12] > 40, 'the picture itself is not black');
});

test('a square picture is the same in every mode', async () => {
  const square = await encodePixels(
    'png',
    Buffer.from(Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 37) % 256)),
    8,
    8,
    3,
  );
  const reference = await decodeImageBuffer(square, 4, 3, { resize: 'stretch' });
  for (const resize of RESIZE_MODES)
    assert.deepEqual(await decodeImageBuffer(square, 4, 3, { resize }), reference);
});

test('training and predict see the same pixels in each mode (same probabilities from the same model)', async () => {
  await selectBackend('cpu');
  const dir = await makeTempDir('resize-modes-');
  try {
    const files = [
      await writeFixture(dir, 'data/a/wide.png', await bands()),
      await writeFixture(dir, 'data/b/tall.png', await bands(true)),
    ];
    const entries = [
      { path: 'a/wide.png', label: 'a' },
      { path: 'b/tall.png', label: 'b' },
    ];
    const size = 8;
    const spec = {
      imageSize: size,
      channels: 3 as const,
      labels: ['a', 'b'],
      // Red on the left pulls towards "a", blue at the bottom towards "b": every mode answers differently.
      weight: (y: number, x: number, c: number, label: number) =>
        label === 0 ? (c === 0 ? (size - x) * 0.02 : 0) : c === 2 ? y * 0.02 : 0,
    };
    const byMode = new Map<string, Float32Array>();
    for (const resize of RESIZE_MODES) {
      const runDir = path.join(dir, `run-${resize}`);
      const metadata = await writeFixedModelRun(runDir, spec, resize);
      const runModel = await loadRunModel(runDir);
      assert.equal(resizeModeOf(runModel.metadata), resize);

      // Training's path: decodeEntries → assembleBatch (no augmentation) → the model.
      const decoded = await decodeEntries(entries, {
        root: path.join(dir, 'data'),
        imageSize: size,
        channels: 3,
        resize,
      });
      const batch = await assembleBatch(
        {
          store: decoded.store,
          shape: { imageSize: size, channels: 3 },
          normalisation: { scale: metadata.preprocessing.scale, offset: metadata.preprocessing.offset },
          labels: Int32Array.from([0, 1]),
          augment: null,
          seed: 1,
        },
        [0, 1],
        0,
      );
      await decoded.store.close();
      const output = tf.tidy(
        () => runModel.model.predict(tf.tensor4d(batch.pixels, [2, size, size, 3])) as tf.Tensor,
      );
      const trained = (await output.data()) as Float32Array;
      output.dispose();

      // Predict's path, told the mode by the model's metadata only.
      const predicted: number[] = [];
      await predictFiles(runModel, files, {
        top: 2,
        onPredictions: (ps) =>
          ps.forEach((p) =>
            predicted.push(...spec.labels.map((l) => p.top.find((t) => t.label === l)!.confidence)),
          ),
        onError: (file, message) => assert.fail(`${file}: ${message}`),
      });
      for (let i = 0; i < 4; i++)
        assert.ok(
          Math.abs(predicted[i] - trained[i]) < 1e-6,
          `${resize} ${i}: ${predicted[i]} vs ${trained[i]}`,
        );
      byMode.set(resize, trained);
      runModel.model.dispose();
    }
    const differs = (a: Float32Array, b: Float32Array) => a.some((v, i) => Math.abs(v - b[i]) > 1e-3);
    assert.ok(differs(byMode.get('stretch')!, byMode.get('crop')!), 'crop is not stretch');
    assert.ok(differs(byMode.get('stretch')!, byMode.get('pad')!), 'pad is not stretch');
  } finally {
    await removeDir(dir);
  }
});

test('augmentation composes with pad: flips and brightness keep the bands at the fill value', async () => {
  const dir = await makeTempDir('resize-augment-');
  try {
    await writeFixture(dir, 'a/wide.png', await bands());
    const decoded = await decodeEntries([{ path: 'a/wide.png', label: 'a' }], {
      root: dir,
      imageSize: 6,
      channels: 3,
      resize: 'pad',
    });
    const augment = {
      rotation: 0,
      widthShift: 0,
      heightShift: 0,
      horizontalFlip: true,
      zoom: 0,
      brightness: 0.5,
    };
    const offset = -1;
    let flipped = 0;
    for (let epoch = 0; epoch < 8; epoch++) {
      const batch = await assembleBatch(
        {
          store: decoded.store,
          shape: { imageSize: 6, channels: 3 },
          normalisation: { scale: 2 / 255, offset },
          labels: Int32Array.from([0]),
          augment,
          seed: 3,
        },
        [0],
        epoch,
      );
      for (const y of [0, 1, 4, 5])
        for (let i = y * 18; i < (y + 1) * 18; i++)
          assert.equal(batch.pixels[i], offset, `epoch ${epoch} band row ${y}`);
      // Red on the left, or on the right once flipped.
      if (batch.pixels[2 * 18] < batch.pixels[2 * 18 + 15]) flipped++;
    }
    assert.ok(flipped > 0 && flipped < 8, `flipped ${flipped} of 8`);
    await decoded.store.close();
  } finally {
    await removeDir(dir);
  }
});

test('the resize field: stretch by default, named in the summary otherwise, one-line errors for bad values', () => {
  assert.equal(DEFAULT_CONFIG.resize, 'stretch');
  assert.equal(resolveConfig({}).resize, 'stretch');
  assert.equal(resolveConfig({ resize: 'crop' }).resize, 'crop');
  assert.equal(resolveConfig(undefined, { resize: 'pad' }).resize, 'pad');
  assert.doesNotMatch(describeConfig(resolveConfig({})), /stretch/);
  assert.match(describeConfig(resolveConfig({ resize: 'crop' })), /64×64×3 crop/);
  assert.throws(
    () => resolveConfig({ resize: 'fit' }, {}, 'photos.imagetrainer.json'),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message === 'photos.imagetrainer.json: resize must be one of stretch, crop, pad, got "fit"',
  );
  assert.throws(
    () => resolveConfig(undefined, { resize: 'Crop' }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message === '--resize must be one of stretch, crop, pad, got "Crop" — did you mean "crop"?',
  );
});

test('image-trainer train --resize with a bad value exits 2 with one line naming the flag', async () => {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: false,
    cwd: process.cwd(),
  };
  const code = await main(['train', 'photos', '--resize', 'squash'], io);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.equal(stderr, 'image-trainer: --resize must be one of stretch, crop, pad, got "squash"\n');
});

test('model metadata: a missing field or "fill" reads as stretch, an unknown mode is refused in one line', async () => {
  assert.equal(recordedResizeMode(undefined), 'stretch');
  assert.equal(recordedResizeMode('fill'), 'stretch');
  for (const mode of RESIZE_MODES) assert.equal(recordedResizeMode(mode), mode);
  for (const bad of ['zoom', 'CROP', 3, null, {}])
    assert.equal(recordedResizeMode(bad), undefined, String(bad));

  await selectBackend('cpu');
  const dir = await makeTempDir('resize-metadata-');
  try {
    const image = await writeFixture(dir, 'wide.png', await bands());
    const spec = {
      imageSize: 8,
      channels: 3 as const,
      labels: ['left', 'right'],
      weight: (_y: number, x: number, c: number, label: number) =>
        c === 0 ? (label === 0 ? 8 - x : x) * 0.05 : 0,
    };
    const confidenceOf = async (resize: string | null): Promise<number> => {
      const runDir = path.join(dir, `run-${resize ?? 'none'}`);
      await writeFixedModelRun(runDir, spec, resize);
      const runModel = await loadRunModel(runDir);
      let confidence = NaN;
      await predictFiles(runModel, [image], {
        top: 2,
        onPredictions: ([p]) => (confidence = p.top.find((t) => t.label === 'left')!.confidence),
        onError: (file, message) => assert.fail(`${file}: ${message}`),
      });
      runModel.model.dispose();
      return confidence;
    };
    const stretch = await confidenceOf('stretch');
    assert.equal(await confidenceOf(null), stretch, 'no resize field: predicts as stretch');
    assert.equal(await confidenceOf('fill'), stretch, '"fill": predicts as stretch');
    assert.notEqual(await confidenceOf('crop'), stretch, 'the mode changes the answer');

    const damaged = path.join(dir, 'run-damaged');
    await writeFixedModelRun(damaged, spec, 'zoom');
    await assert.rejects(
      loadRunModel(damaged),
      (e: Error) =>
        e instanceof UsageError &&
        /metadata\.json: preprocessing\.resize "zoom" is not one of stretch, crop, pad/.test(e.message) &&
        !e.message.includes('\n'),
    );
    let stderr = '';
    const io: CliIo = { stdout: () => undefined, stderr: (t) => (stderr += t), isTTY: false, cwd: dir };
    assert.equal(await main(['predict', damaged, image], io), 2);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  } finally {
    await removeDir(dir);
  }
});
