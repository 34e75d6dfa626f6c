import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataYaml } from '../../../src/core/detection/dataYaml';
import {
  buildYoloSet,
  formatYoloLine,
  parseYoloLabels,
  yoloLabelPath,
  yoloSplitListPaths,
} from '../../../src/core/detection/yolo';
import { detectFormatFromListing, normaliseInside, splitFromName } from '../../../src/core/detection/listing';

test('data.yaml: names as a block list, a flow list, a block mapping or a flow mapping; comments and quotes', () => {
  const block = parseDataYaml(
    "# a comment\npath: ../datasets/x  # where\ntrain: images/train\nval: images/val\nnames:\n  - cat\n  - \"hot dog\"\n  - 'it''s'\n",
  );
  assert.deepEqual(block.yaml, {
    path: '../datasets/x',
    train: ['images/train'],
    val: ['images/val'],
    names: ['cat', 'hot dog', "it's"],
  });
  assert.equal(block.namesLine, 5);
  assert.deepEqual(parseDataYaml('names: [\'a\', b, "c, d"]').yaml.names, ['a', 'b', 'c, d']);
  assert.deepEqual(parseDataYaml('names:\n  1: dog\n  0: cat  # first\nnc: 2\n').yaml, {
    names: ['cat', 'dog'],
    nc: 2,
  });
  assert.deepEqual(parseDataYaml('names: {0: person, 1: bicycle}').yaml.names, ['person', 'bicycle']);
  assert.deepEqual(parseDataYaml('train: [images/a, images/b]\n').yaml.train, ['images/a', 'images/b']);
  const gap = parseDataYaml('names:\n  0: a\n  2: c\n');
  assert.equal(gap.yaml.names, undefined);
  assert.match(gap.problems[0].message, /no class 1/);
  const nc = parseDataYaml('nc: 3\nnames: [a, b]\n');
  assert.match(nc.problems[0].message, /nc is 3 but names lists 2/);
  assert.equal(nc.problems[0].line, 1);
  // Keys it does not know (anchors, downloads, scripts) are ignored, never run.
  assert.deepEqual(parseDataYaml('download: |\n  import os\n  os.system("x")\nnames: [a]\n').yaml, {
    names: ['a'],
  });
});

test('the label file of an image: the last images folder becomes labels', () => {
  assert.equal(yoloLabelPath('images/train/a.jpg'), 'labels/train/a.txt');
  assert.equal(yoloLabelPath('train/images/a.b.png'), 'train/labels/a.b.txt');
  assert.equal(yoloLabelPath('images/x/images/a.png'), 'images/x/labels/a.txt');
  assert.equal(yoloLabelPath('photos/a.png'), null);
});

test('a YOLO line round-trips exactly to 1e-3 px, even on a large image', () => {
  for (const [w, h] of [
    [128, 128],
    [4032, 3024],
    [1000, 7],
  ]) {
    const box = [1, 2, Math.min(w, 101), 7];
    const text = formatYoloLine(2, box as [number, number, number, number], w, h);
    const parsed = parseYoloLabels(text, 'l.txt', w, h);
    assert.deepEqual(parsed.candidates[0].box, box);
    assert.equal(parsed.candidates[0].classIndex, 2);
  }
});

test('polygon lines (YOLO segmentation) count as their bounding box', () => {
  const parsed = parseYoloLabels('1 0.1 0.2 0.5 0.1 0.3 0.6\n', 'l.txt', 100, 100);
  assert.deepEqual(parsed.candidates[0].box, [10, 10, 50, 60]);
  assert.deepEqual(parsed.findings, []);
});

test('splits from data.yaml folders (Roboflow ../train/images too), else from folder names', () => {
  const images = ['train/images/a.png', 'valid/images/b.png', 'test/images/c.png'].map((path) => ({
    path,
    width: 10,
    height: 10,
  }));
  const set = buildYoloSet({
    images,
    imagePaths: images.map((i) => i.path),
    labels: images.map((i) => ({ path: yoloLabelPath(i.path) as string, text: '0 0.5 0.5 0.5 0.5\n' })),
    yaml: {
      path: 'data.yaml',
      text: 'train: ../train/images\nval: ../valid/images\ntest: ../test/images\nnames: [x]\n',
    },
  });
  assert.deepEqual(
    set.images.map((i) => [i.path, i.split]),
    [
      ['test/images/c.png', 'test'],
      ['train/images/a.png', 'train'],
      ['valid/images/b.png', 'val'],
    ],
  );
  // Flat layout, no yaml: classes.txt names the classes, no split.
  const flat = buildYoloSet({
    images: [{ path: 'images/a.png', width: 20, height: 10 }],
    imagePaths: ['images/a.png'],
    labels: [{ path: 'labels/a.txt', text: '1 0.5 0.5 0.5 0.4\n' }],
    classesFile: { path: 'classes.txt', text: 'cat\ndog\n' },
  });
  assert.deepEqual(flat.classNames, ['cat', 'dog']);
  assert.deepEqual(flat.images[0], {
    path: 'images/a.png',
    width: 20,
    height: 10,
    boxes: [{ classIndex: 1, box: [5, 3, 15, 7], source: { file: 'labels/a.txt', line: 1 } }],
  });
  // Labels beside their images (labelImg), no class list: ids name the classes.
  const beside = buildYoloSet({
    images: [{ path: 'pics/a.png', width: 10, height: 10 }],
    imagePaths: ['pics/a.png'],
    labels: [{ path: 'pics/a.txt', text: '2 0.5 0.5 0.2 0.2\n' }],
  });
  assert.deepEqual(beside.classNames, ['0', '1', '2']);
  assert.equal(beside.images[0].boxes.length, 1);
});

