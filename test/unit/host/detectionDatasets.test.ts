// Object-detection sets in the Datasets view (issue 18): recognised from names alone, shown with their
// format, box counts per class once scanned, and the annotation doctor's findings with file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDatasets, detectionFormatAt } from '../../../src/host/datasets/datasetDetection';
import {
  DatasetsModel,
  formDatasetOf,
  presentDatasetNode,
  problemCount,
  type DatasetTreeNode,
} from '../../../src/host/datasets/datasetsModel';
import { COMMANDS } from '../../../src/host/ids';
import { detectionScanReport } from '../../fixtures/detectionReports';
import { images, MemoryLister } from './memoryLister';

const ws = '/ws';

const yoloSplit = [
  `${ws}/det/data.yaml`,
  ...images(`${ws}/det/images/train`, 4),
  ...images(`${ws}/det/images/val`, 2),
  `${ws}/det/labels/train/000.txt`,
];

test('YOLO, COCO and VOC layouts are recognised; a class-folder set and a plain folder are not', async () => {
  const cases: [string[], string | null][] = [
    [yoloSplit, 'yolo'],
    [[...images(`${ws}/det/images`, 2), `${ws}/det/labels/000.txt`], 'yolo'],
    [
      [
        ...images(`${ws}/det/train/images`, 2),
        `${ws}/det/train/labels/000.txt`,
        `${ws}/det/valid/labels/x.txt`,
      ],
      'yolo',
    ],
    [[...images(`${ws}/det/images`, 2), `${ws}/det/annotations/instances_train.json`], 'coco'],
    [[...images(`${ws}/det/train`, 2), `${ws}/det/train/_annotations.coco.json`], 'coco'],
    [[...images(`${ws}/det/JPEGImages`, 2, '.jpg'), `${ws}/det/Annotations/000.xml`], 'voc'],
    // COCO wins over YOLO, as in the reader.
    [[...images(`${ws}/det/images`, 2), `${ws}/det/labels/000.txt`, `${ws}/det/instances_val.json`], 'coco'],
    [[...images(`${ws}/det/cat`, 2), ...images(`${ws}/det/dog`, 2)], null],
    [[`${ws}/det/notes.xml`, `${ws}/det/readme.md`], null],
    // A stray data.yaml beside class folders leaves a classification set one (as the reader decides).
    [[`${ws}/det/data.yaml`, ...images(`${ws}/det/cat`, 2), ...images(`${ws}/det/dog`, 2)], null],
    [[`${ws}/det/data.yaml`, ...images(`${ws}/det/images`, 2)], 'yolo'],
  ];
  for (const [files, expected] of cases) {
    const lister = new MemoryLister(files);
    assert.equal(await detectionFormatAt(lister, `${ws}/det`), expected, files.join(', '));
  }
});

test('a YOLO set is one detection data set, not a class-folder set named after its splits', async () => {
  const lister = new MemoryLister([
    ...yoloSplit,
    ...images(`${ws}/animals/cat`, 2),
    ...images(`${ws}/animals/dog`, 1),
  ]);
  const found = await detectDatasets(lister, { roots: [ws] });
  assert.deepEqual(
    found.map((d) => [d.name, d.detection?.format ?? 'classify', d.total]),
    [
      ['animals', 'classify', 3],
      ['det', 'yolo', 6],
    ],
  );
});

async function detectionModel(): Promise<{ model: DatasetsModel; dataset: DatasetTreeNode }> {
  const model = new DatasetsModel({ lister: new MemoryLister(yoloSplit), options: () => ({ roots: [ws] }) });
  const [dataset] = await model.getChildren();
  return { model, dataset };
}

test('before a scan: the format and image count, the doctor and a hint that scanning counts the boxes', async () => {
  const { model, dataset } = await detectionModel();
  const p = presentDatasetNode(dataset);
  assert.equal(p.description, 'detection · YOLO · 6 images');
  assert.equal(p.contextValue, 'dataset.detect');
  const children = await model.getChildren(dataset);
  assert.deepEqual(
    children.map((c) => presentDatasetNode(c).label),
    ['Doctor', 'Boxes per class'],
  );
  const hint = presentDatasetNode(children[1]);
  assert.equal(hint.command?.command, COMMANDS.scanDataset);
  assert.deepEqual(hint.command?.args, [`${ws}/det`]);
  assert.match(presentDatasetNode(children[0]).tooltip ?? '', /label file/);
});

