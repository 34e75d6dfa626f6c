// The dashboard's host-side logic without vscode: it answers the webview's messages, keeps it up to date
// with deltas, and is the only place a webview message can touch the file system. Every path from the
// webview is checked by datasetPaths.ts (relative, no `..`, real path inside the run's data set root) and
// must be listed in the run's evaluation; moves never overwrite and go to a class of the data set.
// The data set root itself is a claim of run.json: the dashboard acts on it only when DatasetAccess
// (resourceRoots.ts) finds it inside a folder the user chose; otherwise the run is shown read-only with
// the reason. Moving files needs a trusted workspace. Everything sent passes the webview's own guards.
import * as path from 'node:path';
import type { RunDetails, RunSummary } from '../../protocol/runRecord';
import {
  type CompareRunData,
  type DashboardPage,
  type HostToWebview,
  isCompareRunData,
  isRunDetails,
  isRunSummary,
  isWebviewToHost,
  type LrFindCurve,
  type WebviewToHost,
} from '../../protocol/webviewMessages';
import { assertNever } from '../../protocol/guards';
import { visibleText } from '../../protocol/displayText';
import { damagedSummary } from '../../core/runStore';
import type { RootAccess } from './resourceRoots';
import {
  type DashboardFs,
  exists,
  isInside,
  isSafeClassName,
  type PathCheck,
  resolveInsideRoot,
} from './datasetPaths';
import type { Clock } from '../util/clock';
import { messageOf } from '../util/errors';
import { compareSignature, detailsDelta, runsDiffer, Throttle } from './deltas';

export interface RunSource {
  listRuns(): Promise<RunSummary[]>;
  readRunDetails(runDir: string): Promise<RunDetails | null>;
  /** Learning-rate range tests to plot; none when absent. */
  listLrFinds?(): Promise<LrFindCurve[]>;
}

export type { DashboardFs, FileStat, PathCheck } from './datasetPaths';
export { relativeSegments, resolveInsideRoot } from './datasetPaths';

export interface DashboardEffects {
  post(message: HostToWebview): void;
  /** Modal confirmation; true when the user accepted. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  log(line: string): void;
  openFile(absolutePath: string): Promise<void>;
  /** Asks where to save and writes the text; the chosen path, or null when the user cancelled. */
  saveText(text: string, suggestedName: string): Promise<string | null>;
  /** Webview URI base for a data set root's files; '' when the webview may not load from that root. */
  thumbnailBase(datasetRoot: string): string;
  /** Called with the data set roots of the runs shown, so the panel can allow them as resource roots. */
  datasetRootsChanged?(roots: string[]): void;
  /** Runs Export Model… for a run id (the command checks workspace trust itself). */
  exportModel?(runId: string): Promise<void>;
  /** Opens the detection inspector of a run (imageTrainer.inspectDetections). */
  inspectPredictions?(runId: string): Promise<void>;
}

/** Which data set roots the dashboard may act on, and whether it may change files at all. */
export interface DatasetAccess {
  /** Open, move and thumbnails only for roots this accepts; the reason is shown for the others. */
  check(root: string): Promise<RootAccess>;
  /** False in Restricted Mode: moving images is refused. */
  mayModify(): boolean;
}

export interface DashboardSelection {
  selectedRunId: string | null;
  page: DashboardPage;
  compareRunIds: string[];
}

/** Throttle interval: at most ~5 refreshes a second reach the webview. */
export const REFRESH_INTERVAL_MS = 200;

/** Without a policy the dashboard acts on no data set at all. */
const DENY_ALL: DatasetAccess = {
  check: async (root) => ({ ok: false, reason: `${root} is not a data set folder the dashboard may open` }),
  mayModify: () => false,
};

export class DashboardController {
  private runs: RunSummary[] = [];
  private lrFinds: LrFindCurve[] = [];
  private sentDetails: RunDetails | null = null;
  private readonly sentCompare = new Map<string, string>();
  /** Access decided for each data set root of the runs shown (recomputed on every listing). */
  private rootAccess = new Map<string, RootAccess>();
  private readonly throttle: Throttle;
  private ready = false;
  private snapshotInFlight: Promise<void> | null = null;
  private snapshotAgain = false;
  readonly state: DashboardSelection;

  constructor(
    private readonly fs: DashboardFs,
    private readonly source: RunSource,
    private readonly effects: DashboardEffects,
    clock: Clock,
    initial: Partial<DashboardSelection> = {},
    private readonly access: DatasetAccess = DENY_ALL,
  ) {
    this.state = {
      selectedRunId: initial.selectedRunId ?? null,
      page: initial.page ?? 'run',
      compareRunIds: initial.compareRunIds ?? [],
    };
    this.throttle = new Throttle(() => this.refresh(), REFRESH_INTERVAL_MS, clock);
  }

