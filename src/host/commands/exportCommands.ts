// Export Model…: the Runs view's context menu and the dashboard run `image-trainer export RUN --format F
// --json` (ONNX by default) and offer to open the folder or the model card. Gated: it loads the run's model
// and writes files (commandTrust.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isExportResult } from '../../protocol/exportResult';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import { cliJson, gated } from './commandSupport';
import { pickRun, runFromArg } from './pickers';

/** The formats offered, first the one most runtimes read. */
export const EXPORT_CHOICES = [
  {
    format: 'onnx',
    label: 'ONNX',
    detail:
      'model.onnx for ONNX Runtime, OpenVINO, TensorRT, Windows ML…; predict.py, predict.mjs, model card',
  },
  {
    format: 'tfjs-layers',
    label: 'TensorFlow.js layers',
    detail: 'model.json + weights.bin for TF.js in Node or the browser; predict.mjs',
  },
] as const;

/** Statuses whose model can be exported (a running or failed run cannot: the CLI says so too). */
export const EXPORTABLE_STATUSES = ['completed', 'stopped', 'interrupted'] as const;

export function registerExportCommands(services: HostServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      COMMANDS.exportModel,
      gated(COMMANDS.exportModel, (arg?: unknown) => exportModel(services, arg)),
    ),
  ];
}

async function exportModel(services: HostServices, arg: unknown): Promise<void> {
  const run = runFromArg(services, arg) ?? (await pickRun(services, 'Export Model', EXPORTABLE_STATUSES));
  if (!run) return;
  const choice = await vscode.window.showQuickPick(
    EXPORT_CHOICES.map((c) => ({ label: c.label, detail: c.detail, format: c.format })),
    { title: `Export ${run.id} as…` },
  );
  if (!choice) return;
  const result = await cliJson(
    services,
    `Exporting ${run.id} as ${choice.label} (with a parity check on the validation images)`,
    ['export', run.runDir, '--format', choice.format, '--json'],
    isExportResult,
  );
  services.runsWatcher.poke();
  if (!result) return;
  const p = result.parity;
  services.output.info(
    `Exported ${run.id} as ${result.format} to ${result.dir}: parity on ${p.images} images, same top-1 on ${p.sameTop1}, max difference ${p.maxProbabilityDifference ?? 'n/a'}`,
  );
  const reveal = 'Reveal Folder';
  const card = 'Open Model Card';
  const hasCard = result.files.includes('MODEL_CARD.md');
  const picked = await vscode.window.showInformationMessage(
    `Image Trainer: exported ${run.id} to ${result.dir} — parity passed on ${p.images} validation images.`,
    reveal,
    ...(hasCard ? [card] : []),
  );
  if (picked === reveal)
    await vscode.commands.executeCommand(
      'revealFileInOS',
      vscode.Uri.file(path.join(result.dir, result.files[0] ?? '')),
    );
  if (picked === card)
    await vscode.commands.executeCommand(
      'markdown.showPreview',
      vscode.Uri.file(path.join(result.dir, 'MODEL_CARD.md')),
    );
}
