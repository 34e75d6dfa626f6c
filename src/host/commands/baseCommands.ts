// Pretrained bases in the editor: "Get Pretrained Model…" (pick from the catalogue or add any TF.js model
// by URL or folder), and the download itself — the trainer's `bases get|add --json` in a child process,
// shown as a cancellable progress notification. Nothing is downloaded without the user picking it.
import * as vscode from 'vscode';
import { isBaseDownloadEvent, type BaseDownloadEvent } from '../../protocol/bases';
import { formatBytes } from '../../protocol/format';
import { samplePhotoProfile } from '../../core/photoSample';
import { listBases, loadCatalogue } from '../../trainer/bases/cache';
import { gated, showError, stderrLogger } from './commandSupport';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import { CliError, runCli } from '../training/trainerProcess';
import { messageOf } from '../util/errors';
import { baseRows, downloadProgress, type BaseListingRow, type BaseRow } from '../bases/baseChoices';

export function registerBaseCommands(services: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      COMMANDS.getPretrainedModel,
      gated(COMMANDS.getPretrainedModel, () => getPretrainedModel(services)),
    ),
  ];
}

/** The catalogue and the installed bases of the extension's cache; damaged ones are logged. */
export async function listBaseRows(services: HostServices): Promise<BaseListingRow[]> {
  const { bases, damaged } = await listBases(services.cacheDir, await loadCatalogue());
  for (const d of damaged) services.output.warn(`pretrained base ${d.name} is damaged: ${d.reason}`);
  return bases.map((b) => ({
    name: b.entry.name,
    installed: b.installed,
    sizeBytes: b.entry.sizeBytes,
    description: b.description,
    format: b.entry.format,
    inputShape: b.entry.inputShape,
    licence: b.entry.licence,
    source: b.entry.source,
  }));
}

/** Rows for a data set: the recommended base marked when its images look like photos. */
export async function baseRowsFor(services: HostServices, datasetDir?: string): Promise<BaseRow[]> {
  const photos = datasetDir ? (await samplePhotoProfile(datasetDir)).photos : false;
  return baseRows(await listBaseRows(services), photos);
}

const ADD_ITEM = '$(add) Add from a URL or a folder…';

async function getPretrainedModel(services: HostServices): Promise<void> {
  type Item = vscode.QuickPickItem & { row?: BaseRow; add?: boolean };
  const rows = await baseRowsFor(services);
  const items: Item[] = [
    ...rows.map((row) => ({ label: row.label, description: row.description, detail: row.detail, row })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: ADD_ITEM, description: 'any TF.js layers or graph model (model.json)', add: true },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Get Pretrained Model',
    placeHolder: 'A base to download into the cache (downloaded ones are marked)',
    matchOnDetail: true,
  });
  if (!picked) return;
  if (picked.add) {
    await addBaseFromUser(services);
    return;
  }
  const row = picked.row!;
  if (row.installed) {
    void vscode.window.showInformationMessage(
      `Image Trainer: ${row.name} is downloaded; pick it in Train Model (or: image-trainer train DIR --base ${row.name}).`,
    );
    return;
  }
  await downloadBase(services, ['bases', 'get', row.name, '--json'], row.name);
}

/**
 * Asks before downloading `name` (its size and source shown), then downloads it. True when the base is
 * in the cache afterwards.
 */
export async function confirmAndDownload(services: HostServices, row: BaseRow): Promise<boolean> {
  if (row.installed) return true;
  const download = 'Download';
  const choice = await vscode.window.showInformationMessage(
    `Download the pretrained base ${row.name} (about ${formatBytes(row.sizeBytes)})? It is kept in the extension's cache and used offline afterwards.`,
    { modal: true, detail: row.detail },
    download,
  );
  if (choice !== download) return false;
  return downloadBase(services, ['bases', 'get', row.name, '--json'], row.name);
}

async function addBaseFromUser(services: HostServices): Promise<void> {
  const source = await vscode.window.showInputBox({
    title: 'Add Pretrained Model',
    prompt: 'URL of a model.json (TF.js layers or graph model), or a local folder or model.json path',
    placeHolder: 'https://…/model.json or /path/to/model',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? 'A URL or a path' : undefined),
  });
  if (!source) return;
  const name = await vscode.window.showInputBox({
    title: 'Add Pretrained Model',
    prompt: 'A name to train with (--base NAME): letters, digits, dots, dashes',
    validateInput: (value) =>
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value)
        ? undefined
        : 'Letters, digits, dots and dashes, up to 64',
  });
  if (!name) return;
  await downloadBase(services, ['bases', 'add', source.trim(), '--name', name, '--json'], name);
}

/** Runs `bases get|add … --json` under a cancellable progress notification; true when it installed. */
async function downloadBase(services: HostServices, args: string[], name: string): Promise<boolean> {
  services.output.info(`$ image-trainer ${args.join(' ')}`);
  const installed = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Image Trainer: ${name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      let done: Extract<BaseDownloadEvent, { type: 'baseInstalled' }> | undefined;
      const onEvent = (event: BaseDownloadEvent): void => {
        if (event.type === 'baseInstalled') done = event;
        const shown = downloadProgress(event);
        if (!shown) return;
        progress.report({ message: shown.message, increment: Math.max(0, shown.percent - reported) });
        reported = Math.max(reported, shown.percent);
      };
      try {
        await runCli(services.cli(), args, {
          signal: abort.signal,
          onStderr: stderrLogger(services),
          onStdoutLine: (line) => {
            if (!line.startsWith('{')) return;
            try {
              const event: unknown = JSON.parse(line);
              if (isBaseDownloadEvent(event)) onEvent(event);
            } catch {
              // Not an event line.
            }
          },
        });
        return done;
      } catch (error) {
        if (abort.signal.aborted) {
          void vscode.window.showInformationMessage(
            `Image Trainer: download of ${name} cancelled; getting it again resumes where it stopped.`,
          );
        } else showError(services, error instanceof CliError ? error.message : messageOf(error));
        return undefined;
      }
    },
  );
  if (!installed) return false;
  const message = `Image Trainer: ${name} is ready (${formatBytes(installed.base.sizeBytes)}, ${installed.base.format} model, ${installed.base.inputShape.join('×')} input).`;
  services.output.info(`${message} ${installed.dir}`);
  void vscode.window.showInformationMessage(message);
  return true;
}
