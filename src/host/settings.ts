// Reads the imageTrainer.* settings through vscode into plain HostSettings.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { SETTINGS, SETTINGS_SECTION } from './ids';
import { resolveSettings, type HostSettings } from './settingsModel';

export function readSettings(): HostSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return resolveSettings(
    {
      backend: config.get(SETTINGS.backend),
      runsDirectory: config.get(SETTINGS.runsDirectory),
      defaultPreset: config.get(SETTINGS.defaultPreset),
      nodePath: config.get(SETTINGS.nodePath),
      engineDirectory: config.get(SETTINGS.engineDirectory),
      datasetRoots: config.get(SETTINGS.datasetRoots),
      datasetExcludes: config.get(SETTINGS.datasetExcludes),
      maxConcurrentRuns: config.get(SETTINGS.maxConcurrentRuns),
    },
    (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    vscode.workspace.isTrusted,
    os.homedir(),
  );
}
