// Dashboard benchmark in headless Chromium (the built dist/webview.js under the panel's CSP):
//   node esbuild.js && node --import tsx bench/dashboard.ts [--runs 200] [--epochs 200] [--repeats 40]
// Reports time to first paint of the compare page with every run in the table (and with every run's
// curves overlaid), and the cost of one live update: a new epoch of the run on screen, and a runs-list
// change on the compare page. Targets from the issue: first paint < 1 s, live update < 16 ms.
// Wall times suffer when the machine is busy; the main thread's CPU time per update (Chromium's
// ThreadTime) is the figure that does not, so both are printed, with the load average.
import * as os from 'node:os';
import type { CompareRunData, HostToWebview } from '../src/protocol/webviewMessages';
import { openDashboardPage, type DashboardPage, type PaintTiming } from '../test/webview/browserHarness';
import { makeEpochs, makeSnapshot } from '../test/webview/fixtures';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms (n=${values.length})`;
}

/** Delivers each message (preloaded into the page) and waits for its frame; wall times and CPU per message. */
async function measure(
  dashboard: DashboardPage,
  messages: HostToWebview[],
): Promise<{ timings: PaintTiming[]; cpuMs: number }> {
  await dashboard.preload(messages);
  const cpuStart = await dashboard.mainThreadCpu();
  const timings: PaintTiming[] = [];
  for (let i = 0; i < messages.length; i++) timings.push(await dashboard.timeQueued(i));
  const cpuMs = (((await dashboard.mainThreadCpu()) - cpuStart) * 1000) / messages.length;
  return { timings, cpuMs };
}

function report(title: string, result: { timings: PaintTiming[]; cpuMs: number }): void {
  console.log(title);
  console.log(
    `  main-thread CPU per update (parse, reduce, DOM, style, layout, paint): ${result.cpuMs.toFixed(1)} ms`,
  );
  console.log(`  wall: handled ${stats(result.timings.map((t) => t.handledMs))}`);
  console.log(`        + style and layout ${stats(result.timings.map((t) => t.layoutMs))}`);
  console.log(`        to the painted frame (2 rAF) ${stats(result.timings.map((t) => t.paintMs))}`);
}

async function main(): Promise<void> {
  const runCount = arg('runs', 200);
  const epochCount = arg('epochs', 200);
  const repeats = arg('repeats', 40);
  const { snapshot, all } = makeSnapshot(runCount, epochCount);
  const compareRuns = (ids: string[]): CompareRunData[] =>
    all
      .filter((r) => ids.includes(r.summary.id))
      .map((r) => ({ runId: r.summary.id, epochs: r.epochs, evaluation: r.evaluation }));
  const allIds = all.map((r) => r.summary.id);
  console.log(
    `dashboard bench: ${runCount} runs × ${epochCount} epochs, headless Chromium, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );

  // 1. Compare page, cold: the snapshot arrives with the page set to compare (fresh page each time).
  const compareSnapshot = { ...snapshot, page: 'compare' as const, compareRunIds: [] };
  const firstPaints: number[] = [];
  const firstCpu: number[] = [];
  const overlayPaints: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dashboard = await openDashboardPage();
    try {
      const first = await measure(dashboard, [{ type: 'snapshot', snapshot: compareSnapshot }]);
      firstPaints.push(first.timings[0].paintMs);
      firstCpu.push(first.cpuMs);
      // Every run selected: 200 overlaid curves and 200 highlighted parallel-coordinate lines.
      const overlay = await measure(dashboard, [
        {
          type: 'snapshot',
          snapshot: { ...compareSnapshot, compareRunIds: allIds, compare: compareRuns(allIds) },
        },
      ]);
      overlayPaints.push(overlay.timings[0].paintMs);
    } finally {
      await dashboard.close();
    }
  }
  console.log(
    `compare page, snapshot received → first paint: ${stats(firstPaints)}; main-thread CPU ${stats(firstCpu)}`,
  );
  console.log(`compare page with all ${runCount} runs' curves overlaid, → painted: ${stats(overlayPaints)}`);

  const dashboard = await openDashboardPage();
  try {
    // 2. Run page: the selected run gets one more epoch (and 20 batch points) per update.
    const running = all[0];
    const runs = snapshot.runs.map((r, i) =>
      i === 0 ? { ...r, status: 'running' as const, totalEpochs: epochCount + repeats } : r,
    );
    await measure(dashboard, [{ type: 'snapshot', snapshot: { ...snapshot, page: 'run', runs } }]);
    const extra = makeEpochs(0, epochCount + repeats).slice(epochCount);
    const epochMessages: HostToWebview[] = extra.map((epoch, i) => ({
      type: 'epochsAppended',
      runId: running.summary.id,
      summary: { ...runs[0], epochsCompleted: epochCount + i + 1 },
      epochs: [epoch],
      batches: Array.from({ length: 20 }, (_, b) => ({
        kind: 'batch' as const,
        epoch: epoch.epoch,
        batch: b,
        loss: epoch.loss,
        accuracy: epoch.accuracy,
      })),
    }));
    report(
      `live update, run page (one epoch appended to a ${epochCount}-epoch run):`,
      await measure(dashboard, epochMessages),
    );

    // 3. Compare page: the runs list arrives again with one run moved on (its epoch count and status).
    await dashboard.page.click('button[data-key="tab-compare"]');
    await dashboard.send({ type: 'compareData', runs: compareRuns(allIds.slice(0, 10)) });
    const listMessages: HostToWebview[] = Array.from({ length: repeats }, (_, i) => ({
      type: 'runsChanged',
      runs: snapshot.runs.map((r, k) =>
        k === 0
          ? {
              ...r,
              status: 'running' as const,
              epochsCompleted: epochCount + i + 1,
              updatedAt: `2026-11-27T00:00:${String(i % 60).padStart(2, '0')}Z`,
            }
          : r,
      ),
      thumbnailBases: snapshot.thumbnailBases,
    }));
    report(
      `live update, compare page (runsChanged with ${runCount} summaries, one run moved on):`,
      await measure(dashboard, listMessages),
    );

    // Floor: the same runs again (parse and compare; nothing to redraw).
    const same: HostToWebview[] = Array.from({ length: repeats }, () => ({
      type: 'runsChanged',
      runs: snapshot.runs,
      thumbnailBases: snapshot.thumbnailBases,
    }));
    report('baseline, compare page (runsChanged with nothing new):', await measure(dashboard, same));
    const problems = await dashboard.violations();
    if (problems.length > 0) console.log(`problems: ${problems.join('; ')}`);
  } finally {
    await dashboard.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
