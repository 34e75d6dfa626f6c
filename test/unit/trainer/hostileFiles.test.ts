// Issue 8 §3: scan and decode survive a generated corpus of hostile and odd files. Each file is either
// accepted (and then decodes for training) or skipped with a reason; nothing crashes or hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage, decodeImageBuffer, ImageDecodeError } from '../../../src/trainer/imageDecode';
import { scanDataset } from '../../../src/trainer/scan';
import {
  animatedGif,
  cmykJpeg,
  encodeImage,
  exifRotatedJpeg,
  FIXTURE_FORMATS,
  flipBits,
  makeTempDir,
  png16,
  pngClaimingSize,
  removeDir,
  truncate,
  writeFixture,
  writePngSetWithCorruption,
} from '../../fixtures/imageFactory';

const EXT: Record<string, string> = {
  png: '.png',
  jpeg: '.JPG',
  webp: '.webp',
  gif: '.Gif',
  tiff: '.tiff',
  bmp: '.BMP',
};
const posix = process.platform !== 'win32';

interface Corpus {
  /** Every image-named file we wrote, relative. */
  files: Map<string, Buffer>;
  /** Files that must be accepted (valid, only unusual). */
  mustAccept: string[];
  /** Files that must be skipped (no valid image can be read from them). */
  mustSkip: string[];
}

