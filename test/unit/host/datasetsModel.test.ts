import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DatasetsModel,
  presentDatasetNode,
  problemCount,
  type DatasetTreeNode,
} from '../../../src/host/datasets/datasetsModel';
import { COMMANDS } from '../../../src/host/ids';
import type { ScanReport } from '../../../src/protocol';
import { images, MemoryLister } from './memoryLister';

const ws = '/ws';

function model(
  files: string[],
  pageSize = 200,
  emptyDirs: string[] = [],
): { model: DatasetsModel; lister: MemoryLister } {
  const lister = new MemoryLister(files, emptyDirs);
  return { model: new DatasetsModel({ lister, options: () => ({ roots: [ws] }), pageSize }), lister };
}

function labels(nodes: DatasetTreeNode[]): string[] {
  return nodes.map((n) => presentDatasetNode(n).label);
}

test('data set → classes with counts → images, and the doctor item first', async () => {
  const { model: m } = model([...images(`${ws}/shapes/circle`, 3), ...images(`${ws}/shapes/square`, 2)]);
  const [datasetNode] = await m.getChildren();
  const p = presentDatasetNode(datasetNode);
  assert.equal(p.label, 'shapes');
  assert.equal(p.description, '5 images · 2 classes');
  assert.equal(p.contextValue, 'dataset');
  const children = await m.getChildren(datasetNode);
  assert.deepEqual(labels(children), ['Doctor', 'circle', 'square']);
  assert.deepEqual(
    children.slice(1).map((c) => presentDatasetNode(c).description),
    ['3', '2'],
  );
  const imageNodes = await m.getChildren(children[1]);
  assert.deepEqual(labels(imageNodes), ['000.png', '001.png', '002.png']);
  const image = presentDatasetNode(imageNodes[0]);
  assert.equal(image.command?.command, 'vscode.open');
  assert.deepEqual(image.command?.args, [`${ws}/shapes/circle/000.png`]);
});

test('split-folder data sets show splits, then classes', async () => {
  const { model: m } = model([
    ...images(`${ws}/d/train/a`, 2),
    ...images(`${ws}/d/train/b`, 2),
    ...images(`${ws}/d/valid/a`, 1),
  ]);
  const [datasetNode] = await m.getChildren();
  const splits = (await m.getChildren(datasetNode)).slice(1);
  assert.deepEqual(labels(splits), ['train', 'valid']);
  assert.deepEqual(labels(await m.getChildren(splits[1])), ['a']);
  assert.equal(presentDatasetNode(splits[0]).description, '4 images');
});

test('thousands of images are paged with a "Load more" item', async () => {
  const { model: m } = model([...images(`${ws}/big/a`, 450), ...images(`${ws}/big/b`, 1)], 200);
  const [datasetNode] = await m.getChildren();
  const classA = (await m.getChildren(datasetNode))[1];
  let page = await m.getChildren(classA);
  assert.equal(page.length, 201);
  const more = page[200];
  assert.equal(more.kind, 'loadMore');
  const p = presentDatasetNode(more);
  assert.equal(p.description, '250 more');
  assert.equal(p.command?.command, COMMANDS.loadMore);
  m.loadMore(p.command?.args[0] as string);
  page = await m.getChildren(classA);
  assert.equal(page.length, 401);
  m.loadMore(p.command?.args[0] as string);
  page = await m.getChildren(classA);
  assert.equal(page.length, 450);
  assert.ok(page.every((n) => n.kind === 'image'));
});

test('an image list is read once until the next refresh', async () => {
  const { model: m, lister } = model([...images(`${ws}/s/a`, 3), ...images(`${ws}/s/b`, 3)]);
  const [datasetNode] = await m.getChildren();
  const classA = (await m.getChildren(datasetNode))[1];
  await m.getChildren(classA);
  const before = lister.listed;
  await m.getChildren(classA);
  assert.equal(lister.listed, before);
  lister.add(`${ws}/s/a/zzz.png`, 'file');
  await m.refresh();
  const [fresh] = await m.getChildren();
  assert.equal(presentDatasetNode(fresh).description, '7 images · 2 classes');
  const freshA = (await m.getChildren(fresh))[1];
  assert.equal((await m.getChildren(freshA)).length, 4);
});

