// Hostile detection sets (issue 18): label files, annotation JSON/XML and class lists crafted to crash,
// hang or exhaust the reader, or to make the scan report fail its own guard. Every case must end in
// bounded time with findings, never a thrown error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildDetectionScanReport } from '../../../src/core/detection/assemble';
import { MAX_SPLIT_FOLDERS, parseDataYaml } from '../../../src/core/detection/dataYaml';
import { buildCocoSet } from '../../../src/core/detection/coco';
import { intersectionOverUnion } from '../../../src/core/detection/boxes';
import {
  checkImageBoxes,
  DuplicateIndex,
  MAX_DETECTION_CLASSES,
  MAX_PROBLEMS_LISTED_PER_FILE,
} from '../../../src/core/detection/doctor';
import { buildVocSet } from '../../../src/core/detection/voc';
import {
  DetectionGalleryController,
  galleryInit,
} from '../../../src/host/detection/detectionGalleryController';
import { isHostToDetGallery, MAX_GALLERY_IMAGES } from '../../../src/protocol/detectionGalleryMessages';
import type { BoxCorners, DetectionSet } from '../../../src/protocol/detection';
import { isRecord } from '../../../src/protocol/guards';
import { datasetRootAccess } from '../../../src/host/dashboard/resourceRoots';
import { inspectorInit, loadDetectionResults } from '../../../src/host/detection/inspectorController';
import { annotationGroupNodes } from '../../../src/host/datasets/datasetsModel';
import {
  checkDetectionResults,
  isDetectionScanReport,
  MAX_RESULT_LABELS,
} from '../../../src/protocol/detectionGuards';
import { isHostToInspector } from '../../../src/protocol/inspectorMessages';
import {
  buildYoloSet,
  MAX_IMPLICIT_CLASSES,
  MAX_MALFORMED_LINES_PER_FILE,
} from '../../../src/core/detection/yolo';

const image = { path: 'images/a.png', width: 100, height: 100 };

function yolo(labels: string, extra: Partial<Parameters<typeof buildYoloSet>[0]> = {}) {
  return buildYoloSet({
    images: [image],
    imagePaths: [image.path],
    labels: [{ path: 'labels/a.txt', text: labels }],
    ...extra,
  });
}

test('YOLO: a label file of 200,000 malformed lines is a bounded list of findings, not a stack overflow', () => {
  const set = yolo('x\n'.repeat(200_000));
  const malformed = set.findings.filter((f) => f.kind === 'malformed-line' && f.file === 'labels/a.txt');
  assert.equal(malformed.length, MAX_MALFORMED_LINES_PER_FILE + 1);
  assert.ok(malformed.some((f) => /199900 more malformed lines/.test(f.message)));
  assert.equal(malformed.filter((f) => f.line !== undefined).length, MAX_MALFORMED_LINES_PER_FILE);
});

test('YOLO: a polygon line of 200,000 points reads as its bounding box', () => {
  const points: string[] = [];
  for (let i = 0; i < 200_000; i++) points.push(i === 7 ? '0.1 0.2' : i === 9 ? '0.9 0.8' : '0.5 0.5');
  const set = yolo(`0 ${points.join(' ')}`);
  assert.deepEqual(set.images[0].boxes[0].box, [10, 20, 90, 80]);
});

test('YOLO without a class list: a class id of 10^11 is an unknown class, not an array of 10^11 names', () => {
  const set = yolo('99999999999 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.2 0.2\n');
  assert.deepEqual(set.classNames, ['0']);
  assert.ok(set.findings.some((f) => f.kind === 'unknown-class' && f.line === 1));
  const high = yolo(`${MAX_IMPLICIT_CLASSES} 0.5 0.5 0.1 0.1\n`);
  assert.equal(high.classNames.length, 0);
});

