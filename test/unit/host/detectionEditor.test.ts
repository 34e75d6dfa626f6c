// The editor side of object detection (issue 18) without vscode: the detection gallery's and the
// inspector's host controllers against real files in a temp folder, the letterboxed pictures the boxes
// are drawn on, and detections.json read as untrusted input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { boxOnPicture, pictureTransform } from '../../../src/core/detection/boxDisplay';
import {
  DET_PREVIEW_SIZE,
  DET_THUMB_SIZE,
  DetectionGalleryController,
  galleryInit,
} from '../../../src/host/detection/detectionGalleryController';
import {
  InspectorController,
  inspectorInit,
  loadDetectionResults,
} from '../../../src/host/detection/inspectorController';
import { ThumbnailCache } from '../../../src/host/gallery/thumbnailCache';
import {
  isHostToDetGallery,
  isDetGalleryToHost,
  type HostToDetGallery,
} from '../../../src/protocol/detectionGalleryMessages';
import {
  isHostToInspector,
  isInspectorToHost,
  type HostToInspector,
} from '../../../src/protocol/inspectorMessages';
import { detectionResults, detectionSet } from '../../fixtures/detectionReports';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-detection-ui-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function makeDataset(name: string): string {
  const root = path.join(work, name);
  for (const f of [
    'images/train/a.png',
    'images/train/b.png',
    'images/val/c.png',
    'images/val/d.png',
    'labels/train/a.txt',
    'labels/train/b.txt',
    'data.yaml',
  ]) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), f.endsWith('.txt') ? '0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n' : 'x');
  }
  return root;
}

interface Calls {
  posted: HostToDetGallery[];
  opened: [string, number][];
  pictures: [string, number][];
  logs: string[];
}

function galleryController(root: string, set = detectionSet(root)) {
  const calls: Calls = { posted: [], opened: [], pictures: [], logs: [] };
  const controller = new DetectionGalleryController(
    root,
    { className: null, finding: 0 },
    {
      post: (m) => calls.posted.push(m),
      readSet: async () => set,
      picture: async (file, size) => {
        calls.pictures.push([file, size]);
        return `webview://${path.relative(root, file)}@${size}`;
      },
      openTextAt: async (file, line) => {
        calls.opened.push([file, line]);
      },
      openFile: async () => undefined,
      fs: fsp,
      log: (line) => calls.logs.push(line),
    },
  );
  return { controller, calls };
}

/** The data set root check passes (its own tests are in security/hostileDetection.test.ts). */
const allowAll = async (): Promise<string | null> => null;

test('gallery init: images and findings by index, findings tied to their image and class', () => {
  const set = detectionSet('/d');
  const init = galleryInit(set, { className: 'square', finding: null });
  assert.equal(init.images.length, 3);
  assert.deepEqual(init.images[1].boxes[1], { classIndex: 0, box: [32, 32, 64, 64], line: 2 });
  assert.deepEqual(
    init.findings.map((f) => [f.kind, f.location, f.image, f.classIndex]),
    [
      ['box-outside-image', 'labels/train/a.txt:2', 0, 0],
      ['malformed-line', 'labels/train/b.txt:3', 1, null],
      ['class-imbalance', 'data.yaml', null, 1],
    ],
  );
  assert.equal(init.thumbSize, DET_THUMB_SIZE);
  assert.ok(isHostToDetGallery({ type: 'detGalleryInit', init }));
});

test('gallery host: ready sends the set; a box or a finding opens its label file at the line', async () => {
  const root = makeDataset('gallery');
  const { controller, calls } = galleryController(root);
  await controller.handle({ type: 'ready' });
  const init = calls.posted[0];
  assert.equal(init.type, 'detGalleryInit');
  if (init.type === 'detGalleryInit') assert.deepEqual(init.init.focus, { className: null, finding: 0 });
  await controller.handle({ type: 'openBoxSource', image: 1, box: 1 });
  await controller.handle({ type: 'openFindingSource', finding: 1 });
  await controller.handle({ type: 'openFindingSource', finding: 2 });
  const real = await fsp.realpath(root);
  assert.deepEqual(calls.opened, [
    [path.join(real, 'labels/train/b.txt'), 2],
    [path.join(real, 'labels/train/b.txt'), 3],
    [path.join(real, 'data.yaml'), 1],
  ]);
  await controller.handle({ type: 'openBoxSource', image: 9, box: 0 });
  assert.match(JSON.stringify(calls.posted.at(-1)), /no such box/);
  // A focus request after the page is up goes to the page; before, it waits for ready.
  controller.focus({ className: 'circle', finding: null });
  assert.deepEqual(calls.posted.at(-1), {
    type: 'detGalleryFocus',
    focus: { className: 'circle', finding: null },
  });
});

