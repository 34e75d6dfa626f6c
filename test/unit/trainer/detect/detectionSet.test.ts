// readDetectionSet on real files: every format's layout on disk, EXIF orientation, and hostile input
// (links out of the root, oversized and garbage files, paths that climb out, XML with a DOCTYPE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  detectDetectionFormat,
  readDetectionSet,
  scanDetectionSet,
} from '../../../../src/trainer/detect/detectionSet';
import { DatasetInputError } from '../../../../src/trainer/scan';
import { main, type CliIo } from '../../../../src/trainer/cli';
import { exifRotatedJpeg, makeTempDir, removeDir, writeFixture } from '../../../fixtures/imageFactory';
import { writePng, yoloLine } from '../../../fixtures/detectionFixtures';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await makeTempDir();
  try {
    await fn(dir);
  } finally {
    await removeDir(dir);
  }
}

test('YOLO on disk: split folders, data.yaml, background and orphan labels, corrupt images skipped', () =>
  withDir(async (root) => {
    await writeFixture(
      root,
      'data.yaml',
      'path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n',
    );
    await writePng(root, 'images/train/a.png', 40, 20);
    await writeFixture(root, 'labels/train/a.txt', `${yoloLine(1, [4, 2, 20, 18], 40, 20)}\n`);
    await writePng(root, 'images/val/b.png', 30, 30, 2);
    await writeFixture(root, 'labels/val/orphan.txt', '0 0.5 0.5 0.5 0.5\n');
    await writeFixture(root, 'images/val/broken.png', 'not a png at all');
    assert.equal(await detectDetectionFormat(root), 'yolo');
    const set = await readDetectionSet(root);
    assert.equal(set.root, root);
    assert.deepEqual(set.classNames, ['cat', 'dog']);
    assert.deepEqual(
      set.images.map((i) => [i.path, i.width, i.height, i.split, i.boxes.map((b) => b.box)]),
      [
        ['images/train/a.png', 40, 20, 'train', [[4, 2, 20, 18]]],
        ['images/val/b.png', 30, 30, 'val', []],
      ],
    );
    assert.deepEqual(set.skipped, [{ path: 'images/val/broken.png', reason: 'not an image' }]);
    assert.deepEqual(
      set.findings.map((f) => [f.kind, f.file]),
      [
        ['class-imbalance', 'data.yaml'],
        ['label-without-image', 'labels/val/orphan.txt'],
        ['image-without-label', 'images/val/b.png'],
      ],
    );
  }));

test('an EXIF-rotated JPEG has its displayed size, and boxes are checked against it', () =>
  withDir(async (root) => {
    // Stored 20×10 with orientation 6: displayed 10×20.
    await writeFixture(root, 'images/photo.jpg', await exifRotatedJpeg());
    await writeFixture(root, 'labels/photo.txt', `${yoloLine(0, [0, 10, 10, 20], 10, 20)}\n`);
    await writeFixture(root, 'classes.txt', 'blue\n');
    const set = await readDetectionSet(root);
    assert.deepEqual([set.images[0].width, set.images[0].height], [10, 20]);
    assert.deepEqual(set.images[0].boxes[0].box, [0, 10, 10, 20]);
    assert.deepEqual(set.findings, []);
  }));

test('COCO and VOC on disk: classic layouts (annotations/ + train2017/, Annotations/ + JPEGImages/)', () =>
  withDir(async (root) => {
    const coco = join(root, 'coco');
    await writePng(coco, 'train2017/000000000001.png', 64, 48);
    await writeFixture(
      coco,
      'annotations/instances_train2017.json',
      JSON.stringify({
        images: [{ id: 1, file_name: '000000000001.png', width: 64, height: 48 }],
        annotations: [{ id: 5, image_id: 1, category_id: 18, bbox: [8, 8, 16.5, 20] }],
        categories: [{ id: 18, name: 'dog' }],
      }),
    );
    const cocoSet = await readDetectionSet(coco);
    assert.equal(cocoSet.format, 'coco');
    assert.deepEqual(
      cocoSet.images.map((i) => [i.path, i.split, i.boxes.map((b) => [b.classIndex, b.box])]),
      [['train2017/000000000001.png', 'train', [[0, [8, 8, 24.5, 28]]]]],
    );
    const voc = join(root, 'voc');
    await writePng(voc, 'JPEGImages/2007_000027.png', 50, 40);
    await writeFixture(
      voc,
      'Annotations/2007_000027.xml',
      '<annotation><filename>2007_000027.png</filename><size><width>50</width><height>40</height></size>\n<object><name>person</name><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object></annotation>',
    );
    const vocSet = await readDetectionSet(voc);
    assert.equal(vocSet.format, 'voc');
    assert.deepEqual(vocSet.images[0].boxes[0].box, [1, 2, 20, 30]);
    assert.equal(vocSet.images[0].boxes[0].source.line, 2);
  }));

