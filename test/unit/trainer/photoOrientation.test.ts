// Photos as phones store them: a picture stored sideways (or mirrored, or upside down) with an EXIF
// orientation decodes as the upright picture, in every path that reads images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeEntries } from '../../../src/trainer/dataPipeline';
import { decodeImage, decodeImageBuffer } from '../../../src/trainer/imageDecode';
import {
  encodePhoto,
  photoJpeg,
  renderPhoto,
  storedPixels,
  writePhotoDataset,
  type ExifOrientation,
  type RawPhoto,
} from '../../fixtures/photoFactory';
import { makeTempDir, removeDir } from '../../fixtures/imageFactory';
import { writeFixedModelRun } from '../../fixtures/fixedModel';

/** Mean and largest absolute difference between two decodes of the same size. */
function difference(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number } {
  assert.equal(a.length, b.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

/** Two JPEG encodes of the same picture, one turned: their decodes differ by compression noise only. */
function assertSamePicture(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const d = difference(a, b);
  assert.ok(d.mean <= 1.5 && d.max <= 24, `${what}: mean ${d.mean.toFixed(2)}, max ${d.max}`);
}

test('the photo factory is deterministic and stores a turned photo with its EXIF orientation', async () => {
  const spec = { kind: 'rings' as const, seed: 11, width: 120, height: 90 };
  assert.deepEqual(renderPhoto(spec).data, renderPhoto(spec).data);
  assert.notDeepEqual(renderPhoto(spec).data, renderPhoto({ ...spec, seed: 12 }).data);
  assert.deepEqual(await photoJpeg(spec), await photoJpeg(spec));
  const upright = await sharp(await photoJpeg(spec)).metadata();
  const sideways = await sharp(await photoJpeg(spec, { orientation: 6 })).metadata();
  assert.deepEqual([upright.width, upright.height, upright.orientation ?? 1], [120, 90, 1]);
  assert.deepEqual([sideways.width, sideways.height, sideways.orientation], [90, 120, 6]);
  // Same seed, another kind: the same scene (background, clutter, light) with another object.
  const a = renderPhoto(spec).data;
  const b = renderPhoto({ ...spec, kind: 'checker' }).data;
  assert.equal(a.subarray(0, 30).toString('hex'), b.subarray(0, 30).toString('hex'));
  assert.notDeepEqual(a, b);
});

test('storedPixels inverts each orientation: a viewer (sharp autoOrient) shows the upright pixels again', async () => {
  // Lossless round trip through TIFF, whose Orientation tag libvips writes and reads.
  const upright = renderPhoto({ kind: 'cross', seed: 5, width: 13, height: 8 });
  for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8] as ExifOrientation[]) {
    const stored = storedPixels(upright, orientation);
    const shown = await sharp(stored.data, {
      raw: { width: stored.width, height: stored.height, channels: 3 },
    })
      .withMetadata({ orientation })
      .tiff({ compression: 'lzw' })
      .toBuffer()
      .then((tiff) => sharp(tiff).autoOrient().raw().toBuffer({ resolveWithObject: true }));
    assert.deepEqual([shown.info.width, shown.info.height], [13, 8], `orientation ${orientation}`);
    assert.ok(shown.data.equals(upright.data), `orientation ${orientation}`);
  }
});

test('every EXIF orientation (2–8) decodes like the upright JPEG; ignoring the tag would not', async () => {
  const upright = renderPhoto({ kind: 'stripes', seed: 3, width: 240, height: 160 });
  const reference = await decodeImageBuffer(await encodePhoto(upright), 32, 3);
  for (const orientation of [2, 3, 4, 5, 6, 7, 8] as ExifOrientation[]) {
    const jpeg = await encodePhoto(upright, { orientation });
    assert.equal((await sharp(jpeg).metadata()).orientation, orientation);
    for (const resize of ['stretch', 'crop', 'pad'] as const) {
      const referenceInMode = await decodeImageBuffer(await encodePhoto(upright), 32, 3, { resize });
      assertSamePicture(
        await decodeImageBuffer(jpeg, 32, 3, { resize }),
        referenceInMode,
        `orientation ${orientation} ${resize}`,
      );
    }
    // The stored pixels themselves are another picture: the comparison above can fail.
    const ignoringTag = await sharp(jpeg).resize(32, 32, { fit: 'fill' }).raw().toBuffer();
    assert.ok(difference(ignoringTag, reference).mean > 15, `orientation ${orientation} without the tag`);
  }
});

