// The one "Image Trainer Dashboard" panel: creates or reveals it, wires the webview to the
// DashboardController (dashboardController.ts), and implements the controller's effects with VS Code's API.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, readRunDetails } from '../../core/runStore';
import { systemClock } from '../util/clock';
import { createNonce, dashboardHtml } from './dashboardHtml';
import { COMMANDS } from '../ids';
import { listLrFinds } from './lrFindStore';
import { DashboardController, type DashboardEffects, type DatasetAccess } from './dashboardController';
import { datasetResourceRoots, datasetRootAccess, type RootPolicy } from './resourceRoots';

export interface DashboardContext {
  extensionUri: vscode.Uri;
  runsRoot(): string;
  /** The folders the user chose (workspace folders, imageTrainer.datasetRoots): data sets the dashboard may act on. */
  rootPolicy(): RootPolicy;
  onRunsChanged: vscode.Event<void>;
  output: vscode.OutputChannel;
}

export interface DashboardTarget {
  runId?: string;
  compareRunIds?: string[];
}

/** The webview panel type, for `registerWebviewPanelSerializer` and the `onWebviewPanel:` activation event. */
export const DASHBOARD_VIEW_TYPE = 'imageTrainer.dashboard';
const TITLE = 'Image Trainer Dashboard';

class DashboardPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly controller: DashboardController;
  private allowedDatasetRoots: string[] = [];
  private disposed = false;

  constructor(
    private readonly ctx: DashboardContext,
    private readonly panel: vscode.WebviewPanel,
    target: DashboardTarget,
    private readonly onDisposed: () => void,
  ) {
    const webview = panel.webview;
    webview.options = this.webviewOptions();
    const access: DatasetAccess = {
      check: (root) => datasetRootAccess(root, ctx.rootPolicy()),
      mayModify: () => vscode.workspace.isTrusted,
    };
    const effects: DashboardEffects = {
      post: (message) => void webview.postMessage(message),
      confirm: async (message, detail, action) =>
        (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
      log: (line) => ctx.output.appendLine(`${new Date().toISOString()} ${line}`),
      openFile: async (file) => {
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
      },
      saveText: (text, name) => this.saveText(text, name),
      // The controller passes only roots the policy accepted (real paths), which are resource roots too.
      thumbnailBase: (root) =>
        this.allowedDatasetRoots.includes(root) ? webview.asWebviewUri(vscode.Uri.file(root)).toString() : '',
      datasetRootsChanged: (roots) => this.allowDatasetRoots(roots),
      inspectPredictions: async (runId) => {
        await vscode.commands.executeCommand(COMMANDS.inspectDetections, runId);
      },
      exportModel: async (runId) => {
        await vscode.commands.executeCommand(COMMANDS.exportModel, runId);
      },
    };
    this.controller = new DashboardController(
      fsp,
      {
        listRuns: () => listRuns(ctx.runsRoot()),
        readRunDetails: (dir) => readRunDetails(dir),
        listLrFinds: () => listLrFinds(ctx.runsRoot()),
      },
      effects,
      systemClock,
      {
        selectedRunId: target.runId ?? null,
        page: target.compareRunIds ? 'compare' : 'run',
        compareRunIds: target.compareRunIds ?? [],
      },
      access,
    );
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => void this.controller.handle(message)),
      ctx.onRunsChanged(() => this.controller.runsChanged()),
      panel.onDidDispose(() => this.dispose()),
    );
    void this.load();
  }

  /**
   * Allows the data set roots of the runs on disk before the first document loads: widening the roots
   * later makes VS Code reload the document, which costs a flash and drops messages in flight.
   */
  private async load(): Promise<void> {
    const runs = await listRuns(this.ctx.runsRoot()).catch(() => []);
    const roots = [...new Set(runs.map((r) => r.datasetRoot).filter(Boolean))];
    const policy = this.ctx.rootPolicy();
    const decided = await Promise.all(roots.map((root) => datasetRootAccess(root, policy)));
    if (this.disposed) return;
    this.allowDatasetRoots(decided.flatMap((a) => (a.ok ? [a.realRoot] : [])));
    this.panel.webview.html = this.html();
  }

  reveal(target: DashboardTarget): void {
    this.panel.reveal(undefined, false);
    void this.controller.navigate(target);
  }

  private webviewOptions(): vscode.WebviewOptions {
    const ext = this.ctx.extensionUri;
    return {
      enableScripts: true,
      // The runs folder is not among them: the webview loads nothing from it.
      localResourceRoots: [
        vscode.Uri.joinPath(ext, 'dist'),
        vscode.Uri.joinPath(ext, 'media'),
        ...this.allowedDatasetRoots.map((r) => vscode.Uri.file(r)),
      ],
    };
  }

  /**
   * Widens the resource roots when runs on new data sets appear (the webview reloads and re-syncs). Only
   * roots DatasetAccess accepted arrive here; forbidden ones are filtered once more all the same.
   */
  private allowDatasetRoots(roots: string[]): void {
    const next = datasetResourceRoots([...this.allowedDatasetRoots, ...roots], os.homedir());
    if (next.length === this.allowedDatasetRoots.length) return;
    this.allowedDatasetRoots = next;
    this.panel.webview.options = this.webviewOptions();
  }

  private html(): string {
    const webview = this.panel.webview;
    const ext = this.ctx.extensionUri;
    return dashboardHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'media', 'dashboard.css')).toString(),
    });
  }

  private async saveText(text: string, suggestedName: string): Promise<string | null> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(this.ctx.runsRoot());
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(folder, suggestedName)),
      filters: { CSV: ['csv'] },
      saveLabel: 'Export',
    });
    if (!uri) return null;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    return uri.fsPath;
  }

  dispose(): void {
    this.disposed = true;
    this.controller.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.onDisposed();
  }
}

let current: DashboardPanel | undefined;

/** Opens the dashboard on a run or a comparison, or reveals and retargets it when it is already open. */
export function openDashboard(ctx: DashboardContext, target: DashboardTarget): void {
  if (current) {
    current.reveal(target);
    return;
  }
  const panel = vscode.window.createWebviewPanel(
    DASHBOARD_VIEW_TYPE,
    TITLE,
    vscode.ViewColumn.Active,
    // Retained while hidden: switching tabs keeps the charts and selection without a reload flash.
    { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [] },
  );
  current = new DashboardPanel(ctx, panel, target, () => {
    current = undefined;
  });
}

/**
 * Takes over a dashboard panel VS Code restored after a window reload (from a WebviewPanelSerializer's
 * `deserializeWebviewPanel`); the webview keeps its saved UI state and asks for a fresh snapshot.
 */
export function reviveDashboard(ctx: DashboardContext, panel: vscode.WebviewPanel): void {
  if (current) {
    // There is one dashboard: keep the live one.
    panel.dispose();
    current.reveal({});
    return;
  }
  current = new DashboardPanel(ctx, panel, {}, () => {
    current = undefined;
  });
}
