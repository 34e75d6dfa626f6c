// The object graph that commands work with, built once in extension.ts.
import type * as vscode from 'vscode';
import type { DatasetsView } from './datasets/datasetsView';
import type { RunsView } from './runs/runsView';
import type { RunsWatcher } from './runs/runsWatcher';
import type { HostSettings } from './settingsModel';
import type { TrainingController } from './training/trainingController';
import type { CliLocation } from './training/trainerProcess';

export interface HostServices {
  output: vscode.LogOutputChannel;
  /** Workspace state (doctor reports). */
  state: vscode.Memento;
  settings(): HostSettings;
  /** Where the bundled CLI is and which runtime runs it. */
  cli(): CliLocation;
  /** The cache of pretrained bases and features the trainers get (IMAGE_TRAINER_CACHE_DIR). */
  cacheDir: string;
  datasets: DatasetsView;
  runs: RunsView;
  runsWatcher: RunsWatcher;
  controller: TrainingController;
  openDashboard(target: { runId?: string; compareRunIds?: string[] }): void;
  /** The extension's folder (webview bundles and media). */
  extensionUri?: vscode.Uri;
}
