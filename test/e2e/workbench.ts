// Small drivers for the VS Code workbench as code-server serves it (VS Code 1.100 DOM). Selectors are the
// workbench's own class names and ARIA labels, the same ones code-server's e2e tests use.
import type { FrameLocator, Locator, Page } from 'playwright-core';

export const LONG = 120_000;

/** Polls `condition` (every 200 ms) until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until the workbench has rendered its activity bar and status bar. */
export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: LONG });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: LONG });
}

/** Answers the workspace-trust dialog that VS Code shows on a folder's first open. */
export async function answerTrustDialog(page: Page, trust: boolean): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'Do you trust the authors' });
  await dialog.waitFor({ state: 'visible', timeout: LONG });
  const label = trust ? 'Yes, I trust the authors' : "No, I don't trust the authors";
  await dialog.locator('a.monaco-button', { hasText: label }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
}

export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/** Rows of the open quick pick; the row's aria-label holds its label and description. */
export function quickPickRows(page: Page): Locator {
  return quickInput(page).locator('.quick-input-list .monaco-list-row');
}

/** Runs a command by its palette title ("Image Trainer: Train Model"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await closeQuickInput(page);
  await page.keyboard.press('F1');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`>${title}`);
  const row = quickPickRows(page).filter({ hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

/** Waits for a quick pick whose rows include `text` and picks that row. */
export async function pickQuickItem(page: Page, text: string | RegExp): Promise<string> {
  const row = quickPickRows(page).filter({ hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: LONG });
  const label = (await row.getAttribute('aria-label')) ?? (await row.innerText());
  await row.click();
  return label;
}

/** The labels of every row of the open quick pick. */
export async function quickPickLabels(page: Page): Promise<string[]> {
  await quickPickRows(page).first().waitFor({ state: 'visible', timeout: LONG });
  return quickPickRows(page).evaluateAll((rows) =>
    rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''),
  );
}

export async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) {
    await page.keyboard.press('Escape');
    await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
  }
}

/** Opens a view container from the activity bar by its title, unless it is open already. */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = page.locator(`.part.activitybar .action-item a.action-label[aria-label^="${title}"]`).first();
  try {
    await item.waitFor({ state: 'visible', timeout: LONG });
  } catch {
    throw new Error(
      `no "${title}" container in the activity bar: is the extension installed and does it contribute it?`,
    );
  }
  const parent = item.locator('xpath=..');
  const checked =
    (await parent.getAttribute('aria-pressed')) === 'true' ||
    (await parent.getAttribute('class'))?.includes('checked');
  if (!checked) await item.click();
  await page
    .locator('.part.sidebar .composite.title', { hasText: title })
    .first()
    .waitFor({ state: 'visible', timeout: 30_000 });
}

/** A view pane of the side bar, found by its title ("Datasets"). */
export function viewPane(page: Page, title: string): Locator {
  return page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator('.pane-header', { hasText: title }) })
    .first();
}

/** Expands a collapsed view pane. */
export async function expandPane(page: Page, title: string): Promise<Locator> {
  const pane = viewPane(page, title);
  await pane.waitFor({ state: 'visible', timeout: LONG });
  const header = pane.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pane;
}

/** The rows of a tree view inside a pane. */
export function treeRows(pane: Locator): Locator {
  return pane.locator('.pane-body .monaco-list-row');
}

/** Expands the collapsed rows of a tree, level by level up to `depth`, that `wanted` accepts (by row text). */
export async function expandTree(
  pane: Locator,
  depth: number,
  wanted: (level: number, text: string) => boolean = () => true,
): Promise<void> {
  for (let level = 1; level <= depth; level++) {
    const collapsed = pane.locator(
      `.pane-body .monaco-list-row[aria-level="${level}"][aria-expanded="false"]`,
    );
    const texts = await collapsed.allInnerTexts();
    // Bottom-up, so expanding a row does not shift the index of the rows still to expand.
    for (let i = texts.length - 1; i >= 0; i--) {
      if (!wanted(level, squash(texts[i] ?? ''))) continue;
      await collapsed.nth(i).locator('.monaco-tl-twistie').click();
    }
  }
}

