import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCocoSet, formatCocoJson } from '../../../src/core/detection/coco';
import { topLevelArrayElementLines, jsonErrorLine } from '../../../src/core/detection/jsonLines';

const IMAGES = [
  { path: 'images/train/a.png', width: 100, height: 80 },
  { path: 'images/train/b.png', width: 100, height: 80 },
  { path: 'images/val/c.png', width: 50, height: 50 },
];
const PATHS = IMAGES.map((i) => i.path);

test('COCO: categories with gaps map to indices by id, bbox [x, y, w, h] to corners, split from the file name', () => {
  const train = JSON.stringify(
    {
      images: [
        { id: 7, file_name: 'a.png', width: 100, height: 80 },
        { id: 8, file_name: 'b.png', width: 100, height: 80 },
      ],
      annotations: [
        { id: 1, image_id: 7, category_id: 90, bbox: [10, 20, 30, 40] },
        { id: 2, image_id: 7, category_id: 3, bbox: [0.5, 0, 10.25, 10] },
      ],
      categories: [
        { id: 90, name: 'toothbrush' },
        { id: 3, name: 'car' },
        { id: 1, name: 'person' },
      ],
    },
    null,
    2,
  );
  const val = formatCocoJson(
    ['person', 'car'],
    [{ fileName: 'c.png', width: 50, height: 50, boxes: [{ classIndex: 1, box: [1, 2, 11, 14] }] }],
  );
  const set = buildCocoSet({
    images: IMAGES,
    imagePaths: PATHS,
    files: [
      { path: 'annotations/instances_train.json', text: train },
      {
        path: 'annotations/instances_val.json',
        text: val
          .replace('"id":2,"name":"car"', '"id":3,"name":"car"')
          .replace('"category_id":2', '"category_id":3'),
      },
    ],
  });
  assert.deepEqual(set.classNames, ['person', 'car', 'toothbrush']);
  assert.equal(set.format, 'coco');
  const [a, b, c] = set.images;
  assert.deepEqual([a.path, a.split, b.split, c.split], ['images/train/a.png', 'train', 'train', 'val']);
  assert.deepEqual(
    a.boxes.map((x) => [x.classIndex, x.box]),
    [
      [2, [10, 20, 40, 60]],
      [1, [0.5, 0, 10.75, 10]],
    ],
  );
  // The line of each annotation in the pretty-printed JSON.
  const lines = train.split('\n');
  assert.match(lines[(a.boxes[0].source.line as number) - 1], /^\s*\{/);
  assert.match(lines[a.boxes[0].source.line as number], /"id": 1/);
  assert.deepEqual(b.boxes, []);
  assert.deepEqual(c.boxes[0].box, [1, 2, 11, 14]);
  assert.equal(c.boxes[0].source.line, 7, 'formatCocoJson writes one annotation a line');
  assert.deepEqual(
    set.findings.filter((f) => f.kind !== 'class-imbalance'),
    [],
  );
});

test('COCO mistakes: unknown category, unknown image_id, a file_name that leaves the root or is missing, bad bbox, size mismatch', () => {
  const text = [
    '{"images": [',
    '  {"id": 1, "file_name": "a.png", "width": 80, "height": 100},',
    '  {"id": 2, "file_name": "../../etc/passwd"},',
    '  {"id": 3, "file_name": "nowhere.png"}',
    '], "annotations": [',
    '  {"id": 10, "image_id": 1, "category_id": 5, "bbox": [1, 1, 5, 5]},',
    '  {"id": 11, "image_id": 99, "category_id": 1, "bbox": [1, 1, 5, 5]},',
    '  {"id": 12, "image_id": 1, "category_id": 1, "bbox": [1, 1, "5"]},',
    '  {"id": 13, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}',
    '], "categories": [{"id": 1, "name": "x"}]}',
  ].join('\n');
  const set = buildCocoSet({
    images: IMAGES,
    imagePaths: PATHS,
    files: [{ path: 'instances_train.json', text }],
  });
  const got = set.findings.map((f) => [f.kind, f.line, f.severity]);
  assert.deepEqual(got, [
    ['unknown-class', 6, 'error'],
    ['malformed-line', 8, 'error'],
    ['malformed-line', 2, 'warning'],
    ['label-without-image', 3, 'warning'],
    ['label-without-image', 4, 'warning'],
    ['label-without-image', 7, 'warning'],
    ['image-without-label', undefined, 'info'],
    ['image-without-label', undefined, 'info'],
  ]);
  const messages = set.findings.map((f) => f.message).join('\n');
  assert.match(messages, /annotation id 10: category_id 5 is not one of the 1 classes/);
  assert.match(messages, /file_name "\.\.\/\.\.\/etc\/passwd" leaves the data set folder/);
  assert.match(messages, /80×100 but the image is 100×80/);
  const a = set.images.find((i) => i.path === 'images/train/a.png');
  assert.deepEqual(
    a?.boxes.map((b) => b.source.line),
    [9],
  );
});

test('COCO: garbage or non-COCO JSON is one finding with the line, never a throw', () => {
  const broken = buildCocoSet({
    images: [],
    imagePaths: [],
    files: [
      { path: 'instances_train.json', text: '{\n  "images": [\n    {"id": 1,,}\n  ]\n}' },
      { path: 'instances_val.json', text: '[1, 2, 3]' },
      { path: 'instances_test.json', text: null, error: '300.0 MiB, over the 128.0 MiB limit' },
    ],
  });
  assert.deepEqual(
    broken.findings.map((f) => [f.file, f.kind, f.line]),
    [
      ['instances_test.json', 'malformed-line', undefined],
      ['instances_train.json', 'malformed-line', 3],
      ['instances_val.json', 'malformed-line', 1],
    ],
  );
  assert.match(broken.findings[0].message, /over the 128\.0 MiB limit/);
  assert.deepEqual(broken.classNames, []);
});

test('element lines of top-level arrays, strings with brackets and escapes included', () => {
  const text =
    '{"x": "[\\"{", "images": [\n{"a": [1,\n2]},\n\n{"b": "}]"}],\n"annotations": [], "categories":\n[\n1,\n2]}';
  const lines = topLevelArrayElementLines(text, ['images', 'annotations', 'categories']);
  assert.deepEqual(lines.get('images'), [2, 5]);
  assert.deepEqual(lines.get('annotations'), []);
  assert.deepEqual(lines.get('categories'), [8, 9]);
  let error: unknown;
  try {
    JSON.parse('{\n\n  oops }');
  } catch (e) {
    error = e;
  }
  assert.equal(jsonErrorLine('{\n\n  oops }', error), 3);
});
