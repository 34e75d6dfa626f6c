// Train, Stop and Resume: the user's side of the TrainingController.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { visibleText } from '../../protocol/displayText';
import { datasetRootAccess } from '../dashboard/resourceRoots';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import { RESUMABLE } from '../runs/runsModel';
import { describeRequest, type TrainRequest } from '../training/trainRequest';
import { confirmAndDownload } from './baseCommands';
import { gated } from './commandSupport';
import { datasetDirFromArg, pickDataset, pickModel, pickRun, runFromArg } from './pickers';

export function registerTrainingCommands(services: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      COMMANDS.train,
      gated(COMMANDS.train, (arg?: unknown) => train(services, arg)),
    ),
    vscode.commands.registerCommand(COMMANDS.stop, (arg?: unknown) => stop(services, arg)),
    vscode.commands.registerCommand(
      COMMANDS.resume,
      gated(COMMANDS.resume, (arg?: unknown) => resume(services, arg)),
    ),
  ];
}

async function train(services: HostServices, arg: unknown): Promise<void> {
  const datasetDir = datasetDirFromArg(arg) ?? (await pickDataset(services, 'Train Model: data set'));
  if (!datasetDir) return;
  const choice = await pickModel(services, datasetDir);
  if (!choice) return;
  if ('form' in choice) {
    await vscode.commands.executeCommand(COMMANDS.newTraining, datasetDir);
    return;
  }
  const settings = services.settings();
  const common = { datasetDir, runsRoot: settings.runsRoot, backend: settings.backend };
  if ('base' in choice) {
    // A base not downloaded yet is fetched first, after the user agrees to its size.
    if (!(await confirmAndDownload(services, choice.base))) return;
    await submit(services, { ...common, base: choice.base.name });
    return;
  }
  await submit(services, { ...common, ...choice });
}

async function resume(services: HostServices, arg: unknown): Promise<void> {
  const run = runFromArg(services, arg) ?? (await pickRun(services, 'Resume Run', RESUMABLE));
  if (!run) return;
  if (!RESUMABLE.includes(run.status)) {
    void vscode.window.showInformationMessage(
      `Image Trainer: run ${run.id} is ${run.status}; only stopped, failed or interrupted runs can be resumed.`,
    );
    return;
  }
  const settings = services.settings();
  // The data set root comes from run.json: a resume trains on it only when the user chose that folder.
  const access = await datasetRootAccess(run.datasetRoot, {
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    configuredRoots: settings.datasetRoots,
    homeDir: os.homedir(),
  });
  if (!access.ok) {
    void vscode.window.showWarningMessage(
      `Image Trainer: cannot resume ${visibleText(run.id)}: ${visibleText(access.reason)}.`,
    );
    return;
  }
  await submit(services, {
    datasetDir: run.datasetRoot,
    runsRoot: settings.runsRoot,
    backend: settings.backend,
    resumeRunDir: run.runDir,
  });
}

/** Starts now, or asks to queue behind the active run. */
async function submit(services: HostServices, request: TrainRequest): Promise<void> {
  const active = services.controller.active;
  if (active && services.controller.atCapacity) {
    const queue = 'Queue';
    const choice = await vscode.window.showInformationMessage(
      `Image Trainer: a run is training (${describeRequest(active.request)}). Queue "${describeRequest(request)}" to start when it ends?`,
      { modal: true },
      queue,
    );
    if (choice !== queue) return;
    // The active run may have ended while the question was open: then this starts at once.
    const result = services.controller.enqueue(request);
    if (result === 'queued')
      void vscode.window.showInformationMessage(
        `Image Trainer: queued (${services.controller.queued.length} waiting).`,
      );
    return;
  }
  services.controller.start(request);
}

function stop(services: HostServices, arg: unknown): void {
  const active = services.controller.active;
  const run = runFromArg(services, arg);
  if (!active) {
    void vscode.window.showInformationMessage(
      run?.status === 'running'
        ? `Image Trainer: run ${run.id} was not started from this window; stop it where it runs (Ctrl+C in its terminal).`
        : 'Image Trainer: no training run is active.',
    );
    return;
  }
  if (run && active.snapshot.runId !== null && run.id !== active.snapshot.runId) {
    void vscode.window.showInformationMessage(
      `Image Trainer: run ${run.id} was not started from this window; stop it where it runs.`,
    );
    return;
  }
  const result = services.controller.stopActive();
  if (result === 'requested') {
    void vscode.window.setStatusBarMessage(
      'Image Trainer: stopping after the current batch; run Stop again to kill the trainer at once.',
      8000,
    );
  } else if (result === 'killed') {
    void vscode.window.setStatusBarMessage(
      'Image Trainer: trainer killed; the run resumes from its last checkpoint.',
      8000,
    );
  }
  const waiting = services.controller.queued.length;
  if (waiting > 0) {
    void vscode.window
      .showInformationMessage(`Image Trainer: ${waiting} queued run(s) will start next.`, 'Clear Queue')
      .then((choice) => {
        if (choice) services.controller.clearQueue();
      });
  }
}
