// The vscode side of the detection gallery and the detection inspector (issue 18): webview panels with
// the dashboard's CSP and bundle, whose resources are only the bundle, the stylesheet and the picture
// cache; the controllers (no vscode) do the rest. Also opens a label file at a line.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DetGalleryFocus } from '../../protocol/detectionGalleryMessages';
import type { RunSummary } from '../../protocol';
import { readDetectionSet } from '../../trainer/detect/detectionSet';
import { createNonce, dashboardHtml } from '../dashboard/dashboardHtml';
import { resolveInsideRoot } from '../dashboard/datasetPaths';
import { datasetRefusal } from '../dashboard/trainFormPanel';
import { ThumbnailCache } from '../gallery/thumbnailCache';
import type { HostServices } from '../hostServices';
import { DetectionGalleryController } from './detectionGalleryController';
import { InspectorController, loadDetectionResults } from './inspectorController';

export const DETECTION_GALLERY_VIEW_TYPE = 'imageTrainer.detectionGallery';
export const DETECTION_INSPECTOR_VIEW_TYPE = 'imageTrainer.detectionInspector';

export interface DetectionPanelContext {
  extensionUri: vscode.Uri;
  services: HostServices;
  /** Folder of the picture cache (the class gallery's thumbnails folder). */
  thumbnailDir: string;
}

/** Letterboxed pictures of several sizes, each size one cache (they share the folder, keys differ). */
class PictureCaches {
  private readonly caches = new Map<number, ThumbnailCache>();
  constructor(readonly dir: string) {}
  file(absolutePath: string, size: number): Promise<string> {
    let cache = this.caches.get(size);
    if (!cache) {
      cache = new ThumbnailCache(this.dir, size, 'pad');
      this.caches.set(size, cache);
    }
    return cache.thumbnailFile(absolutePath);
  }
}

function panelHtml(
  webview: vscode.Webview,
  ext: vscode.Uri,
  app: 'detection-gallery' | 'detection-inspector',
  title: string,
): string {
  return dashboardHtml({
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'media', 'dashboard.css')).toString(),
    app,
    title,
  });
}

function createPanel(ctx: DetectionPanelContext, viewType: string, title: string): vscode.WebviewPanel {
  const ext = ctx.extensionUri;
  return vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [
      vscode.Uri.joinPath(ext, 'dist'),
      vscode.Uri.joinPath(ext, 'media'),
      vscode.Uri.file(ctx.thumbnailDir),
    ],
  });
}

/** Opens `absolutePath` as text with its 1-based `line` selected and revealed. */
export async function openTextAtLine(absolutePath: string, line: number): Promise<void> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(absolutePath));
  const index = Math.max(0, Math.min(document.lineCount - 1, Math.floor(line) - 1));
  const range = document.lineAt(index).range;
  await vscode.window.showTextDocument(document, {
    selection: range,
    preview: true,
    viewColumn: vscode.ViewColumn.Beside,
  });
}

/** `imageTrainer.openAnnotation ROOT FILE LINE`: the label file, checked to be inside the data set. */
export async function openAnnotation(
  services: HostServices,
  root: string,
  file: string,
  line: number,
): Promise<void> {
  const refused = await datasetRefusal(services, root);
  if (refused) {
    void vscode.window.showWarningMessage(`Image Trainer: cannot open ${file}: ${refused}.`);
    return;
  }
  const check = await resolveInsideRoot(fsp, root, file);
  if (!check.ok) {
    void vscode.window.showWarningMessage(`Image Trainer: cannot open ${file}: ${check.reason}.`);
    return;
  }
  await openTextAtLine(check.absolute, line);
}

const galleries = new Map<string, { panel: vscode.WebviewPanel; controller: DetectionGalleryController }>();

export async function openDetectionGallery(
  ctx: DetectionPanelContext,
  root: string,
  focus: DetGalleryFocus,
): Promise<void> {
  const datasetRoot = path.resolve(root);
  const existing = galleries.get(datasetRoot);
  if (existing) {
    existing.controller.focus(focus);
    existing.panel.reveal(undefined, false);
    return;
  }
  const services = ctx.services;
  const refused = await datasetRefusal(services, datasetRoot);
  if (refused) {
    void vscode.window.showWarningMessage(`Image Trainer: cannot show ${datasetRoot}: ${refused}.`);
    return;
  }
  const title = `${path.basename(datasetRoot)} — boxes`;
  const panel = createPanel(ctx, DETECTION_GALLERY_VIEW_TYPE, title);
  const webview = panel.webview;
  const pictures = new PictureCaches(ctx.thumbnailDir);
  const controller = new DetectionGalleryController(datasetRoot, focus, {
    post: (message) => void webview.postMessage(message),
    readSet: () => readDetectionSet(datasetRoot),
    picture: async (file, size) =>
      webview.asWebviewUri(vscode.Uri.file(await pictures.file(file, size))).toString(),
    openTextAt: (file, line) => openTextAtLine(file, line),
    openFile: async (file) => {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    },
    fs: fsp,
    log: (line) => services.output.info(line),
  });
  galleries.set(datasetRoot, { panel, controller });
  const subscription = webview.onDidReceiveMessage((message: unknown) => void controller.handle(message));
  panel.onDidDispose(() => {
    galleries.delete(datasetRoot);
    controller.dispose();
    subscription.dispose();
  });
  webview.html = panelHtml(webview, ctx.extensionUri, 'detection-gallery', title);
}

const inspectors = new Map<string, vscode.WebviewPanel>();

export function openDetectionInspector(ctx: DetectionPanelContext, run: RunSummary): void {
  const existing = inspectors.get(run.runDir);
  if (existing) {
    existing.reveal(undefined, false);
    return;
  }
  const services = ctx.services;
  const title = `${run.id} — predictions`;
  const panel = createPanel(ctx, DETECTION_INSPECTOR_VIEW_TYPE, title);
  const webview = panel.webview;
  const pictures = new PictureCaches(ctx.thumbnailDir);
  const controller = new InspectorController(run.id, {
    post: (message) => void webview.postMessage(message),
    load: () => loadDetectionResults(run.runDir, run.datasetRoot, (root) => datasetRefusal(services, root)),
    picture: async (file, size) =>
      webview.asWebviewUri(vscode.Uri.file(await pictures.file(file, size))).toString(),
    openFile: async (file) => {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    },
    fs: fsp,
    log: (line) => services.output.info(line),
  });
  inspectors.set(run.runDir, panel);
  const subscription = webview.onDidReceiveMessage((message: unknown) => void controller.handle(message));
  panel.onDidDispose(() => {
    inspectors.delete(run.runDir);
    controller.dispose();
    subscription.dispose();
  });
  webview.html = panelHtml(webview, ctx.extensionUri, 'detection-inspector', title);
}
