import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVocSet, formatVocXml } from '../../../src/core/detection/voc';
import { parseXml, XmlError } from '../../../src/core/detection/xml';

const xml = (
  filename: string,
  objects: string,
  size = '<size><width>100</width><height>80</height></size>',
) =>
  `<?xml version="1.0"?>\n<annotation>\n  <filename>${filename}</filename>\n  ${size}\n${objects}</annotation>\n`;

const object = (name: string, box: string) =>
  `  <object>\n    <name>${name}</name>\n    <bndbox>${box}</bndbox>\n  </object>\n`;
const bnd = (x1: number, y1: number, x2: number, y2: number) =>
  `<xmin>${x1}</xmin><ymin>${y1}</ymin><xmax>${x2}</xmax><ymax>${y2}</ymax>`;

test('VOC: 1-based corners become pixel edges, classes are the sorted names, splits from ImageSets/Main', () => {
  const images = [
    { path: 'JPEGImages/000001.jpg', width: 100, height: 80 },
    { path: 'JPEGImages/000002.jpg', width: 100, height: 80 },
  ];
  const set = buildVocSet({
    images,
    imagePaths: images.map((i) => i.path),
    xmlFiles: [
      {
        path: 'Annotations/000001.xml',
        text: xml('000001.jpg', object('person', bnd(1, 1, 100, 80)) + object('dog', bnd(11, 21, 30, 40))),
      },
      { path: 'Annotations/000002.xml', text: xml('000002.jpg', object('cat', bnd(5, 5, 25, 25))) },
    ],
    imageSets: [
      { path: 'ImageSets/Main/train.txt', text: '000001\n' },
      { path: 'ImageSets/Main/val.txt', text: '000002\n' },
    ],
  });
  assert.deepEqual(set.classNames, ['cat', 'dog', 'person']);
  assert.deepEqual(
    set.images.map((i) => [i.path, i.split, i.boxes.map((b) => [b.classIndex, b.box, b.source.line])]),
    [
      [
        'JPEGImages/000001.jpg',
        'train',
        [
          [2, [0, 0, 100, 80], 5],
          [1, [10, 20, 30, 40], 9],
        ],
      ],
      ['JPEGImages/000002.jpg', 'val', [[0, [4, 4, 25, 25], 5]]],
    ],
  );
  assert.deepEqual(set.findings, []);
  // The writer's corners read back as written.
  const written = formatVocXml({ folder: 'x', filename: '000001.jpg', width: 100, height: 80 }, [
    { className: 'a&b', box: [3, 4, 50, 60] },
  ]);
  const back = buildVocSet({
    images: [images[0]],
    imagePaths: [images[0].path],
    xmlFiles: [{ path: 'Annotations/000001.xml', text: written }],
    imageSets: [],
  });
  assert.deepEqual(back.classNames, ['a&b']);
  assert.deepEqual(back.images[0].boxes[0].box, [3, 4, 50, 60]);
});

test('VOC mistakes: a DOCTYPE, broken XML, a missing image, an object without a box, a size that disagrees', () => {
  const images = [{ path: 'JPEGImages/a.jpg', width: 80, height: 100 }];
  const set = buildVocSet({
    images,
    imagePaths: images.map((i) => i.path),
    xmlFiles: [
      {
        path: 'Annotations/a.xml',
        text: xml(
          'a.jpg',
          object('cat', bnd(1, 1, 10, 10)) +
            '  <object>\n    <name>dog</name>\n  </object>\n' +
            object('cat', bnd(20, 20, 18, 30)),
        ),
      },
      {
        path: 'Annotations/bomb.xml',
        text: '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<annotation>&lol;</annotation>',
      },
      { path: 'Annotations/broken.xml', text: '<annotation>\n<object>\n</annotation>' },
      { path: 'Annotations/lost.xml', text: xml('lost.jpg', object('cat', bnd(1, 1, 5, 5))) },
    ],
    imageSets: [],
  });
  assert.deepEqual(
    set.findings.map((f) => [f.file, f.kind, f.line, f.severity]),
    [
      ['Annotations/a.xml', 'malformed-line', 9, 'error'],
      ['Annotations/a.xml', 'zero-area-box', 12, 'error'],
      ['Annotations/bomb.xml', 'malformed-line', 2, 'error'],
      ['Annotations/broken.xml', 'malformed-line', 3, 'error'],
      ['Annotations', 'class-imbalance', undefined, 'warning'],
      ['Annotations/a.xml', 'malformed-line', undefined, 'warning'],
      ['Annotations/lost.xml', 'label-without-image', 1, 'warning'],
    ],
  );
  const messages = set.findings.map((f) => f.message);
  assert.match(messages[2], /DOCTYPE/);
  assert.match(messages[4], /class "dog" has no boxes/);
  assert.match(messages[5], /<size> says 100×80 but the image is 80×100 as displayed \(EXIF orientation\)/);
  assert.deepEqual(set.classNames, ['cat', 'dog']);
  assert.equal(set.images[0].boxes.length, 1);
});

test('the XML reader: entities, CDATA, comments, attributes, lines; refuses what it should', () => {
  const root = parseXml(
    '<?xml version="1.0"?>\n<!-- c -->\n<a x="1 &gt; 0">\n  <b>&lt;&#65;&#x42;&amp;</b>\n  <c><![CDATA[<raw>]]></c><d/>\n</a>',
  );
  assert.equal(root.name, 'a');
  assert.deepEqual(root.attributes, { x: '1 > 0' });
  assert.deepEqual(
    root.children.map((c) => [c.name, c.text, c.line]),
    [
      ['b', '<AB&', 4],
      ['c', '<raw>', 5],
      ['d', '', 5],
    ],
  );
  const refuses = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseXml(text),
      (e: unknown) => e instanceof XmlError && pattern.test(e.message),
    );
  refuses('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>', /DOCTYPE/);
  refuses('<a>&xxe;</a>', /unknown entity/);
  refuses('<a><b></a>', /closes <b>/);
  refuses('<a>', /never closed/);
  refuses('<a/><b/>', /second root/);
  refuses('<a x=1/>', /quoted value/);
  refuses('<x>'.repeat(100) + '</x>'.repeat(100), /deeper than 64/);
  refuses('', /no root/);
});
