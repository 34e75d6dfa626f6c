// The engine in the editor: a status-bar item saying which backend trains and why a faster one was
// passed over (from `image-trainer engine status --json`), "Show Engine Status", and "Set Up Native
// Engine…", which runs `engine install … --json` in a child process: npm's output goes live to the
// Output channel, a notification shows progress and can cancel, and the verdict is one line.
import * as vscode from 'vscode';
import type { NativeEngine } from '../../core/engineDiagnosis';
import { isEngineInstallEvent, isEngineStatus, type EngineStatus } from '../../protocol/engine';
import { gated, SHOW_LOGS } from './commandSupport';
import type { HostServices } from '../hostServices';
import { COMMANDS } from '../ids';
import { CliError, runCli, runCliJson } from '../training/trainerProcess';
import { messageOf } from '../util/errors';
import { engineChoices, engineStatusBarLook, verdictLogLine } from '../engine/enginePresentation';

export class EngineStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private generation = 0;
  last: EngineStatus | undefined;

  constructor(private readonly services: HostServices) {
    this.item = vscode.window.createStatusBarItem('imageTrainer.engine', vscode.StatusBarAlignment.Left, 9);
    this.item.name = 'Image Trainer Engine';
    this.item.command = COMMANDS.showEngineStatus;
  }

  /** Asks the trainer which backend it would pick now (it loads the ladder, a second or two). */
  async refresh(): Promise<EngineStatus | undefined> {
    const generation = ++this.generation;
    try {
      const status = await runCliJson(this.services.cli(), ['engine', 'status', '--json'], isEngineStatus);
      if (generation !== this.generation) return status;
      this.last = status;
      const look = engineStatusBarLook(status);
      this.item.text = look.text;
      this.item.tooltip = look.tooltip.join('\n');
      this.item.accessibilityInformation = { label: `Image Trainer engine: ${look.tooltip[0]}` };
      this.item.show();
      this.services.output.info(
        `Engine: ${status.backend} · ${status.devices.join('; ')}${status.passedOver.length > 0 ? ` · passed over: ${status.passedOver.join(' | ')}` : ''}`,
      );
      return status;
    } catch (error) {
      this.services.output.warn(
        `engine status failed: ${error instanceof CliError ? error.message : messageOf(error)}`,
      );
      return undefined;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

export function registerEngineCommands(
  services: HostServices,
  statusBar: EngineStatusBar,
): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      COMMANDS.setUpNativeEngine,
      gated(COMMANDS.setUpNativeEngine, () => setUpNativeEngine(services, statusBar)),
    ),
    vscode.commands.registerCommand(
      COMMANDS.showEngineStatus,
      gated(COMMANDS.showEngineStatus, () => showEngineStatus(services, statusBar)),
    ),
  ];
}

async function showEngineStatus(services: HostServices, statusBar: EngineStatusBar): Promise<void> {
  const status = await statusBar.refresh();
  if (!status) {
    void vscode.window
      .showErrorMessage('Image Trainer: the engine status could not be read.', SHOW_LOGS)
      .then((c) => {
        if (c) services.output.show(true);
      });
    return;
  }
  const setUp = 'Set Up Native Engine…';
  const native = status.backend === 'tensorflow' || status.backend === 'tensorflow-gpu';
  const detail = [
    status.devices.join('\n'),
    ...status.passedOver,
    ...(status.cuda && !status.cuda.ok ? [status.cuda.message] : []),
  ].join('\n');
  const choice = await vscode.window.showInformationMessage(
    `Image Trainer trains with ${status.backend} here.`,
    { modal: true, detail },
    ...(native ? [] : [setUp]),
  );
  if (choice === setUp) await vscode.commands.executeCommand(COMMANDS.setUpNativeEngine);
}

async function setUpNativeEngine(services: HostServices, statusBar: EngineStatusBar): Promise<void> {
  type Item = vscode.QuickPickItem & { engine: NativeEngine };
  const items: Item[] = engineChoices(process.platform).map((c) => ({
    label: c.label,
    description: c.description,
    detail: c.detail,
    engine: c.engine,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Set Up Native Engine',
    placeHolder:
      'Installed with your npm into the engine folder; the bundled WASM engine keeps working meanwhile',
    ignoreFocusOut: true,
  });
  if (!picked) return;
  const verdict = await installWithProgress(services, picked.engine);
  if (!verdict) return;
  services.output.info(verdictLogLine(picked.engine, verdict.ok, verdict.message));
  if (verdict.ok) {
    void vscode.window.showInformationMessage(`Image Trainer: ${verdict.message}`);
    await statusBar.refresh();
  } else {
    void vscode.window.showErrorMessage(`Image Trainer: ${verdict.message}`, SHOW_LOGS).then((c) => {
      if (c) services.output.show(true);
    });
  }
}

interface Verdict {
  ok: boolean;
  message: string;
}

/** Runs `engine install ENGINE --json`; npm's lines go to the Output channel as they come. */
async function installWithProgress(
  services: HostServices,
  engine: NativeEngine,
): Promise<Verdict | undefined> {
  const args = ['engine', 'install', engine, '--json'];
  services.output.info(`$ image-trainer ${args.join(' ')}`);
  services.output.show(true);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Image Trainer: installing ${engine}`,
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let verdict: Verdict | undefined;
      try {
        await runCli(services.cli(), args, {
          signal: abort.signal,
          onStderr: (text) => {
            for (const line of text.split(/\r?\n/))
              if (line.trim() !== '') services.output.info(`[cli] ${line}`);
          },
          onStdoutLine: (line) => {
            let event: unknown;
            try {
              event = JSON.parse(line);
            } catch {
              return;
            }
            if (!isEngineInstallEvent(event)) return;
            if (event.type === 'output') {
              services.output.info(`[npm] ${event.line}`);
              progress.report({
                message: event.line.length > 80 ? `${event.line.slice(0, 77)}…` : event.line,
              });
            } else verdict = { ok: event.ok, message: event.message };
          },
        });
      } catch (error) {
        if (abort.signal.aborted) {
          return {
            ok: false,
            message:
              'cancelled: the native engine was not installed; run Set Up Native Engine again to install it',
          };
        }
        // A failed install exits 1 after printing its verdict; anything else is said as it is.
        if (verdict) return verdict;
        return { ok: false, message: error instanceof CliError ? error.message : messageOf(error) };
      }
      return (
        verdict ?? {
          ok: false,
          message: 'the installer ended without a verdict; see the Image Trainer output',
        }
      );
    },
  );
}
