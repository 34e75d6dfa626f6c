// The e2e step of object detection (issue 18): a YOLO set in the Datasets view with the doctor's findings,
// its gallery with boxes, and a detection run's dashboard with mAP — each checked against what is on disk.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { DetectionEvaluation, DetectionResultsFile } from '../../src/protocol/detection';
import { runToEnd } from './processes';
import { listRunDirs } from './runFiles';
import {
  clearNotifications,
  expandPane,
  openViewContainer,
  treeRowTexts,
  treeRows,
  waitUntil,
  webviewShowing,
  LONG,
} from './workbench';

/** The detection set's folder in the e2e workspace. */
export const DETECTION_FOLDER = 'boxes';

/** What the workspace's detection set holds, as written, for the checks. */
export interface DetectionFixture {
  root: string;
  /** The label file given two broken lines, relative to the root. */
  brokenLabel: string;
  /** 1-based lines of the broken label file: an unknown class id, then a malformed line. */
  unknownClassLine: number;
  malformedLine: number;
}

/**
 * Writes the procedural detection set in YOLO form with the built CLI, then breaks one label file the way
 * people do: a class id beyond data.yaml's names and a line with too few numbers.
 */
export function writeDetectionSet(repo: string, workspace: string): DetectionFixture {
  const root = join(workspace, DETECTION_FOLDER);
  const result = runToEnd(
    process.execPath,
    [join(repo, 'dist', 'cli.js'), 'sample', root, '--task', 'detect', '--images', '60', '--size', '96'],
    repo,
  );
  if (result.status !== 0)
    throw new Error(`image-trainer sample --task detect failed: ${(result.stderr || result.stdout).trim()}`);
  const labelsDir = join(root, 'labels', 'train');
  const first = readdirSync(labelsDir)
    .filter((n) => n.endsWith('.txt'))
    .sort()[0];
  assert.ok(first, `no label file in ${labelsDir}`);
  const file = join(labelsDir, first);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '').length;
  appendFileSync(file, `${text.endsWith('\n') ? '' : '\n'}9 0.5 0.5 0.2 0.2\n0 0.5 0.5\n`);
  return {
    root,
    brokenLabel: `labels/train/${first}`,
    unknownClassLine: lines + 1,
    malformedLine: lines + 2,
  };
}

async function waitForRows(pane: Locator, what: string, has: (rows: string[]) => boolean): Promise<string[]> {
  let rows: string[] = [];
  await waitUntil(
    async () => {
      rows = await treeRowTexts(pane);
      return has(rows);
    },
    what,
    LONG,
  );
  return rows;
}

export interface DetectionStepContext {
  repo: string;
  page: Page;
  workspace: string;
  fixture: DetectionFixture;
  say: (line: string) => void;
  artifact: (name: string) => string;
}

