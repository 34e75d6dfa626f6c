// The user-facing steps of the e2e run, in order. Each step asserts what a user would see.
import assert from 'node:assert/strict';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Prediction, RunRecord } from '../../src/protocol';
import { runToEnd } from './processes';
import { type DetectionFixture, detectionStep } from './detectionStep';
import type { ClassCounts } from './sampleData';
import { firstImage } from './sampleData';
import type { ModelServer } from '../fixtures/modelServer';
import { shownEpochs } from './extensionLog';
import { E2E_BASE } from './pretrainedBase';
import { listRunDirs, readEvaluation, readRunRecord, runsRootOf, waitForFinishedRun } from './runFiles';
import {
  activeWebview,
  answerTrustDialog,
  clearNotifications,
  closeQuickInput,
  expandPane,
  expandTree,
  notificationTexts,
  openViewContainer,
  pickContextMenuItem,
  pickQuickItem,
  quickInput,
  quickOpen,
  quickPickLabels,
  quickPickRows,
  runCommand,
  treeRows,
  treeRowTexts,
  waitForNotification,
  waitForWorkbench,
  waitUntil,
  webviewShowing,
  LONG,
} from './workbench';

export interface E2eDirs {
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  restrictedWorkspace: string;
}

export interface E2eContext {
  repo: string;
  page: Page;
  /** Set by the train step for the later steps. */
  runDir?: string;
  /** Set by the new-training-form step: the run the rerun-queued step changes. */
  formRunId?: string;
  context: BrowserContext;
  base: string;
  dirs: E2eDirs;
  counts: ClassCounts;
  say: (line: string) => void;
  /** The stand-in model host on 127.0.0.1 that serves the pretrained base (pretrainedBase.ts). */
  modelHost: ModelServer;
  /** Waits until the extension's log satisfies `done`; returns its lines (see extensionLog.ts). */
  logLines: (what: string, done: (lines: string[]) => boolean, timeoutMs?: number) => Promise<string[]>;
  /** Path of an extra artifact file (mid-step screenshots). */
  artifact: (name: string) => string;
  /** The workspace's detection set (detectionStep.ts), when written. */
  detection?: DetectionFixture;
  /** Every URL the browser requested so far (pages, webviews, workers). */
  browserRequests: readonly string[];
}

export interface Step {
  name: string;
  run: (ctx: E2eContext) => Promise<void>;
}

const CONTAINER_TITLE = 'Image Trainer';

/** Split folders are expanded to reach their classes; class and doctor rows stay folded. */
const SPLIT_FOLDERS = /^(train|training|val|valid|validation|test|testing)\b/i;

/** Does some row say both the class name and its image count (as a whole number)? */
function rowShowsCount(rows: string[], className: string, count: number): boolean {
  const countPattern = new RegExp(`(^|\\D)${count}(\\D|$)`);
  return rows.some((r) => r.includes(className) && countPattern.test(r.replace(className, '')));
}

async function datasetsView(ctx: E2eContext): Promise<void> {
  const { page } = ctx;
  await openViewContainer(page, CONTAINER_TITLE);
  const pane = await expandPane(page, 'Datasets');
  const expected = [...ctx.counts];
  let rows: string[] = [];
  const deadline = Date.now() + LONG;
  // The scan is asynchronous: expand levels as they appear until every class shows its count.
  const allShown = (): boolean => expected.every(([c, n]) => rowShowsCount(rows, c, n));
  while (Date.now() < deadline && !allShown()) {
    // Expand one level at a time (data set, then split if any), so image lists stay folded.
    for (let depth = 1; depth <= 2 && !allShown(); depth++) {
      await expandTree(pane, depth, (level, text) => level === 1 || SPLIT_FOLDERS.test(text));
      rows = await treeRowTexts(pane);
    }
    if (!allShown()) await page.waitForTimeout(1000);
  }
  ctx.say(`  Datasets view rows: ${rows.map((r) => JSON.stringify(r)).join(', ')}`);
  for (const [className, count] of expected) {
    assert.ok(
      rowShowsCount(rows, className, count),
      `Datasets view should list class "${className}" with ${count} images`,
    );
  }
}

const DATASET_FOLDER = 'shapes';
const CONFIG_FILE = 'e2e-quick.imagetrainer.json';
const SECOND_CONFIG_FILE = 'e2e-quick-lr.imagetrainer.json';
/** Too many epochs to end by itself within the test: the stop step stops it. */
const LONG_CONFIG_FILE = 'e2e-long.imagetrainer.json';
const TRAINING_TIMEOUT = 8 * 60_000;

/**
 * Answers the Train command's pickers: the data set, then the preset or config file. Each prompt is
 * told apart by its placeholder and answered by typing into its filter (long lists are virtualised, so
 * an unfiltered row may not be in the DOM); fails listing the rows it could not answer.
 */
