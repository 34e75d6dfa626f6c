// Issue 8 §3, the training side (scan and decode are covered by test/unit/trainer/hostileFiles.test.ts): training
// runs to completion on a data set salted with hostile and odd files, and on 10,000 files of which 1 % are
// corrupt, reporting every skipped file with its reason in run.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { RunRecord, SplitRecord } from '../../../src/protocol/runRecord';
import type { TrainerToHost } from '../../../src/protocol/trainerMessages';
import { resolveConfig } from '../../../src/core/config';
import { selectBackend } from '../../../src/trainer/backend';
import { trainRun } from '../../../src/trainer/train';
import { promises as fsp } from 'node:fs';
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

const CONFIG = resolveConfig({
  model: 'simple-cnn',
  imageSize: 10,
  channels: 3,
  epochs: 1,
  batchSize: 64,
  seed: 1,
  augment: 'default',
});

async function train(
  data: string,
  runsRoot: string,
): Promise<{ record: RunRecord; split: SplitRecord; events: TrainerToHost[] }> {
  const events: TrainerToHost[] = [];
  const outcome = await trainRun({
    dataDir: data,
    runsRoot,
    config: CONFIG,
    emit: (e) => events.push(e),
    stop: { requested: false },
  });
  assert.equal(outcome.status, 'completed', outcome.message);
  const record = JSON.parse(await fsp.readFile(path.join(outcome.runDir!, 'run.json'), 'utf8')) as RunRecord;
  const split = JSON.parse(
    await fsp.readFile(path.join(outcome.runDir!, 'split.json'), 'utf8'),
  ) as SplitRecord;
  return { record, split, events };
}

const EXT: Record<string, string> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  gif: '.gif',
  tiff: '.tif',
  bmp: '.bmp',
};

test('training completes on a data set salted with hostile files; each is used or skipped with a reason', async () => {
  await selectBackend('wasm');
  const root = await makeTempDir('it-hostile-train-');
  const outside = await makeTempDir('it-outside-');
  try {
    const data = path.join(root, 'data');
    const mustSkip: string[] = [];
    const mustUse: string[] = [];
    let seed = 1;
    for (const label of ['a', 'b']) {
      for (const format of FIXTURE_FORMATS) {
        for (let k = 0; k < 4; k++) {
          const rel = `${label}/${format}-${k}${EXT[format]}`;
          const good = await encodeImage(format, { width: 14, height: 12, seed: seed++ });
          await writeFixture(data, rel, good);
          mustUse.push(rel);
          if (k === 0) {
            await writeFixture(data, `${label}/${format}-empty${EXT[format]}`, Buffer.alloc(0));
            await writeFixture(data, `${label}/${format}-cut${EXT[format]}`, truncate(good, 0.5));
            await writeFixture(data, `${label}/${format}-flip${EXT[format]}`, flipBits(good, seed, 6));
            mustSkip.push(`${label}/${format}-empty${EXT[format]}`, `${label}/${format}-cut${EXT[format]}`);
          }
        }
      }
    }
    const odd: [string, Buffer][] = [
      ['a/animated.gif', await animatedGif(3)],
      ['a/cmyk.jpg', await cmykJpeg()],
      ['b/deep16.png', await png16()],
      ['b/exif.jpg', await exifRotatedJpeg()],
      ['a/name with\nnewline.png', await encodeImage('png', { seed: 700 })],
      ['b/ünïcödé ✓.png', await encodeImage('png', { seed: 701 })],
    ];
    for (const [rel, buf] of odd) {
      await writeFixture(data, rel, buf);
      mustUse.push(rel);
    }
    await writeFixture(data, 'a/bomb.png', pngClaimingSize(100000, 100000));
    await writeFixture(data, 'b/text.png', 'not an image');
    mustSkip.push('a/bomb.png', 'b/text.png');
    await writeFile(path.join(outside, 'secret.png'), await encodeImage('png', { seed: 900 }));
    await symlink(path.join(outside, 'secret.png'), path.join(data, 'a', 'outside.png'));
    await symlink('..', path.join(data, 'b', 'loop'));
    mustSkip.push('a/outside.png', 'b/loop');

    const { record, split, events } = await train(data, path.join(root, 'runs'));
    const used = new Set([...split.train, ...split.validation, ...split.test].map((e) => e.path));
    const skipped = new Map(record.dataset.skipped.map((s) => [s.path, s.reason]));
    for (const rel of mustUse)
      assert.ok(used.has(rel), `${JSON.stringify(rel)} trained on (skipped: ${skipped.get(rel)})`);
    for (const rel of mustSkip) assert.ok(skipped.has(rel), `${JSON.stringify(rel)} skipped`);
    for (const [rel, reason] of skipped) {
      assert.ok(reason.length > 0, `${rel} has a reason`);
      assert.ok(!used.has(rel), `${rel} is not both used and skipped`);
    }
    assert.ok(
      ![...used].some((p) => p.includes('secret') || p.startsWith('..') || path.isAbsolute(p)),
      'nothing outside the data set',
    );
    assert.equal(skipped.get('a/outside.png'), 'link points outside the data set (not followed)');
    assert.equal(events.at(-1)?.type, 'runCompleted');
    console.log(`hostile training set: ${used.size} used, ${skipped.size} skipped`);
  } finally {
    await removeDir(root);
    await removeDir(outside);
  }
});

test(
  '10,000 files with 1 % corrupt: training completes and run.json reports all 100',
  { timeout: 600_000 },
  async () => {
    await selectBackend('wasm');
    const root = await makeTempDir('it-corrupt-');
    try {
      const data = path.join(root, 'data');
      const n = 10_000;
      const corrupt = await writePngSetWithCorruption(data, {
        count: n,
        side: 10,
        seed: 20_000,
        offset: 53,
        truncateTo: 0.7,
      });
      const { record, split } = await train(data, path.join(root, 'runs'));
      assert.equal(corrupt.size, 100);
      assert.deepEqual(
        record.dataset.skipped.map((s) => s.path).sort(),
        [...corrupt].sort(),
        'every corrupt file reported, nothing else',
      );
      for (const s of record.dataset.skipped) assert.match(s.reason, /corrupt or truncated/);
      assert.equal(split.train.length + split.validation.length + split.test.length, n - 100);
      assert.equal(record.status, 'completed');
      assert.equal(record.epochsCompleted, 1);
    } finally {
      await removeDir(root);
    }
  },
);
