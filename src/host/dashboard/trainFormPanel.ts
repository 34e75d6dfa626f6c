// The "New Training" panel: creates or reveals it, wires the form webview to the TrainFormController, and
// implements the controller's effects with VS Code's API (the queue, the save dialog, the clipboard).
// Same CSP, bundle and stylesheet as the dashboard (dashboardHtml.ts); the webview loads nothing else.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingConfig } from '../../protocol/config';
import { type AugmentPreviewResult, isAugmentPreviewResult } from '../../protocol/cliResults';
import { listRuns, readRunDetails } from '../../core/runStore';
import { newQueueId, writeQueuedConfig } from '../../core/runQueue';
import { baseRowsFor, confirmAndDownload } from '../commands/baseCommands';
import { formDatasetOf } from '../datasets/datasetsModel';
import type { HostServices } from '../hostServices';
import { queueViews } from '../training/queueKeeper';
import type { TrainRequest } from '../training/trainRequest';
import { runCliJson } from '../training/trainerProcess';
import { messageOf } from '../util/errors';
import { createNonce, dashboardHtml } from './dashboardHtml';
import { datasetRootAccess } from './resourceRoots';
import { type FormRunRequest, TrainFormController, type TrainFormTarget } from './trainFormController';

export const TRAIN_FORM_VIEW_TYPE = 'imageTrainer.trainForm';

export interface TrainFormContext {
  extensionUri: vscode.Uri;
  services: HostServices;
}

/** Whether `dir` is a data set folder the user chose; null when it is, else the reason. */
export async function datasetRefusal(services: HostServices, dir: string): Promise<string | null> {
  const access = await datasetRootAccess(dir, {
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    configuredRoots: services.settings().datasetRoots,
    homeDir: os.homedir(),
  });
  return access.ok ? null : access.reason;
}

/** Writes the form's config under the queue folder and starts or queues it; the sentence to show. */
async function startFormRun(services: HostServices, request: FormRunRequest): Promise<string> {
  const runsRoot = services.settings().runsRoot;
  if (request.base) {
    const row = (await baseRowsFor(services, request.datasetDir)).find((b) => b.name === request.base);
    if (!row) return `Not started: pretrained base ${request.base} is not in the catalogue.`;
    if (!(await confirmAndDownload(services, row))) return 'Not started: the base was not downloaded.';
  }
  const queueId = newQueueId(new Date(), randomBytes(4).toString('hex'));
  const configFile = await writeQueuedConfig(runsRoot, queueId, {
    $comment: `Written by New Training for ${request.label}`,
    ...request.config,
  });
  const trainRequest: TrainRequest = {
    datasetDir: request.datasetDir,
    runsRoot,
    configFile,
    queueId,
    label: request.label,
    ...(request.base ? { base: request.base } : {}),
    ...(request.parentId ? { parentId: request.parentId } : {}),
  };
  const controller = services.controller;
  const result = controller.enqueue(trainRequest);
  services.output.info(
    `[new training] ${result} ${queueId}: ${request.label}${request.parentId ? ` (parent ${request.parentId})` : ''}`,
  );
  if (result === 'started') return `Training started: ${request.label}.`;
  const position = controller.queued.findIndex((r) => r.queueId === queueId) + 1;
  return request.action === 'train'
    ? `A run is training; this one is queued at position ${position}.`
    : `Queued at position ${position}: ${request.label}.`;
}