async function answerTrainPickers(
  page: Page,
  say: (line: string) => void,
  configFile: string,
): Promise<void> {
  // `configFile` names the model row to pick: an experiment config, or a pretrained base.
  const answered: string[] = [];
  const input = quickInput(page).locator('.quick-input-box input');
  // Prompts come until the config file is picked (data set first, unless the command already knows it).
  for (let prompt = 0; prompt < 3 && !answered.some((a) => a.includes(configFile)); prompt++) {
    await quickPickRows(page).first().waitFor({ state: 'visible', timeout: 30_000 });
    const placeholder = (await input.getAttribute('placeholder')) ?? '';
    const wanted = /preset|config|model/i.test(placeholder) ? configFile : DATASET_FOLDER;
    await input.fill(wanted);
    const row = quickPickRows(page).filter({ hasText: wanted }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 10_000 });
    } catch {
      throw new Error(
        `Train prompt "${placeholder}" offers no "${wanted}"; rows: ${JSON.stringify(await quickPickLabels(page).catch(() => []))}`,
      );
    }
    const label = (await row.getAttribute('aria-label')) ?? wanted;
    say(`  Train prompt ${prompt + 1} ("${placeholder}"): picking ${JSON.stringify(label)}`);
    answered.push(label);
    await row.click();
    // The picked prompt is gone once the quick input closes or asks something else.
    await waitUntil(
      async () =>
        !(await quickInput(page).isVisible()) || (await input.getAttribute('placeholder')) !== placeholder,
      `the Train prompt "${placeholder}" to close after the pick`,
    );
  }
  assert.ok(
    answered.some((a) => a.includes(configFile)),
    `the Train command never offered ${configFile}`,
  );
}

/** The Runs view's icon for each final state (src/host/runs/runsModel.ts STATUS_ICONS). */
const FINAL_ICONS = { completed: 'pass', stopped: 'debug-stop', failed: 'error' } as const;

/**
 * Waits, without a refresh, until the Runs view shows `runId` with the icon of its final state and
 * `expected` in its label; returns the label.
 */
async function waitForRunRow(
  page: Page,
  runId: string,
  status: keyof typeof FINAL_ICONS,
  expected: string,
): Promise<string> {
  await openViewContainer(page, CONTAINER_TITLE);
  const pane = await expandPane(page, 'Runs');
  const row = treeRows(pane).filter({ hasText: runId }).first();
  await row.locator(`.codicon-${FINAL_ICONS[status]}`).waitFor({ state: 'visible', timeout: 60_000 });
  const text = (await row.getAttribute('aria-label')) ?? (await row.innerText());
  assert.ok(text.includes(expected), `Runs view row "${text}" should show ${expected}`);
  return text;
}

/**
 * Requires that the editor showed progress for every epoch `runId` trained. The extension journals each
 * epoch it put in the status bar and the progress notification, so this holds however fast the run was.
 */
async function requireShownProgress(ctx: E2eContext, runId: string, epochs: number[]): Promise<void> {
  const lines = await ctx.logLines(`progress of run ${runId}, epochs ${epochs.join(', ')}`, (all) => {
    const shown = shownEpochs(all, runId);
    return epochs.every((e) => shown.has(e));
  });
  const shown = lines.filter((l) => l.includes(`Progress shown (run ${runId}): epoch`));
  ctx.say(
    `  progress shown for ${shown.length} epochs (the extension's log): ${shown.at(-1)?.replace(/^.*?Progress shown/, 'Progress shown') ?? ''}`,
  );
}

/**
 * Trains from the palette with `configFile`, waits for the Runs view to show the run completed, and
 * requires that progress was shown for each of its epochs; `progressShot` names a screenshot taken if a
 * look at the status bar catches the run mid-way (a picture for people, not an assertion).
 */
async function trainWith(ctx: E2eContext, configFile: string, progressShot: string): Promise<string> {
  return (await trainAndCheck(ctx, configFile, progressShot)).dir;
}

async function trainAndCheck(
  ctx: E2eContext,
  configFile: string,
  progressShot: string,
): Promise<{ dir: string; record: RunRecord }> {
  const { page, say } = ctx;
  const before = new Set(listRunDirs(ctx.dirs.workspace));
  await runCommand(page, 'Image Trainer: Train Model');
  await answerTrainPickers(page, say, configFile);
  let shot = false;
  const { dir, record } = await waitForFinishedRun(ctx.dirs.workspace, before, TRAINING_TIMEOUT, async () => {
    if (!shot) {
      const status = await page
        .locator('.part.statusbar')
        .innerText()
        .catch(() => '');
      if (/\d+\/\d+/.test(status)) {
        shot = true;
        await page.screenshot({ path: ctx.artifact(progressShot) }).catch(() => undefined);
      }
    }
    await page.waitForTimeout(200);
  });
  assert.equal(
    record.status,
    'completed',
    `run ${record.id} ended ${record.status}: ${record.error?.message ?? ''}`,
  );
  if (configFile.endsWith('.imagetrainer.json')) {
    const config = JSON.parse(readFileSync(join(ctx.dirs.workspace, configFile), 'utf8')) as {
      epochs: number;
    };
    assert.equal(
      record.config.epochs,
      config.epochs,
      `run ${record.id} should use the epochs of ${configFile}`,
    );
  }
  await requireShownProgress(
    ctx,
    record.id,
    Array.from({ length: record.config.epochs }, (_, i) => i + 1),
  );
  const epochs = `${record.epochsCompleted}/${record.config.epochs}`;
  const text = await waitForRunRow(page, record.id, 'completed', epochs);
  say(
    `  Runs view: "${text}" (run.json: ${record.status}, best val accuracy ${record.bestValAccuracy ?? 'none'})`,
  );
  return { dir, record };
}

