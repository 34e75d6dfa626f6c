// The Runs view as plain data: every run under the runs root, newest first, with its status icon,
// epoch progress and best validation accuracy. Reading runs is the run store's job (src/core/runStore.ts).
import type { QueueEntryView } from '../../protocol/trainFormMessages';
import type { RunStatus, RunSummary } from '../../protocol';
import { COMMANDS } from '../ids';
import { messageOf } from '../util/errors';
import { formatMap } from '../../protocol/format';
import { escapeMarkdown, formatPercent, type IconSpec, type NodePresentation } from '../treePresentation';

export interface RunReader {
  listRuns(runsRoot: string): Promise<RunSummary[]>;
}

export type RunTreeNode =
  | { kind: 'run'; run: RunSummary }
  | { kind: 'error'; message: string }
  | { kind: 'queued'; entry: QueueEntryView };

export const STATUS_ICONS: Record<RunStatus, IconSpec> = {
  running: { id: 'sync~spin', color: 'charts.blue' },
  completed: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  stopped: { id: 'debug-stop', color: 'disabledForeground' },
  interrupted: { id: 'warning', color: 'problemsWarningIcon.foreground' },
  damaged: { id: 'warning', color: 'problemsWarningIcon.foreground' },
};

/** Runs that can continue from their last checkpoint. */
export const RESUMABLE: readonly RunStatus[] = ['stopped', 'failed', 'interrupted'];

export function epochProgress(run: RunSummary): string {
  return `${run.epochsCompleted}/${run.totalEpochs}`;
}

/**
 * The row's context value, which package.json's menus match: `run.<status>`, and `run.<status>.detect`
 * for a detection run (Inspect Predictions is offered on those only; the other items accept both).
 */
export function runContextValue(run: RunSummary): string {
  return `run.${run.status}${run.task === 'detect' ? '.detect' : ''}`;
}

/** The best validation figure of a row: `best 87.3%`, or `best mAP@0.5 0.612` for a detection run. */
function bestFigure(run: RunSummary): string {
  return run.task === 'detect'
    ? `best mAP@0.5 ${formatMap(run.bestValAccuracy)}`
    : `best ${formatPercent(run.bestValAccuracy)}`;
}

export function describeRun(run: RunSummary): string {
  if (run.status === 'damaged') return 'damaged: cannot be read';
  const parts = [run.status === 'running' ? `epoch ${epochProgress(run)}` : epochProgress(run)];
  if (run.bestValAccuracy !== null) parts.push(bestFigure(run));
  if (run.status !== 'completed' && run.status !== 'running') parts.push(run.status);
  if (run.group) parts.push(run.group);
  return parts.join(' · ');
}

export class RunsModel {
  private runs: RunSummary[] = [];
  private lastError: string | undefined;
  private generation = 0;

  constructor(
    private readonly reader: RunReader,
    private readonly runsRoot: () => string,
    /** Runs waiting in the training queue, shown above the runs in the order they will start. */
    private readonly queued: () => readonly QueueEntryView[] = () => [],
  ) {}

  /**
   * Re-reads the runs root. Refreshes overlap (the watcher fires while a slow read is in flight), and
   * a read that started earlier may finish later: only the newest read's result is kept, so a finished
   * run never goes back to "running" in the view.
   */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    const root = this.runsRoot();
    let runs: RunSummary[] = [];
    let lastError: string | undefined;
    try {
      // The run store lists newest first; the view keeps its order.
      runs = await this.reader.listRuns(root);
    } catch (error) {
      // A missing runs root is simply "no runs yet"; anything else is shown, never thrown at the view.
      const code = (error as NodeJS.ErrnoException).code;
      lastError = code === 'ENOENT' ? undefined : `Cannot read runs in ${root}: ${messageOf(error)}`;
    }
    if (generation !== this.generation) return;
    this.runs = runs;
    this.lastError = lastError;
  }

  get all(): readonly RunSummary[] {
    return this.runs;
  }

  find(id: string): RunSummary | undefined {
    return this.runs.find((r) => r.id === id);
  }

  getChildren(): RunTreeNode[] {
    if (this.lastError) return [{ kind: 'error', message: this.lastError }];
    // No runs: an empty list lets the view's welcome content (package.json viewsWelcome) show.
    return [
      ...this.queued().map((entry): RunTreeNode => ({ kind: 'queued', entry })),
      ...this.runs.map((run): RunTreeNode => ({ kind: 'run', run })),
    ];
  }
}

