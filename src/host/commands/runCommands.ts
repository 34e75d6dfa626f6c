// Dashboard, Compare, Evaluate, Delete, Reveal: what the Runs view's context menu offers.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSweepCompleted } from '../../protocol/cliResults';
import { isEvaluation } from '../../protocol/webviewMessages';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import type { RunTreeNode } from '../runs/runsModel';
import { formatPercent } from '../treePresentation';
import { messageOf } from '../util/errors';
import { cliJson, gated } from './commandSupport';
import { visibleText } from '../../protocol/displayText';
import { lockRunForDeletion } from '../runs/runDeletion';
import { pickDataset, pickRun, pickRuns, runFromArg } from './pickers';

export function registerRunCommands(services: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.openDashboard, (arg?: unknown) => openDashboard(services, arg)),
    vscode.commands.registerCommand(COMMANDS.compareRuns, (arg?: unknown, selected?: unknown) =>
      compareRuns(services, arg, selected),
    ),
    vscode.commands.registerCommand(
      COMMANDS.evaluateRun,
      gated(COMMANDS.evaluateRun, (arg?: unknown) => evaluateRun(services, arg)),
    ),
    vscode.commands.registerCommand(
      COMMANDS.runSweep,
      gated(COMMANDS.runSweep, (arg?: unknown) => runSweep(services, arg)),
    ),
    vscode.commands.registerCommand(COMMANDS.deleteRun, (arg?: unknown, selected?: unknown) =>
      deleteRuns(services, arg, selected),
    ),
    vscode.commands.registerCommand(COMMANDS.refreshRuns, () => services.runs.refresh()),
  ];
}

function openDashboard(services: HostServices, arg: unknown): void {
  const run = runFromArg(services, arg);
  services.openDashboard(run ? { runId: run.id } : typeof arg === 'string' ? { runId: arg } : {});
}

/** Run nodes from a tree command's (clicked, selection) arguments, else the view's selection. */
function selectedRunIds(services: HostServices, arg: unknown, selected: unknown): string[] {
  const nodes = Array.isArray(selected) ? (selected as RunTreeNode[]) : [];
  const ids = nodes.flatMap((n) => (n && n.kind === 'run' ? [n.run.id] : []));
  if (ids.length > 0) return ids;
  const fromView = services.runs.selectedRunIds();
  if (fromView.length > 1) return fromView;
  const one = runFromArg(services, arg);
  return one ? [one.id] : [];
}

async function compareRuns(services: HostServices, arg: unknown, selected: unknown): Promise<void> {
  let ids = selectedRunIds(services, arg, selected);
  if (ids.length < 2) {
    const picked = await pickRuns(services, 'Compare Runs');
    if (!picked) return;
    ids = picked.map((r) => r.id);
  }
  services.openDashboard({ compareRunIds: ids });
}

async function evaluateRun(services: HostServices, arg: unknown): Promise<void> {
  const run =
    runFromArg(services, arg) ??
    (await pickRun(services, 'Evaluate Run', ['completed', 'stopped', 'interrupted', 'failed']));
  if (!run) return;
  const dataDir = await pickDataset(services, `Evaluate ${run.id} on…`);
  if (!dataDir) return;
  const result = await cliJson(
    services,
    `Evaluating ${run.id} on ${path.basename(dataDir)}`,
    ['evaluate', run.runDir, dataDir, '--json'],
    isEvaluation,
  );
  if (!result) return;
  const summary = `run ${run.id} on ${dataDir}: accuracy ${formatPercent(result.accuracy)}, macro F1 ${result.macro.f1.toFixed(3)}`;
  services.output.info(`Evaluation of ${summary}`);
  services.runsWatcher.poke();
  const open = 'Open Dashboard';
  if ((await vscode.window.showInformationMessage(`Image Trainer: ${summary}.`, open)) === open)
    services.openDashboard({ runId: run.id });
}