async function train(ctx: E2eContext): Promise<void> {
  ctx.runDir = await trainWith(ctx, CONFIG_FILE, 'train-progress.png');
}

async function dashboard(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const runDir = requireRun(ctx);
  const runId = basename(runDir);
  const evaluation = readEvaluation(runDir);
  // The user's way in: click the run in the Runs view.
  const pane = await expandPane(page, 'Runs');
  const row = treeRows(pane).filter({ hasText: runId }).first();
  await row.click();
  // A click that lands while the tree re-renders (run files still settling) can miss the row: the
  // user would click again. The dashboard's own behaviour is checked strictly below.
  const tab = page.locator('.tabs-container .tab', { hasText: 'Image Trainer Dashboard' });
  if (
    !(await tab.waitFor({ state: 'visible', timeout: 30_000 }).then(
      () => true,
      () => false,
    ))
  ) {
    say('  the first click on the run opened no dashboard; clicking again');
    await row.click();
    await tab.waitFor({ state: 'visible', timeout: 30_000 });
  }
  const view = activeWebview(page);
  await view.locator('.summary', { hasText: runId }).first().waitFor({ state: 'visible', timeout: LONG });
  const lines = view.locator('figure.chart-figure svg polyline');
  await lines.first().waitFor({ state: 'attached', timeout: 30_000 });
  say(
    `  charts: ${await view.locator('figure.chart-figure').count()} figures, ${await lines.count()} series`,
  );
  const cells = view.locator('table.matrix td.cell');
  await cells.first().waitFor({ state: 'visible', timeout: 30_000 });
  const n = evaluation.labels.length;
  assert.equal(await cells.count(), n * n, `the confusion matrix should have ${n}×${n} cells`);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const shown = (await cells.and(view.locator(`[data-row="${r}"][data-col="${c}"]`)).innerText()).trim();
      assert.equal(
        shown,
        String(evaluation.confusion[r][c]),
        `matrix cell (${evaluation.labels[r]}, ${evaluation.labels[c]})`,
      );
    }
  }
  say(`  matrix matches evaluation.json: ${JSON.stringify(evaluation.confusion)}`);
  // Click the off-diagonal cell with the most mistakes (or any off-diagonal cell when there are none).
  let target = { r: 0, c: 1, count: -1 };
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (r !== c && evaluation.confusion[r][c] > target.count)
        target = { r, c, count: evaluation.confusion[r][c] };
  await cells.and(view.locator(`[data-row="${target.r}"][data-col="${target.c}"]`)).click();
  const examples = view.locator('.examples');
  if (target.count === 0) {
    await examples.locator('p.empty').waitFor({ state: 'visible', timeout: 30_000 });
    await clearNotifications(page);
    await examples.scrollIntoViewIfNeeded();
    say(
      `  clicked (${evaluation.labels[target.r]} → ${evaluation.labels[target.c]}): "${(await examples.locator('p.empty').innerText()).trim()}"`,
    );
    return;
  }
  const thumbs = examples.locator('li.example img');
  await thumbs.first().waitFor({ state: 'visible', timeout: 30_000 });
  await clearNotifications(page);
  await examples.scrollIntoViewIfNeeded();
  const recorded = evaluation.misclassified.filter(
    (m) => m.label === evaluation.labels[target.r] && m.predicted === evaluation.labels[target.c],
  ).length;
  // Images load asynchronously: wait until each has loaded (or failed: `complete` with no pixels).
  const loadState = () =>
    thumbs.evaluateAll((imgs) => {
      const all = imgs as unknown as { complete: boolean; naturalWidth: number }[];
      return { settled: all.every((i) => i.complete), loaded: all.filter((i) => i.naturalWidth > 0).length };
    });
  const settleBy = Date.now() + 30_000;
  let state = await loadState();
  while (!state.settled && Date.now() < settleBy) {
    await page.waitForTimeout(200);
    state = await loadState();
  }
  const loaded = state.loaded;
  say(
    `  clicked (${evaluation.labels[target.r]} → ${evaluation.labels[target.c]}) count ${target.count}: ${await thumbs.count()} thumbnails, ${loaded} loaded, ${recorded} recorded`,
  );
  assert.equal(await thumbs.count(), recorded, 'one thumbnail per recorded misclassified image');
  assert.equal(loaded, recorded, 'every thumbnail image loads');
}

