// The Classify Image panel: the images a run classified, each with its top-k bars, and the time it took.
// Same CSP and bundle as the dashboard; the webview may load the bundle, the stylesheet and the folders
// of the images the user chose to classify, nothing else. Images dropped on the panel are checked here
// (droppedImages.ts) and classified together by the same run, in one predict call.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Prediction } from '../../protocol/runRecord';
import { type ClassifyResults, type HostToClassify, isClassifyToHost } from '../../protocol/classifyMessages';
import { visibleText } from '../../protocol/displayText';
import { createNonce, dashboardHtml } from '../dashboard/dashboardHtml';
import type { HostServices } from '../hostServices';
import { checkDroppedImages } from './droppedImages';

export const CLASSIFY_VIEW_TYPE = 'imageTrainer.classifyResults';

export interface ClassifyPanelInput {
  runId: string;
  predictions: readonly Prediction[];
  latencyMs: number;
  /** Classifies the dropped images (already checked) with the same run, then shows them here. */
  classifyDropped(images: string[]): Promise<void>;
}

interface OpenPanel {
  panel: vscode.WebviewPanel;
  results: ClassifyResults;
  input: ClassifyPanelInput;
}

let current: OpenPanel | undefined;

function optionsFor(extensionUri: vscode.Uri, predictions: readonly Prediction[]): vscode.WebviewOptions {
  const folders = [...new Set(predictions.map((p) => path.dirname(p.path)))].map((d) => vscode.Uri.file(d));
  return {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist'),
      vscode.Uri.joinPath(extensionUri, 'media'),
      ...folders,
    ],
  };
}

function post(panel: vscode.WebviewPanel, message: HostToClassify): void {
  void panel.webview.postMessage(message);
}

async function onDrop(services: HostServices, open: OpenPanel, uris: string[]): Promise<void> {
  const notice = (level: 'info' | 'error', message: string): void =>
    post(open.panel, { type: 'classifyNotice', level, message: visibleText(message).slice(0, 4000) });
  if (!vscode.workspace.isTrusted)
    return notice('error', 'Classifying is disabled in Restricted Mode; trust the workspace to classify.');
  const { accepted, refused } = await checkDroppedImages(uris, {
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    configuredRoots: services.settings().datasetRoots,
    homeDir: os.homedir(),
  });
  for (const r of refused) services.output.warn(`[classify] not classified: ${r.item}: ${r.reason}`);
  const left =
    refused.length === 0
      ? ''
      : ` Left out ${refused[0].item}: ${refused[0].reason}${refused.length > 1 ? ` (and ${refused.length - 1} more, see the log)` : ''}.`;
  if (accepted.length === 0) return notice('error', `Nothing to classify.${left}`);
  notice('info', `Classifying ${accepted.length} image${accepted.length === 1 ? '' : 's'}…${left}`);
  await open.input.classifyDropped(accepted);
}

/** Shows (or updates) the panel with a run's predictions. */
export function showClassifyResults(
  services: HostServices,
  extensionUri: vscode.Uri,
  input: ClassifyPanelInput,
): void {
  const options = optionsFor(extensionUri, input.predictions);
  const reuse = current && current.input.runId === input.runId ? current : undefined;
  if (!reuse) current?.panel.dispose();
  const panel =
    reuse?.panel ??
    vscode.window.createWebviewPanel(
      CLASSIFY_VIEW_TYPE,
      `Classified by ${input.runId}`,
      vscode.ViewColumn.Active,
      options,
    );
  const webview = panel.webview;
  webview.options = options;
  const results: ClassifyResults = {
    runId: input.runId,
    latencyMs: input.latencyMs,
    images: input.predictions.map((p) => ({
      name: path.basename(p.path),
      image: webview.asWebviewUri(vscode.Uri.file(p.path)).toString(),
      label: p.label,
      confidence: p.confidence,
      top: p.top,
    })),
  };
  if (reuse) {
    reuse.results = results;
    reuse.input = input;
    panel.reveal(undefined, true);
    post(panel, { type: 'classifyResults', results });
    return;
  }
  const open: OpenPanel = { panel, results, input };
  current = open;
  const subscription = webview.onDidReceiveMessage((message: unknown) => {
    if (!isClassifyToHost(message)) return;
    if (message.type === 'ready') post(panel, { type: 'classifyResults', results: open.results });
    else
      void onDrop(services, open, message.uris).catch((error: unknown) =>
        services.output.warn(`[classify] ${String(error)}`),
      );
  });
  panel.onDidDispose(() => {
    subscription.dispose();
    if (current === open) current = undefined;
  });
  webview.html = dashboardHtml({
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css')).toString(),
    app: 'classify',
    title: `Classified by ${input.runId}`,
  });
}
