// Screenshots of the dashboard in headless Chromium with a generated fixture, dark theme:
//   node esbuild.js && node --import tsx test/webview/screenshot.ts [OUT_DIR]
// Writes run-page.png and compare-page.png (default OUT_DIR: artifacts/dashboard) and prints any CSP
// violation or page error, which should be none.
import { mkdirSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { WebviewToHost } from '../../src/protocol/webviewMessages';
import { openDashboardPage } from './browserHarness';
import { makeSnapshot } from './fixtures';

/** Small distinct tiles standing in for the data set's images, one colour per class. */
async function writeThumbnails(root: string, paths: string[]): Promise<void> {
  const colours: Record<string, { r: number; g: number; b: number }> = {
    cat: { r: 200, g: 120, b: 60 },
    dog: { r: 70, g: 140, b: 200 },
    bird: { r: 90, g: 180, b: 90 },
  };
  for (const [i, p] of paths.entries()) {
    const file = path.join(root, p);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const base = colours[p.split('/')[0]] ?? { r: 128, g: 128, b: 128 };
    const shade = 0.6 + (i % 5) * 0.1;
    await sharp({
      create: {
        width: 32,
        height: 32,
        channels: 3,
        background: { r: base.r * shade, g: base.g * shade, b: base.b * shade },
      },
    })
      .png()
      .toFile(file);
  }
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'artifacts/dashboard');
  mkdirSync(out, { recursive: true });
  const dashboard = await openDashboardPage({ width: 1400, height: 1500 });
  try {
    const dataRoot = path.join(dashboard.dir, 'data');
    const { snapshot, all } = makeSnapshot(24, 30);
    // The first run is still training: 30 of 40 epochs.
    snapshot.runs[0] = { ...snapshot.runs[0], status: 'running', totalEpochs: 40 };
    if (snapshot.details)
      snapshot.details = {
        ...snapshot.details,
        summary: snapshot.runs[0],
        record: { ...snapshot.details.record, status: 'running' },
      };
    const base = pathToFileURL(dataRoot).href;
    snapshot.thumbnailBases = Object.fromEntries(snapshot.runs.map((r) => [r.id, base]));
    await writeThumbnails(dataRoot, all[0].evaluation?.misclassified.map((m) => m.path) ?? []);
    await dashboard.send({ type: 'snapshot', snapshot });
    // Show the images behind one confusion-matrix cell.
    await dashboard.page.click('table.matrix td[data-row="1"][data-col="0"]');
    await dashboard.page.waitForTimeout(300);
    await dashboard.page.screenshot({ path: path.join(out, 'run-page.png'), fullPage: true });

    await dashboard.page.click('button[data-key="tab-compare"]');
    const posted = (await dashboard.posted()) as WebviewToHost[];
    const request = [...posted].reverse().find((m) => m.type === 'requestCompare');
    const ids = request && request.type === 'requestCompare' ? request.runIds : [];
    await dashboard.send({
      type: 'compareData',
      runs: all
        .filter((r) => ids.includes(r.summary.id))
        .map((r) => ({ runId: r.summary.id, epochs: r.epochs, evaluation: r.evaluation })),
    });
    await dashboard.page.waitForTimeout(200);
    await dashboard.page.screenshot({ path: path.join(out, 'compare-page.png'), fullPage: true });
    // @vscode-elements under the CSP: the button must be upgraded and styled by adopted stylesheets.
    const upgraded = await dashboard.page.evaluate(
      `(() => { const b = document.querySelector('vscode-button'); return { defined: !!customElements.get('vscode-button'), sheets: b && b.shadowRoot ? b.shadowRoot.adoptedStyleSheets.length : 0 }; })()`,
    );
    console.log(`vscode-button: ${JSON.stringify(upgraded)}`);
    const problems = await dashboard.violations();
    console.log(`screenshots in ${out}: run-page.png, compare-page.png`);
    console.log(
      problems.length === 0 ? 'no CSP violations or page errors' : `problems:\n${problems.join('\n')}`,
    );
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await dashboard.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