async function classify(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const runDir = requireRun(ctx);
  const runId = basename(runDir);
  const className = [...ctx.counts.keys()][0];
  assert.ok(className, 'the sample data set has classes');
  const image = firstImage(`${ctx.dirs.workspace}/${DATASET_FOLDER}`, className);
  const name = basename(image);
  // Quick Open reveals the file in the Explorer; the Explorer's context menu carries the command.
  await openViewContainer(page, 'Explorer');
  await quickOpen(page, name);
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click({ button: 'right' });
  const how = await pickContextMenuItem(page, 'Classify Image');
  if (how === 'enter') say('  the menu swallowed the click; Enter on the highlighted item chose it');
  const answer = await waitForTopK(page, runId, [...ctx.counts.keys()]);
  say(`  answer for ${name}: ${answer}`);
  // The editor must show what the CLI answers for the same run and image.
  const cli = runToEnd(
    process.execPath,
    [join(ctx.repo, 'dist', 'cli.js'), 'predict', runDir, image, '--top', '3', '--json'],
    ctx.repo,
  );
  assert.equal(cli.status, 0, `image-trainer predict failed: ${cli.stderr}`);
  const prediction = parsePrediction(cli.stdout);
  const expected = `${prediction.label} (${(prediction.confidence * 100).toFixed(1)}%)`;
  say(`  CLI predict: ${expected}`);
  assert.ok(
    answer.includes(expected),
    `the editor's answer "${answer}" should say "${expected}" as the CLI does`,
  );
  // The panel shows the image with its top-k bars and the time taken.
  await closeQuickInput(page);
  const panel = await webviewShowing(page, 'main.classify');
  const heading = panel.locator('article.classified h2').first();
  await heading.waitFor({ state: 'visible', timeout: 30_000 });
  assert.ok((await heading.innerText()).includes(expected), `the panel says ${expected}`);
  const bars = await panel.locator('.topk li').count();
  // Classify Image asks for the top 5 (datasetCommands.ts TOP_K), or every class when there are fewer.
  assert.equal(bars, Math.min(5, ctx.counts.size), 'one bar per top-k class');
  await waitUntil(
    async () =>
      await panel
        .locator('article.classified img')
        .first()
        .evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth > 0,
        ),
    'the classified image to load in the panel',
  );
  say(
    `  panel: "${(await heading.innerText()).trim()}", ${bars} bars, "${(await panel.locator('.latency').innerText()).trim()}"`,
  );
}

/** The first prediction of `predict --json` output (a JSON array; an object with `predictions` is accepted too). */
function parsePrediction(stdout: string): Prediction {
  const parsed: unknown = JSON.parse(stdout);
  const list = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown[] } | null)?.predictions;
  const first = list?.[0] as Prediction | undefined;
  if (!first || typeof first.label !== 'string' || typeof first.confidence !== 'number')
    throw new Error(`unexpected predict output: ${stdout.slice(0, 300)}`);
  return first;
}

/**
 * Waits for the top-k answer (a quick pick or a notification naming a class with a percentage). A run
 * picker, if the command asks for one, is answered with the trained run.
 */
const PERCENT = /\d+(\.\d+)?\s*%/;

async function waitForTopK(page: Page, runId: string, classes: string[]): Promise<string> {
  const deadline = Date.now() + LONG;
  const names = new RegExp(classes.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
  while (Date.now() < deadline) {
    const texts = [...(await notificationTexts(page))];
    if (await quickInput(page).isVisible()) {
      const labels = await quickPickLabels(page).catch(() => [] as string[]);
      const title = await quickInput(page)
        .locator('.quick-input-title')
        .innerText()
        .catch(() => '');
      const answer = `${title} — ${labels.join(' / ')}`;
      if (names.test(answer) && PERCENT.test(answer)) return answer;
      // A run picker lists runs by id (an answer's rows may name the run too, but later in the row).
      if (labels.some((l) => l.startsWith(runId))) {
        await quickPickRows(page).filter({ hasText: runId }).first().click();
        continue;
      }
    }
    const hit = texts.find((t) => names.test(t) && PERCENT.test(t));
    if (hit) return hit;
    await page.waitForTimeout(500);
  }
  throw new Error(
    `no top-k answer naming a class with a percentage; notifications: ${JSON.stringify(await notificationTexts(page))}`,
  );
}

async function compare(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const first = basename(requireRun(ctx));
  const second = basename(await trainWith(ctx, SECOND_CONFIG_FILE, 'compare-progress.png'));
  const view = activeWebview(page);
  // A row redrawn at the moment of the click (the run's final state arriving) loses that click in VS Code
  // ("command not found"): a user clicks again, and so does this step, at most three times.
  const runsPane = await expandPane(page, 'Runs');
  for (let attempt = 1; ; attempt++) {
    await treeRows(runsPane).filter({ hasText: second }).first().click();
    const shown = await view
      .locator('.summary', { hasText: second })
      .first()
      .waitFor({ state: 'visible', timeout: attempt < 3 ? 20_000 : LONG })
      .then(() => true)
      .catch(() => false);
    if (shown) break;
    if (attempt >= 3) throw new Error(`the dashboard did not show run ${second} after 3 clicks on its row`);
    say(`  click ${attempt} on the run's row did not reach the dashboard; clicking again`);
  }
  await view.locator('[role="tab"][data-key="tab-compare"]').click();
  const table = view.locator('table.compare-table');
  await table.waitFor({ state: 'visible', timeout: 30_000 });
  for (const id of [first, second])
    await table.locator('th', { hasText: id }).first().waitFor({ state: 'visible', timeout: 30_000 });
  await view.locator('[data-key="select-shown"]').click();
  for (const id of [first, second])
    assert.ok(
      await view.locator(`input[data-key="compare-${id}"]`).isChecked(),
      `run ${id} should be selected for comparison`,
    );
  // The overlay loads each run's metrics on demand: wait until both runs have a curve.
  const series = view.locator('figure.chart-figure svg [data-series]');
  let ids: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(ids.includes(first) && ids.includes(second))) {
    await page.waitForTimeout(500);
    ids = await series.evaluateAll((all) => all.map((g) => g.getAttribute('data-series') ?? ''));
  }
  say(`  compare table lists both runs; overlay series: ${ids.length}`);
  assert.ok(
    ids.includes(first) && ids.includes(second),
    `overlay curves should include both runs (series ${JSON.stringify(ids.slice(0, 8))})`,
  );
  await clearNotifications(page);
}

