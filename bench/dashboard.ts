// Dashboard benchmark in headless Chromium (the built dist/webview.js under the panel's CSP):
//   node esbuild.js && node --import tsx bench/dashboard.ts [--runs 200] [--epochs 200]
// Reports time to first paint of the compare page with every run in the table, the same with every run's
// curves overlaid, and the cost of one live update (a new epoch of the run on screen; a runs-list change
// on the compare page). Targets from the issue: first paint < 1 s, live update < 16 ms.
import type { CompareRunData, HostToWebview } from '../src/protocol/webviewMessages';
import type { CDPSession } from 'playwright-core';
import { openDashboardPage } from '../test/webview/browserHarness';
import { makeEpochs, makeSnapshot } from '../test/webview/fixtures';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms (n=${values.length})`;
}

/** CPU seconds the page's renderer process has used (Chromium's Performance domain), for load-proof costs. */
async function rendererCpu(session: CDPSession): Promise<number> {
  const { metrics } = (await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return metrics.find((m) => m.name === 'ProcessTime')?.value ?? Number.NaN;
}

async function main(): Promise<void> {
  const runCount = arg('runs', 200);
  const epochCount = arg('epochs', 200);
  const repeats = arg('repeats', 30);
  const { snapshot, all } = makeSnapshot(runCount, epochCount);
  const compareRuns = (ids: string[]): CompareRunData[] =>
    all.filter((r) => ids.includes(r.summary.id)).map((r) => ({ runId: r.summary.id, epochs: r.epochs, evaluation: r.evaluation }));
  const compareData = (ids: string[]): HostToWebview => ({ type: 'compareData', runs: compareRuns(ids) });
  const allIds = all.map((r) => r.summary.id);
  console.log(`dashboard bench: ${runCount} runs × ${epochCount} epochs, Chromium headless`);

  // 1. Compare page, cold: the snapshot arrives with the page set to compare.
  const firstPaints: number[] = [];
  const firstLayouts: number[] = [];
  const overlayPaints: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dashboard = await openDashboardPage();
    try {
      const compareSnapshot = { ...snapshot, page: 'compare' as const, compareRunIds: [] };
      const first = await dashboard.timeToPaint({ type: 'snapshot', snapshot: compareSnapshot });
      firstPaints.push(first.paintMs);
      firstLayouts.push(first.layoutMs);
      // Every run selected: 200 overlaid curves and 200 highlighted parallel-coordinate lines.
      const overlay = await dashboard.timeToPaint({
        type: 'snapshot',
        snapshot: { ...compareSnapshot, compareRunIds: allIds, compare: compareRuns(allIds) },
      });
      overlayPaints.push(overlay.paintMs);
    } finally {
      await dashboard.close();
    }
  }
  console.log(`compare page, snapshot received → laid out: ${stats(firstLayouts)}`);
  console.log(`compare page, time to first paint (snapshot received → painted): ${stats(firstPaints)}`);
  console.log(`compare page with all ${runCount} runs overlaid, time to paint: ${stats(overlayPaints)}`);

  const dashboard = await openDashboardPage();
  try {
    // 2. Live update on the run page: the selected run gets one more epoch (and 20 batch points).
    const running = all[0];
    const runSnapshot = {
      ...snapshot,
      page: 'run' as const,
      runs: snapshot.runs.map((r, i) => (i === 0 ? { ...r, status: 'running' as const, totalEpochs: epochCount + repeats } : r)),
    };
    await dashboard.timeToPaint({ type: 'snapshot', snapshot: runSnapshot });
    const session = await dashboard.page.context().newCDPSession(dashboard.page);
    await session.send('Performance.enable');
    const extra = makeEpochs(0, epochCount + repeats).slice(epochCount);
    const runCpuStart = await rendererCpu(session);
    const handled: number[] = [];
    const laidOut: number[] = [];
    const painted: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const epoch = extra[i];
      const summary = { ...runSnapshot.runs[0], epochsCompleted: epochCount + i + 1, status: 'running' as const };
      const batches = Array.from({ length: 20 }, (_, b) => ({ kind: 'batch' as const, epoch: epoch.epoch, batch: b, loss: epoch.loss, accuracy: epoch.accuracy }));
      const t = await dashboard.timeToPaint({ type: 'epochsAppended', runId: running.summary.id, summary, epochs: [epoch], batches });
      handled.push(t.handledMs);
      laidOut.push(t.layoutMs);
      painted.push(t.paintMs);
    }
    const runCpu = ((await rendererCpu(session)) - runCpuStart) * 1000 / repeats;
    console.log(`live update, run page (one epoch appended to a ${epochCount}-epoch run):`);
    console.log(`  renderer CPU per update (all threads, to the painted frame): ${runCpu.toFixed(1)} ms`);
    console.log(`  handled (parse + reduce + DOM): ${stats(handled)}`);
    console.log(`  + style and layout:             ${stats(laidOut)}`);
    console.log(`  to the painted frame (2 rAF):   ${stats(painted)}`);

    // 3. Live update on the compare page: the runs list changes (one run's summary moved on).
    await dashboard.page.click('button[data-key="tab-compare"]');
    await dashboard.send(compareData(allIds.slice(0, 10)));
    const compareCpuStart = await rendererCpu(session);
    const compareHandled: number[] = [];
    const compareLaidOut: number[] = [];
    const comparePainted: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const runs = snapshot.runs.map((r, k) => (k === 0 ? { ...r, status: 'running' as const, epochsCompleted: epochCount + i + 1, updatedAt: `2026-11-27T00:00:${String(i).padStart(2, '0')}Z` } : r));
      const t = await dashboard.timeToPaint({ type: 'runsChanged', runs, thumbnailBases: snapshot.thumbnailBases });
      compareHandled.push(t.handledMs);
      compareLaidOut.push(t.layoutMs);
      comparePainted.push(t.paintMs);
    }
    const compareCpu = ((await rendererCpu(session)) - compareCpuStart) * 1000 / repeats;
    console.log(`live update, compare page (runsChanged with ${runCount} summaries, one run moved on):`);
    console.log(`  renderer CPU per update (all threads, to the painted frame): ${compareCpu.toFixed(1)} ms`);
    console.log(`  handled (parse + reduce + DOM): ${stats(compareHandled)}`);
    console.log(`  + style and layout:             ${stats(compareLaidOut)}`);
    console.log(`  to the painted frame (2 rAF):   ${stats(comparePainted)}`);
    // Floor of the measurement: the same runs again (parse and compare, nothing to redraw).
    const idleCpuStart = await rendererCpu(session);
    const idle: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t = await dashboard.timeToPaint({ type: 'runsChanged', runs: snapshot.runs, thumbnailBases: snapshot.thumbnailBases });
      idle.push(t.layoutMs);
    }
    const idleCpu = ((await rendererCpu(session)) - idleCpuStart) * 1000 / repeats;
    console.log(`baseline, compare page (runsChanged with nothing new): handled + layout ${stats(idle)}; renderer CPU ${idleCpu.toFixed(1)} ms`);
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
