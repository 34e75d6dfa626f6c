// Small pieces every command uses: the trust gate, running a CLI command with progress, errors.
import * as vscode from 'vscode';
import type { Guard } from '../../protocol';
import type { HostServices } from '../hostServices';
import type { CommandId } from '../ids';
import { trustRequiredFor } from './commandTrust';
import { CliError, runCli, runCliJson, type CliOutput, type RunCliOptions } from '../training/trainerProcess';
import { messageOf } from '../util/errors';

export const SHOW_LOGS = 'Show Logs';

/** Training and loading models run the trainer on the workspace's files: not in Restricted Mode. */
export function ensureTrusted(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showErrorMessage(
      `Image Trainer: ${action} is disabled in Restricted Mode. Trust this workspace to train or use models; the Datasets and Runs views and the dashboard keep working.`,
      'Manage Workspace Trust',
    )
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}

/** The handler behind the trust gate of commandTrust.ts: refused (with the reason) in Restricted Mode. */
export function gated<A extends unknown[]>(
  command: CommandId,
  handler: (...args: A) => unknown,
): (...args: A) => unknown {
  return (...args: A) => {
    const action = trustRequiredFor(command);
    if (action !== undefined && !ensureTrusted(action)) return undefined;
    return handler(...args);
  };
}

export function showError(services: HostServices, message: string): void {
  services.output.error(message);
  void vscode.window.showErrorMessage(`Image Trainer: ${message}`, SHOW_LOGS).then((choice) => {
    if (choice === SHOW_LOGS) services.output.show(true);
  });
}

export function stderrLogger(services: HostServices): (text: string) => void {
  return (text) => {
    for (const line of text.split(/\r?\n/)) if (line.trim() !== '') services.output.info(`[cli] ${line}`);
  };
}

/** Runs a CLI command under a cancellable progress notification; undefined when it failed or was cancelled. */
async function withCliProgress<R>(
  services: HostServices,
  title: string,
  args: string[],
  run: (options: RunCliOptions) => Promise<R>,
): Promise<R | undefined> {
  services.output.info(`$ image-trainer ${args.join(' ')}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        return await run({ signal: abort.signal, onStderr: stderrLogger(services) });
      } catch (error) {
        if (!abort.signal.aborted)
          showError(services, error instanceof CliError ? error.message : messageOf(error));
        return undefined;
      }
    },
  );
}

export function cliJson<T>(
  services: HostServices,
  title: string,
  args: string[],
  guard: Guard<T>,
): Promise<T | undefined> {
  return withCliProgress(services, title, args, (options) =>
    runCliJson(services.cli(), args, guard, options),
  );
}

export function cliRun(
  services: HostServices,
  title: string,
  args: string[],
): Promise<CliOutput | undefined> {
  return withCliProgress(services, title, args, (options) => runCli(services.cli(), args, options));
}
