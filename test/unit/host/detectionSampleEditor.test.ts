// The editor side against the real reader (issue 18): the procedural sample in every format is listed by
// the Datasets view as the format the reader finds, its scan report passes the view's guard, and its
// detection set becomes a gallery message the webview's guard accepts, findings tied to their images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectDatasets, detectionFormatAt } from '../../../src/host/datasets/datasetDetection';
import { galleryInit } from '../../../src/host/detection/detectionGalleryController';
import { nodeDirectoryLister } from '../../../src/host/util/fsListing';
import { isHostToDetGallery } from '../../../src/protocol/detectionGalleryMessages';
import { isDetectionScanReport } from '../../../src/protocol/detectionGuards';
import type { DetectionFormat } from '../../../src/protocol/detection';
import {
  detectDetectionFormat,
  readDetectionSet,
  scanDetectionSet,
} from '../../../src/trainer/detect/detectionSet';
import { writeDetectionSample } from '../../../src/trainer/detect/detectionSample';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-detection-sample-ui-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

for (const format of ['yolo', 'coco', 'voc'] as DetectionFormat[]) {
  test(`${format} sample: the view lists it as the reader reads it; scan and gallery pass the guards`, async () => {
    const root = path.join(work, format);
    await writeDetectionSample(root, { format, images: 6, size: 64, seed: 3 });
    assert.equal(await detectionFormatAt(nodeDirectoryLister, root), format);
    assert.equal(await detectDetectionFormat(root), format);
    const [listed] = await detectDatasets(nodeDirectoryLister, { roots: [work] }).then((all) =>
      all.filter((d) => d.root === root),
    );
    assert.equal(listed?.detection?.format, format);
    assert.equal(listed?.total, 6);
    const report = JSON.parse(JSON.stringify(await scanDetectionSet(root))) as unknown;
    assert.ok(isDetectionScanReport(report), 'the scan report passes the view’s guard');
    const init = galleryInit(await readDetectionSet(root), { className: null, finding: null });
    assert.equal(init.images.length, 6);
    assert.ok(init.images.some((image) => image.boxes.length > 0));
    assert.ok(isHostToDetGallery({ type: 'detGalleryInit', init: JSON.parse(JSON.stringify(init)) }));
  });
}

test('a broken YOLO label: the finding points at its line and its image in the gallery', async () => {
  const root = path.join(work, 'broken');
  await writeDetectionSample(root, { format: 'yolo', images: 4, size: 64, seed: 5 });
  const labels = path.join(root, 'labels', 'train');
  const file = readdirSync(labels).find((f) => f.endsWith('.txt')) as string;
  // A box that reaches past the right edge, and a line that is not a box.
  appendFileSync(path.join(labels, file), '0 0.95 0.5 0.3 0.2\nnot a box\n');
  const set = await readDetectionSet(root);
  const init = galleryInit(set, { className: null, finding: null });
  const labelFile = `labels/train/${file}`;
  const ours = init.findings.filter((f) => f.location.startsWith(`${labelFile}:`));
  assert.ok(ours.length >= 2, JSON.stringify(init.findings));
  const image = init.images.findIndex((i) => i.path === `images/train/${file.replace(/\.txt$/, '.png')}`);
  assert.ok(image >= 0);
  for (const f of ours) assert.equal(f.image, image);
  assert.ok(ours.some((f) => f.kind === 'malformed-line'));
  assert.ok(isHostToDetGallery({ type: 'detGalleryInit', init }));
});
