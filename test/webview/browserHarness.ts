// Opens the built dashboard (dist/webview.js + media/dashboard.css) in headless Chromium under the same
// CSP as the real panel, with VS Code's dark theme variables. Used by the screenshot script and by
// bench/dashboard.ts; the page is driven through test/webview/harness/driver.js.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { contentSecurityPolicy, createNonce } from '../../src/host/dashboard/dashboardHtml';
import type { HostToWebview } from '../../src/protocol/webviewMessages';
import type { HostToForm } from '../../src/protocol/trainFormMessages';
import type { HostToGallery } from '../../src/protocol/galleryMessages';
import type { HostToDetGallery } from '../../src/protocol/detectionGalleryMessages';
import type { HostToInspector } from '../../src/protocol/inspectorMessages';

/** Messages of the bundle's other apps (the New Training form, the class gallery, detection's two). */
export type AppMessage = HostToForm | HostToGallery | HostToDetGallery | HostToInspector;

/** The bundle's apps besides the dashboard (dashboardHtml.ts `app`). */
export type HarnessApp = 'train-form' | 'gallery' | 'detection-gallery' | 'detection-inspector';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const repo = path.resolve(__dirname, '..', '..');

export interface PaintTiming {
  handledMs: number;
  layoutMs: number;
  paintMs: number;
}

export interface DashboardPage {
  page: Page;
  dir: string;
  send(message: HostToWebview | AppMessage): Promise<void>;
  /** Sends and waits for a painted frame; ms to handled, to laid out, and to painted. */
  timeToPaint(message: HostToWebview | AppMessage): Promise<PaintTiming>;
  /** Hands messages to the page ahead of a timed loop; timeQueued(i) then delivers the i-th. */
  preload(messages: (HostToWebview | AppMessage)[]): Promise<void>;
  timeQueued(index: number): Promise<PaintTiming>;
  /** CPU seconds used so far by the page's main thread (Chromium's ThreadTime metric). */
  mainThreadCpu(): Promise<number>;
  posted(): Promise<unknown[]>;
  violations(): Promise<string[]>;
  close(): Promise<void>;
}

function fileUrl(relative: string): string {
  return pathToFileURL(path.join(repo, relative)).href;
}

/** `app` picks the bundle's app as the panels do (dashboardHtml.ts): the dashboard when absent. */
export function harnessHtml(nonce: string, app?: HarnessApp): string {
  const csp = contentSecurityPolicy('file:', nonce);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${fileUrl('test/webview/harness/darkTheme.css')}">
<link rel="stylesheet" href="${fileUrl('media/dashboard.css')}">
<title>Image Trainer Dashboard</title></head>
<body><div id="app"${app ? ` data-app="${app}"` : ''}></div>
<script nonce="${nonce}" src="${fileUrl('test/webview/harness/driver.js')}"></script>
<script nonce="${nonce}" src="${fileUrl('dist/webview.js')}"></script>
</body></html>`;
}

export async function openDashboardPage(
  viewport = { width: 1400, height: 1000 },
  app?: HarnessApp,
): Promise<DashboardPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; set CHROMIUM_PATH`);
  if (!existsSync(path.join(repo, 'dist', 'webview.js')))
    throw new Error('dist/webview.js is missing; run `node esbuild.js` first');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-harness-'));
  const htmlPath = path.join(dir, 'index.html');
  writeFileSync(htmlPath, harnessHtml(createNonce(), app));
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--allow-file-access-from-files', '--no-sandbox'],
  });
  const page = await browser.newPage({ viewport, colorScheme: 'dark' });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pathToFileURL(htmlPath).href);
  await page.waitForFunction('window.__driver && window.__driver.posted.length > 0');
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  return {
    page,
    dir,
    send: async (message) => {
      await page.evaluate(`window.__driver.send(${JSON.stringify(JSON.stringify(message))})`);
    },
    timeToPaint: async (message) =>
      (await page.evaluate(
        `window.__driver.timeToPaint(${JSON.stringify(JSON.stringify(message))})`,
      )) as PaintTiming,
    preload: async (messages) => {
      await page.evaluate(`window.__driver.load(${JSON.stringify(messages.map((m) => JSON.stringify(m)))})`);
    },
    timeQueued: async (index) => (await page.evaluate(`window.__driver.timeQueued(${index})`)) as PaintTiming,
    mainThreadCpu: async () => {
      const { metrics } = (await session.send('Performance.getMetrics')) as {
        metrics: { name: string; value: number }[];
      };
      return metrics.find((m) => m.name === 'ThreadTime')?.value ?? Number.NaN;
    },
    posted: async () => (await page.evaluate('window.__driver.posted')) as unknown[],
    violations: async () => [...((await page.evaluate('window.__driver.violations')) as string[]), ...errors],
    close: async () => {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