async function buildCorpus(root: string): Promise<Corpus> {
  const corpus: Corpus = { files: new Map(), mustAccept: [], mustSkip: [] };
  const add = async (rel: string, data: Buffer, expect: 'accept' | 'skip' | 'either'): Promise<void> => {
    await writeFixture(root, rel, data);
    corpus.files.set(rel, data);
    if (expect === 'accept') corpus.mustAccept.push(rel);
    if (expect === 'skip') corpus.mustSkip.push(rel);
  };
  let seed = 1;
  for (const format of FIXTURE_FORMATS) {
    const good = await encodeImage(format, { width: 24, height: 18, seed: seed++ });
    await add(`good/${format}${EXT[format]}`, good, 'accept');
    await add(`bad/${format}-empty${EXT[format]}`, Buffer.alloc(0), 'skip');
    for (const fraction of [0.1, 0.5, 0.9, 0.99])
      await add(`bad/${format}-cut${fraction}${EXT[format]}`, truncate(good, fraction), 'skip');
    // Bit flips may leave a decodable image (accepted) or not (skipped): either, never a crash.
    for (let s = 1; s <= 6; s++)
      await add(`flipped/${format}-flip${s}${EXT[format]}`, flipBits(good, s * 31 + seed, 6), 'either');
  }
  await add('bad/huge-claim.png', pngClaimingSize(100000, 100000), 'skip');
  await add('bad/huge-claim-wide.png', pngClaimingSize(0x7fffffff, 1), 'skip');
  await add('bad/zero-size.png', pngClaimingSize(0, 10), 'skip');
  await add('bad/text.png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'skip');
  await add('bad/random.jpg', flipBits(Buffer.alloc(300, 0x41), 3, 200, 0), 'skip');
  await add('odd/animated.gif', await animatedGif(4), 'accept');
  await add('odd/cmyk.jpg', await cmykJpeg(), 'accept');
  await add('odd/deep16.png', await png16(), 'accept');
  await add('odd/exif-rotated.jpeg', await exifRotatedJpeg(), 'accept');
  await add('odd/name with\nnewline.png', await encodeImage('png', { seed: 500 }), 'accept');
  await add('odd/ünïcödé ✓ 名前.png', await encodeImage('png', { seed: 501 }), 'accept');
  return corpus;
}

test('hostile corpus: every file accepted or skipped with a reason; accepted files decode', async () => {
  const root = await makeTempDir();
  const outside = await makeTempDir('image-trainer-outside-');
  try {
    const corpus = await buildCorpus(root);
    const skippedByWalk: string[] = [];
    if (posix) {
      await writeFixture(outside, 'secret.png', await encodeImage('png', { seed: 900 }));
      await mkdir(join(outside, 'folder'));
      await writeFixture(outside, 'folder/inner.png', await encodeImage('png', { seed: 901 }));
      await symlink(join(outside, 'secret.png'), join(root, 'good/outside-link.png'));
      await symlink(join(outside, 'folder'), join(root, 'good/outside-folder'));
      await symlink('..', join(root, 'good/loop-to-root'));
      await symlink('.', join(root, 'odd/loop-to-self'));
      await symlink('self-loop.png', join(root, 'odd/self-loop.png'));
      await symlink('ping.png', join(root, 'odd/pong.png'));
      await symlink('pong.png', join(root, 'odd/ping.png'));
      await symlink('missing.png', join(root, 'odd/broken.png'));
      await symlink('png.png', join(root, 'good/zz-inside-link.png'));
      skippedByWalk.push(
        'good/outside-link.png',
        'good/outside-folder',
        'good/loop-to-root',
        'odd/loop-to-self',
        'odd/self-loop.png',
        'odd/ping.png',
        'odd/pong.png',
        'odd/broken.png',
      );
      // A name that is not valid UTF-8 (Latin-1 'é').
      await writeFile(
        Buffer.concat([Buffer.from(join(root, 'odd') + '/bad-'), Buffer.from([0xe9]), Buffer.from('.png')]),
        await encodeImage('png', { seed: 502 }),
      );
      try {
        execFileSync('mkfifo', [join(root, 'odd/pipe.png')]);
        skippedByWalk.push('odd/pipe.png');
      } catch {
        // mkfifo missing: nothing to test there.
      }
    }
    const { report, entries } = await scanDataset(root, { decodeTimeoutMs: 10_000 });
    const accepted = new Set(entries.map((e) => e.path));
    const skipped = new Map(report.skipped.map((s) => [s.path, s.reason]));
    for (const reason of skipped.values()) assert.ok(reason.length > 0);
    for (const path of corpus.files.keys()) {
      assert.ok(
        accepted.has(path) !== skipped.has(path),
        `${JSON.stringify(path)} is either accepted or skipped, not both or neither`,
      );
    }
    for (const path of corpus.mustAccept)
      assert.ok(accepted.has(path), `${JSON.stringify(path)} accepted (skipped: ${skipped.get(path)})`);
    for (const path of corpus.mustSkip) assert.ok(skipped.has(path), `${JSON.stringify(path)} skipped`);
    for (const path of skippedByWalk) assert.ok(skipped.has(path), `${path} skipped by the walk`);
    if (posix) {
      assert.equal(skipped.get('good/outside-link.png'), 'link points outside the data set (not followed)');
      assert.equal(skipped.get('good/outside-folder'), 'link points outside the data set (not followed)');
      assert.match(skipped.get('good/loop-to-root') ?? '', /loop/);
      assert.match(skipped.get('odd/self-loop.png') ?? '', /loop/);
      assert.match(skipped.get('odd/broken.png') ?? '', /broken link/);
      assert.ok(
        ![...accepted].some((p) => p.includes('secret') || p.includes('inner')),
        'nothing read from outside the root',
      );
      // A link inside the root is followed; its content duplicates good/png.png.
      assert.equal(skipped.get('good/zz-inside-link.png'), 'duplicate of good/png.png');
      assert.equal(skipped.get('odd/bad-\ufffd.png'), 'name is not valid UTF-8; rename it');
      if (skippedByWalk.includes('odd/pipe.png'))
        assert.equal(skipped.get('odd/pipe.png'), 'not a regular file');
    }
    // Accepted files are what training reads: each must decode.
    for (const entry of entries) {
      const pixels = await decodeImage(join(root, entry.path), 8, 3, { timeoutMs: 10_000 });
      assert.equal(pixels.length, 8 * 8 * 3);
    }
    // Decoding any corpus file directly either works or fails with a typed reason.
    for (const [path, data] of corpus.files) {
      try {
        await decodeImageBuffer(data, 8, 1, { timeoutMs: 10_000 });
      } catch (error) {
        assert.ok(error instanceof ImageDecodeError, `${path}: ${String(error)}`);
      }
    }
  } finally {
    await removeDir(root);
    await removeDir(outside);
  }
});

test('1 % corrupt files among 2,000: all 20 reported, the rest accepted', async () => {
  const root = await makeTempDir();
  try {
    const n = 2000;
    const corrupt = await writePngSetWithCorruption(root, {
      count: n,
      side: 8,
      seed: 10_000,
      offset: 37,
      truncateTo: 0.8,
    });
    const { report, entries } = await scanDataset(root);
    assert.equal(corrupt.size, 20);
    assert.deepEqual(report.skipped.map((s) => s.path).sort(), [...corrupt].sort());
    for (const s of report.skipped) assert.match(s.reason, /^corrupt or truncated image \(/);
    assert.equal(entries.length, n - 20);
  } finally {
    await removeDir(root);
  }
});