test('gallery host: a set that cannot be read is one notice, and the next ready reads again', async () => {
  const root = makeDataset('gallery-unreadable');
  const posted: HostToDetGallery[] = [];
  let reads = 0;
  const controller = new DetectionGalleryController(
    root,
    { className: null, finding: null },
    {
      post: (m) => posted.push(m),
      readSet: async () => {
        reads++;
        if (reads === 1) throw new Error(`${root}: not a detection data set — expected YOLO, COCO or VOC`);
        return detectionSet(root);
      },
      picture: async () => '',
      openTextAt: async () => undefined,
      openFile: async () => undefined,
      fs: fsp,
      log: () => undefined,
    },
  );
  await controller.handle({ type: 'ready' });
  assert.deepEqual(posted, [
    {
      type: 'detGalleryNotice',
      level: 'error',
      message: `Detection gallery: ${root}: not a detection data set — expected YOLO, COCO or VOC`,
    },
  ]);
  await controller.handle({ type: 'ready' });
  assert.equal(posted.at(-1)?.type, 'detGalleryInit');
  assert.equal(reads, 2);
});

test('gallery host: files named by the set are still checked to stay inside the root', async () => {
  const root = makeDataset('gallery-escape');
  writeFileSync(path.join(work, 'secret.txt'), 'secret');
  symlinkSync(path.join(work, 'secret.txt'), path.join(root, 'labels/link.txt'));
  const set = detectionSet(root);
  set.findings = [
    { ...set.findings[0], file: '../secret.txt' },
    { ...set.findings[0], file: 'labels/link.txt' },
  ];
  set.images[0] = { ...set.images[0], path: '../secret.txt' };
  const { controller, calls } = galleryController(root, set);
  await controller.handle({ type: 'openFindingSource', finding: 0 });
  await controller.handle({ type: 'openFindingSource', finding: 1 });
  await controller.handle({ type: 'requestPreview', index: 0 });
  assert.deepEqual(calls.opened, []);
  assert.deepEqual(calls.pictures, []);
  const notices = calls.posted.filter((m) => m.type === 'detGalleryNotice').map((m) => JSON.stringify(m));
  assert.equal(notices.length, 3);
  assert.match(notices[1], /outside the data set folder/);
});

test('gallery host: thumbnails for the asked images (letterboxed, 160 px), previews at 640, bad messages ignored', async () => {
  const root = makeDataset('gallery-thumbs');
  const { controller, calls } = galleryController(root);
  await controller.handle({ type: 'requestThumbs', indices: [2, 0] });
  assert.deepEqual(
    calls.pictures.map(([f, s]) => [path.basename(f), s]),
    [
      ['c.png', DET_THUMB_SIZE],
      ['a.png', DET_THUMB_SIZE],
    ],
  );
  const thumbs = calls.posted.find((m) => m.type === 'detGalleryThumbs');
  assert.deepEqual(thumbs, {
    type: 'detGalleryThumbs',
    thumbs: [
      { index: 2, thumb: `webview://images/val/c.png@${DET_THUMB_SIZE}` },
      { index: 0, thumb: `webview://images/train/a.png@${DET_THUMB_SIZE}` },
    ],
  });
  await controller.handle({ type: 'requestThumbs', indices: [0] });
  assert.equal(calls.pictures.length, 2, 'made once');
  await controller.handle({ type: 'requestPreview', index: 1 });
  assert.deepEqual(calls.posted.at(-1), {
    type: 'detGalleryPreview',
    index: 1,
    uri: `webview://images/train/b.png@${DET_PREVIEW_SIZE}`,
  });
  const before = calls.posted.length;
  for (const bad of [
    { type: 'openBoxSource', image: -1, box: 0 },
    { type: 'requestThumbs', indices: ['../x'] },
    { type: 'openFile', path: '/etc/passwd' },
    null,
  ]) {
    assert.equal(isDetGalleryToHost(bad), false);
    await controller.handle(bad);
  }
  assert.equal(calls.posted.length, before);
  assert.equal(calls.logs.filter((l) => /malformed/.test(l)).length, 4);
});

test('a letterboxed picture puts each box where boxOnPicture says: the drawn box covers the red patch', async () => {
  // 120×60 grey image with a red patch at x 80–110, y 10–40 (a box in original pixels).
  const width = 120;
  const height = 60;
  const data = Buffer.alloc(width * height * 3, 128);
  for (let y = 10; y < 40; y++) for (let x = 80; x < 110; x++) data.set([255, 0, 0], (y * width + x) * 3);
  const file = path.join(work, 'patch.png');
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
  const size = 64;
  const picture = await new ThumbnailCache(path.join(work, 'pictures'), size, 'pad').thumbnailFile(file);
  const { data: px, info } = await sharp(picture).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, size);
  const at = (x: number, y: number) => [
    ...px.subarray((y * size + x) * info.channels, (y * size + x) * info.channels + 3),
  ];
  const t = pictureTransform(width, height, size, size, 'pad');
  const box = boxOnPicture([80, 10, 110, 40], t, size, size);
  assert.ok(box);
  const centre = at(Math.round(box.left + box.width / 2), Math.round(box.top + box.height / 2));
  assert.ok(centre[0] > 200 && centre[1] < 60, `inside the mapped box is red: ${centre}`);
  const left = at(Math.round(box.left - 4), Math.round(box.top + box.height / 2));
  assert.ok(left[0] < 170 && left[1] > 90, `left of it is grey: ${left}`);
  // The letterbox bands (above and below the 64×32 image) are black, where no box can land.
  assert.deepEqual(at(32, 2), [0, 0, 0]);
  assert.equal(t.offsetY, 16);
});

