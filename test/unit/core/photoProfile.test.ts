// Telling photos from thumbnails by the first bytes of a file: real JPEG and PNG files made by sharp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { peekImageShape, photoProfile, spreadSample, PEEK_BYTES } from '../../../src/core/photoProfile';

const raw = (width: number, height: number, channels: 1 | 3) =>
  sharp(Buffer.alloc(width * height * channels, 128), { raw: { width, height, channels } });

test('peekImageShape reads width, height and channels of JPEG (also after a large EXIF block) and PNG', async () => {
  const jpegColour = await raw(300, 200, 3).jpeg().toBuffer();
  const jpegGrey = await raw(40, 30, 1).toColourspace('b-w').jpeg().toBuffer();
  const pngGrey = await raw(17, 9, 1).toColourspace('b-w').png().toBuffer();
  const pngColour = await raw(640, 480, 3).png().toBuffer();
  const withExif = await raw(320, 240, 3)
    .jpeg()
    .withExif({ IFD0: { ImageDescription: 'x'.repeat(30_000), Orientation: '6' } })
    .toBuffer();
  assert.deepEqual(peekImageShape(jpegColour), { width: 300, height: 200, channels: 3 });
  assert.deepEqual(peekImageShape(jpegGrey), { width: 40, height: 30, channels: 1 });
  assert.deepEqual(peekImageShape(pngGrey), { width: 17, height: 9, channels: 1 });
  assert.deepEqual(peekImageShape(pngColour), { width: 640, height: 480, channels: 3 });
  assert.deepEqual(peekImageShape(withExif.subarray(0, PEEK_BYTES)), {
    width: 320,
    height: 240,
    channels: 3,
  });
  // Not found in the bytes given, or not a format it reads: unknown, never a guess.
  assert.equal(peekImageShape(jpegColour.subarray(0, 20)), null);
  assert.equal(peekImageShape(await raw(8, 8, 3).webp().toBuffer()), null);
  assert.equal(peekImageShape(new Uint8Array([1, 2, 3])), null);
});

test('photoProfile: colour and larger than 64 px are photos; grey, small or unknown are not', () => {
  const photo = { width: 4032, height: 3024, channels: 3 };
  const thumb = { width: 28, height: 28, channels: 3 };
  const grey = { width: 512, height: 512, channels: 1 };
  assert.equal(photoProfile([photo, photo, thumb]).photos, true);
  assert.equal(photoProfile([photo, thumb, thumb]).medianShortSide, 28);
  assert.equal(photoProfile([thumb, thumb, thumb]).photos, false);
  assert.equal(photoProfile([grey, grey, photo]).photos, false);
  assert.deepEqual(photoProfile([null, null]), {
    sampled: 0,
    medianShortSide: 0,
    colourShare: 0,
    photos: false,
  });
});

test('spreadSample picks evenly across the list', () => {
  assert.deepEqual(spreadSample([1, 2, 3], 5), [1, 2, 3]);
  assert.deepEqual(spreadSample([0, 1, 2, 3, 4, 5, 6, 7], 4), [0, 2, 4, 6]);
});

test('samplePhotoProfile reads class and split folders of real files', async () => {
  const { mkdtemp, mkdir, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { samplePhotoProfile } = await import('../../../src/core/photoSample');
  const root = await mkdtemp(join(tmpdir(), 'profile-'));
  for (const split of ['train', 'val'])
    for (const label of ['cat', 'dog']) {
      await mkdir(join(root, split, label), { recursive: true });
      for (let i = 0; i < 3; i++)
        await writeFile(join(root, split, label, `${i}.jpg`), await raw(400, 300, 3).jpeg().toBuffer());
    }
  const photos = await samplePhotoProfile(root);
  assert.equal(photos.photos, true);
  assert.equal(photos.medianShortSide, 300);
  assert.equal(photos.sampled, 12);
  const icons = await mkdtemp(join(tmpdir(), 'profile-'));
  await mkdir(join(icons, 'a'));
  await writeFile(join(icons, 'a', 'x.png'), await raw(28, 28, 3).png().toBuffer());
  assert.equal((await samplePhotoProfile(icons)).photos, false);
  assert.equal((await samplePhotoProfile(join(icons, 'missing'))).sampled, 0);
});