/**
 * Stop Training on a run too long to finish by itself: the run ends `stopped` and the Runs view follows it
 * there (icon and label) without a refresh.
 */
async function stopTraining(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const before = new Set(listRunDirs(ctx.dirs.workspace));
  await runCommand(page, 'Image Trainer: Train Model');
  await answerTrainPickers(page, say, LONG_CONFIG_FILE);
  const dir = await waitForNewRunDir(ctx.dirs.workspace, before, 120_000);
  const runId = basename(dir);
  // Stop once the editor has shown the second epoch: the run is past setup and mid-training.
  await requireShownProgress(ctx, runId, [1, 2]);
  await runCommand(page, 'Image Trainer: Stop Training');
  const deadline = Date.now() + 120_000;
  let record = readRunRecord(dir);
  while (record?.status === 'running' && Date.now() < deadline) {
    await page.waitForTimeout(250);
    record = readRunRecord(dir);
  }
  assert.equal(record?.status, 'stopped', `run ${runId} should be stopped, run.json says ${record?.status}`);
  assert.ok(
    record.epochsCompleted < record.config.epochs,
    `run ${runId} stopped after ${record.epochsCompleted} of ${record.config.epochs} epochs`,
  );
  const text = await waitForRunRow(page, runId, 'stopped', 'stopped');
  say(`  Runs view: "${text}" (run.json: stopped after ${record.epochsCompleted} epochs)`);
  await clearNotifications(page);
}

/**
 * Get Pretrained Model downloads the base from the stand-in host on 127.0.0.1; Train Model offers it and
 * trains a head on it; the dashboard names the run's base.
 */
async function pretrainedBase(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  await runCommand(page, 'Image Trainer: Get Pretrained Model');
  await quickInput(page).locator('.quick-input-box input').fill(E2E_BASE);
  await pickQuickItem(page, E2E_BASE);
  const ready = await waitForNotification(page, new RegExp(`${E2E_BASE} is ready`), LONG);
  say(`  ${ready}`);
  const shards = ctx.modelHost.requests.filter((r) => r.path.endsWith('.bin') && r.status < 300).length;
  assert.ok(
    ctx.modelHost.count('model.json') >= 1 && shards >= 3,
    `the base came from the local host (${shards} shards)`,
  );
  await clearNotifications(page);

  const { dir, record } = await trainAndCheck(ctx, E2E_BASE, 'base-progress.png');
  assert.equal(record.config.model, 'transfer');
  assert.equal(record.base?.name, E2E_BASE, 'run.json records the base');
  assert.match(record.base?.source ?? '', /^http:\/\/127\.0\.0\.1:\d+\/model\.json$/);
  say(`  run ${basename(dir)}: base ${record.base?.name} (sha256 ${record.base?.sha256.slice(0, 12)}…)`);

  await treeRows(await expandPane(page, 'Runs'))
    .filter({ hasText: record.id })
    .first()
    .click();
  const view = activeWebview(page);
  const summary = view.locator('.summary', { hasText: record.id }).first();
  await summary.waitFor({ state: 'visible', timeout: LONG });
  const named = summary.locator('dd', { hasText: E2E_BASE }).first();
  await named.waitFor({ state: 'visible', timeout: 30_000 });
  say(`  dashboard: "Pretrained base ${(await named.innerText()).trim()}"`);
  await clearNotifications(page);
}

