// Quick picks shared by the commands: a data set, a run, a model preset or config file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MODEL_PRESETS, type ModelPreset, type RunStatus, type RunSummary } from '../../protocol';
import type { DetectedDataset } from '../datasets/datasetDetection';
import type { DatasetTreeNode } from '../datasets/datasetsModel';
import type { HostServices } from '../hostServices';
import { CONFIG_FILE_SUFFIX } from '../ids';
import { describeRun } from '../runs/runsModel';
import type { RunTreeNode } from '../runs/runsModel';
import { plural } from '../treePresentation';
import type { BaseRow } from '../bases/baseChoices';
import { baseRowsFor } from './baseCommands';
import { messageOf } from '../util/errors';
import { PRESET_DESCRIPTIONS } from '../../core/trainForm';

/**
 * These pickers are steps of multi-step commands (data set, then model; image, then run). When one step
 * closes, focus returns for a moment to the editor that had it; a webview (the dashboard) reports that
 * focus late and can take it back from the next step's picker, which would then close with no answer and
 * end the command silently. Steps therefore stay open until the user picks or presses Escape, as in VS
 * Code's multi-step input sample.
 */
const STEP_KEEPS_FOCUS = true;

/** Presets are described once, for this picker and the New Training form. */
const PRESET_DETAILS: Partial<Record<ModelPreset, string>> = PRESET_DESCRIPTIONS;

/** A data set folder from a command argument: a tree node, an Explorer Uri or a path. */
export function datasetDirFromArg(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  const node = arg as DatasetTreeNode | undefined;
  if (
    node &&
    typeof node === 'object' &&
    'kind' in node &&
    (node.kind === 'dataset' ||
      node.kind === 'doctor' ||
      node.kind === 'detectionClass' ||
      node.kind === 'detectionScanHint')
  )
    return node.dataset.root;
  return undefined;
}

/** A run from a command argument: a tree node or a run id. */
export function runFromArg(services: HostServices, arg: unknown): RunSummary | undefined {
  if (typeof arg === 'string') return services.runs.model.find(arg);
  const node = arg as RunTreeNode | undefined;
  if (node && typeof node === 'object' && 'kind' in node && node.kind === 'run') return node.run;
  return undefined;
}

export async function pickDataset(services: HostServices, title: string): Promise<string | undefined> {
  const datasets = await services.datasets.model.all();
  type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
  const items: Item[] = datasets.map((d: DetectedDataset) => ({
    label: `$(folder-library) ${d.name}`,
    description: d.detection
      ? `${plural(d.total, 'image')} · detection (${d.detection.format})`
      : `${plural(d.total, 'image')} · ${plural(d.classes.length, 'class', 'classes')}`,
    detail: d.root,
    dir: d.root,
  }));
  items.push({
    label: '$(folder-opened) Browse…',
    description: 'a folder of class folders, or of train/val/test folders',
    browse: true,
  });
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'Data set',
    matchOnDetail: true,
    ignoreFocusOut: STEP_KEEPS_FOCUS,
  });
  if (!picked) return undefined;
  if (picked.dir) return picked.dir;
  const folder = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Use Data Set',
    title,
  });
  return folder?.[0]?.fsPath;
}

export type ModelChoice =
  { model: ModelPreset } | { configFile: string } | { base: BaseRow } | { form: true };

/**
 * Presets, pretrained bases and config files. For a data set of photos the bases come first, the
 * recommended one marked (a from-scratch model stays near chance on a few photos).
 */
export async function pickModel(
  services: HostServices,
  datasetDir?: string,
): Promise<ModelChoice | undefined> {
  const preferred = services.settings().defaultPreset;
  type Item = vscode.QuickPickItem & { choice?: ModelChoice };
  const bases = await baseRowsFor(services, datasetDir).catch((error: unknown) => {
    services.output.warn(`cannot list pretrained bases: ${messageOf(error)}`);
    return [] as BaseRow[];
  });
  const photos = bases.some((b) => b.recommended);
  const baseItems: Item[] =
    bases.length === 0
      ? []
      : [
          {
            label: photos ? 'Pretrained bases — recommended for these photos' : 'Pretrained bases',
            kind: vscode.QuickPickItemKind.Separator,
          },
          ...bases.map((row) => ({
            label: row.label,
            description: row.description,
            detail: row.detail,
            choice: { base: row },
          })),
        ];
  const presets: Item[] = [...MODEL_PRESETS]
    .sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0))
    .map((model) => ({
      label: `$(symbol-class) ${model}`,
      description: model === preferred ? 'default' : undefined,
      detail: PRESET_DETAILS[model],
      choice: { model },
    }));
  const configs = await vscode.workspace.findFiles(`**/*${CONFIG_FILE_SUFFIX}`, '**/node_modules/**', 100);
  const configItems: Item[] = configs
    .map((uri) => uri.fsPath)
    .sort()
    .map((file) => ({
      label: `$(json) ${path.basename(file)}`,
      description: vscode.workspace.asRelativePath(file),
      choice: { configFile: file },
    }));
  const presetItems: Item[] = [
    { label: 'Model presets', kind: vscode.QuickPickItemKind.Separator },
    ...presets,
  ];
  const formItem: Item = {
    label: '$(edit) New Training…',
    description: 'set epochs, learning rate and every other field in a form',
    choice: { form: true },
  };
  const items: Item[] = [
    formItem,
    ...(photos ? [...baseItems, ...presetItems] : [...presetItems, ...baseItems]),
    ...(configItems.length > 0
      ? [{ label: 'Experiment configs', kind: vscode.QuickPickItemKind.Separator }, ...configItems]
      : []),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Train Model',
    placeHolder: 'Model preset or experiment config (*.imagetrainer.json)',
    ignoreFocusOut: STEP_KEEPS_FOCUS,
  });
  return picked?.choice;
}

export async function pickRun(
  services: HostServices,
  title: string,
  statuses?: readonly RunStatus[],
  /** `detect`: offer detection runs only (the inspector of predictions has nothing to show otherwise). */
  task?: 'detect',
): Promise<RunSummary | undefined> {
  await services.runs.model.refresh();
  const runs = services.runs.model.all.filter(
    (r) => (!statuses || statuses.includes(r.status)) && (task === undefined || r.task === task),
  );
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(
      `Image Trainer: no ${statuses ? statuses.join(' or ') + ' ' : ''}${task === 'detect' ? 'detection ' : ''}runs in ${services.settings().runsRoot}.`,
    );
    return undefined;
  }
  if (runs.length === 1) return runs[0];
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({
      label: run.id,
      description: describeRun(run),
      detail: `${run.model} on ${run.datasetRoot}`,
      run,
    })),
    { title, placeHolder: 'Run', ignoreFocusOut: STEP_KEEPS_FOCUS },
  );
  return picked?.run;
}

export async function pickRuns(services: HostServices, title: string): Promise<RunSummary[] | undefined> {
  await services.runs.model.refresh();
  const picked = await vscode.window.showQuickPick(
    services.runs.model.all.map((run) => ({
      label: run.id,
      description: describeRun(run),
      detail: `${run.model} on ${run.datasetRoot}`,
      run,
    })),
    { title, placeHolder: 'Select two or more runs', canPickMany: true, ignoreFocusOut: STEP_KEEPS_FOCUS },
  );
  return picked?.map((p) => p.run);
}
