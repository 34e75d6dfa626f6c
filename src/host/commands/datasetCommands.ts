// Scan, Create Sample Data Set, Classify Image, and the Datasets view's own actions.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isFiniteNumber, isRecord, isString } from '../../protocol';
import { isPredictionList } from '../../protocol/cliResults';
import type { RunSummary } from '../../protocol/runRecord';
import {
  isDetectionReport,
  presentDatasetNode,
  problemCount,
  type DatasetTreeNode,
} from '../datasets/datasetsModel';
import { isAnyScanReport, writeCachedReport } from '../datasets/doctorCache';
import { freeFolderName, SAMPLE_FOLDER_NAME } from '../datasets/folderNames';
import type { HostServices } from '../hostServices';
import { showClassifyResults } from '../classify/classifyPanel';
import { COMMANDS, VIEWS } from '../ids';
import { presentRunNode, type RunTreeNode } from '../runs/runsModel';
import { formatPercent, plural } from '../treePresentation';
import { isImageCandidate } from '../../core/dataset';
import { cliJson, gated } from './commandSupport';
import { datasetDirFromArg, pickDataset, pickRun } from './pickers';

const TOP_K = 5;

export function registerDatasetCommands(services: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.scanDataset, (arg?: unknown) => scanDataset(services, arg)),
    vscode.commands.registerCommand(COMMANDS.createSampleDataset, () => createSampleDataset(services)),
    vscode.commands.registerCommand(
      COMMANDS.classifyImage,
      gated(COMMANDS.classifyImage, (arg?: unknown, all?: unknown) => classifyImage(services, arg, all)),
    ),
    vscode.commands.registerCommand(COMMANDS.refreshDatasets, () => services.datasets.refresh()),
    vscode.commands.registerCommand(COMMANDS.loadMore, (listKey: unknown) => {
      if (typeof listKey !== 'string') return;
      services.datasets.model.loadMore(listKey);
      services.datasets.rerender();
    }),
    vscode.commands.registerCommand(COMMANDS.revealInExplorer, (arg?: unknown) => revealInExplorer(arg)),
    vscode.commands.registerCommand(COMMANDS.showLogs, () => services.output.show(true)),
  ];
}

async function scanDataset(services: HostServices, arg: unknown): Promise<void> {
  const root = datasetDirFromArg(arg) ?? (await pickDataset(services, 'Scan Data Set'));
  if (!root) return;
  const model = services.datasets.model;
  model.setDoctor(root, { state: 'scanning' });
  services.datasets.rerender();
  const report = await cliJson(
    services,
    `Scanning ${path.basename(root)}`,
    ['scan', root, '--json'],
    isAnyScanReport,
  );
  if (!report) {
    model.setDoctor(root, {
      state: 'failed',
      message: 'The scan failed or was cancelled; see the Output channel.',
    });
    services.datasets.rerender();
    return;
  }
  const scannedAt = new Date();
  model.setDoctor(root, { state: 'done', report, scannedAt });
  void writeCachedReport(services.state, root, { report, scannedAt });
  services.datasets.rerender();
  const problems = problemCount(report);
  if (isDetectionReport(report)) {
    services.output.info(
      `Scan of ${root} (${report.format}): ${plural(report.images, 'image')}, ${plural(report.boxes, 'box', 'boxes')} in ${plural(report.classNames.length, 'class', 'classes')}, ${plural(problems, 'finding')}`,
    );
    for (const finding of report.findings.slice(0, 200))
      services.output.warn(
        `  ${finding.kind}: ${finding.file}${finding.line ? `:${finding.line}` : ''}: ${finding.message}`,
      );
    void vscode.window.showInformationMessage(
      `Image Trainer: ${path.basename(root)}: ${plural(report.boxes, 'box', 'boxes')} in ${plural(report.images, 'image')}, ${problems === 0 ? 'no problems found' : `${plural(problems, 'finding')} (see the Doctor item in the Datasets view)`}.`,
    );
    return;
  }
  services.output.info(
    `Scan of ${root}: ${plural(report.total, 'image')} accepted in ${plural(report.classes.length, 'class', 'classes')}, ` +
      `${report.skipped.length} skipped, ${report.duplicates.length} duplicate groups, ${report.warnings.length} warnings`,
  );
  for (const warning of report.warnings) services.output.warn(`  ${warning.kind}: ${warning.message}`);
  void vscode.window.showInformationMessage(
    `Image Trainer: ${path.basename(root)}: ${plural(report.total, 'image')} accepted, ${problems === 0 ? 'no problems found' : `${plural(problems, 'finding')} (see the Doctor item in the Datasets view)`}.`,
  );
}

function isSampleResult(value: unknown): value is { root: string; images: number; classes: string[] } {
  return (
    isRecord(value) && isString(value.root) && isFiniteNumber(value.images) && Array.isArray(value.classes)
  );
}