/** A sweep file from the Explorer, or one picked among the workspace's `*sweep*.json` files. */
async function pickSweepFile(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const files = await vscode.workspace.findFiles(
    '**/*sweep*.json',
    '**/{node_modules,.git,.image-trainer}/**',
    200,
  );
  type Item = vscode.QuickPickItem & { file?: string };
  const items: Item[] = files.map((uri) => ({
    label: path.basename(uri.fsPath),
    description: vscode.workspace.asRelativePath(uri),
    file: uri.fsPath,
  }));
  items.push({ label: '$(folder-opened) Browse…' });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Run Hyperparameter Sweep: sweep file (see docs/experiments.md)',
  });
  if (!picked) return undefined;
  if (picked.file) return picked.file;
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Sweep file': ['json'] },
  });
  return chosen?.[0]?.fsPath;
}

/** Runs `image-trainer sweep` (every trial a normal, grouped run) and points at the best trial. */
async function runSweep(services: HostServices, arg: unknown): Promise<void> {
  const file = await pickSweepFile(arg);
  if (!file) return;
  const dataDir = await pickDataset(services, `Sweep ${path.basename(file)} over…`);
  if (!dataDir) return;
  const args = ['sweep', file, '--data', dataDir, '--out', services.settings().runsRoot, '--json'];
  const result = await cliJson(services, `Sweep ${path.basename(file)}`, args, isSweepCompleted);
  services.runsWatcher.poke();
  if (!result) return;
  const trialIds = result.trials.flatMap((t) => (t.runId ? [t.runId] : []));
  const best = result.best;
  const summary = best?.runId
    ? `sweep ${result.sweepId}: best trial #${best.index} is ${best.runId} (${best.best === null ? 'no metric' : best.best.toFixed(4)}) of ${result.trials.length}`
    : `sweep ${result.sweepId}: no trial finished (${result.trials.length} planned)`;
  services.output.info(`${summary}; summary in ${result.groupFile}`);
  const openBest = 'Open Best Trial';
  const compare = 'Compare Trials';
  const choice = await vscode.window.showInformationMessage(
    `Image Trainer: ${summary}.`,
    ...(best?.runId ? [openBest] : []),
    ...(trialIds.length > 1 ? [compare] : []),
  );
  if (choice === openBest && best?.runId) services.openDashboard({ runId: best.runId });
  if (choice === compare) services.openDashboard({ compareRunIds: trialIds });
}

async function deleteRuns(services: HostServices, arg: unknown, selected: unknown): Promise<void> {
  const ids = selectedRunIds(services, arg, selected);
  const runs = ids.map((id) => services.runs.model.find(id)).filter((r) => r !== undefined);
  if (runs.length === 0) return;
  const activeId = services.controller.active?.snapshot.runId;
  const running = runs.filter((r) => r.status === 'running' || r.id === activeId);
  if (running.length > 0) {
    void vscode.window.showWarningMessage(
      `Image Trainer: stop ${running.map((r) => r.id).join(', ')} before deleting it.`,
    );
    return;
  }
  const what = runs.length === 1 ? `run ${runs[0].id}` : `${runs.length} runs`;
  const confirm = 'Move to Trash';
  const choice = await vscode.window.showWarningMessage(
    `Delete ${what}? The run folder${runs.length === 1 ? '' : 's'} will be moved to the trash.`,
    { modal: true, detail: runs.map((r) => r.runDir).join('\n') },
    confirm,
  );
  if (choice !== confirm) return;
  for (const run of runs) {
    const uri = vscode.Uri.file(run.runDir);
    let lock;
    try {
      lock = await lockRunForDeletion(run.runDir);
    } catch (error) {
      // A live writer (a resume started elsewhere) holds the run: the delete waits for another time.
      void vscode.window.showWarningMessage(`Image Trainer: ${visibleText(messageOf(error))}`);
      continue;
    }
    try {
      await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
      services.output.info(`Moved run ${run.id} to the trash (${run.runDir})`);
    } catch (error) {
      // No trash on this system (some remotes, containers): ask again before deleting for good.
      const permanent = 'Delete Permanently';
      const again = await vscode.window.showWarningMessage(
        `Could not move ${run.runDir} to the trash (${messageOf(error)}). Delete it permanently?`,
        { modal: true },
        permanent,
      );
      if (again !== permanent) continue;
      await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
      services.output.info(`Deleted run ${run.id} permanently (${run.runDir})`);
    } finally {
      await lock?.release().catch(() => undefined);
    }
  }
  services.runsWatcher.poke();
  await services.runs.refresh();
}