test('a 12-megapixel photo stored sideways decodes like the upright one at 224 px', async () => {
  const upright = renderPhoto({ kind: 'checker', seed: 8 });
  assert.deepEqual([upright.width, upright.height], [4032, 3024]);
  const a = await decodeImageBuffer(await encodePhoto(upright), 224, 3);
  const b = await decodeImageBuffer(await encodePhoto(upright, { orientation: 6 }), 224, 3);
  assertSamePicture(a, b, '12 MP');
});

test("train's pipeline (decodeEntries) decodes a data set stored half sideways like its upright twin", async () => {
  const dir = await makeTempDir('photos-');
  try {
    const options = { classes: 2, perClass: 4, width: 160, height: 120, seed: 9 } as const;
    const upright = await writePhotoDataset(path.join(dir, 'upright'), options);
    const half = await writePhotoDataset(path.join(dir, 'half'), { ...options, sideways: 'half' });
    assert.deepEqual(
      half.files.map((f) => f.orientation),
      [1, 6, 1, 6, 1, 6, 1, 6],
    );
    for (const resize of ['stretch', 'crop', 'pad'] as const) {
      const shape = { imageSize: 24, channels: 3 as const, resize };
      const a = await decodeEntries(upright.files, { root: upright.root, ...shape });
      const b = await decodeEntries(half.files, { root: half.root, ...shape });
      assert.equal(b.failed.length, 0);
      for (let i = 0; i < upright.files.length; i++)
        assertSamePicture(await a.store.read(i), await b.store.read(i), `${half.files[i].path} ${resize}`);
      await a.store.close();
      await b.store.close();
    }
  } finally {
    await removeDir(dir);
  }
});

/** The snippet `export` writes, imported as a module (its `pixels` is what it feeds the model). */
async function importSnippet(
  dir: string,
  text: string,
): Promise<{ pixels: (file: string) => Promise<Float32Array> }> {
  await mkdir(dir, { recursive: true });
  // The snippet imports @tensorflow/tfjs and sharp as a user's project would: from its node_modules.
  await symlink(
    path.resolve(__dirname, '..', '..', '..', 'node_modules'),
    path.join(dir, 'node_modules'),
    'dir',
  );
  const file = path.join(dir, 'predict.mjs');
  await writeFile(file, text);
  return (await import(file)) as { pixels: (file: string) => Promise<Float32Array> };
}

test("export's snippet applies the orientation and the resize mode exactly as the trainer does", async () => {
  const { snippetText } = await import('../../../src/trainer/experiments/snippet');
  const { preprocess } = await import('../../../src/trainer/runModel');
  const dir = await makeTempDir('photo-snippet-');
  try {
    const upright: RawPhoto = renderPhoto({ kind: 'dots', seed: 21, width: 200, height: 120 });
    const uprightFile = path.join(dir, 'upright.jpg');
    const sidewaysFile = path.join(dir, 'sideways.jpg');
    await writeFile(uprightFile, await encodePhoto(upright));
    await writeFile(sidewaysFile, await encodePhoto(upright, { orientation: 6 }));
    for (const resize of ['stretch', 'crop', 'pad'] as const) {
      const metadata = {
        formatVersion: 1,
        labels: ['a', 'b'],
        preprocessing: { imageSize: 20, channels: 3 as const, resize, scale: 2 / 255, offset: -1 },
        model: 'cnn',
        createdAt: new Date(0).toISOString(),
      };
      const snippet = await importSnippet(path.join(dir, resize), snippetText(metadata, false, resize));
      for (const file of [uprightFile, sidewaysFile]) {
        const trainer = preprocess(await decodeImage(file, 20, 3, { resize }), metadata);
        const exported = await snippet.pixels(file);
        assert.deepEqual(exported, trainer, `${path.basename(file)} ${resize}: the same floats`);
      }
      const [a, b] = [await snippet.pixels(uprightFile), await snippet.pixels(sidewaysFile)];
      assertSamePicture(
        a.map((v) => (v + 1) * 127.5),
        b.map((v) => (v + 1) * 127.5),
        `snippet ${resize}`,
      );
    }
    assert.match(await readFile(path.join(dir, 'pad', 'predict.mjs'), 'utf8'), /"fit":"contain"/);
  } finally {
    await removeDir(dir);
  }
});