test('after a scan: box counts per class, findings grouped by kind (errors first), each opening its file at the line', async () => {
  const { model, dataset } = await detectionModel();
  const report = detectionScanReport(`${ws}/det`);
  model.setDoctor(`${ws}/det`, { state: 'done', report, scannedAt: new Date(2026, 0, 1, 9, 30) });
  const [doctor, ...classes] = await model.getChildren(dataset);
  const [rescanned] = await model.getChildren();
  assert.equal(
    presentDatasetNode(rescanned).description,
    'detection · YOLO · 6 images · 9 boxes · 2 classes',
  );
  assert.deepEqual(
    classes.map((c) => [presentDatasetNode(c).label, presentDatasetNode(c).description]),
    [
      ['circle', '7 boxes · 4 images'],
      ['square', '2 boxes · 2 images'],
    ],
  );
  const circle = presentDatasetNode(classes[0]);
  assert.equal(circle.command?.command, COMMANDS.openDetectionGallery);
  assert.deepEqual(circle.command?.args, [`${ws}/det`, { className: 'circle' }]);

  const doctorItem = presentDatasetNode(doctor);
  assert.equal(doctorItem.description, '3 findings · scanned 09:30');
  assert.match(doctorItem.tooltip ?? '', /6 images \(1 background\), 9 boxes/);
  assert.equal(problemCount(report), 3);

  const groups = await model.getChildren(doctor);
  assert.deepEqual(
    groups.map((g) => [presentDatasetNode(g).label, presentDatasetNode(g).description]),
    [
      ['Boxes outside the image', '1'],
      ['Malformed lines', '1'],
      ['Class imbalance', '1'],
    ],
  );
  const [outside] = await model.getChildren(groups[0]);
  const item = presentDatasetNode(outside);
  assert.equal(item.label, report.findings[0].message);
  assert.equal(item.description, 'labels/train/a.txt:2');
  assert.equal(item.contextValue, 'annotationFinding.image');
  assert.equal(item.command?.command, COMMANDS.openAnnotation);
  assert.deepEqual(item.command?.args, [`${ws}/det`, 'labels/train/a.txt', 2]);
  assert.equal(item.icon?.id, 'error');

  const [imbalance] = await model.getChildren(groups[2]);
  const imbalanceItem = presentDatasetNode(imbalance);
  assert.equal(imbalanceItem.description, 'data.yaml');
  assert.equal(imbalanceItem.contextValue, 'annotationFinding', 'no image: no Show in Gallery');
  assert.deepEqual(imbalanceItem.command?.args, [`${ws}/det`, 'data.yaml', 1]);
});

test('a clean detection scan says so; thousands of findings of one kind are paged', async () => {
  const { model, dataset } = await detectionModel();
  const report = { ...detectionScanReport(`${ws}/det`), findings: [] };
  model.setDoctor(`${ws}/det`, { state: 'done', report, scannedAt: new Date() });
  const [doctor] = await model.getChildren(dataset);
  assert.deepEqual(
    (await model.getChildren(doctor)).map((n) => presentDatasetNode(n).label),
    ['No problems found'],
  );
  const many = detectionScanReport(`${ws}/det`);
  const tiny = { ...many.findings[0], kind: 'tiny-box' as const, severity: 'info' as const };
  const paged = new DatasetsModel({
    lister: new MemoryLister(yoloSplit),
    options: () => ({ roots: [ws] }),
    pageSize: 50,
  });
  const [d] = await paged.getChildren();
  paged.setDoctor(`${ws}/det`, {
    state: 'done',
    report: { ...many, findings: Array.from({ length: 120 }, (_, i) => ({ ...tiny, line: i + 1 })) },
    scannedAt: new Date(),
  });
  const [doc] = await paged.getChildren(d);
  const [group] = await paged.getChildren(doc);
  const page = await paged.getChildren(group);
  assert.equal(page.length, 51);
  assert.equal(presentDatasetNode(page[50]).description, '70 more');
  assert.equal(presentDatasetNode(page[49]).description, 'labels/train/a.txt:50');
});

test('New Training lists a detection set as one: its format, and its classes and boxes once scanned', async () => {
  const { model } = await detectionModel();
  const [detected] = await model.all();
  const before = formDatasetOf(detected, model.doctorOf(detected.root));
  assert.deepEqual(before, {
    dir: `${ws}/det`,
    name: 'det',
    images: 6,
    classes: 0,
    detection: { format: 'yolo', scanned: null },
  });
  const report = detectionScanReport(`${ws}/det`);
  model.setDoctor(`${ws}/det`, { state: 'done', report, scannedAt: new Date(2026, 0, 1) });
  const after = formDatasetOf(detected, model.doctorOf(detected.root));
  assert.equal(after.classes, 2);
  assert.deepEqual(after.detection, { format: 'yolo', scanned: { classes: 2, boxes: report.boxes } });
  assert.equal(after.images, report.images);
  // A classification set has no detection field and counts its class folders.
  const classFolders = new DatasetsModel({
    lister: new MemoryLister([...images(`${ws}/pets/cat`, 2), ...images(`${ws}/pets/dog`, 3)]),
    options: () => ({ roots: [ws] }),
  });
  const [pets] = await classFolders.all();
  assert.deepEqual(formDatasetOf(pets, undefined), {
    dir: `${ws}/pets`,
    name: 'pets',
    images: 5,
    classes: 2,
  });
});