test('an empty class is flagged; a workspace without data sets has no nodes (the welcome view shows)', async () => {
  const { model: m } = model([...images(`${ws}/s/a`, 3), ...images(`${ws}/s/b`, 3)], 200, [`${ws}/s/c`]);
  const [datasetNode] = await m.getChildren();
  const empty = presentDatasetNode((await m.getChildren(datasetNode))[3]);
  assert.equal(empty.label, 'c');
  assert.equal(empty.icon?.id, 'warning');
  assert.equal(empty.collapsible, 'none');
  const { model: none } = model([`${ws}/readme.md`]);
  assert.deepEqual(await none.getChildren(), []);
});

const report: ScanReport = {
  root: `${ws}/s`,
  layout: 'class-folders',
  classes: [
    { name: 'a', count: 3 },
    { name: 'b', count: 2 },
  ],
  skipped: [
    { path: 'a/broken.png', reason: 'corrupt or truncated image (bad CRC)' },
    { path: 'b/zero.png', reason: 'empty file' },
  ],
  duplicates: [{ hash: 'abc', paths: ['a/x.png', 'b/x.png'], labels: ['a', 'b'], conflict: true }],
  warnings: [
    { kind: 'imbalance', message: 'a has 3x the images of b', classes: ['a', 'b'] },
    { kind: 'label-conflict', message: '1 image is in two classes' },
  ],
  total: 5,
};

test('doctor: not scanned → scanning → findings with icons, tooltips and openable files', async () => {
  const { model: m } = model([...images(`${ws}/s/a`, 3), ...images(`${ws}/s/b`, 3)]);
  const [datasetNode] = await m.getChildren();
  let doctor = presentDatasetNode((await m.getChildren(datasetNode))[0]);
  assert.equal(doctor.command?.command, COMMANDS.scanDataset);
  assert.deepEqual(doctor.command?.args, [`${ws}/s`]);

  m.setDoctor(`${ws}/s`, { state: 'scanning' });
  doctor = presentDatasetNode((await m.getChildren(datasetNode))[0]);
  assert.equal(doctor.icon?.id, 'sync~spin');

  m.setDoctor(`${ws}/s`, { state: 'done', report, scannedAt: new Date(2026, 0, 1, 9, 5) });
  const doctorNode = (await m.getChildren(datasetNode))[0];
  doctor = presentDatasetNode(doctorNode);
  assert.equal(problemCount(report), 5);
  assert.match(doctor.description ?? '', /^5 findings · scanned 09:05$/);
  const findings = await m.getChildren(doctorNode);
  const shown = findings.map(presentDatasetNode);
  assert.deepEqual(
    shown.map((f) => f.label),
    ['a has 3x the images of b', '1 image is in two classes', 'Skipped files', 'Duplicates'],
  );
  assert.deepEqual(
    shown.map((f) => f.icon?.id),
    ['graph', 'error', 'warning', 'copy'],
  );
  assert.match(shown[0].tooltip ?? '', /imbalance/);

  const skipped = await m.getChildren(findings[2]);
  const broken = presentDatasetNode(skipped[0]);
  assert.equal(broken.description, 'corrupt or truncated image (bad CRC)');
  assert.equal(broken.resourcePath, `${ws}/s/a/broken.png`);
  assert.equal(broken.command?.command, 'vscode.open');

  const [dup] = await m.getChildren(findings[3]);
  const dupPresented = presentDatasetNode(dup);
  assert.match(dupPresented.description ?? '', /label conflict: a vs b/);
  assert.deepEqual(labels(await m.getChildren(dup)), ['a/x.png', 'b/x.png']);
});

test('doctor: a clean report says so; a failed scan offers a retry', async () => {
  const { model: m } = model([...images(`${ws}/s/a`, 3), ...images(`${ws}/s/b`, 3)]);
  const [datasetNode] = await m.getChildren();
  m.setDoctor(`${ws}/s`, {
    state: 'done',
    report: { ...report, skipped: [], duplicates: [], warnings: [] },
    scannedAt: new Date(),
  });
  const doctorNode = (await m.getChildren(datasetNode))[0];
  assert.equal(presentDatasetNode(doctorNode).icon?.id, 'pass');
  assert.deepEqual(labels(await m.getChildren(doctorNode)), ['No problems found']);
  m.setDoctor(`${ws}/s`, { state: 'failed', message: 'sharp missing' });
  const failed = presentDatasetNode((await m.getChildren(datasetNode))[0]);
  assert.equal(failed.command?.command, COMMANDS.scanDataset);
  assert.match(failed.tooltip ?? '', /sharp missing/);
});