export async function detectionStep(ctx: DetectionStepContext): Promise<void> {
  const { page, say, fixture } = ctx;
  // 1. The Datasets view lists the set as a detection set; its Doctor scans and shows the broken lines.
  await openViewContainer(page, 'Image Trainer');
  const pane = await expandPane(page, 'Datasets');
  const setRow = treeRows(pane)
    .filter({ hasText: DETECTION_FOLDER })
    .filter({ hasText: 'detection' })
    .first();
  await setRow.waitFor({ state: 'visible', timeout: LONG });
  say(`  data set row: ${(await setRow.getAttribute('aria-label')) ?? (await setRow.innerText())}`);
  if ((await setRow.getAttribute('aria-expanded')) === 'false') await setRow.click();
  const doctor = treeRows(pane).filter({ hasText: 'Doctor' }).filter({ hasText: /scan/ }).first();
  await doctor.waitFor({ state: 'visible', timeout: LONG });
  await doctor.locator('.label-name').first().click();
  // Scanned, the Doctor says how many findings it has; its groups are inside it.
  const scanned = treeRows(pane)
    .filter({ hasText: 'Doctor' })
    .filter({ hasText: /finding/ })
    .first();
  await scanned.waitFor({ state: 'visible', timeout: LONG });
  if ((await scanned.getAttribute('aria-expanded')) === 'false') await scanned.click();
  const unknownAt = `${fixture.brokenLabel}:${fixture.unknownClassLine}`;
  const malformedAt = `${fixture.brokenLabel}:${fixture.malformedLine}`;
  // Groups come folded: open the two the broken lines belong to.
  for (const title of ['Unknown class ids', 'Malformed lines']) {
    const group = treeRows(pane).filter({ hasText: title }).first();
    await group.waitFor({ state: 'visible', timeout: LONG });
    if ((await group.getAttribute('aria-expanded')) === 'false') await group.click();
  }
  const rows = await waitForRows(pane, `findings at ${unknownAt} and ${malformedAt}`, (all) =>
    [unknownAt, malformedAt].every((at) => all.some((r) => r.includes(at))),
  );
  say(`  findings: ${rows.filter((r) => r.includes(fixture.brokenLabel)).join(' / ')}`);
  const setText = (await setRow.getAttribute('aria-label')) ?? '';
  // 2. Clicking a finding opens the label file at its line.
  await treeRows(pane).filter({ hasText: unknownAt }).first().locator('.label-name').first().click();
  const tab = page.locator('.tabs-container .tab', { hasText: basename(fixture.brokenLabel) });
  await tab.waitFor({ state: 'visible', timeout: 30_000 });
  const cursor = page.locator('.statusbar-item', { hasText: /Ln \d+/ }).first();
  await waitUntil(
    async () => (await cursor.innerText()).includes(`Ln ${fixture.unknownClassLine},`),
    `the cursor on line ${fixture.unknownClassLine} of ${fixture.brokenLabel}`,
  );
  say(
    `  opened ${basename(fixture.brokenLabel)} at "${(await cursor.innerText()).trim()}" (set row: ${setText})`,
  );
  await detectionGallery(ctx);
  await detectionRun(ctx);
}

/** The gallery of the set: tiles with loaded thumbnails and as many drawn boxes as the label files hold. */
async function detectionGallery(ctx: DetectionStepContext): Promise<void> {
  const { page, say } = ctx;
  const pane = await expandPane(page, 'Datasets');
  // Clicking a class opens the gallery filtered to it.
  const classRow = treeRows(pane).filter({ hasText: 'circle' }).filter({ hasText: /boxes/ }).first();
  await classRow.waitFor({ state: 'visible', timeout: LONG });
  const classText = (await classRow.innerText()).replace(/\s+/g, ' ');
  await classRow.locator('.label-name').first().click();
  const gallery = await webviewShowing(page, '[data-testid="det-grid"]');
  const tiles = gallery.locator('[data-testid="det-tile"]');
  await tiles.first().waitFor({ state: 'visible', timeout: LONG });
  const boxes = gallery.locator('[data-testid="det-box"]');
  await waitUntil(async () => (await boxes.count()) > 0, 'boxes drawn over the thumbnails', LONG);
  const expected = Number(/(\d+) box/.exec(classText)?.[1] ?? NaN);
  const drawnCircles = await gallery.locator('[data-testid="det-box"][data-class="0"]').count();
  say(
    `  gallery of "${classText.trim()}": ${await tiles.count()} tiles, ${await boxes.count()} boxes drawn, ${drawnCircles} of class 0`,
  );
  assert.ok(drawnCircles > 0, 'circle boxes are drawn');
  if (Number.isFinite(expected) && (await gallery.locator('[data-testid="det-show-more"]').count()) === 0)
    assert.equal(drawnCircles, expected, 'every circle box of the set is drawn once');
  // A finding opens the image large with the offending box highlighted.
  const finding = gallery.locator('[data-testid="det-finding"]').first();
  if ((await finding.count()) > 0) {
    await finding.click();
    await gallery.locator('[data-testid="det-preview"]').waitFor({ state: 'visible', timeout: 30_000 });
    say(
      `  finding opened large: ${(
        await gallery
          .locator('[data-testid="det-preview-finding"]')
          .innerText()
          .catch(() => '')
      ).trim()}`,
    );
  }
  await page.screenshot({ path: ctx.artifact('detection-gallery.png') }).catch(() => undefined);
}