async function runWith(results: unknown): Promise<string> {
  const runDir = mkdtempSync(path.join(work, 'run-'));
  if (results !== undefined) writeFileSync(path.join(runDir, 'detections.json'), JSON.stringify(results));
  return runDir;
}

test('detections.json: read through its schema, its root checked against the run’s data set', async () => {
  const root = makeDataset('inspect');
  const good = await loadDetectionResults(await runWith(detectionResults(root)), root, allowAll);
  assert.ok(good.ok);
  // A split folder inside the data set is fine too.
  const split = await loadDetectionResults(
    await runWith(detectionResults(path.join(root, 'images'))),
    root,
    allowAll,
  );
  assert.ok(split.ok);
  const elsewhere = await loadDetectionResults(await runWith(detectionResults(work)), root, allowAll);
  assert.equal(elsewhere.ok, false);
  if (!elsewhere.ok) assert.match(elsewhere.problem, /not the run's data set/);
  const damaged = await loadDetectionResults(
    await runWith({ ...detectionResults(root), images: [{ path: '../x.png' }] }),
    root,
    allowAll,
  );
  assert.equal(damaged.ok, false);
  if (!damaged.ok) assert.match(damaged.problem, /detections\.json: images\[0\]\.path/);
  const missing = await loadDetectionResults(await runWith(undefined), root, allowAll);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.match(missing.problem, /no detections\.json: evaluate it/);
});

test('inspector host: init with labels as indices; pictures only for images inside the root', async () => {
  const root = makeDataset('inspect-host');
  writeFileSync(path.join(work, 'outside.png'), 'x');
  symlinkSync(path.join(work, 'outside.png'), path.join(root, 'images/val/link.png'));
  const results = detectionResults(root);
  results.images.push({ ...results.images[1], path: 'images/val/link.png' });
  const init = inspectorInit('run-1', results, 384);
  assert.deepEqual(init.labels, ['circle', 'square']);
  assert.equal(init.confidence, 0.25);
  assert.deepEqual(init.images[0].predicted[1], { classIndex: 1, confidence: 0.3, box: [40, 40, 60, 60] });
  const posted: HostToInspector[] = [];
  const pictures: string[] = [];
  const controller = new InspectorController('run-1', {
    post: (m) => posted.push(m),
    load: () => loadDetectionResults(path.join(work, 'no-run'), root, allowAll),
    picture: async (file) => {
      pictures.push(path.basename(file));
      return `webview://${path.basename(file)}`;
    },
    openFile: async () => undefined,
    fs: fsp,
    log: () => undefined,
  });
  await controller.handle({ type: 'ready' });
  assert.equal(posted[0].type, 'inspectorInit');
  assert.ok(isHostToInspector(posted[0]));
  if (posted[0].type === 'inspectorInit') {
    assert.equal(posted[0].init, null);
    assert.match(posted[0].problem ?? '', /no detections\.json/);
  }
  const runDir = await runWith(results);
  const ok = new InspectorController('run-1', {
    post: (m) => posted.push(m),
    load: () => loadDetectionResults(runDir, root, allowAll),
    picture: async (file) => {
      pictures.push(path.basename(file));
      return `webview://${path.basename(file)}`;
    },
    openFile: async () => undefined,
    fs: fsp,
    log: () => undefined,
  });
  await ok.handle({ type: 'ready' });
  const sent = posted.at(-1);
  assert.ok(sent?.type === 'inspectorInit' && sent.init?.images.length === 3);
  await ok.handle({ type: 'requestPictures', indices: [0, 1, 2] });
  assert.deepEqual(pictures, ['c.png', 'd.png']);
  assert.deepEqual(posted.at(-1), {
    type: 'inspectorPictures',
    pictures: [
      { index: 0, uri: 'webview://c.png' },
      { index: 1, uri: 'webview://d.png' },
      { index: 2, uri: '' },
    ],
  });
  assert.equal(isInspectorToHost({ type: 'requestPictures', indices: [-1] }), false);
  assert.equal(isInspectorToHost({ type: 'openImage', index: 0 }), true);
});
