// Tells the Runs view and the dashboard that something under the runs root changed (debounced):
// run directories are the source of truth, so readers simply re-read.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { systemClock } from '../util/clock';
import { Debouncer } from '../util/debounce';
import { RunsListingPoll } from './runsListingPoll';

export const RUNS_DEBOUNCE_MS = 300;
/** While a run writes every batch, views still refresh about once a second. */
export const RUNS_MAX_WAIT_MS = 1000;

export class RunsWatcher implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange: vscode.Event<void> = this.emitter.event;
  private readonly debouncer = new Debouncer(
    () => this.emitter.fire(),
    RUNS_DEBOUNCE_MS,
    systemClock,
    RUNS_MAX_WAIT_MS,
  );
  private watcher: vscode.FileSystemWatcher | undefined;
  private poll: RunsListingPoll | undefined;
  private listeners: vscode.Disposable[] = [];

  constructor(runsRoot: string) {
    this.watch(runsRoot);
  }

  /** Follows a changed runs directory setting. */
  watch(runsRoot: string): void {
    this.disposeWatcher();
    this.watcher = vscode.workspace.createFileSystemWatcher(patternFor(runsRoot));
    const poke = (): void => this.poke();
    this.listeners = [
      this.watcher.onDidCreate(poke),
      this.watcher.onDidChange(poke),
      this.watcher.onDidDelete(poke),
    ];
    // Watchers miss events; a slow look at the folder catches what they missed.
    this.poll = new RunsListingPoll(runsRoot, poke);
    this.poke();
  }

  /** Something changed that the watcher may not see (an IPC event, a delete we made). */
  poke(): void {
    this.debouncer.trigger();
  }

  /** A run just ended: views re-read now rather than after the debounce, so they show its final state. */
  refreshNow(): void {
    this.debouncer.dispose();
    this.emitter.fire();
  }

  dispose(): void {
    this.disposeWatcher();
    this.debouncer.dispose();
    this.emitter.dispose();
  }

  private disposeWatcher(): void {
    for (const l of this.listeners) l.dispose();
    this.listeners = [];
    this.watcher?.dispose();
    this.watcher = undefined;
    this.poll?.dispose();
    this.poll = undefined;
  }
}

/**
 * Inside a workspace folder the pattern is relative to that folder, which works before the runs
 * folder exists; outside, it is relative to the runs folder itself.
 */
function patternFor(runsRoot: string): vscode.RelativePattern {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const relative = path.relative(folder.uri.fsPath, runsRoot);
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) {
      return new vscode.RelativePattern(folder, `${relative.split(path.sep).join('/')}/**`);
    }
  }
  return new vscode.RelativePattern(vscode.Uri.file(runsRoot), '**');
}