/** Polls until a run directory not in `known` holds a run.json. */
async function waitForNewRunDir(
  workspace: string,
  known: ReadonlySet<string>,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = listRunDirs(workspace).find((d) => !known.has(d) && readRunRecord(d) !== undefined);
    if (fresh) return fresh;
    if (Date.now() > deadline) throw new Error(`no new run appeared within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const ENGINE_VERDICT = /Native engine setup \(tensorflow\) (succeeded|failed): (.*)$/;

/**
 * Set Up Native Engine… runs the user's real npm for @tensorflow/tfjs-node into the engine folder (in the
 * extension's global storage under this run's user-data folder). npm's output reaches the Output channel
 * line by line, then one verdict. Where only the npm registry is reachable (CI), npm gets the package
 * and its install step cannot download libtensorflow: the verdict is "offline". The status bar names the
 * backend the trainer picks. The workbench is code-server's browser client: the extension, the trainer
 * and npm run on the server side, and the browser reaches the workspace only through the server.
 */
async function nativeEngine(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const item = page.locator('.statusbar-item', { hasText: /WASM|TensorFlow|pure JS/ }).first();
  await item.waitFor({ state: 'visible', timeout: LONG });
  say(`  status bar: "${(await item.innerText()).trim()}"`);
  await runCommand(page, 'Image Trainer: Set Up Native Engine');
  await pickQuickItem(page, 'TensorFlow CPU (native)');
  const lines = await ctx.logLines(
    'the native engine verdict',
    (all) => all.some((l) => ENGINE_VERDICT.test(l)),
    300_000,
  );
  const verdictAt = lines.findIndex((l) => ENGINE_VERDICT.test(l));
  const npmLines = lines.slice(0, verdictAt).filter((l) => l.includes('[npm] '));
  assert.ok(
    npmLines.some((l) => /\[npm\] \$ npm install @tensorflow\/tfjs-node@\d+\.\d+\.\d+ --prefix /.test(l)),
    `the npm command is shown:\n${npmLines.slice(0, 5).join('\n')}`,
  );
  assert.ok(npmLines.length >= 2, `npm's own output is shown (${npmLines.length} lines)`);
  const verdict = ENGINE_VERDICT.exec(lines[verdictAt])!;
  say(`  npm printed ${npmLines.length - 1} lines; verdict (${verdict[1]}): ${verdict[2]}`);
  assert.doesNotMatch(verdict[2], /\n/);
  const shown = await waitForNotification(page, /Native engine ready|offline|npm|cannot|failed/, LONG);
  assert.ok(shown.includes(verdict[2].slice(0, 40)), `the notification shows the verdict: "${shown}"`);
  // The browser is only a client: everything it loaded (the dashboard's and Classify Image's pictures
  // of workspace files included) came over HTTP from code-server, never from the file system.
  const fileUrls = ctx.browserRequests.filter((u) => /^file:/i.test(u));
  assert.deepEqual(fileUrls, [], 'the browser side never opens a file itself');
  const workspaceName = basename(ctx.dirs.workspace);
  const viaServer = ctx.browserRequests.filter(
    (u) => /^https?:/.test(u) && decodeURIComponent(u).includes(workspaceName),
  );
  assert.ok(viaServer.length > 0, 'workspace files reached the browser through the server');
  say(
    `  browser: ${ctx.browserRequests.length} requests, none to file:, ${viaServer.length} for workspace files via the server`,
  );
  await clearNotifications(page);
}

async function restricted(ctx: E2eContext): Promise<void> {
  const { say } = ctx;
  const before = listRunDirs(ctx.dirs.restrictedWorkspace).length;
  await ctx.page.close();
  const page = await ctx.context.newPage();
  ctx.page = page;
  await page.goto(`${ctx.base}/?folder=${encodeURIComponent(ctx.dirs.restrictedWorkspace)}`);
  await waitForWorkbench(page);
  await answerTrustDialog(page, false);
  await page
    .locator('.statusbar-item', { hasText: 'Restricted Mode' })
    .first()
    .waitFor({ state: 'visible', timeout: 30_000 });
  // Views work in Restricted Mode: the Datasets view lists the classes with their counts.
  await datasetsView(ctx);
  await runCommand(page, 'Image Trainer: Train Model');
  const message = await waitForNotification(page, /trust|restricted/i, 30_000);
  say(`  refusal: "${message}"`);
  // The command refuses before it could start a trainer (src/host/commands/trainingCommands.ts), so
  // the count is final once the refusal shows.
  assert.equal(
    listRunDirs(ctx.dirs.restrictedWorkspace).length,
    before,
    'no run may start in Restricted Mode',
  );
}

// ---- New Training form and the queue (issue 15) ------------------------------------------------

/** Sets form fields by their labels (the inputs' accessible names) and waits until each shows no error. */
async function fillByLabel(form: FrameLocator, values: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(values)) {
    const input = form.getByLabel(label, { exact: true });
    await input.fill(value);
    const id = await input.getAttribute('id');
    await waitUntil(
      async () => (await form.locator(`#${id}-error`).innerText()).trim() === '',
      `the ${label} field to accept ${value}`,
    );
  }
}

/** The one run that appears (with a run.json) after `before`, once its record leaves `running`. */
async function finishedRunAfter(ctx: E2eContext, before: ReadonlySet<string>): Promise<RunRecord> {
  const { record } = await waitForFinishedRun(ctx.dirs.workspace, before, TRAINING_TIMEOUT, () =>
    ctx.page.waitForTimeout(250),
  );
  return record;
}

/**
 * New Training from the Datasets view: the form opens on the data set, Epochs and Learning rate are set
 * by their labels, Train starts the run, and run.json has exactly those values.
 */