test('YOLO without a class list: 150,000 boxes over many images name their classes without spreading', () => {
  const images = Array.from({ length: 1500 }, (_, i) => ({
    path: `images/${i}.png`,
    width: 100,
    height: 100,
  }));
  const line = (k: number): string => `${k % 3} ${(0.05 + (k % 90) * 0.01).toFixed(2)} 0.5 0.04 0.04`;
  const text = Array.from({ length: 100 }, (_, k) => line(k)).join('\n');
  const set = buildYoloSet({
    images,
    imagePaths: images.map((i) => i.path),
    labels: images.map((i) => ({ path: i.path.replace('images/', 'labels/').replace('.png', '.txt'), text })),
  });
  assert.deepEqual(set.classNames, ['0', '1', '2']);
  assert.equal(
    set.images.reduce((n, i) => n + i.boxes.length, 0),
    150_000,
  );
});

/** The report as the editor reads it back from `scan --json`. */
function reportPassesGuard(set: ReturnType<typeof buildYoloSet>): boolean {
  const report = buildDetectionScanReport({ root: '/data/set', ...set });
  return isDetectionScanReport(JSON.parse(JSON.stringify(report)));
}

test('a box whose coordinates overflow to Infinity is a malformed line, not a null in the report', () => {
  for (const line of ['0 1e308 1e308 1e308 1e308', '0 0 0.5 1e308 0.5']) {
    const set = yolo(line);
    assert.equal(set.images[0].boxes.length, 0, line);
    const finding = set.findings.find((f) => f.file === 'labels/a.txt');
    assert.equal(finding?.kind, 'malformed-line', line);
    assert.equal(finding?.box, undefined);
    assert.ok(reportPassesGuard(set), line);
  }
  const coco = buildCocoSet({
    images: [image],
    imagePaths: [image.path],
    files: [
      {
        path: 'annotations/instances_train.json',
        text: JSON.stringify({
          images: [{ id: 1, file_name: 'a.png', width: 100, height: 100 }],
          annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1e308, 0, 1.7e308, 10] }],
          categories: [{ id: 1, name: 'a' }],
        }),
      },
    ],
  });
  assert.ok(reportPassesGuard(coco));
  assert.ok(coco.findings.some((f) => f.kind === 'malformed-line' && /too large/.test(f.message)));
});

test('class names that are empty, 5,000 characters long or used twice are renamed with a finding; the report stays readable', () => {
  const long = 'x'.repeat(5000);
  const set = yolo('0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.3 0.3\n2 0.2 0.2 0.1 0.1\n3 0.7 0.7 0.1 0.1\n', {
    yaml: { path: 'data.yaml', text: `names: ["", "${long}", dog, dog]\n` },
  });
  assert.equal(set.classNames[0], 'class 0');
  assert.ok(set.classNames[1].length <= 1024);
  assert.deepEqual(set.classNames.slice(2), ['dog', 'dog (class 3)']);
  assert.equal(set.findings.filter((f) => f.file === 'data.yaml' && f.severity === 'error').length, 3);
  assert.ok(reportPassesGuard(set));
  // COCO: a category named twice, and a file_name of 100,000 characters quoted in a message.
  const coco = buildCocoSet({
    images: [image],
    imagePaths: [image.path],
    files: [
      {
        path: 'annotations/instances_train.json',
        text: JSON.stringify({
          images: [
            { id: 1, file_name: 'a.png' },
            { id: 2, file_name: 'n'.repeat(100_000) },
          ],
          annotations: [{ id: 1, image_id: 1, category_id: 7, bbox: [10, 10, 20, 20] }],
          categories: [
            { id: 1, name: 'cat' },
            { id: 7, name: 'cat' },
          ],
        }),
      },
    ],
  });
  assert.deepEqual(coco.classNames, ['cat', 'cat (class 1)']);
  assert.equal(coco.images[0].boxes[0].classIndex, 1);
  assert.ok(reportPassesGuard(coco));
  // VOC: an object name of 5,000 characters keeps its box and its class.
  const xml = `<annotation><filename>a.png</filename><object><name>${long}</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>50</xmax><ymax>50</ymax></bndbox></object></annotation>`;
  const voc = buildVocSet({
    images: [image],
    imagePaths: [image.path],
    xmlFiles: [{ path: 'Annotations/a.xml', text: xml }],
    imageSets: [],
  });
  assert.equal(voc.images[0].boxes.length, 1);
  assert.ok(voc.classNames[0].length <= 1024);
  assert.ok(reportPassesGuard(voc));
});

