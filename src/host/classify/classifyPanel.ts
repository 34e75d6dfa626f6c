// The Classify Image panel: the images a run classified, each with its top-k bars, and the time it took.
// Same CSP and bundle as the dashboard; the webview may load the bundle, the stylesheet and the folders
// of the images the user chose to classify, nothing else.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Prediction } from '../../protocol/runRecord';
import { isClassifyToHost, type ClassifyResults } from '../../protocol/classifyMessages';
import { createNonce, dashboardHtml } from '../dashboard/dashboardHtml';

export const CLASSIFY_VIEW_TYPE = 'imageTrainer.classifyResults';

let current: vscode.WebviewPanel | undefined;

export function showClassifyResults(
  extensionUri: vscode.Uri,
  runId: string,
  predictions: readonly Prediction[],
  latencyMs: number,
): void {
  const folders = [...new Set(predictions.map((p) => path.dirname(p.path)))].map((d) => vscode.Uri.file(d));
  const options: vscode.WebviewOptions = {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist'),
      vscode.Uri.joinPath(extensionUri, 'media'),
      ...folders,
    ],
  };
  current?.dispose();
  const panel = vscode.window.createWebviewPanel(
    CLASSIFY_VIEW_TYPE,
    `Classified by ${runId}`,
    vscode.ViewColumn.Active,
    options,
  );
  current = panel;
  const webview = panel.webview;
  const results: ClassifyResults = {
    runId,
    latencyMs,
    images: predictions.map((p) => ({
      name: path.basename(p.path),
      image: webview.asWebviewUri(vscode.Uri.file(p.path)).toString(),
      label: p.label,
      confidence: p.confidence,
      top: p.top,
    })),
  };
  const subscription = webview.onDidReceiveMessage((message: unknown) => {
    if (isClassifyToHost(message)) void webview.postMessage({ type: 'classifyResults', results });
  });
  panel.onDidDispose(() => {
    subscription.dispose();
    if (current === panel) current = undefined;
  });
  webview.html = dashboardHtml({
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css')).toString(),
    app: 'classify',
    title: `Classified by ${runId}`,
  });
}
