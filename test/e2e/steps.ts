// The user-facing steps of the e2e run, in order. Each step asserts what a user would see.
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import type { ClassCounts } from './sampleData';
import { expandPane, expandTree, openViewContainer, treeRowTexts, LONG } from './workbench';

export interface E2eDirs {
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  restrictedWorkspace: string;
}

export interface E2eContext {
  page: Page;
  context: BrowserContext;
  base: string;
  dirs: E2eDirs;
  counts: ClassCounts;
  say: (line: string) => void;
}

export interface Step {
  name: string;
  run: (ctx: E2eContext) => Promise<void>;
}

const CONTAINER_TITLE = 'Image Trainer';

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
  while (Date.now() < deadline) {
    await expandTree(pane, 3);
    rows = await treeRowTexts(pane);
    if (expected.every(([c, n]) => rowShowsCount(rows, c, n))) break;
    await page.waitForTimeout(1000);
  }
  ctx.say(`  Datasets view rows: ${rows.map((r) => JSON.stringify(r)).join(', ')}`);
  for (const [className, count] of expected) {
    assert.ok(rowShowsCount(rows, className, count), `Datasets view should list class "${className}" with ${count} images`);
  }
}

export const steps: Step[] = [{ name: 'datasets-view', run: datasetsView }];
