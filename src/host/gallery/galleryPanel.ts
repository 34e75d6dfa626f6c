// The class gallery panel: a paged, virtualised thumbnail grid of one class of a data set (opened by
// clicking the class in the Datasets view). Same CSP and bundle as the dashboard; the webview may load
// only the bundle, the stylesheet and the thumbnail cache.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findingsByPath } from '../../core/galleryFindings';
import { createNonce, dashboardHtml } from '../dashboard/dashboardHtml';
import { datasetRefusal } from '../dashboard/trainFormPanel';
import { listImages } from '../datasets/datasetDetection';
import { isDetectionReport } from '../datasets/datasetsModel';
import type { HostServices } from '../hostServices';
import { nodeDirectoryLister } from '../util/fsListing';
import { GalleryController, type GalleryTarget } from './galleryController';
import { ThumbnailCache } from './thumbnailCache';

export const GALLERY_VIEW_TYPE = 'imageTrainer.classGallery';

export interface GalleryContext {
  extensionUri: vscode.Uri;
  services: HostServices;
  thumbnails: ThumbnailCache;
}

const open = new Map<string, vscode.WebviewPanel>();

export async function openClassGallery(ctx: GalleryContext, target: GalleryTarget): Promise<void> {
  const existing = open.get(target.classDir);
  if (existing) {
    existing.reveal(undefined, false);
    return;
  }
  // The data set root is the user's choice (the Datasets view lists only those), checked all the same.
  const refused = await datasetRefusal(ctx.services, target.datasetRoot);
  if (refused) {
    void vscode.window.showWarningMessage(`Image Trainer: cannot show ${target.className}: ${refused}.`);
    return;
  }
  const ext = ctx.extensionUri;
  const panel = vscode.window.createWebviewPanel(
    GALLERY_VIEW_TYPE,
    `${target.className} — gallery`,
    vscode.ViewColumn.Active,
    {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [
        vscode.Uri.joinPath(ext, 'dist'),
        vscode.Uri.joinPath(ext, 'media'),
        vscode.Uri.file(ctx.thumbnails.dir),
      ],
    },
  );
  open.set(target.classDir, panel);
  const webview = panel.webview;
  const services = ctx.services;
  const controller = new GalleryController(target, {
    post: (message) => void webview.postMessage(message),
    listImages: () => listImages(nodeDirectoryLister, target.classDir),
    findings: () => {
      const doctor = services.datasets.model.doctorOf(target.datasetRoot);
      const report = doctor?.state === 'done' ? doctor.report : undefined;
      return findingsByPath(report && !isDetectionReport(report) ? report : undefined);
    },
    thumbnail: async (file) =>
      webview.asWebviewUri(vscode.Uri.file(await ctx.thumbnails.thumbnailFile(file))).toString(),
    openFile: async (file) => {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
    },
    confirm: async (message, detail, action) =>
      (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
    mayModify: () => vscode.workspace.isTrusted,
    fs: fsp,
    log: (line) => services.output.info(line),
  });
  const subscription = webview.onDidReceiveMessage((message: unknown) => void controller.handle(message));
  panel.onDidDispose(() => {
    open.delete(target.classDir);
    controller.dispose();
    subscription.dispose();
  });
  webview.html = dashboardHtml({
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'media', 'dashboard.css')).toString(),
    app: 'gallery',
    title: `${target.className} — gallery`,
  });
}

/** `imageTrainer.openClassGallery` arguments: a data set root, a class folder and its name, the class names. */
export function galleryTargetFromArgs(args: unknown[]): GalleryTarget | undefined {
  const [root, dir, name, classes] = args;
  if (typeof root !== 'string' || typeof dir !== 'string' || typeof name !== 'string') return undefined;
  const moveTargets = Array.isArray(classes) ? classes.filter((c): c is string => typeof c === 'string') : [];
  return { datasetRoot: path.resolve(root), classDir: path.resolve(dir), className: name, moveTargets };
}