/** `image-trainer preview-augment DIR --config TEMP --json` in a child process; the temp folder is removed after. */
async function previewAugmentation(
  services: HostServices,
  datasetDir: string,
  config: TrainingConfig,
  signal: AbortSignal,
): Promise<AugmentPreviewResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'image-trainer-preview-'));
  try {
    const file = path.join(dir, 'preview.imagetrainer.json');
    await fs.writeFile(file, JSON.stringify(config) + '\n', 'utf8');
    return await runCliJson(
      services.cli(),
      ['preview-augment', datasetDir, '--config', file, '--count', '8', '--json'],
      isAugmentPreviewResult,
      { signal },
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function saveConfig(config: TrainingConfig, suggestedName: string): Promise<string | null> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(folder, suggestedName)),
    filters: { 'Image Trainer config': ['json'] },
    saveLabel: 'Save Config',
  });
  if (!uri) return null;
  // The name keeps the suffix that gets the JSON schema and that Train Model lists.
  const target = uri.fsPath.endsWith('.imagetrainer.json')
    ? uri
    : vscode.Uri.file(uri.fsPath.replace(/(\.json)?$/, '.imagetrainer.json'));
  await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(config, null, 2) + '\n', 'utf8'));
  return target.fsPath;
}

class TrainFormPanel implements vscode.Disposable {
  readonly controller: TrainFormController;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: TrainFormContext,
    readonly panel: vscode.WebviewPanel,
    target: TrainFormTarget,
    private readonly onDisposed: () => void,
  ) {
    const services = ctx.services;
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(ctx.extensionUri, 'dist'),
        vscode.Uri.joinPath(ctx.extensionUri, 'media'),
      ],
    };
    this.controller = new TrainFormController(
      {
        post: (message) => void webview.postMessage(message),
        datasets: async () =>
          (await services.datasets.model.all()).map((d) =>
            formDatasetOf(d, services.datasets.model.doctorOf(d.root)),
          ),
        bases: async (dir) =>
          (await baseRowsFor(services, dir ?? undefined).catch(() => [])).map((row) => ({
            name: row.name,
            description: row.description,
            installed: row.installed,
          })),
        trusted: () => vscode.workspace.isTrusted,
        backendSetting: () => services.settings().backend,
        listRuns: () => listRuns(services.settings().runsRoot),
        readRunDetails: (dir) => readRunDetails(dir),
        totalMemory: () => os.totalmem(),
        checkDataset: (dir) => datasetRefusal(services, dir),
        queue: () => queueViews(services.controller.queued),
        run: (request) => startFormRun(services, request),
        saveConfig,
        previewAugmentation: (dir, config, signal) => previewAugmentation(services, dir, config, signal),
        copy: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
        moveQueued: (id, delta) => void services.controller.moveQueued(id, delta),
        cancelQueued: (id) => void services.controller.cancelQueued(id),
        log: (line) => services.output.info(line),
      },
      target,
    );
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => void this.controller.handle(message)),
      panel.onDidDispose(() => this.dispose()),
    );
    webview.html = dashboardHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview
        .asWebviewUri(vscode.Uri.joinPath(ctx.extensionUri, 'media', 'dashboard.css'))
        .toString(),
      app: 'train-form',
      title: 'New Training',
      // The augmentation preview's PNGs come as data URLs (made by the trainer, checked by the guard).
      dataImages: true,
    });
  }

  dispose(): void {
    this.controller.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.onDisposed();
  }
}

let current: TrainFormPanel | undefined;

/** Opens the New Training form on a data set or a run to change, or refills the open one. */
export function openTrainForm(ctx: TrainFormContext, target: TrainFormTarget): void {
  const title = target.parent ? `Re-run ${target.parent.id}` : 'New Training';
  if (current) {
    current.panel.title = title;
    current.panel.reveal(undefined, false);
    void current.controller
      .retarget(target)
      .catch((error: unknown) => ctx.services.output.warn(messageOf(error)));
    return;
  }
  const panel = vscode.window.createWebviewPanel(TRAIN_FORM_VIEW_TYPE, title, vscode.ViewColumn.Active, {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [],
  });
  current = new TrainFormPanel(ctx, panel, target, () => {
    current = undefined;
  });
}

/** The open form hears about queue changes (its queue list). */
export function trainFormQueueChanged(): void {
  current?.controller.queueChanged();
}