test('a class list of 50,000 names keeps the first 10,000 and says so', () => {
  const names = Array.from({ length: 50_000 }, (_, i) => `c${i}`);
  const set = yolo('0 0.5 0.5 0.2 0.2\n20000 0.5 0.5 0.2 0.2\n', {
    classesFile: { path: 'classes.txt', text: names.join('\n') },
  });
  assert.equal(set.classNames.length, MAX_DETECTION_CLASSES);
  assert.ok(set.findings.some((f) => f.file === 'classes.txt' && /50000 classes/.test(f.message)));
  assert.ok(set.findings.some((f) => f.kind === 'unknown-class' && f.line === 2));
});

test('Datasets view: a report with 200,000 findings of one kind groups them without overflowing the stack', () => {
  const findings = Array.from({ length: 200_000 }, (_, i) => ({
    kind: 'image-without-label' as const,
    severity: 'info' as const,
    message: 'no labels for this image',
    file: `images/${i}.png`,
    image: `images/${i}.png`,
  }));
  const report = {
    task: 'detect' as const,
    root: '/data/set',
    format: 'yolo' as const,
    classNames: [],
    classes: [],
    splits: [],
    images: findings.length,
    backgroundImages: findings.length,
    boxes: 0,
    findings: [...findings, { ...findings[0], kind: 'malformed-line' as const, severity: 'error' as const }],
  };
  const dataset = {
    root: '/data/set',
    name: 'set',
    layout: 'class-folders' as const,
    classes: [],
    splits: [],
    total: findings.length,
    detection: { format: 'yolo' as const },
  };
  const groups = annotationGroupNodes(dataset, report);
  assert.deepEqual(
    groups.map((g) => (g.kind === 'annotationGroup' ? [g.findingKind, g.findings.length] : null)),
    [
      ['malformed-line', 1],
      ['image-without-label', 200_000],
    ],
  );
});

test('detection gallery: a set of 200,001 images and findings still opens (the first 200,000 of each, and a notice)', async () => {
  const count = MAX_GALLERY_IMAGES + 1;
  const set: DetectionSet = {
    root: '/data/set',
    format: 'yolo',
    classNames: ['a'],
    images: Array.from({ length: count }, (_, i) => ({
      path: `images/${i}.png`,
      width: 8,
      height: 8,
      boxes: [],
    })),
    findings: Array.from({ length: count }, (_, i) => ({
      kind: 'image-without-label' as const,
      severity: 'info' as const,
      message: 'no labels',
      file: `images/${i}.png`,
      image: `images/${i}.png`,
    })),
  };
  const init = galleryInit(set, { className: null, finding: null });
  assert.equal(init.images.length, MAX_GALLERY_IMAGES);
  assert.equal(init.findings.at(-1)?.image, MAX_GALLERY_IMAGES - 1);
  assert.ok(isHostToDetGallery({ type: 'detGalleryInit', init }), 'the webview accepts the init');
  const posted: unknown[] = [];
  const controller = new DetectionGalleryController(
    '/data/set',
    { className: null, finding: null },
    {
      post: (m) => posted.push(m),
      readSet: async () => set,
      picture: async () => '',
      openTextAt: async () => {},
      openFile: async () => {},
      fs: {
        realpath: async (p) => p,
        stat: async () => ({ isFile: () => true, isDirectory: () => false }),
        lstat: async () => ({ isFile: () => true, isDirectory: () => false }),
        rename: async () => {},
      },
      log: () => {},
    },
  );
  await controller.handle({ type: 'ready' });
  assert.ok(posted.every((m) => isHostToDetGallery(m)));
  assert.ok(
    posted.some(
      (m) =>
        isRecord(m) && m.type === 'detGalleryNotice' && /200,000 of 200,001 images/.test(String(m.message)),
    ),
  );
});

