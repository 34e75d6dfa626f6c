import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DetectionImage, DetectionScanReport } from '../../../../src/protocol/detection';
import { writeDetectionSample } from '../../../../src/trainer/detect/detectionSample';
import {
  detectDetectionFormat,
  readDetectionSet,
  scanDetectionSet,
} from '../../../../src/trainer/detect/detectionSet';
import { generateDetectionSample } from '../../../../src/core/detection/sample';
import { main } from '../../../../src/trainer/cli';
import { makeTempDir, removeDir } from '../../../fixtures/imageFactory';

const FORMATS = ['yolo', 'coco', 'voc'] as const;

function withoutSource(images: DetectionImage[]): unknown {
  return images.map((image) => ({
    ...image,
    boxes: image.boxes.map(({ classIndex, box }) => ({ classIndex, box })),
  }));
}

function comparableScan(report: DetectionScanReport): unknown {
  const { format: _format, root: _root, findings, ...rest } = report;
  return {
    ...rest,
    findings: findings.map(({ file: _file, line: _line, message: _message, ...f }) => f),
  };
}

test('the same seed gives the same images, boxes and scan in YOLO, COCO and VOC form', async () => {
  const dir = await makeTempDir();
  try {
    const options = { images: 30, size: 64, seed: 11 };
    for (const format of FORMATS) await writeDetectionSample(join(dir, format), { format, ...options });
    const sets = await Promise.all(FORMATS.map((f) => readDetectionSet(join(dir, f))));
    assert.deepEqual(
      sets.map((s) => s.format),
      ['yolo', 'coco', 'voc'],
    );
    for (const format of FORMATS) assert.equal(await detectDetectionFormat(join(dir, format)), format);
    for (const set of sets) {
      assert.deepEqual(set.classNames, ['circle', 'square', 'triangle']);
      assert.deepEqual(set.findings, [], `${set.format} findings`);
      assert.equal(set.images.length, 30);
    }
    assert.deepEqual(withoutSource(sets[1].images), withoutSource(sets[0].images));
    assert.deepEqual(withoutSource(sets[2].images), withoutSource(sets[0].images));
    // The boxes read back are the boxes drawn: exact integers, whatever the format's own convention.
    const drawn = [...generateDetectionSample(options)];
    const yoloByName = new Map(sets[0].images.map((i) => [i.path, i]));
    for (const scene of drawn) {
      const image = yoloByName.get(`images/${scene.split}/${scene.name}.png`);
      assert.ok(image, scene.name);
      assert.deepEqual(
        image.boxes.map((b) => ({ classIndex: b.classIndex, box: b.box })),
        scene.boxes,
      );
    }
    // Same pixels: the image files are byte-identical across formats.
    for (const rel of ['images/train', 'images/val']) {
      const names = await readdir(join(dir, 'yolo', rel));
      for (const name of names.slice(0, 5)) {
        const a = await readFile(join(dir, 'yolo', rel, name));
        assert.ok(a.equals(await readFile(join(dir, 'coco', rel, name))), name);
        assert.ok(a.equals(await readFile(join(dir, 'voc', rel, name))), name);
      }
    }
    const scans = await Promise.all(FORMATS.map((f) => scanDetectionSet(join(dir, f))));
    assert.deepEqual(comparableScan(scans[1]), comparableScan(scans[0]));
    assert.deepEqual(comparableScan(scans[2]), comparableScan(scans[0]));
    assert.equal(scans[0].task, 'detect');
    assert.equal(scans[0].images, 30);
    assert.deepEqual(
      scans[0].splits.map((s) => [s.name, s.images]),
      [
        ['train', 24],
        ['val', 6],
      ],
    );
    assert.equal(
      scans[0].boxes,
      drawn.reduce((n, s) => n + s.boxes.length, 0),
    );
  } finally {
    await removeDir(dir);
  }
});