/** What each row of a tree says: label, description and aria-label, as the user and a screen reader see it. */
export async function treeRowTexts(pane: Locator): Promise<string[]> {
  const rows = treeRows(pane);
  const texts = await rows.allInnerTexts();
  const labels = await rows.evaluateAll((all) => all.map((r) => r.getAttribute('aria-label') ?? ''));
  return texts.map((t, i) => `${squash(t)} | ${labels[i] ?? ''}`);
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Visible notification toasts, as text. */
export async function notificationTexts(page: Page): Promise<string[]> {
  const texts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  return texts.map(squash);
}

/** Waits for a notification whose text matches and returns its text. */
export async function waitForNotification(
  page: Page,
  text: string | RegExp,
  timeout = LONG,
): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout });
  return squash(await toast.innerText());
}

/** Closes every visible notification toast. */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/** The content frame of the active webview (VS Code nests it inside a second iframe). */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

/** Opens a workspace file by name through Quick Open, which also reveals it in the Explorer. */
export async function quickOpen(page: Page, fileName: string): Promise<void> {
  await closeQuickInput(page);
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(fileName);
  const row = quickPickRows(page).filter({ hasText: fileName }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await page.keyboard.press('Enter');
  await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
}

/**
 * Picks an item of the open context menu by its label. A menu that is still settling can swallow a click
 * (the item highlights, the menu stays open): the state to wait for is the menu closing, and a user would
 * then press Enter on the highlighted item. Returns how the item was chosen.
 */
export async function pickContextMenuItem(page: Page, label: string): Promise<'click' | 'enter'> {
  const item = page
    .locator('.monaco-menu .action-item a.action-label, .monaco-menu .action-menu-item', { hasText: label })
    .first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  await item.click();
  const menu = page.locator('.monaco-menu').first();
  const closed = await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(
    () => true,
    () => false,
  );
  if (closed) return 'click';
  await item.hover();
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden', timeout: 10_000 });
  return 'enter';
}

/**
 * A few lines on what the workbench shows, for a failed step's log: CI keeps only the output, not the
 * screenshots. Open editor tabs, notifications, and each webview's state and first text.
 */
export async function describeWorkbench(page: Page): Promise<string[]> {
  const lines: string[] = [];
  const safe = async <T>(what: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await what();
    } catch {
      return fallback;
    }
  };
  const tabs = await safe(
    () =>
      page
        .locator('.tabs-container .tab')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? '')),
    [] as string[],
  );
  lines.push(`editor tabs: ${tabs.length ? tabs.map((t) => JSON.stringify(t)).join(', ') : 'none'}`);
  const toasts = await safe(() => notificationTexts(page), [] as string[]);
  if (toasts.length) lines.push(`notifications: ${toasts.map((t) => JSON.stringify(t)).join(' | ')}`);
  const frames = page.locator('iframe.webview');
  const count = await safe(() => frames.count(), 0);
  for (let i = 0; i < count; i++) {
    const cls = await safe(() => frames.nth(i).getAttribute('class'), null);
    const body = await safe(
      () =>
        page
          .frameLocator('iframe.webview')
          .nth(i)
          .frameLocator('#active-frame')
          .locator('body')
          .innerText({ timeout: 2000 }),
      '(no active frame)',
    );
    lines.push(
      `webview ${i + 1}/${count} class="${cls ?? ''}": ${JSON.stringify(body.replace(/\s+/g, ' ').slice(0, 300))}`,
    );
  }
  if (count === 0) lines.push('webviews: none');
  return lines;
}

/** The content frame of the webview that shows `selector` (the form and the dashboard may both be open). */
export async function webviewShowing(page: Page, selector: string, timeoutMs = LONG): Promise<FrameLocator> {
  let found: FrameLocator | undefined;
  await waitUntil(
    async () => {
      const frames = page.frameLocator('iframe.webview.ready');
      const count = await page.locator('iframe.webview.ready').count();
      for (let i = count - 1; i >= 0; i--) {
        const frame = frames.nth(i).frameLocator('#active-frame');
        if (
          (await frame
            .locator(selector)
            .count()
            .catch(() => 0)) > 0
        ) {
          found = frame;
          return true;
        }
      }
      return false;
    },
    `a webview showing ${selector}`,
    timeoutMs,
  );
  return found as FrameLocator;
}