test('inspector: a run.json that names / or the home folder as its data set opens none of detections.json', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'hostile-inspector-'));
  try {
    const home = path.join(work, 'home');
    const workspace = path.join(home, 'project');
    const runDir = path.join(workspace, 'runs', 'r1');
    mkdirSync(runDir, { recursive: true });
    const policy = { workspaceFolders: [workspace], configuredRoots: [], homeDir: home };
    const refuse = async (root: string): Promise<string | null> => {
      const access = await datasetRootAccess(root, policy);
      return access.ok ? null : access.reason;
    };
    // The crafted run claims the home folder (holding the user's files) as its data set root.
    writeFileSync(
      path.join(runDir, 'detections.json'),
      JSON.stringify({
        task: 'detect',
        root: home,
        source: 'val',
        confidenceFloor: 0.05,
        images: [{ path: 'secret.png', width: 8, height: 8, truth: [], predicted: [] }],
      }),
    );
    for (const claimed of [home, '/', path.join(work, 'elsewhere')]) {
      mkdirSync(path.join(work, 'elsewhere'), { recursive: true });
      const loaded = await loadDetectionResults(runDir, claimed, refuse);
      assert.equal(loaded.ok, false, claimed);
      if (!loaded.ok) assert.match(loaded.problem, /data set folder is not opened/);
    }
    // A data set inside the workspace is opened as before.
    const dataset = path.join(workspace, 'data');
    mkdirSync(dataset);
    writeFileSync(
      path.join(runDir, 'detections.json'),
      JSON.stringify({ task: 'detect', root: dataset, source: 'val', confidenceFloor: 0.05, images: [] }),
    );
    assert.equal((await loadDetectionResults(runDir, dataset, refuse)).ok, true);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('data.yaml: a train list of 200,000 folders is cut to the first 100 (matching images to folders stays linear)', () => {
  const folders = Array.from({ length: 200_000 }, (_, i) => `f${i}`);
  const parsed = parseDataYaml(`train: [${folders.join(', ')}, f0]\nnames: [a]\n`);
  assert.equal(parsed.yaml.train?.length, MAX_SPLIT_FOLDERS);
  assert.match(parsed.problems[0].message, /train lists 200000 folders; only the first 100/);
  const images = Array.from({ length: 20 }, (_, i) => ({ path: `f1/images/${i}.png`, width: 8, height: 8 }));
  const set = buildYoloSet({
    images,
    imagePaths: images.map((i) => i.path),
    labels: [],
    yaml: { path: 'data.yaml', text: `train: [${folders.join(', ')}]\nnames: [a]\n` },
  });
  assert.ok(set.images.every((i) => i.split === 'train'));
  assert.ok(set.findings.some((f) => f.file === 'data.yaml' && /only the first 100/.test(f.message)));
});

test('COCO: 300,000 bad annotations and image entries are 100 findings each and a count, not 600,000 findings', () => {
  const text = JSON.stringify({
    images: [
      { id: 1, file_name: 'a.png' },
      ...Array.from({ length: 300_000 }, (_, i) => ({ id: i + 2, file_name: `missing/${i}.png` })),
    ],
    annotations: new Array<number>(300_000).fill(0),
    categories: [{ id: 1, name: 'a' }],
  });
  const set = buildCocoSet({
    images: [image],
    imagePaths: [image.path],
    files: [{ path: 'annotations/instances_train.json', text }],
  });
  const ofKind = (kind: string) =>
    set.findings.filter((f) => f.kind === kind && f.file === 'annotations/instances_train.json');
  assert.equal(ofKind('malformed-line').length, MAX_PROBLEMS_LISTED_PER_FILE + 1);
  assert.equal(ofKind('label-without-image').length, MAX_PROBLEMS_LISTED_PER_FILE + 1);
  assert.ok(ofKind('malformed-line').some((f) => /299900 more problems/.test(f.message)));
  assert.ok(reportPassesGuard(set));
});

test('VOC: an annotation of 200,000 empty objects is 100 findings and a count', () => {
  const xml = `<annotation><filename>a.png</filename>${'<object/>'.repeat(200_000)}</annotation>`;
  const voc = buildVocSet({
    images: [image],
    imagePaths: [image.path],
    xmlFiles: [{ path: 'Annotations/a.xml', text: xml }],
    imageSets: [],
  });
  const malformed = voc.findings.filter((f) => f.kind === 'malformed-line' && f.file === 'Annotations/a.xml');
  assert.equal(malformed.length, MAX_PROBLEMS_LISTED_PER_FILE + 1);
  assert.ok(malformed.some((f) => /199900 more problems/.test(f.message)));
});

test('detections.json with 10,001 distinct labels is damaged (the inspector page would refuse its init)', () => {
  const file = (labels: number) => ({
    task: 'detect',
    root: '/data/set',
    source: 'val',
    confidenceFloor: 0.05,
    images: Array.from({ length: labels }, (_, i) => ({
      path: `images/${i}.png`,
      width: 8,
      height: 8,
      truth: [{ label: `l${i}`, box: [0, 0, 4, 4] }],
      predicted: [],
    })),
  });
  const tooMany = checkDetectionResults(file(MAX_RESULT_LABELS + 1));
  assert.equal(tooMany.ok, false);
  if (!tooMany.ok) assert.match(tooMany.problem, /at most 10000 distinct labels/);
  const fits = checkDetectionResults(file(MAX_RESULT_LABELS));
  assert.ok(fits.ok);
  if (fits.ok)
    assert.ok(
      isHostToInspector({ type: 'inspectorInit', init: inspectorInit('r1', fits.value, 384), problem: null }),
    );
});

test('duplicate check: the indexed search names the same earlier box as comparing every pair', () => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let round = 0; round < 20; round++) {
    // Clusters of near-copies at many sizes (jitter up to 6% of a side), so that many pairs sit on either
    // side of the 0.9 threshold.
    const bases = Array.from({ length: 30 }, () => {
      const w = 2 + random() * (round % 2 === 0 ? 30 : 300);
      return [random() * 600, random() * 600, w, w * (0.5 + random())];
    });
    const candidates = Array.from({ length: 400 }, (_, i) => {
      const [x, y, w, h] = bases[Math.floor(random() * bases.length)];
      const jitter = (side: number): number => (random() - 0.5) * 0.12 * side;
      const box: [number, number, number, number] = [
        x + jitter(w),
        y + jitter(h),
        x + w + jitter(w),
        y + h + jitter(h),
      ];
      return { classIndex: i % 2, classLabel: '', box, source: { file: 'l.txt', line: i + 1 } };
    });
    const { findings, boxes } = checkImageBoxes({ path: 'a.png', width: 1000, height: 1000 }, candidates, [
      'a',
      'b',
    ]);
    const expected = new Map<number, number>();
    boxes.forEach((b, i) => {
      const first = boxes.findIndex(
        (p, j) => j < i && p.classIndex === b.classIndex && intersectionOverUnion(p.box, b.box) >= 0.9,
      );
      if (first >= 0) expected.set(b.source.line as number, boxes[first].source.line as number);
    });
    const found = new Map<number, number>();
    for (const f of findings.filter((f) => f.kind === 'duplicate-box'))
      found.set(f.line as number, Number(/l\.txt:(\d+)/.exec(f.message)?.[1]));
    assert.ok(expected.size > 10, `round ${round} has duplicates to find (${expected.size})`);
    assert.deepEqual(found, expected, `round ${round}`);
  }
});

