// Shows the active training session: a progress notification with a cancel button, a status-bar
// item (epoch, ETA, val accuracy), log lines in the Output channel, and the outcome as a message.
import * as vscode from 'vscode';
import type { TrainerToHost } from '../../protocol';
import { COMMANDS } from '../ids';
import { bestAccuracyText } from '../../core/eventText';
import { ShownProgressJournal, statusBarText, statusBarTooltip } from './progressDisplay';
import type {
  LogLevel,
  SessionObserver,
  SessionOutcome,
  SessionSnapshot,
  TrainingSession,
} from './trainingSession';
import { describeRequest } from './trainRequest';

export interface PresenterHooks {
  /** Every accepted trainer event (the runs watcher re-reads). */
  onEvent(event: TrainerToHost): void;
}

export class SessionPresenter implements vscode.Disposable {
  private readonly statusBar: vscode.StatusBarItem;
  private progressListener: ((snapshot: SessionSnapshot) => void) | undefined;
  private queued = 0;
  private stderrRest = '';
  private readonly journal = new ShownProgressJournal();

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly hooks: PresenterHooks,
  ) {
    this.statusBar = vscode.window.createStatusBarItem(
      'imageTrainer.training',
      vscode.StatusBarAlignment.Left,
      10,
    );
    this.statusBar.name = 'Image Trainer';
  }

  /** The observer a new session reports to. */
  observer(): SessionObserver {
    return {
      onUpdate: (snapshot) => this.update(snapshot),
      onLog: (level, message) => this.log(level, message),
      onEvent: (event) => this.hooks.onEvent(event),
      onStderr: (text) => this.stderr(text),
    };
  }

  setQueued(count: number): void {
    this.queued = count;
  }

  /** Shows progress until the session ends, then its outcome. */
  attach(session: TrainingSession): void {
    this.output.info(`Training ${describeRequest(session.request)}`);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Image Trainer', cancellable: true },
      (progress, token) => {
        let reported = 0;
        token.onCancellationRequested(() => {
          const result = session.requestStop();
          if (result === 'requested') {
            void vscode.window.setStatusBarMessage(
              'Image Trainer: stopping after the current step (run Stop again to kill it)',
              5000,
            );
          }
        });
        this.progressListener = (s) => {
          const percent = Math.round(s.fraction * 100);
          progress.report({ message: s.message, increment: Math.max(0, percent - reported) });
          reported = Math.max(reported, percent);
        };
        return session.done;
      },
    );
    void session.done.then((outcome) => {
      this.progressListener = undefined;
      this.statusBar.hide();
      this.showOutcome(outcome);
    });
  }

  private update(s: SessionSnapshot): void {
    this.progressListener?.(s);
    const text = statusBarText(s, this.queued);
    this.statusBar.text = text;
    this.statusBar.tooltip = statusBarTooltip(s);
    this.statusBar.command = s.runId
      ? { command: COMMANDS.openDashboard, title: 'Open Dashboard', arguments: [s.runId] }
      : COMMANDS.showLogs;
    this.statusBar.show();
    // The notification shows s.message whenever a progress listener is attached (see attach).
    const line = this.journal.note(s, {
      statusBar: text,
      notification: this.progressListener ? s.message : '',
    });
    if (line) this.output.info(line);
  }

  private log(level: LogLevel, message: string): void {
    if (level === 'error') this.output.error(message);
    else if (level === 'warn') this.output.warn(message);
    else this.output.info(message);
  }

  private stderr(text: string): void {
    const lines = (this.stderrRest + text).split(/\r?\n/);
    this.stderrRest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.output.info(`[trainer] ${line}`);
  }

  private showOutcome(outcome: SessionOutcome): void {
    if (this.stderrRest.trim() !== '') this.output.info(`[trainer] ${this.stderrRest}`);
    this.stderrRest = '';
    const dashboard = 'Open Dashboard';
    const logs = 'Show Logs';
    const openDashboard = (runId: string | null) => (choice: string | undefined) => {
      if (choice === dashboard && runId) void vscode.commands.executeCommand(COMMANDS.openDashboard, runId);
      if (choice === logs) this.output.show(true);
    };
    switch (outcome.kind) {
      case 'completed':
        void vscode.window
          .showInformationMessage(
            `Image Trainer: run ${outcome.runId} completed (${outcome.epochsCompleted} epochs, ${bestAccuracyText(outcome.bestValAccuracy, outcome.task)}).`,
            dashboard,
          )
          .then(openDashboard(outcome.runId));
        break;
      case 'stopped':
        void vscode.window
          .showInformationMessage(
            `Image Trainer: run ${outcome.runId ?? ''} stopped${outcome.message ? ` (${outcome.message})` : ''}. Resume continues it from its last checkpoint.`,
            dashboard,
          )
          .then(openDashboard(outcome.runId));
        break;
      case 'failed':
      case 'crashed':
        void vscode.window
          .showErrorMessage(
            `Image Trainer: ${outcome.runId ? `run ${outcome.runId} failed: ` : ''}${outcome.message}`,
            logs,
            ...(outcome.runId ? [dashboard] : []),
          )
          .then(openDashboard(outcome.runId));
        break;
    }
  }

  dispose(): void {
    this.statusBar.dispose();
  }
}