/** A detection run trained from the terminal: its dashboard shows evaluation.json's mAP, and its predictions. */
async function detectionRun(ctx: DetectionStepContext): Promise<void> {
  const { page, say, fixture } = ctx;
  const before = new Set(listRunDirs(ctx.workspace));
  const trained = runToEnd(
    process.execPath,
    [join(ctx.repo, 'dist', 'cli.js'), 'train', fixture.root, '--epochs', '6', '--json'],
    ctx.workspace,
  );
  assert.equal(
    trained.status,
    0,
    `image-trainer train (detection) failed: ${trained.stderr.trim().split('\n').at(-1)}`,
  );
  const runDir = listRunDirs(ctx.workspace).find((d) => !before.has(d));
  assert.ok(runDir, 'the detection run wrote a run directory');
  const runId = basename(runDir);
  const evaluation = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8')) as DetectionEvaluation;
  assert.equal(evaluation.task, 'detect');
  say(`  run ${runId}: map50 ${evaluation.map50.toFixed(3)}, map50_95 ${evaluation.map50_95.toFixed(3)}`);
  await openViewContainer(page, 'Image Trainer');
  const pane = await expandPane(page, 'Runs');
  const row = treeRows(pane).filter({ hasText: runId }).first();
  await row.waitFor({ state: 'visible', timeout: LONG });
  await row.click();
  const view = await webviewShowing(page, '[data-testid="detection-map50"]');
  const shown = view.locator('[data-testid="detection-map50"]');
  await waitUntil(
    async () => (await shown.innerText()).includes(evaluation.map50.toFixed(3)),
    `the dashboard to show mAP@0.5 ${evaluation.map50.toFixed(3)}`,
  );
  const rowsShown = await view.locator('[data-testid="detection-class-table"] tr[data-label]').count();
  assert.equal(rowsShown, evaluation.labels.length, 'one AP row per class');
  const cells = view.locator('[data-testid="detection-confusion"] td[data-row]');
  const n = evaluation.labels.length + 1;
  assert.equal(await cells.count(), n * n, `the detection matrix is ${n}×${n} with background`);
  say(
    `  dashboard: mAP@0.5 "${(await shown.innerText()).trim()}", ${rowsShown} class rows, ${n}×${n} matrix`,
  );
  await page.screenshot({ path: ctx.artifact('detection-dashboard.png') }).catch(() => undefined);
  // Predictions beside ground truth, one click away.
  await view.locator('[data-testid="inspect-predictions"]').click();
  const inspector = await webviewShowing(page, '[data-testid="insp-images"]');
  const images = inspector.locator('[data-testid="insp-image"]');
  await images.first().waitFor({ state: 'visible', timeout: LONG });
  // Every ground-truth box of the shown images is drawn: matched (solid) or missed.
  const results = JSON.parse(readFileSync(join(runDir, 'detections.json'), 'utf8')) as DetectionResultsFile;
  const shownImages = await images.count();
  const expectedTruth = results.images
    .slice(0, shownImages)
    .reduce((sum, image) => sum + image.truth.length, 0);
  const matched = await inspector.locator('[data-testid="insp-truth"]').count();
  const missed = await inspector.locator('[data-testid="insp-miss"]').count();
  const predicted = await inspector.locator('[data-testid="insp-prediction"]').count();
  say(
    `  inspector: ${shownImages} of ${results.images.length} images, ${matched} matched and ${missed} missed truth boxes (detections.json: ${expectedTruth}), ${predicted} predictions at the default confidence`,
  );
  assert.ok(shownImages > 0, 'the inspector shows images');
  assert.equal(matched + missed, expectedTruth, 'every ground-truth box of the shown images is drawn');
  await page.screenshot({ path: ctx.artifact('detection-inspector.png') }).catch(() => undefined);
  await clearNotifications(page);
}
