// activate/deactivate only: builds the object graph and registers every disposable with one root.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listRuns } from './core/runStore';
import { registerDatasetCommands } from './host/commands/datasetCommands';
import { registerRunCommands } from './host/commands/runCommands';
import { registerExportCommands } from './host/commands/exportCommands';
import { registerTrainingCommands } from './host/commands/trainingCommands';
import {
  DASHBOARD_VIEW_TYPE,
  openDashboard,
  reviveDashboard,
  type DashboardContext,
} from './host/dashboard/dashboardPanel';
import { forbiddenRootReason } from './host/dashboard/resourceRoots';
import { readCachedReports } from './host/datasets/doctorCache';
import { DatasetsModel } from './host/datasets/datasetsModel';
import { DatasetsView } from './host/datasets/datasetsView';
import type { HostServices } from './host/hostServices';
import { OUTPUT_CHANNEL_NAME, SETTINGS_SECTION } from './host/ids';
import { RunsModel } from './host/runs/runsModel';
import { registerBaseCommands } from './host/commands/baseCommands';
import { EngineStatusBar, registerEngineCommands } from './host/commands/engineCommands';
import { registerFormCommands } from './host/commands/formCommands';
import { ThumbnailCache } from './host/gallery/thumbnailCache';
import { registerDetectionCommands } from './host/commands/detectionCommands';
import { datasetRefusal, trainFormQueueChanged } from './host/dashboard/trainFormPanel';
import { QueueKeeper, queueViews } from './host/training/queueKeeper';
import { visibleText } from './protocol/displayText';
import { CONTEXT_TRAINING } from './host/ids';
import { RunsView } from './host/runs/runsView';
import { RunsWatcher } from './host/runs/runsWatcher';
import { readSettings } from './host/settings';
import { markRunEnded } from './host/training/runRecordRepair';
import { SessionPresenter } from './host/training/sessionPresenter';
import { TrainingController } from './host/training/trainingController';
import {
  killProcessTree,
  resolveRuntime,
  spawnTrainer,
  withTrainerEnvironment,
  type CliLocation,
} from './host/training/trainerProcess';
import { TrainingSession } from './host/training/trainingSession';
import { nodeDirectoryLister } from './host/util/fsListing';

let controller: TrainingController | undefined;

export interface ImageTrainerApi {
  /** For integration tests: the object graph of this activation. */
  services: HostServices;
}

