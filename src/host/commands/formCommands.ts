// New Training, Re-run with Changes…, the queue's own commands (reorder, cancel) in the Runs view, and the
// class gallery a class of the Datasets view opens.
import * as vscode from 'vscode';
import { resolveStoredConfig } from '../../core/config';
import { readRunDetails } from '../../core/runStore';
import { visibleText } from '../../protocol/displayText';
import { datasetRefusal, openTrainForm, trainFormQueueChanged } from '../dashboard/trainFormPanel';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import type { RunTreeNode } from '../runs/runsModel';
import { messageOf } from '../util/errors';
import { galleryTargetFromArgs, openClassGallery } from '../gallery/galleryPanel';
import type { ThumbnailCache } from '../gallery/thumbnailCache';
import { gated } from './commandSupport';
import { datasetDirFromArg, pickRun, runFromArg } from './pickers';

function queuedIdFromArg(arg: unknown): string | undefined {
  const node = arg as RunTreeNode | undefined;
  return node && typeof node === 'object' && 'kind' in node && node.kind === 'queued'
    ? node.entry.id
    : undefined;
}

export function registerFormCommands(
  services: HostServices,
  extensionUri: vscode.Uri,
  thumbnails: ThumbnailCache,
): vscode.Disposable[] {
  const ctx = { extensionUri, services };
  return [
    vscode.commands.registerCommand(COMMANDS.openClassGallery, (...args: unknown[]) => {
      const target = galleryTargetFromArgs(args);
      if (target) void openClassGallery({ extensionUri, services, thumbnails }, target);
    }),
    vscode.commands.registerCommand(
      COMMANDS.newTraining,
      gated(COMMANDS.newTraining, (arg?: unknown) =>
        openTrainForm(ctx, { datasetDir: datasetDirFromArg(arg) }),
      ),
    ),
    vscode.commands.registerCommand(
      COMMANDS.rerunWithChanges,
      gated(COMMANDS.rerunWithChanges, (arg?: unknown) => rerunWithChanges(services, extensionUri, arg)),
    ),
    vscode.commands.registerCommand(COMMANDS.cancelQueuedRun, (arg?: unknown) => {
      const id = queuedIdFromArg(arg);
      if (id) services.controller.cancelQueued(id);
      trainFormQueueChanged();
    }),
    vscode.commands.registerCommand(COMMANDS.moveQueuedRunUp, (arg?: unknown) => {
      const id = queuedIdFromArg(arg);
      if (id) services.controller.moveQueued(id, -1);
      trainFormQueueChanged();
    }),
    vscode.commands.registerCommand(COMMANDS.moveQueuedRunDown, (arg?: unknown) => {
      const id = queuedIdFromArg(arg);
      if (id) services.controller.moveQueued(id, 1);
      trainFormQueueChanged();
    }),
  ];
}

/** Opens the form filled from a run's run.json; the new run will name it as its parent. */
async function rerunWithChanges(
  services: HostServices,
  extensionUri: vscode.Uri,
  arg: unknown,
): Promise<void> {
  const run = runFromArg(services, arg) ?? (await pickRun(services, 'Re-run with Changes…'));
  if (!run) return;
  const fail = (why: string): void =>
    void vscode.window.showWarningMessage(
      `Image Trainer: cannot re-run ${visibleText(run.id)}: ${visibleText(why)}.`,
    );
  if (run.status === 'damaged') return fail(run.error ?? 'its records cannot be read');
  const details = await readRunDetails(run.runDir).catch(() => null);
  if (!details) return fail('its run.json cannot be read');
  let config;
  try {
    // run.json is a claim: its config passes the same validator as a config file.
    config = resolveStoredConfig(details.record.config, `${run.id}/run.json`);
  } catch (error) {
    return fail(messageOf(error));
  }
  // The data set root comes from run.json: the form trains on it only when the user chose that folder.
  const refused = await datasetRefusal(services, details.record.dataset.root);
  if (refused) return fail(refused);
  openTrainForm(
    { extensionUri, services },
    {
      parent: {
        id: run.id,
        config,
        base: details.record.base?.name ?? null,
        datasetDir: details.record.dataset.root,
      },
    },
  );
}
