// Pretrained bases as the editor offers them, and the environment every trainer child gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseRows, downloadProgress, type BaseListingRow } from '../../../src/host/bases/baseChoices';
import { withTrainerEnvironment } from '../../../src/host/training/trainerProcess';
import { trainArgs } from '../../../src/host/training/trainRequest';

const listing = (name: string, installed: boolean, sizeBytes: number): BaseListingRow => ({
  name,
  installed,
  sizeBytes,
  description: `${name} description`,
  format: 'layers',
  inputShape: [224, 224, 3],
  licence: 'Apache-2.0',
  source: `https://example.invalid/${name}/model.json`,
});

test('base rows: downloaded first; for photos the recommended base is marked; sizes say what a pick costs', () => {
  const bases = [
    listing('mobilenet-v2-1.0', false, 9_031_936),
    listing('mobilenet-v2-0.35', false, 1_640_832),
    listing('standin', true, 2_000_000),
  ];
  const photos = baseRows(bases, true);
  assert.deepEqual(
    photos.map((r) => [r.name, r.installed, r.recommended]),
    [
      ['standin', true, true],
      ['mobilenet-v2-1.0', false, false],
      ['mobilenet-v2-0.35', false, false],
    ],
  );
  assert.match(photos[0].description, /^recommended for photos · downloaded · /);
  assert.match(photos[1].description, /^get 9(\.0)? MB, then train$/);
  assert.match(photos[1].label, /cloud-download/);
  // Not photos: nothing is recommended.
  assert.ok(baseRows(bases, false).every((r) => !r.recommended));
  // Nothing downloaded: the recommended base (Teachable Machine's) comes first among those to get.
  const none = baseRows(bases.slice(0, 2), true);
  assert.equal(none[0].name, 'mobilenet-v2-0.35');
  assert.equal(none[0].recommended, true);
});

test('download progress: percent of the bytes and a line with sizes and time left', () => {
  const shown = downloadProgress({
    type: 'baseDownloadProgress',
    name: 'b',
    file: 'group1-shard1of2.bin',
    bytesDone: 2_500_000,
    bytesTotal: 10_000_000,
    etaMs: 4000,
  });
  assert.equal(shown?.percent, 25);
  assert.match(shown?.message ?? '', /^b: 2\.5 MB of 10(\.0)? MB · 4s left$/);
  assert.equal(downloadProgress({ type: 'baseDownloadFailed', name: 'b', message: 'x' }), null);
});

test('trainer environment: the cache and engine folders always, the editor proxy when set; train args carry --base', () => {
  const env = withTrainerEnvironment(
    { PATH: '/bin' },
    {
      cacheDir: '/g/cache',
      engineDir: '/g/engine',
      proxy: ' http://proxy:3128 ',
      noProxy: ['localhost', '.corp'],
    },
  );
  assert.deepEqual(env, {
    PATH: '/bin',
    IMAGE_TRAINER_CACHE_DIR: '/g/cache',
    IMAGE_TRAINER_ENGINE_DIR: '/g/engine',
    HTTPS_PROXY: 'http://proxy:3128',
    HTTP_PROXY: 'http://proxy:3128',
    NO_PROXY: 'localhost,.corp',
  });
  assert.deepEqual(withTrainerEnvironment({}, { cacheDir: '/c', engineDir: '/e', proxy: '' }), {
    IMAGE_TRAINER_CACHE_DIR: '/c',
    IMAGE_TRAINER_ENGINE_DIR: '/e',
  });
  assert.deepEqual(trainArgs({ datasetDir: '/d', runsRoot: '/r', base: 'mobilenet-v2-0.35' }), [
    'train',
    '/d',
    '--json',
    '--out',
    '/r',
    '--base',
    'mobilenet-v2-0.35',
  ]);
});