  /** Something changed on disk: refresh the webview, at most ~5 times a second. */
  runsChanged(): void {
    if (this.ready) this.throttle.trigger();
  }

  /** The extension asked to show a run or a comparison while the panel is open. */
  async navigate(target: { runId?: string; compareRunIds?: string[] }): Promise<void> {
    if (target.compareRunIds) {
      this.state.page = 'compare';
      this.state.compareRunIds = [...target.compareRunIds];
    } else if (target.runId) {
      this.state.page = 'run';
      this.state.selectedRunId = target.runId;
    }
    if (!this.ready) return;
    this.effects.post({
      type: 'navigate',
      page: this.state.page,
      selectedRunId: this.state.selectedRunId,
      compareRunIds: this.state.compareRunIds,
    });
    await this.sendDetails();
    await this.sendCompare();
  }

  /** Entry point for whatever the webview posted; nothing unvalidated gets further. */
  async handle(raw: unknown): Promise<void> {
    if (!isWebviewToHost(raw)) {
      this.effects.log(`[dashboard] ignored a malformed message from the webview`);
      return;
    }
    try {
      await this.dispatch(raw);
    } catch (error) {
      this.notify('error', `Dashboard: ${messageOf(error)}`);
    }
  }

  dispose(): void {
    this.throttle.dispose();
  }