test('evaluate and predict read sideways, upside-down and mirrored photos upright, in every resize mode', async () => {
  const { loadRunModel, evaluateFolder, predictFiles } = await import('../../../src/trainer/runModel');
  const { selectBackend } = await import('../../../src/trainer/backend');
  await selectBackend('cpu');
  const dir = await makeTempDir('photo-eval-');
  try {
    // A model that answers "top" when the upper half of the picture is the brighter one: turn a
    // picture a quarter or a half and the answer changes, so it sees whether orientation was applied.
    const size = 16;
    const spec = {
      imageSize: size,
      channels: 3 as const,
      labels: ['bottom', 'top'],
      weight: (y: number, _x: number, _c: number, label: number) =>
        (y < size / 2 ? 0.05 : -0.05) * (label === 1 ? 1 : -1),
    };
    const orientations: ExifOrientation[] = [6, 3, 8, 2, 5, 7, 4, 6];
    const files: { label: string; name: string; orientation: ExifOrientation }[] = [];
    for (const label of spec.labels) {
      for (let i = 0; i < orientations.length; i++) {
        const photo = renderPhoto({ kind: 'rings', seed: 100 + i, width: 96, height: 72 });
        // Darken the half that is not the brighter one.
        const rows = photo.height / 2;
        const from = label === 'top' ? rows : 0;
        for (let at = from * photo.width * 3; at < (from + rows) * photo.width * 3; at++)
          photo.data[at] = Math.round(photo.data[at] * 0.3);
        const name = `${label}/${i}.jpg`;
        await mkdir(path.join(dir, 'upright', label), { recursive: true });
        await mkdir(path.join(dir, 'turned', label), { recursive: true });
        await mkdir(path.join(dir, 'untagged', label), { recursive: true });
        await writeFile(path.join(dir, 'upright', name), await encodePhoto(photo));
        await writeFile(
          path.join(dir, 'turned', name),
          await encodePhoto(photo, { orientation: orientations[i] }),
        );
        // The same stored pixels without the tag: what a decoder that ignores EXIF would see.
        await writeFile(
          path.join(dir, 'untagged', name),
          await encodePhoto(storedPixels(photo, orientations[i])),
        );
        files.push({ label, name, orientation: orientations[i] });
      }
    }
    for (const resize of ['stretch', 'crop', 'pad'] as const) {
      const runDir = path.join(dir, `run-${resize}`);
      await writeFixedModelRun(runDir, spec, resize);
      const runModel = await loadRunModel(runDir);
      assert.equal((await evaluateFolder(runModel, path.join(dir, 'upright'))).accuracy, 1, resize);
      assert.equal((await evaluateFolder(runModel, path.join(dir, 'turned'))).accuracy, 1, resize);
      assert.ok((await evaluateFolder(runModel, path.join(dir, 'untagged'))).accuracy < 0.8, resize);

      const predict = async (folder: string) => {
        const out = new Map<string, { label: string; confidence: number }>();
        await predictFiles(
          runModel,
          files.map((f) => path.join(dir, folder, f.name)),
          {
            top: 2,
            onPredictions: (ps) =>
              ps.forEach((p) => out.set(path.relative(path.join(dir, folder), p.path), p)),
            onError: (file, message) => assert.fail(`${file}: ${message}`),
          },
        );
        return out;
      };
      const [upright, turned, untagged] = [
        await predict('upright'),
        await predict('turned'),
        await predict('untagged'),
      ];
      for (const f of files) {
        assert.equal(turned.get(f.name)?.label, f.label, `${f.name} orientation ${f.orientation} ${resize}`);
        const topOf = (p: { label: string; confidence: number } | undefined) =>
          p?.label === 'top' ? p.confidence : 1 - (p?.confidence ?? 0);
        assert.ok(
          Math.abs(topOf(turned.get(f.name)) - topOf(upright.get(f.name))) < 0.02,
          `${f.name} ${resize}: ${topOf(turned.get(f.name))} vs ${topOf(upright.get(f.name))}`,
        );
        // Upside down without the tag, the darker half is on the other side: the answer flips.
        if (f.orientation === 3) assert.notEqual(untagged.get(f.name)?.label, f.label, f.name);
      }
      runModel.model.dispose();
    }
  } finally {
    await removeDir(dir);
  }
});