async function createSampleDataset(services: HostServices): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage(
      'Image Trainer: open a folder first; the sample data set is written into the workspace.',
    );
    return;
  }
  const parent = folder.uri.fsPath;
  const name = await vscode.window.showInputBox({
    title: 'Create Sample Data Set',
    prompt: `Folder (in ${parent}) for the procedural shapes data set: circles, squares, triangles, crosses`,
    value: freeFolderName(parent, SAMPLE_FOLDER_NAME),
    validateInput: (value) => {
      const trimmed = value.trim();
      if (trimmed === '') return 'Enter a folder name.';
      if (path.isAbsolute(trimmed) || trimmed.split(/[\\/]/).includes('..'))
        return 'Use a folder inside the workspace.';
      if (existsSync(path.join(parent, trimmed))) return `${trimmed} exists already; choose a new folder.`;
      return undefined;
    },
  });
  if (!name) return;
  const dir = path.join(parent, name.trim());
  const result = await cliJson(
    services,
    'Creating the sample data set',
    ['sample', dir, '--json'],
    isSampleResult,
  );
  if (!result) return;
  services.output.info(
    `Wrote the sample data set: ${result.images} images in ${result.classes.length} classes to ${dir}`,
  );
  await services.datasets.refresh();
  void vscode.commands.executeCommand(`${VIEWS.datasets}.focus`);
  const train = 'Train Model';
  const choice = await vscode.window.showInformationMessage(
    `Image Trainer: created ${name.trim()} with ${plural(result.images, 'image')} in ${plural(result.classes.length, 'class', 'classes')}.`,
    train,
  );
  if (choice === train) void vscode.commands.executeCommand(COMMANDS.train, dir);
}

/** An image from the Explorer, the Datasets view or the active editor tab, else an open dialog. */
async function imageFromArg(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const node = arg as DatasetTreeNode | undefined;
  if (node && typeof node === 'object' && 'kind' in node && node.kind === 'image') return node.path;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri =
    input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  if (uri?.scheme === 'file' && isImageCandidate(uri.path)) return uri.fsPath;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Classify',
    filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'gif', 'bmp', 'tif', 'tiff'] },
  });
  return picked?.[0]?.fsPath;
}

/** The Explorer passes the clicked file and every selected one: several images are classified together. */
function imagesFromSelection(all: unknown): string[] {
  if (!Array.isArray(all)) return [];
  return all.flatMap((u) =>
    u instanceof vscode.Uri && u.scheme === 'file' && isImageCandidate(u.path) ? [u.fsPath] : [],
  );
}

async function classifyImage(services: HostServices, arg: unknown, all?: unknown): Promise<void> {
  const selected = imagesFromSelection(all);
  const first = selected.length > 1 ? undefined : await imageFromArg(arg);
  const images = selected.length > 1 ? selected : first ? [first] : [];
  if (images.length === 0) return;
  const what = images.length === 1 ? path.basename(images[0]) : `${images.length} images`;
  const run = await pickRun(services, `Classify ${what} with…`, ['completed']);
  if (!run) return;
  await classifyWithRun(services, run, images, true);
}

/**
 * One predict call for `images` with `run`; the panel shows every image with its bars. From the Explorer
 * (`ask`), one image also gets the quick pick that answers from the keyboard; a drop on the panel does not.
 */
async function classifyWithRun(
  services: HostServices,
  run: RunSummary,
  images: string[],
  ask: boolean,
): Promise<void> {
  const image = images[0];
  const what = images.length === 1 ? path.basename(image) : `${images.length} images`;
  const started = Date.now();
  const predictions = await cliJson(
    services,
    `Classifying ${what}`,
    [
      'predict',
      run.runDir,
      ...images,
      '--top',
      String(Math.min(TOP_K, Math.max(1, run.classNames.length))),
      '--json',
    ],
    isPredictionList,
  );
  const latencyMs = Date.now() - started;
  const prediction = predictions?.[0];
  if (!predictions || !prediction) return;
  for (const p of predictions)
    services.output.info(
      `${p.path}: ${p.top.map((t) => `${t.label} ${formatPercent(t.confidence)}`).join(', ')} (run ${run.id})`,
    );
  // The panel shows every image with its bars; the quick pick keeps the keyboard answer for one image.
  if (services.extensionUri)
    showClassifyResults(services, services.extensionUri, {
      runId: run.id,
      predictions,
      latencyMs,
      classifyDropped: (dropped) => classifyWithRun(services, run, dropped, false),
    });
  if (!ask) return;
  if (predictions.length > 1) {
    void vscode.window.showInformationMessage(
      `Image Trainer: classified ${predictions.length} images with run ${run.id} in ${(latencyMs / 1000).toFixed(1)} s.`,
    );
    return;
  }
  await vscode.window.showQuickPick(
    prediction.top.map((t, i) => ({
      label: `${i === 0 ? '$(star-full)' : '$(tag)'} ${t.label}`,
      description: formatPercent(t.confidence),
      detail: i === 0 ? `Prediction of run ${run.id}` : undefined,
    })),
    {
      title: `${path.basename(image)}: ${prediction.label} (${formatPercent(prediction.confidence)})`,
      placeHolder: `Top ${prediction.top.length} classes by confidence`,
    },
  );
}

async function revealInExplorer(arg: unknown): Promise<void> {
  const target = resourceOf(arg);
  if (!target) return;
  const uri = vscode.Uri.file(target);
  const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
  await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', uri);
}

function resourceOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (!arg || typeof arg !== 'object' || !('kind' in arg)) return undefined;
  const node = arg as DatasetTreeNode | RunTreeNode;
  if (node.kind === 'run') return presentRunNode(node).resourcePath;
  if (node.kind === 'error') return undefined;
  return presentDatasetNode(node as DatasetTreeNode).resourcePath;
}