test('hostile input: links out of the root are not followed, oversized and garbage files are findings', () =>
  withDir(async (dir) => {
    const root = join(dir, 'set');
    const outside = join(dir, 'outside');
    await writePng(outside, 'secret.png', 10, 10);
    await writeFixture(outside, 'secret.txt', '0 0.5 0.5 0.5 0.5\n');
    await writeFixture(outside, 'instances_x.json', '{"images": []}');
    await writePng(root, 'images/ok.png', 10, 10);
    await mkdir(join(root, 'labels'), { recursive: true });
    await writeFile(join(root, 'labels', 'ok.txt'), '0 0.5 0.5 0.5 0.5\n');
    await symlink(join(outside, 'secret.png'), join(root, 'images', 'leak.png'));
    await symlink(join(outside, 'secret.txt'), join(root, 'labels', 'leak.txt'));
    await symlink(outside, join(root, 'images', 'linked'));
    const set = await readDetectionSet(root);
    assert.deepEqual(
      set.images.map((i) => i.path),
      ['images/ok.png'],
    );
    assert.deepEqual(
      (set.skipped ?? []).map((s) => [s.path, s.reason]),
      [
        ['images/leak.png', 'link points outside the data set (not followed)'],
        ['images/linked', 'link points outside the data set (not followed)'],
        ['labels/leak.txt', 'link points outside the data set (not followed)'],
      ].sort(),
    );
    // COCO: a file_name that climbs out names an existing image outside, and is refused; a huge JSON
    // and a garbage JSON are one finding each, naming the file.
    const coco = join(dir, 'coco');
    await writePng(coco, 'images/a.png', 10, 10);
    await writeFixture(
      coco,
      'annotations/instances_train.json',
      JSON.stringify({
        images: [
          { id: 1, file_name: '../../outside/secret.png' },
          { id: 2, file_name: 'a.png' },
        ],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 5, 5] }],
        categories: [{ id: 1, name: 'x' }],
      }),
    );
    await writeFixture(coco, 'annotations/instances_val.json', '{"images": [' + '{"id": 1},'.repeat(2000));
    await writeFixture(coco, 'annotations/instances_test.json', '\u0000\u0001garbage');
    const cocoSet = await readDetectionSet(coco, { maxJsonBytes: 10_000 });
    assert.deepEqual(
      cocoSet.images.map((i) => i.path),
      ['images/a.png'],
    );
    const byFile = new Map(cocoSet.findings.map((f) => [f.file, f.message]));
    assert.match(byFile.get('annotations/instances_val.json') ?? '', /over the 10 KiB limit/);
    assert.match(byFile.get('annotations/instances_test.json') ?? '', /not valid JSON/);
    assert.match(byFile.get('annotations/instances_train.json') ?? '', /leaves the data set folder/);
    // VOC: an XML with a DOCTYPE (external entity) is refused, and nothing is read from the entity.
    const voc = join(dir, 'voc');
    await writePng(voc, 'JPEGImages/a.png', 10, 10);
    await writeFixture(
      voc,
      'Annotations/a.xml',
      `<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "file://${join(outside, 'secret.txt')}">]>\n<annotation><filename>a.png</filename><object><name>&xxe;</name></object></annotation>`,
    );
    const vocSet = await readDetectionSet(voc);
    assert.deepEqual(vocSet.classNames, []);
    assert.equal(vocSet.findings[0].file, 'Annotations/a.xml');
    assert.equal(vocSet.findings[0].line, 2);
    assert.match(vocSet.findings[0].message, /DOCTYPE/);
  }));

test('a classification folder is not a detection set; a missing folder is a one-line input error', () =>
  withDir(async (root) => {
    await writePng(root, 'cat/a.png', 8, 8);
    await writePng(root, 'dog/b.png', 8, 8);
    assert.equal(await detectDetectionFormat(root), null);
    await assert.rejects(
      readDetectionSet(root),
      (e: unknown) => e instanceof DatasetInputError && /not a detection data set/.test(e.message),
    );
    await assert.rejects(readDetectionSet(join(root, 'nope')), DatasetInputError);
  }));

test('image-trainer scan: a detection set prints the detection report (JSON and text with file:line)', () =>
  withDir(async (root) => {
    await writeFixture(root, 'data.yaml', 'names: [cat, dog]\n');
    await writePng(root, 'images/a.png', 20, 20);
    await writeFixture(root, 'labels/a.txt', '0 0.5 0.5 0.5 0.5\n7 0.5 0.5 0.5 0.5\n1 0.25 0.25 0.5 0.5\n');
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd: root };
    assert.equal(await main(['scan', '.', '--json'], io), 0, stderr);
    const report = JSON.parse(stdout);
    assert.deepEqual(report, await scanDetectionSet(root));
    assert.equal(report.task, 'detect');
    assert.equal(report.format, 'yolo');
    assert.equal(report.boxes, 2);
    stdout = '';
    assert.equal(await main(['scan', root], io), 0);
    assert.match(stdout, /\(detection, YOLO\): 1 images, 2 boxes in 2 classes/);
    assert.match(
      stdout,
      /error\s+labels\/a\.txt:2: class id 7 is not one of the 2 classes.*\[unknown-class\]/,
    );
    assert.match(stdout, /cat\s+1\s+1/);
  }));
