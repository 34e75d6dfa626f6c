// Screenshots of the detection gallery (grid, and a finding opened large) and the predictions inspector
// (overlaid, and side by side on false positives) in headless Chromium under the panels' CSP, on the
// procedural detection sample with one box pushed out of its image:
//   node esbuild.js && node --import tsx test/webview/detectionScreenshot.ts [OUT_DIR]
// Writes detection-*.png (default OUT_DIR: artifacts/detection) and prints any CSP violation, which should
// be none. The predictions are the truth moved a little, one extra box per image and one box left out.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BoxCorners, DetectionResultsFile } from '../../src/protocol/detection';
import { galleryInit } from '../../src/host/detection/detectionGalleryController';
import { inspectorInit, INSPECTOR_PICTURE_SIZE } from '../../src/host/detection/inspectorController';
import { ThumbnailCache } from '../../src/host/gallery/thumbnailCache';
import { readDetectionSet } from '../../src/trainer/detect/detectionSet';
import { writeDetectionSample } from '../../src/trainer/detect/detectionSample';
import { openDashboardPage } from './browserHarness';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'artifacts/detection');
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'detection-screenshot-'));
  try {
    const root = path.join(work, 'shapes');
    await writeDetectionSample(root, { format: 'yolo', images: 8, size: 128, seed: 1 });
    const labels = path.join(root, 'labels', 'train');
    appendFileSync(path.join(labels, readdirSync(labels).sort()[0]), '0 0.99 0.5 0.2 0.2\n');
    const set = await readDetectionSet(root);
    const picture = (size: number) => {
      const cache = new ThumbnailCache(path.join(work, 'pictures'), size, 'pad');
      return async (rel: string) => pathToFileURL(await cache.thumbnailFile(path.join(root, rel))).href;
    };
    const violations: string[] = [];

    const gallery = await openDashboardPage({ width: 1300, height: 900 }, 'detection-gallery');
    const init = galleryInit(set, { className: null, finding: null });
    await gallery.send({ type: 'detGalleryInit', init });
    const thumb = picture(init.thumbSize);
    const thumbs = await Promise.all(
      set.images.map(async (im, index) => ({ index, thumb: await thumb(im.path) })),
    );
    await gallery.send({ type: 'detGalleryThumbs', thumbs });
    await gallery.page.screenshot({ path: path.join(out, 'detection-gallery.png') });
    const finding = init.findings.find((f) => f.image !== null);
    if (finding?.image !== null && finding?.image !== undefined) {
      await gallery.page.click(`[data-testid="det-finding"][data-finding="${finding.index}"]`);
      const uri = await picture(init.previewSize)(set.images[finding.image].path);
      await gallery.send({ type: 'detGalleryPreview', index: finding.image, uri });
      await gallery.page.screenshot({ path: path.join(out, 'detection-finding.png') });
    }
    violations.push(...(await gallery.violations()));
    await gallery.close();

    const moved = (b: BoxCorners): BoxCorners => [b[0] + 2, b[1] + 1, b[2] + 2, b[3] + 1];
    const results: DetectionResultsFile = {
      task: 'detect',
      root,
      source: 'val',
      confidenceFloor: 0.05,
      images: set.images.slice(0, 4).map((im, i) => ({
        path: im.path,
        width: im.width,
        height: im.height,
        truth: im.boxes.map((b) => ({ label: set.classNames[b.classIndex], box: b.box })),
        predicted: [
          ...im.boxes.slice(i % 2).map((b, j) => ({
            label: set.classNames[b.classIndex],
            confidence: Math.max(0.1, 0.9 - j * 0.2),
            box: moved(b.box),
          })),
          { label: set.classNames[0], confidence: 0.4, box: [4, 4, 30, 30] as BoxCorners },
        ],
      })),
    };
    const inspector = await openDashboardPage({ width: 1300, height: 900 }, 'detection-inspector');
    await inspector.send({
      type: 'inspectorInit',
      init: inspectorInit('shapes-run', results, INSPECTOR_PICTURE_SIZE),
      problem: null,
    });
    const pic = picture(INSPECTOR_PICTURE_SIZE);
    const pictures = await Promise.all(
      results.images.map(async (im, index) => ({ index, uri: await pic(im.path) })),
    );
    await inspector.send({ type: 'inspectorPictures', pictures });
    await inspector.page.screenshot({ path: path.join(out, 'detection-inspector.png') });
    await inspector.page.click('[data-testid="insp-layout"]');
    await inspector.page.click('[data-testid="insp-filter-fp"]');
    await inspector.page.screenshot({ path: path.join(out, 'detection-inspector-side-by-side.png') });
    violations.push(...(await inspector.violations()));
    await inspector.close();
    console.log(
      `screenshots in ${out}; CSP violations: ${violations.length === 0 ? 'none' : violations.join('; ')}`,
    );
    if (violations.length > 0) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