async function newTrainingForm(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  await openViewContainer(page, CONTAINER_TITLE);
  const pane = await expandPane(page, 'Datasets');
  const row = treeRows(pane).filter({ hasText: DATASET_FOLDER }).first();
  await row.waitFor({ state: 'visible', timeout: LONG });
  await row.click({ button: 'right' });
  const how = await pickContextMenuItem(page, 'New Training');
  if (how === 'enter') say('  the menu swallowed the click; Enter on the highlighted item chose it');
  const form = await webviewShowing(page, 'main.train-form');
  await form.getByRole('button', { name: 'Train', exact: true }).waitFor({ state: 'visible', timeout: LONG });
  const dataset = await form.getByLabel('Data set', { exact: true }).inputValue();
  assert.ok(dataset.endsWith(DATASET_FOLDER), `the form opens on the data set (${dataset})`);
  // A bad value gets the CLI's own message beside the field while typing.
  await form.getByLabel('Learning rate', { exact: true }).fill('0');
  const lrError = form.locator('#field-learningRate-error');
  await waitUntil(
    async () => /must be a number above 0/.test(await lrError.innerText()),
    'the learning-rate message',
  );
  say(`  typing 0: "${(await lrError.innerText()).trim()}"`);
  await fillByLabel(form, { Epochs: '3', 'Learning rate': '0.005' });
  // The augmentation preview: the trainer (a child process) draws 8 training images; the CSP lets the
  // data-URL PNGs load, and every one of them decodes.
  const previews = form.locator('.group-preview .preview-grid img');
  const caption = form.locator('.preview-caption');
  const previewShows = async (what: RegExp): Promise<boolean> =>
    what.test((await caption.innerText()).trim()) &&
    (await previews.count()) === 8 &&
    (await previews.evaluateAll((imgs) =>
      imgs.every(
        (img) =>
          (img as unknown as { complete: boolean }).complete &&
          (img as unknown as { naturalWidth: number }).naturalWidth > 0,
      ),
    ));
  await waitUntil(
    () => previewShows(/The first 8 training images/),
    'the augmentation preview’s 8 images to load',
  );
  say(`  preview: "${(await caption.innerText()).trim()}"`);
  // Turning augmentation on redraws it (with the run's seed); turning it off again redraws it once more.
  const augmentation = form.getByLabel('Augmentation', { exact: true });
  await augmentation.selectOption('default');
  await waitUntil(() => previewShows(/through the augmentation with seed \d+\.$/), 'the augmented preview');
  say(`  preview: "${(await caption.innerText()).trim()}"`);
  await augmentation.selectOption('none');
  await waitUntil(() => previewShows(/it is off\)\.$/), 'the preview without augmentation again');
  const train = form.getByRole('button', { name: 'Train', exact: true });
  await waitUntil(async () => await train.isEnabled(), 'the Train button to be enabled');
  say(`  estimate: "${(await form.locator('.estimate').innerText()).trim()}"`);
  say(`  command: "${(await form.locator('code.command').innerText()).trim()}"`);
  await page.screenshot({ path: ctx.artifact('new-training-form.png') }).catch(() => undefined);
  const before = new Set(listRunDirs(ctx.dirs.workspace));
  await train.click();
  const record = await finishedRunAfter(ctx, before);
  assert.equal(
    record.status,
    'completed',
    `run ${record.id} ended ${record.status}: ${record.error?.message ?? ''}`,
  );
  assert.equal(record.config.epochs, 3, 'run.json has the typed epochs');
  assert.equal(record.config.learningRate, 0.005, 'run.json has the typed learning rate');
  assert.equal(record.parentId, undefined, 'a new run has no parent');
  await requireShownProgress(ctx, record.id, [1, 2, 3]);
  const text = await waitForRunRow(page, record.id, 'completed', '3/3');
  say(
    `  run ${record.id}: epochs ${record.config.epochs}, learning rate ${record.config.learningRate}; Runs view "${text}"`,
  );
  ctx.formRunId = record.id;
}

/**
 * Re-run with Changes on the form's run, Epochs 4, Add to Queue while another run trains: the Runs view
 * shows it queued; it starts when that run ends, completes after it, and names its parent.
 */