test('duplicate check: 5,000 boxes of one class in a grid compare each box with its neighbours only', () => {
  let comparisons = 0;
  const index = new DuplicateIndex(0.9, (a, b) => {
    comparisons++;
    return intersectionOverUnion(a, b);
  });
  const boxes: { box: BoxCorners }[] = [];
  let duplicates = 0;
  for (let i = 0; i < 5000; i++) {
    const x = (i % 100) * 10;
    const y = Math.floor(i / 100) * 10;
    const box: BoxCorners = [x, y, x + 8, y + 8];
    if (index.firstMatch(0, box, boxes) >= 0) duplicates++;
    index.add(boxes.length, 0, box);
    boxes.push({ box });
  }
  assert.equal(duplicates, 0);
  // Pairwise: 12.5 million IoUs; the index looks at a few neighbours per box.
  assert.ok(comparisons < 20 * boxes.length, `${comparisons} IoUs`);
  // A copy of box 1234 is found, and it is that box.
  const copy: BoxCorners = [...boxes[1234].box];
  assert.equal(index.firstMatch(0, copy, boxes), 1234);
  assert.equal(index.firstMatch(1, copy, boxes), -1);
});

test('a set over its box budget stops reading boxes, with one finding naming the first file left out', () => {
  const images = Array.from({ length: 30 }, (_, i) => ({
    path: `images/${String(i).padStart(2, '0')}.png`,
    width: 100,
    height: 100,
  }));
  const text = Array.from({ length: 10 }, (_, k) => `0 ${0.05 + k * 0.09} 0.5 0.05 0.05`).join('\n');
  const set = buildYoloSet({
    images,
    imagePaths: images.map((i) => i.path),
    labels: images.map((i) => ({ path: i.path.replace('images/', 'labels/').replace('.png', '.txt'), text })),
    maxBoxes: 95,
  });
  assert.equal(
    set.images.reduce((n, i) => n + i.boxes.length, 0),
    100,
  );
  const over = set.findings.filter((f) => /more than 95 boxes/.test(f.message));
  assert.equal(over.length, 1);
  assert.equal(over[0].file, 'labels/10.txt');
  assert.match(over[0].message, /and of 19 more files or entries/);
  // COCO: annotations past the budget are not read.
  const coco = buildCocoSet({
    images: [image],
    imagePaths: [image.path],
    files: [
      {
        path: 'annotations/instances_train.json',
        text: JSON.stringify({
          images: [{ id: 1, file_name: 'a.png' }],
          annotations: Array.from({ length: 8 }, (_, k) => ({
            id: k + 1,
            image_id: 1,
            category_id: 1,
            bbox: [k * 10, 0, 8, 8],
          })),
          categories: [{ id: 1, name: 'a' }],
        }),
      },
    ],
    maxBoxes: 5,
  });
  assert.equal(coco.images[0].boxes.length, 5);
  assert.ok(coco.findings.some((f) => /more than 5 boxes.*and of 2 more/.test(f.message)));
  // VOC: the objects of the XML files past the budget are not read.
  const xml = (name: string) =>
    `<annotation><filename>${name}</filename>${'<object><name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>'.repeat(3)}</annotation>`;
  const vocImages = ['a.png', 'b.png', 'c.png'].map((p) => ({
    path: `JPEGImages/${p}`,
    width: 20,
    height: 20,
  }));
  const voc = buildVocSet({
    images: vocImages,
    imagePaths: vocImages.map((i) => i.path),
    xmlFiles: ['a', 'b', 'c'].map((n) => ({ path: `Annotations/${n}.xml`, text: xml(`${n}.png`) })),
    imageSets: [],
    maxBoxes: 3,
  });
  assert.deepEqual(
    voc.images.map((i) => i.boxes.length),
    [3, 0, 0],
  );
  assert.ok(voc.findings.some((f) => f.file === 'Annotations/b.xml' && /more than 3 boxes/.test(f.message)));
});
