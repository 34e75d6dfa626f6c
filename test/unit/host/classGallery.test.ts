// The class gallery's host side: pages and thumbnails (made once, cached, EXIF applied), the doctor's
// marks, and Open / Move… with the dashboard's path checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { findingsByPath } from '../../../src/core/galleryFindings';
import { isHostToGallery, type HostToGallery } from '../../../src/protocol/galleryMessages';
import {
  GALLERY_PAGE_SIZE,
  GalleryController,
  type GalleryEffects,
} from '../../../src/host/gallery/galleryController';
import { ThumbnailCache } from '../../../src/host/gallery/thumbnailCache';
import { encodePhoto, type RawPhoto } from '../../fixtures/photoFactory';
import type { ScanReport } from '../../../src/protocol/scan';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-gallery-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function dataset(name: string, counts: Record<string, number>): string {
  const root = path.join(work, name);
  for (const [cls, n] of Object.entries(counts)) {
    mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < n; i++)
      writeFileSync(path.join(root, cls, `${cls}_${String(i).padStart(4, '0')}.png`), 'x');
  }
  return root;
}

function setup(root: string, cls: string, overrides: Partial<GalleryEffects> = {}) {
  const posted: HostToGallery[] = [];
  const opened: string[] = [];
  const thumbsMade: string[] = [];
  const effects: GalleryEffects = {
    post: (m) => {
      assert.ok(isHostToGallery(m), JSON.stringify(m).slice(0, 200));
      posted.push(m);
    },
    listImages: async () => readdirSync(path.join(root, cls)).map((f) => path.join(root, cls, f)),
    findings: () => new Map([[`${cls}/${cls}_0001.png`, 'duplicate of a/b.png (skipped in training)']]),
    thumbnail: async (file) => {
      thumbsMade.push(path.basename(file));
      return `https://thumbs/${path.basename(file)}`;
    },
    openFile: async (file) => {
      opened.push(file);
    },
    confirm: async () => true,
    mayModify: () => true,
    fs: fsp,
    log: () => undefined,
    ...overrides,
  };
  const controller = new GalleryController(
    { datasetRoot: root, classDir: path.join(root, cls), className: cls, moveTargets: ['cat', 'dog'] },
    effects,
  );
  return { controller, posted, opened, thumbsMade };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

test('pages come in order with the doctor’s marks; thumbnails follow for the page asked for first', async () => {
  const root = dataset('paged', { cat: 300, dog: 1 });
  const { controller, posted, thumbsMade } = setup(root, 'cat');
  await controller.handle({ type: 'ready' });
  const init = posted[0];
  assert.ok(init.type === 'galleryInit');
  assert.equal(init.init.total, 300);
  assert.deepEqual(init.init.moveTargets, ['dog'], 'its own class is no target');
  await controller.handle({ type: 'requestPage', start: GALLERY_PAGE_SIZE + 5 });
  const page = posted.find((m) => m.type === 'galleryPage');
  assert.ok(page && page.type === 'galleryPage');
  assert.equal(page.start, GALLERY_PAGE_SIZE, 'a page starts at a page boundary');
  assert.equal(page.items[0].name, `cat_${String(GALLERY_PAGE_SIZE).padStart(4, '0')}.png`);
  await controller.handle({ type: 'requestPage', start: 0 });
  const first = posted.filter((m) => m.type === 'galleryPage').at(-1);
  assert.ok(first?.type === 'galleryPage');
  assert.equal(first.items[1].finding, 'duplicate of a/b.png (skipped in training)');
  await settle();
  for (let i = 0; i < 500 && thumbsMade.length < 2 * GALLERY_PAGE_SIZE; i++) await settle();
  // The newest request (page 0) jumped the queue once it arrived.
  assert.equal(
    thumbsMade.indexOf('cat_0000.png') < thumbsMade.indexOf(`cat_0${GALLERY_PAGE_SIZE + 60}.png`),
    true,
  );
  const thumbs = posted.flatMap((m) => (m.type === 'galleryThumbs' ? m.thumbs : []));
  assert.equal(
    new Set(thumbs.map((t) => t.index)).size,
    2 * GALLERY_PAGE_SIZE,
    'each thumbnail made and sent once',
  );
});

test('Open and Move… act on the listed file only; a move needs trust, never overwrites, and marks the tile', async () => {
  const root = dataset('moves', { cat: 3, dog: 1 });
  writeFileSync(path.join(root, 'dog', 'cat_0002.png'), 'y');
  const { controller, posted, opened } = setup(root, 'cat');
  await controller.handle({ type: 'ready' });
  await controller.handle({ type: 'openImage', index: 1 });
  assert.deepEqual(opened, [path.join(await fsp.realpath(root), 'cat', 'cat_0001.png')]);
  await controller.handle({ type: 'openImage', index: 99 });
  await controller.handle({ type: 'moveImage', index: 0, toClass: '../../etc' });
  await controller.handle({ type: 'moveImage', index: 2, toClass: 'dog' });
  assert.ok(
    existsSync(path.join(root, 'cat', 'cat_0002.png')),
    'an existing file in the target is never overwritten',
  );
  await controller.handle({ type: 'moveImage', index: 0, toClass: 'dog' });
  assert.ok(existsSync(path.join(root, 'dog', 'cat_0000.png')));
  assert.ok(posted.some((m) => m.type === 'galleryMoved' && m.index === 0 && m.toClass === 'dog'));
  await controller.handle({ type: 'openImage', index: 0 });
  const notices = posted.flatMap((m) => (m.type === 'galleryNotice' ? [m.message] : []));
  assert.match(notices[0], /no image 100/);
  assert.match(notices[1], /not another class/);
  assert.match(notices[2], /already exists/);
  assert.match(notices[3], /was moved to dog/);
  const restricted = setup(root, 'cat', { mayModify: () => false });
  await restricted.controller.handle({ type: 'ready' });
  const init = restricted.posted[0];
  assert.ok(init.type === 'galleryInit' && init.init.readOnly);
  await restricted.controller.handle({ type: 'moveImage', index: 1, toClass: 'dog' });
  assert.ok(existsSync(path.join(root, 'cat', 'cat_0001.png')));
});

test('a class file that links outside the data set is neither opened nor moved', async () => {
  const root = dataset('links', { cat: 1, dog: 1 });
  const outside = path.join(work, 'secret.png');
  writeFileSync(outside, 's');
  symlinkSync(outside, path.join(root, 'cat', 'zz-link.png'));
  const { controller, posted, opened } = setup(root, 'cat');
  await controller.handle({ type: 'ready' });
  await controller.handle({ type: 'openImage', index: 1 });
  await controller.handle({ type: 'moveImage', index: 1, toClass: 'dog' });
  assert.deepEqual(opened, []);
  assert.ok(existsSync(outside));
  const notices = posted.flatMap((m) => (m.type === 'galleryNotice' ? [m.message] : []));
  assert.equal(notices.length, 2);
  assert.ok(
    notices.every((n) => /outside the data set folder/.test(n)),
    notices.join(' | '),
  );
  // A malformed message is dropped.
  await controller.handle({ type: 'openImage', index: -1 });
  assert.equal(posted.filter((m) => m.type === 'galleryNotice').length, 2);
});

test('the doctor’s findings by path: skipped files, duplicate copies, label conflicts', () => {
  const report = {
    root: '/d',
    layout: 'class-folders',
    classes: [],
    skipped: [{ path: 'cat/broken.jpg', reason: 'corrupt image' }],
    duplicates: [
      { hash: 'h1', paths: ['cat/a.png', 'cat/b.png'], labels: ['cat', 'cat'], conflict: false },
      { hash: 'h2', paths: ['cat/c.png', 'dog/c.png'], labels: ['cat', 'dog'], conflict: true },
    ],
    warnings: [],
    total: 4,
  } as ScanReport;
  const marks = findingsByPath(report);
  assert.equal(marks.get('cat/broken.jpg'), 'skipped: corrupt image');
  assert.equal(marks.get('cat/a.png'), undefined, 'the kept copy is not marked');
  assert.equal(marks.get('cat/b.png'), 'duplicate of cat/a.png (skipped in training)');
  assert.equal(marks.get('cat/c.png'), 'label conflict: the same image is in cat, dog');
  assert.equal(
    marks.get('dog/c.png'),
    'label conflict: the same image is in cat, dog; duplicate of cat/c.png (skipped in training)',
  );
  assert.equal(findingsByPath(undefined).size, 0);
});

test('thumbnails are made once, cached by file identity, and EXIF-oriented', async () => {
  // An upright 60×40 photo: the left half red, the right half blue; stored sideways with EXIF 6.
  const upright: RawPhoto = { width: 60, height: 40, data: Buffer.alloc(60 * 40 * 3) };
  for (let y = 0; y < 40; y++)
    for (let x = 0; x < 60; x++) upright.data.set(x < 30 ? [255, 0, 0] : [0, 0, 255], (y * 60 + x) * 3);
  const dir = path.join(work, 'photos');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sideways.jpg');
  writeFileSync(file, await encodePhoto(upright, { orientation: 6 }));
  const cache = new ThumbnailCache(path.join(work, 'thumbs'), 32);
  const thumb = await cache.thumbnailFile(file);
  const { data, info } = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 32);
  const at = (x: number, y: number) => [
    ...data.subarray((y * 32 + x) * info.channels, (y * 32 + x) * info.channels + 3),
  ];
  assert.ok(at(2, 16)[0] > 180 && at(2, 16)[2] < 80, `left is red as the photo is seen: ${at(2, 16)}`);
  assert.ok(at(29, 16)[2] > 180 && at(29, 16)[0] < 80, `right is blue: ${at(29, 16)}`);
  const made = statSync(thumb).mtimeMs;
  assert.equal(await cache.thumbnailFile(file), thumb, 'the same file gives the cached thumbnail');
  assert.equal(statSync(thumb).mtimeMs, made, 'not made again');
  writeFileSync(file, await encodePhoto(upright, { orientation: 1, quality: 50 }));
  assert.notEqual(await cache.thumbnailFile(file), thumb, 'a changed file gets a new thumbnail');
  writeFileSync(path.join(dir, 'broken.jpg'), 'not a jpeg');
  await assert.rejects(cache.thumbnailFile(path.join(dir, 'broken.jpg')));
});