test('an empty label file is a background image without a finding; a missing one is a note', () => {
  const set = buildYoloSet({
    images: [
      { path: 'images/a.png', width: 10, height: 10 },
      { path: 'images/b.png', width: 10, height: 10 },
    ],
    imagePaths: ['images/a.png', 'images/b.png'],
    labels: [{ path: 'labels/a.txt', text: '' }],
    yaml: { path: 'data.yaml', text: 'names: [x]' },
  });
  assert.deepEqual(
    set.findings.map((f) => [f.kind, f.file, f.severity]),
    [['image-without-label', 'images/b.png', 'info']],
  );
  assert.deepEqual(
    set.images.map((i) => i.boxes.length),
    [0, 0],
  );
});

test('format detection from a listing, and paths that try to leave the root', () => {
  assert.equal(detectFormatFromListing(['images/a.png', 'labels/a.txt']), 'yolo');
  assert.equal(detectFormatFromListing(['data.yaml', 'train/images/a.png']), 'yolo');
  assert.equal(detectFormatFromListing(['data.yaml', 'cat/a.png', 'dog/b.png']), null);
  assert.equal(detectFormatFromListing(['annotations/instances_val2017.json', 'val2017/a.jpg']), 'coco');
  assert.equal(detectFormatFromListing(['train/_annotations.coco.json', 'train/a.jpg']), 'coco');
  assert.equal(detectFormatFromListing(['Annotations/a.xml', 'JPEGImages/a.jpg']), 'voc');
  assert.equal(detectFormatFromListing(['cat/a.png', 'dog/b.png']), null);
  assert.equal(detectFormatFromListing(['train/cat/a.png', 'val/dog/notes.txt']), null);
  assert.equal(normaliseInside('a/../b.png'), 'b.png');
  assert.equal(normaliseInside('../b.png'), null);
  assert.equal(normaliseInside('/etc/passwd'), null);
  assert.equal(normaliseInside('C:\\x.png'), null);
  assert.equal(splitFromName('instances_train2017.json'), 'train');
  assert.equal(splitFromName('instances_val.json'), 'val');
  assert.equal(splitFromName('instances_test-dev2017.json'), 'test');
  assert.equal(splitFromName('instances_default.json'), undefined);
});

test('split lists: data.yaml may name .txt files of image paths instead of folders', () => {
  const images = ['images/a.jpg', 'images/b.jpg', 'images/c.jpg'].map((path) => ({
    path,
    width: 10,
    height: 10,
  }));
  const yamlText = 'path: .\ntrain: train.txt\nval: lists/val.txt\nnames: [x]\n';
  assert.deepEqual(yoloSplitListPaths(yamlText, 'data.yaml'), ['train.txt', 'lists/val.txt']);
  const set = buildYoloSet({
    images,
    imagePaths: images.map((i) => i.path),
    labels: [],
    yaml: { path: 'data.yaml', text: yamlText },
    splitLists: [
      { path: 'train.txt', text: './images/a.jpg\n/home/someone/data/images/b.jpg\n' },
      { path: 'lists/val.txt', text: '../images/c.jpg\n' },
    ],
  });
  assert.deepEqual(
    set.images.map((i) => i.split),
    ['train', 'train', 'val'],
  );
});

test('pixel coordinates in a YOLO file: the outside-image error says YOLO wants fractions', () => {
  const set = buildYoloSet({
    images: [{ path: 'images/a.png', width: 640, height: 480 }],
    imagePaths: ['images/a.png'],
    labels: [{ path: 'labels/a.txt', text: '0 320 240 100 80\n' }],
    yaml: { path: 'data.yaml', text: 'names: [x]' },
  });
  assert.equal(set.findings[0].kind, 'box-outside-image');
  assert.equal(set.findings[0].line, 1);
  assert.match(
    set.findings[0].message,
    /^values above 1 \(YOLO coordinates are fractions of the image, 0 to 1\): box/,
  );
});