/**
 * Everything the view shows of these rows. Redrawing an unchanged tree re-registers its rows' commands,
 * and a click that lands meanwhile is lost ("command not found"), so the view redraws only on a change.
 */
export function viewSignature(nodes: readonly RunTreeNode[]): string {
  return JSON.stringify(nodes.map(presentRunNode));
}

export function presentRunNode(node: RunTreeNode): NodePresentation {
  switch (node.kind) {
    case 'run': {
      const run = node.run;
      return {
        id: `run:${run.id}`,
        label: run.id,
        description: describeRun(run),
        tooltip: runTooltip(run),
        icon: STATUS_ICONS[run.status],
        collapsible: 'none',
        contextValue: runContextValue(run),
        resourcePath: run.runDir,
        command: { command: COMMANDS.openDashboard, title: 'Open Dashboard', args: [run.id] },
      };
    }
    case 'queued': {
      const entry = node.entry;
      return {
        id: `queued:${entry.id}`,
        label: entry.label,
        description: `queued · ${entry.position === 1 ? 'next' : `position ${entry.position}`}`,
        tooltip: [
          `**${escapeMarkdown(entry.label)}** — queued, position ${entry.position}`,
          entry.parentId ? `Re-runs ${escapeMarkdown(entry.parentId)} with changes` : '',
          'Starts when the runs before it end; reorder or cancel it from its context menu.',
        ]
          .filter(Boolean)
          .join('\n\n'),
        icon: { id: 'clock' },
        collapsible: 'none',
        contextValue: 'queued',
      };
    }
    case 'error':
      return {
        id: 'error',
        label: node.message,
        icon: { id: 'error', color: 'problemsErrorIcon.foreground' },
        collapsible: 'none',
      };
  }
}

function runTooltip(run: RunSummary): string {
  if (run.status === 'damaged')
    return [
      `**${escapeMarkdown(run.id)}** — damaged`,
      escapeMarkdown(run.error ?? 'its records cannot be read'),
      'Fix or delete the named file; the run is shown read-only until then.',
    ].join('\n\n');
  const lines = [
    `**${escapeMarkdown(run.id)}** — ${escapeMarkdown(run.status)}`,
    `Model: ${escapeMarkdown(run.model)} · backend: ${escapeMarkdown(run.backend)}`,
    `Epochs: ${epochProgress(run)}${run.bestEpoch !== null ? ` · best epoch ${run.bestEpoch}` : ''}`,
    run.task === 'detect'
      ? `Validation mAP@0.5: best ${formatMap(run.bestValAccuracy)}, last ${formatMap(run.lastValAccuracy)}`
      : `Validation accuracy: best ${formatPercent(run.bestValAccuracy)}, last ${formatPercent(run.lastValAccuracy)}`,
  ];
  if (run.testAccuracy !== null)
    lines.push(
      run.task === 'detect'
        ? `Test mAP@0.5: ${formatMap(run.testAccuracy)}`
        : `Test accuracy: ${formatPercent(run.testAccuracy)}`,
    );
  lines.push(
    `${run.task === 'detect' ? 'Detection data set' : 'Data set'}: ${escapeMarkdown(run.datasetRoot)} (${run.classNames.length} classes)`,
  );
  if (run.group) lines.push(`Group: ${escapeMarkdown(run.group)}`);
  lines.push(`Started ${escapeMarkdown(run.createdAt)}`);
  if (run.error) lines.push(`**Error**: ${escapeMarkdown(run.error)}`);
  return lines.join('\n\n');
}