export function activate(context: vscode.ExtensionContext): ImageTrainerApi {
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const settings = readSettings;
  const cacheDir = path.join(context.globalStorageUri.fsPath, 'cache');
  // Native engines (tfjs-node, tfjs-node-gpu): the user's folder, else one in global storage.
  const engineDir = (): string =>
    settings().engineDirectory || path.join(context.globalStorageUri.fsPath, 'engine');
  const cli = (): CliLocation => {
    const runtime = resolveRuntime(settings().nodePath);
    const http = vscode.workspace.getConfiguration('http');
    return {
      runtime: {
        ...runtime,
        env: withTrainerEnvironment(runtime.env, {
          cacheDir,
          engineDir: engineDir(),
          proxy: http.get<string>('proxy'),
          noProxy: http.get<string[]>('noProxy'),
        }),
      },
      cliPath: path.join(context.extensionPath, 'dist', 'cli.js'),
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? context.extensionPath,
    };
  };

  // A runs folder setting that is refused (a disk root, the home folder, a system folder, or outside the
  // workspace in Restricted Mode) is said once, with the folder used instead.
  let warnedRunsRoot: string | null = null;
  const warnAboutRunsRoot = (): void => {
    const warning = settings().runsRootWarning;
    if (warning && warning !== warnedRunsRoot) {
      output.warn(warning);
      void vscode.window.showWarningMessage(`Image Trainer: ${warning}`);
    }
    warnedRunsRoot = warning;
  };
  warnAboutRunsRoot();
  const runsWatcher = new RunsWatcher(settings().runsRoot);
  const datasetsModel = new DatasetsModel({
    lister: nodeDirectoryLister,
    options: () => {
      const s = settings();
      return {
        // A configured root that is a disk root, the home folder or a system folder is never searched.
        roots: [
          ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
          ...s.datasetRoots.filter((root) => forbiddenRootReason(root, os.homedir()) === null),
        ],
        excludes: s.datasetExcludes,
      };
    },
  });
  for (const [root, cached] of readCachedReports(context.workspaceState))
    datasetsModel.setDoctor(root, { state: 'done', ...cached });
  const datasets = new DatasetsView(datasetsModel);
  const runs = new RunsView(
    new RunsModel(
      { listRuns: (root) => listRuns(root) },
      () => settings().runsRoot,
      () => (controller ? queueViews(controller.queued) : []),
    ),
    runsWatcher,
  );

  const presenter = new SessionPresenter(output, {
    // Batch and progress events change nothing the views show that the watcher would not see.
    onEvent: (event) => event.type !== 'batchEnded' && event.type !== 'progress' && runsWatcher.poke(),
  });
  // The form's queue is kept on disk (set up below, once `services` exists to check data set folders).
  const queueKeeper = new QueueKeeper({
    runsRoot: () => settings().runsRoot,
    mayTrain: () => vscode.workspace.isTrusted,
    // Called only after activation has built `services`.
    datasetAllowed: (dir) => datasetRefusal(services, dir),
    enqueue: (request) => void controller?.enqueue(request),
    log: (line) => output.info(line),
    warn: (line) => {
      output.warn(line);
      void vscode.window.showWarningMessage(`Image Trainer: ${visibleText(line)}`);
    },
  });
  controller = new TrainingController(
    (request) =>
      new TrainingSession(
        request,
        {
          spawn: (args) => spawnTrainer(cli(), args),
          killTree: killProcessTree,
          markRunEnded: (runDir, status, message) => markRunEnded(runDir, status, message),
        },
        presenter.observer(),
      ),
    {
      onStarted: (session) => {
        presenter.attach(session);
        void vscode.commands.executeCommand('setContext', CONTEXT_TRAINING, true);
      },
      onEnded: (session) => {
        runsWatcher.refreshNow();
        void vscode.commands.executeCommand('setContext', CONTEXT_TRAINING, controller?.busy ?? false);
        void queueKeeper.ended(session.request);
      },
      onQueueChanged: (queued) => {
        presenter.setQueued(queued.length);
        void queueKeeper.persist(queued);
        void runs.refresh();
        trainFormQueueChanged();
      },
      onDropped: (request, reason) => queueKeeper.dropped(request, reason),
    },
    () => settings().maxConcurrentRuns,
    // A queued run's config may have been removed or damaged while it waited: dropped, never a failed run.
    (request) => queueKeeper.check(request),
  );

  const dashboardContext: DashboardContext = {
    extensionUri: context.extensionUri,
    runsRoot: () => settings().runsRoot,
    rootPolicy: () => ({
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      configuredRoots: settings().datasetRoots,
      homeDir: os.homedir(),
    }),
    onRunsChanged: runsWatcher.onDidChange,
    output,
  };

  const services: HostServices = {
    output,
    state: context.workspaceState,
    settings,
    cli,
    cacheDir,
    datasets,
    runs,
    runsWatcher,
    controller,
    openDashboard: (target) => openDashboard(dashboardContext, target),
    extensionUri: context.extensionUri,
  };

  const keeper = queueKeeper;
  // Queued runs from before a window reload start again, in order (only in a trusted workspace).
  void keeper.restore().then((n) => n > 0 && output.info(`Restored ${n} queued run(s) from queue.json.`));

  const trainingController = controller;
  const engineStatusBar = new EngineStatusBar(services);
  void engineStatusBar.refresh();
  context.subscriptions.push(
    engineStatusBar,
    ...registerEngineCommands(services, engineStatusBar),
    output,
    runsWatcher,
    datasets,
    runs,
    presenter,
    { dispose: () => trainingController.dispose() },
    ...registerTrainingCommands(services),
    ...registerRunCommands(services),
    ...registerExportCommands(services),
    ...registerDatasetCommands(services),
    ...registerBaseCommands(services),
    ...registerFormCommands(
      services,
      context.extensionUri,
      new ThumbnailCache(path.join(context.globalStorageUri.fsPath, 'thumbnails')),
    ),
    ...registerDetectionCommands(
      services,
      context.extensionUri,
      path.join(context.globalStorageUri.fsPath, 'thumbnails'),
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
      if (
        e.affectsConfiguration(`${SETTINGS_SECTION}.engineDirectory`) ||
        e.affectsConfiguration(`${SETTINGS_SECTION}.nodePath`)
      )
        void engineStatusBar.refresh();
      warnAboutRunsRoot();
      runsWatcher.watch(settings().runsRoot);
      void datasets.refresh();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void datasets.refresh()),
    // A dashboard left open comes back after a window reload.
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => reviveDashboard(dashboardContext, panel),
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      output.info('Workspace trusted: training is enabled.');
      // Trust can allow a runs folder outside the workspace that Restricted Mode refused.
      warnAboutRunsRoot();
      runsWatcher.watch(settings().runsRoot);
      void runs.refresh();
      void keeper.restore();
    }),
  );
  return { services };
}

/** Closing the window stops the trainer: its process tree is killed. */
export function deactivate(): void {
  controller?.dispose();
  controller = undefined;
}