  private async dispatch(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        await this.requestSnapshot();
        return;
      case 'selectRun':
        if (!this.runs.some((r) => r.id === message.runId)) return;
        this.state.selectedRunId = message.runId;
        this.state.page = 'run';
        await this.sendDetails();
        return;
      case 'showPage':
        this.state.page = message.page;
        return;
      case 'requestCompare': {
        const known = new Set(this.runs.map((r) => r.id));
        this.state.compareRunIds = [...new Set(message.runIds)].filter((id) => known.has(id));
        await this.sendCompare();
        return;
      }
      case 'openImage':
        await this.openImage(message.runId, message.path);
        return;
      case 'moveImage':
        await this.moveImage(message.runId, message.path, message.toClass);
        return;
      case 'exportCsv':
        await this.exportCsv(message.csv, message.suggestedName);
        return;
      case 'exportModel':
        // Only a run the dashboard lists: the id is a claim from the webview.
        if (this.runs.some((r) => r.id === message.runId)) await this.effects.exportModel?.(message.runId);
        return;
      case 'inspectPredictions':
        if (this.runs.some((r) => r.id === message.runId))
          await this.effects.inspectPredictions?.(message.runId);
        return;
      default:
        assertNever(message);
    }
  }

  private notify(level: 'info' | 'warn' | 'error', message: string): void {
    const shown = visibleText(message);
    this.effects.log(`[dashboard] ${shown}`);
    this.effects.post({ type: 'notice', level, message: shown });
  }

  private accessOf(run: RunSummary): RootAccess {
    return (
      this.rootAccess.get(run.datasetRoot) ?? {
        ok: false,
        reason: `${run.datasetRoot} has not been checked yet`,
      }
    );
  }

  private thumbnailBases(): Record<string, string> {
    // Keyed by run ids, which are folder names: "__proto__" is a run like any other (fromEntries makes
    // own properties; readers use Object.hasOwn).
    return Object.fromEntries(
      this.runs.flatMap((run) => {
        const access = this.accessOf(run);
        const base = access.ok ? this.effects.thumbnailBase(access.realRoot) : '';
        return base ? [[run.id, base]] : [];
      }),
    );
  }

  /** Runs whose data set the dashboard shows read-only, with the reason. */
  private datasetNotices(): Record<string, string> {
    return Object.fromEntries(
      this.runs.flatMap((run) => {
        if (run.status === 'damaged' || !run.datasetRoot) return [];
        const access = this.accessOf(run);
        return access.ok ? [] : [[run.id, visibleText(access.reason)]];
      }),
    );
  }

  /** A summary the webview would reject (it never should) becomes a damaged one instead of a blank view. */
  private shownSummary(run: RunSummary): RunSummary {
    const runDir = typeof run.runDir === 'string' ? run.runDir : '';
    if (isRunSummary(run)) return run;
    return damagedSummary(
      runDir,
      'its summary cannot be shown (it fails the dashboard schema)',
      new Date(0).toISOString(),
    );
  }

  private async loadRuns(): Promise<void> {
    this.runs = (await this.source.listRuns()).map((run) => this.shownSummary(run));
    const roots = [...new Set(this.runs.map((r) => r.datasetRoot).filter(Boolean))];
    const decided = await Promise.all(
      roots.map(async (root) => [root, await this.access.check(root)] as const),
    );
    this.rootAccess = new Map(decided);
    this.effects.datasetRootsChanged?.(decided.flatMap(([, access]) => (access.ok ? [access.realRoot] : [])));
    if (this.state.selectedRunId === null || !this.runs.some((r) => r.id === this.state.selectedRunId)) {
      this.state.selectedRunId = this.runs[0]?.id ?? null;
    }
    const known = new Set(this.runs.map((r) => r.id));
    this.state.compareRunIds = this.state.compareRunIds.filter((id) => known.has(id));
  }

  private async readDetails(runId: string | null): Promise<RunDetails | null> {
    const run = this.runs.find((r) => r.id === runId);
    if (!run || run.status === 'damaged') return null;
    const details = await this.source.readRunDetails(run.runDir);
    // The webview accepts exactly what its guard accepts: anything else is shown as "cannot be read".
    return details && isRunDetails(details) && details.summary.id === run.id ? details : null;
  }

  private async compareData(runIds: readonly string[]): Promise<CompareRunData[]> {
    const out: CompareRunData[] = [];
    for (const id of runIds) {
      const run = this.runs.find((r) => r.id === id);
      if (!run) continue;
      if (run.status === 'damaged') continue;
      const details = await this.source.readRunDetails(run.runDir);
      if (!details) continue;
      const data: CompareRunData = {
        runId: id,
        epochs: details.epochs,
        evaluation: details.evaluation,
        ...(details.detectionEvaluation ? { detectionEvaluation: details.detectionEvaluation } : {}),
      };
      if (!isCompareRunData(data)) continue;
      out.push(data);
      this.sentCompare.set(id, compareSignature(details.summary));
    }
    return out;
  }

  private async loadLrFinds(): Promise<void> {
    this.lrFinds = (await this.source.listLrFinds?.()) ?? [];
  }

  /**
   * The webview repeats `ready` until a snapshot arrives, so a slow snapshot can be asked for again while
   * it is being read: those requests share one more snapshot after the current one, not one each.
   */
  private requestSnapshot(): Promise<void> {
    if (this.snapshotInFlight) {
      this.snapshotAgain = true;
      return this.snapshotInFlight;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.snapshotAgain = false;
          await this.sendSnapshot();
        } while (this.snapshotAgain);
      } finally {
        this.snapshotInFlight = null;
      }
    };
    this.snapshotInFlight = run();
    return this.snapshotInFlight;
  }

  private async sendSnapshot(): Promise<void> {
    await this.loadRuns();
    await this.loadLrFinds();
    const details = await this.readDetails(this.state.selectedRunId);
    this.sentDetails = details;
    this.sentCompare.clear();
    const compare = await this.compareData(this.state.compareRunIds);
    this.effects.post({
      type: 'snapshot',
      snapshot: {
        runs: this.runs,
        selectedRunId: this.state.selectedRunId,
        details,
        page: this.state.page,
        compareRunIds: this.state.compareRunIds,
        compare,
        thumbnailBases: this.thumbnailBases(),
        datasetNotices: this.datasetNotices(),
        lrFinds: this.lrFinds,
      },
    });
  }

  private async sendDetails(): Promise<void> {
    const details = await this.readDetails(this.state.selectedRunId);
    const delta = detailsDelta(this.sentDetails, details);
    this.sentDetails = details;
    if (delta) this.effects.post(delta);
  }

  /** Sends compare data for selected runs the webview lacks or whose files changed since. */
  private async sendCompare(): Promise<void> {
    const stale = this.state.compareRunIds.filter((id) => {
      const run = this.runs.find((r) => r.id === id);
      return run !== undefined && this.sentCompare.get(id) !== compareSignature(run);
    });
    if (stale.length === 0) return;
    const runs = await this.compareData(stale);
    if (runs.length > 0) this.effects.post({ type: 'compareData', runs });
  }

  /** Re-reads the runs root and sends what changed. Never throws: a half-written run is tried next time. */
  async refresh(): Promise<void> {
    try {
      const before = this.runs;
      await this.loadRuns();
      if (runsDiffer(before, this.runs)) {
        this.effects.post({
          type: 'runsChanged',
          runs: this.runs,
          thumbnailBases: this.thumbnailBases(),
          datasetNotices: this.datasetNotices(),
        });
      }
      await this.sendDetails();
      await this.sendCompare();
      const lrBefore = this.lrFinds;
      await this.loadLrFinds();
      if (JSON.stringify(lrBefore) !== JSON.stringify(this.lrFinds))
        this.effects.post({ type: 'lrFindsChanged', lrFinds: this.lrFinds });
    } catch (error) {
      this.effects.log(`[dashboard] refresh failed: ${messageOf(error)}`);
    }
  }

  /** The run and the evaluated image the webview names, checked; or the reason it is refused. */
  private async checkedImage(
    runId: string,
    relativePath: string,
  ): Promise<{ run: RunDetails; file: PathCheck } | string> {
    const summary = this.runs.find((r) => r.id === runId);
    if (!summary) return `unknown run ${runId}`;
    const run = await this.readDetails(runId);
    if (!run) return `run ${runId} can no longer be read`;
    const listed = run.evaluation?.misclassified.some((m) => m.path === relativePath) ?? false;
    if (!listed) return `${relativePath} is not an image of run ${runId}'s evaluation`;
    // The root comes from run.json: decided afresh against the folders the user chose.
    const access = await this.access.check(run.record.dataset.root);
    if (!access.ok) return access.reason;
    const file = await resolveInsideRoot(this.fs, access.realRoot, relativePath);
    return { run, file };
  }

  private async openImage(runId: string, relativePath: string): Promise<void> {
    const checked = await this.checkedImage(runId, relativePath);
    if (typeof checked === 'string') return this.notify('error', `Cannot open the image: ${checked}.`);
    if (!checked.file.ok) return this.notify('error', `Cannot open the image: ${checked.file.reason}.`);
    await this.effects.openFile(checked.file.absolute);
  }

  private async moveImage(runId: string, relativePath: string, toClass: string): Promise<void> {
    if (!this.access.mayModify())
      return this.notify(
        'error',
        'Cannot move the image: moving files is disabled in Restricted Mode; trust the workspace to move images.',
      );
    const checked = await this.checkedImage(runId, relativePath);
    if (typeof checked === 'string') return this.notify('error', `Cannot move the image: ${checked}.`);
    const { run, file } = checked;
    if (!file.ok) return this.notify('error', `Cannot move the image: ${file.reason}.`);
    const dataset = run.record.dataset;
    if (!isSafeClassName(toClass) || !dataset.classNames.includes(toClass)) {
      return this.notify('error', `Cannot move the image: "${toClass}" is not a class of the data set.`);
    }
    // class-folders: <root>/<class>/…; split-folders: <root>/<split>/<class>/…
    const segments = relativePath.split(/[\\/]/);
    const classDepth = dataset.layout === 'split-folders' ? 1 : 0;
    if (segments.length < classDepth + 2)
      return this.notify('error', `Cannot move the image: ${relativePath} is not inside a class folder.`);
    if (segments[classDepth] === toClass)
      return this.notify('info', `${relativePath} is already in class ${toClass}.`);
    const targetDir = path.join(file.realRoot, ...segments.slice(0, classDepth), toClass);
    const realTargetDir = await this.fs.realpath(targetDir).catch(() => null);
    const targetStat = realTargetDir ? await this.fs.stat(realTargetDir).catch(() => null) : null;
    if (!realTargetDir || !targetStat?.isDirectory() || !isInside(file.realRoot, realTargetDir)) {
      return this.notify(
        'error',
        `Cannot move the image: the class folder ${targetDir} is missing or outside the data set.`,
      );
    }
    const target = path.join(realTargetDir, path.basename(file.absolute));
    if (await exists(this.fs, target)) {
      return this.notify(
        'error',
        `Cannot move the image: ${target} already exists; rename one of the two files first.`,
      );
    }
    const accepted = await this.effects.confirm(
      `Move ${visibleText(path.basename(file.absolute))} to class "${visibleText(toClass)}"?`,
      `From ${visibleText(file.absolute)}\nTo ${visibleText(target)}\nThe run's records are not changed; retrain to use the new label.`,
      'Move',
    );
    if (!accepted) return;
    await this.fs.rename(file.absolute, target);
    this.effects.log(
      `[dashboard] moved ${file.absolute} → ${target} (run ${runId}: class ${segments[classDepth]} → ${toClass})`,
    );
    this.effects.post({ type: 'imageMoved', runId, path: relativePath, toClass });
  }

  private async exportCsv(csv: string, suggestedName: string): Promise<void> {
    const name = path.basename(suggestedName).replace(/[^\w.-]+/g, '_') || 'runs.csv';
    const saved = await this.effects.saveText(csv, name);
    if (saved) this.notify('info', `Exported the runs table to ${saved}.`);
  }
}