test('the sample: 1–4 tight boxes per image inside the picture, deterministic, a different seed differs', async () => {
  const a = [...generateDetectionSample({ images: 40, size: 96, seed: 3 })];
  const b = [...generateDetectionSample({ images: 40, size: 96, seed: 3 })];
  const c = [...generateDetectionSample({ images: 40, size: 96, seed: 4 })];
  assert.deepEqual(
    a.map((s) => s.boxes),
    b.map((s) => s.boxes),
  );
  assert.ok(Buffer.from(a[0].pixels).equals(Buffer.from(b[0].pixels)));
  assert.notDeepEqual(
    a.map((s) => s.boxes),
    c.map((s) => s.boxes),
  );
  const classes = new Set<number>();
  for (const scene of a) {
    assert.ok(scene.boxes.length >= 1 && scene.boxes.length <= 4, `${scene.name}: ${scene.boxes.length}`);
    for (const { classIndex, box } of scene.boxes) {
      classes.add(classIndex);
      const [x1, y1, x2, y2] = box;
      assert.ok(box.every(Number.isInteger));
      assert.ok(x1 >= 0 && y1 >= 0 && x2 <= 96 && y2 <= 96 && x2 > x1 && y2 > y1);
      // 12–40% of the side, give or take the anti-aliased edge.
      assert.ok(x2 - x1 >= 0.12 * 96 - 2 && x2 - x1 <= 0.4 * 96 + 2, `${scene.name} ${box.join(',')}`);
    }
  }
  assert.deepEqual([...classes].sort(), [0, 1, 2]);
  assert.deepEqual(a.filter((s) => s.split === 'val').length, 8);
});

test('the PNG written holds exactly the drawn pixels (lossless, so boxes match the file)', async () => {
  const dir = await makeTempDir();
  try {
    await writeDetectionSample(dir, { format: 'yolo', images: 6, size: 64, seed: 5 });
    const scenes = [...generateDetectionSample({ images: 6, size: 64, seed: 5 })];
    const scene = scenes[0];
    const { data } = await sharp(join(dir, `images/${scene.split}/${scene.name}.png`))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.ok(Buffer.from(scene.pixels).equals(data), 'PNG holds exactly the drawn pixels');
  } finally {
    await removeDir(dir);
  }
});

test('image-trainer sample --task detect writes each format; usage errors exit 2', async () => {
  const dir = await makeTempDir();
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (t: string) => void out.push(t),
    stderr: (t: string) => void err.push(t),
    isTTY: false,
    cwd: dir,
  };
  try {
    assert.equal(
      await main(
        ['sample', 'v', '--task', 'detect', '--format', 'voc', '--images', '5', '--size', '48', '--json'],
        io,
      ),
      0,
    );
    const written = JSON.parse(out.join('')) as { images: number; format: string; classes: string[] };
    assert.equal(written.images, 5);
    assert.equal(written.format, 'voc');
    assert.equal(await detectDetectionFormat(join(dir, 'v')), 'voc');
    assert.equal(
      await main(['sample', 'v', '--task', 'detect'], io),
      2,
      'refuses a folder that is not empty',
    );
    assert.equal(await main(['sample', 'w', '--task', 'detect', '--format', 'tfrecord'], io), 2);
    assert.equal(await main(['sample', 'w', '--task', 'detect', '--per-class', '3'], io), 2);
    assert.equal(await main(['sample', 'w', '--images', '3'], io), 2);
    assert.equal(await main(['sample', 'w', '--task', 'segment'], io), 2);
    await writeFile(join(dir, 'a-file'), 'x');
    assert.equal(await main(['sample', 'a-file', '--task', 'detect'], io), 2, 'refuses a file');
    assert.equal(await readFile(join(dir, 'a-file'), 'utf8'), 'x');
    assert.match(err.join(''), /--format must be one of yolo, coco, voc/);
  } finally {
    await removeDir(dir);
  }
});