async function rerunQueued(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const parentId = ctx.formRunId;
  if (!parentId) throw new Error('needs the run of the new-training-form step');
  // A run too long to end by itself keeps the trainer busy, so the re-run is queued whatever the timing.
  const beforeBlocker = new Set(listRunDirs(ctx.dirs.workspace));
  await runCommand(page, 'Image Trainer: Train Model');
  await answerTrainPickers(page, say, LONG_CONFIG_FILE);
  const blockerDir = await waitForNewRunDir(ctx.dirs.workspace, beforeBlocker, 120_000);
  const blockerId = basename(blockerDir);
  await requireShownProgress(ctx, blockerId, [1]);
  await runCommand(page, 'Image Trainer: Re-run with Changes');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(parentId);
  await pickQuickItem(page, parentId);
  const form = await webviewShowing(page, 'main.train-form');
  await waitUntil(
    async () => (await form.locator('.parent-line').innerText()).includes(parentId),
    `the form to be filled from ${parentId}`,
  );
  const epochs = form.getByLabel('Epochs', { exact: true });
  assert.equal(await epochs.inputValue(), '3', 'the form is filled from the parent’s run.json');
  await fillByLabel(form, { Epochs: '4' });
  const beforeQueued = new Set(listRunDirs(ctx.dirs.workspace));
  await form.getByRole('button', { name: 'Add to Queue', exact: true }).click();
  await form.locator('.queue-list li').first().waitFor({ state: 'visible', timeout: 30_000 });
  // The Runs view shows it queued, with its position, while the blocker trains.
  const runsPane = await expandPane(page, 'Runs');
  const queuedRow = treeRows(runsPane).filter({ hasText: 'queued' }).first();
  await queuedRow.waitFor({ state: 'visible', timeout: 30_000 });
  const queuedText = (await queuedRow.getAttribute('aria-label')) ?? (await queuedRow.innerText());
  say(`  Runs view: "${queuedText.replace(/\s+/g, ' ')}"`);
  await page.screenshot({ path: ctx.artifact('queued-run.png') }).catch(() => undefined);
  assert.equal(
    listRunDirs(ctx.dirs.workspace).filter((d) => !beforeQueued.has(d)).length,
    0,
    'the queued run waits for the running one',
  );
  await runCommand(page, 'Image Trainer: Stop Training');
  const rerun = await finishedRunAfter(ctx, new Set([...beforeQueued]));
  const blocker = readRunRecord(blockerDir);
  assert.equal(blocker?.status, 'stopped', `the blocking run was stopped (${blocker?.status})`);
  assert.equal(
    rerun.status,
    'completed',
    `run ${rerun.id} ended ${rerun.status}: ${rerun.error?.message ?? ''}`,
  );
  assert.equal(rerun.parentId, parentId, 'the re-run names its parent');
  assert.equal(rerun.config.epochs, 4);
  assert.equal(rerun.config.learningRate, 0.005, 'unchanged fields keep the parent’s values');
  const parent = readRunRecord(join(runsRootOf(ctx.dirs.workspace), parentId));
  assert.ok(
    parent?.endedAt && rerun.endedAt && rerun.endedAt > parent.endedAt,
    'it completes after its parent',
  );
  assert.ok(
    blocker?.endedAt && rerun.createdAt >= blocker.endedAt,
    'it started only when the running run ended',
  );
  const text = await waitForRunRow(page, rerun.id, 'completed', '4/4');
  say(`  run ${rerun.id}: parent ${rerun.parentId}, epochs ${rerun.config.epochs}; Runs view "${text}"`);
  await clearNotifications(page);
}

/** Clicking a class in the Datasets view opens its gallery: thumbnails load, and only the rows in view are drawn. */
async function classGallery(ctx: E2eContext): Promise<void> {
  const { page, say } = ctx;
  const [className, count] = [...ctx.counts][0] ?? [];
  assert.ok(className, 'the sample data set has classes');
  await openViewContainer(page, CONTAINER_TITLE);
  const pane = await expandPane(page, 'Datasets');
  const row = treeRows(pane)
    .filter({ hasText: new RegExp(`^\\s*${className}\\s*${count}\\s*$`) })
    .first();
  await row.waitFor({ state: 'visible', timeout: LONG });
  await row.locator('.label-name').first().click();
  const gallery = await webviewShowing(page, 'main.gallery');
  const title = gallery.locator('main.gallery h1');
  await waitUntil(
    async () => (await title.innerText()).includes(`${count} images`),
    `the gallery of ${className}`,
  );
  const thumbs = gallery.locator('.tile:not([hidden]) img');
  await thumbs.first().waitFor({ state: 'visible', timeout: LONG });
  // Thumbnails arrive in batches as they are made: wait until every drawn tile has one, and each has loaded.
  await waitUntil(
    async () => {
      const tiles = await gallery.locator('.tile:not([hidden])').count();
      const loaded = await thumbs.evaluateAll(
        (imgs) =>
          (imgs as unknown as { complete: boolean; naturalWidth: number }[]).filter(
            (i) => i.complete && i.naturalWidth > 0,
          ).length,
      );
      return tiles > 0 && loaded === tiles;
    },
    'every drawn tile to show its loaded thumbnail',
    LONG,
  );
  const tiles = await gallery.locator('.tile:not([hidden])').count();
  say(`  gallery "${(await title.innerText()).trim()}": ${tiles} tiles drawn, all with loaded thumbnails`);
  assert.ok(tiles > 0 && tiles <= count, `${tiles} tiles for ${count} images`);
  await page.screenshot({ path: ctx.artifact('class-gallery.png') }).catch(() => undefined);
}

/** Object detection (issue 18): the set's findings, its gallery with boxes, a run's mAP and predictions. */
async function objectDetection(ctx: E2eContext): Promise<void> {
  if (!ctx.detection) throw new Error('the workspace has no detection set');
  await detectionStep({
    repo: ctx.repo,
    page: ctx.page,
    workspace: ctx.dirs.workspace,
    fixture: ctx.detection,
    say: ctx.say,
    artifact: ctx.artifact,
  });
}

function requireRun(ctx: E2eContext): string {
  if (!ctx.runDir) throw new Error('needs the run of the train step');
  return ctx.runDir;
}

export const steps: Step[] = [
  { name: 'datasets-view', run: datasetsView },
  { name: 'train', run: train },
  { name: 'dashboard', run: dashboard },
  { name: 'classify-image', run: classify },
  { name: 'compare-runs', run: compare },
  { name: 'stop-training', run: stopTraining },
  { name: 'pretrained-base', run: pretrainedBase },
  { name: 'native-engine', run: nativeEngine },
  { name: 'new-training-form', run: newTrainingForm },
  { name: 'rerun-queued', run: rerunQueued },
  { name: 'class-gallery', run: classGallery },
  { name: 'object-detection', run: objectDetection },
  { name: 'restricted-mode', run: restricted },
];
