// Keeps the training queue on disk so that it survives a window reload: every change of the controller's
// queue is written to <runsRoot>/queue.json (core/runQueue.ts), and on activation (in a trusted
// workspace) the entries found there are checked and queued again, in order. Only the New Training
// form's runs are kept (their config lies in the queue folder); the palette's queue stays in memory.
import * as path from 'node:path';
import type { QueueEntryView } from '../../protocol/trainFormMessages';
import {
  queuedConfigPath,
  queuedConfigProblem,
  readQueue,
  removeQueuedConfig,
  writeQueue,
  type QueuedRun,
} from '../../core/runQueue';
import type { TrainRequest } from './trainRequest';

export interface QueueKeeperDeps {
  runsRoot(): string;
  /** Whether training may start here at all (a trusted workspace). */
  mayTrain(): boolean;
  /** Whether the data set folder of a restored entry is one the user chose (resourceRoots' policy). */
  datasetAllowed(dir: string): Promise<string | null>;
  enqueue(request: TrainRequest): void;
  log(line: string): void;
  /** One line the user sees: a queued run was dropped, and why. */
  warn(line: string): void;
}

export function queueEntryOf(request: TrainRequest, createdAt: string): QueuedRun | null {
  if (!request.queueId) return null;
  return {
    id: request.queueId,
    createdAt,
    datasetDir: request.datasetDir,
    label: request.label ?? path.basename(request.datasetDir),
    ...(request.base ? { base: request.base } : {}),
    ...(request.parentId ? { parentId: request.parentId } : {}),
  };
}

/** What the Runs view and the form show of the waiting requests: position 1 starts next. */
export function queueViews(queued: readonly TrainRequest[]): QueueEntryView[] {
  return queued.flatMap((request, i) =>
    request.queueId
      ? [
          {
            id: request.queueId,
            position: i + 1,
            label: request.label ?? path.basename(request.datasetDir),
            parentId: request.parentId ?? null,
          },
        ]
      : [],
  );
}

export class QueueKeeper {
  private readonly createdAt = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: QueueKeeperDeps) {}

  /** Writes the queue as it now is; writes are chained so the last one wins on disk. */
  persist(queued: readonly TrainRequest[]): Promise<void> {
    const root = this.deps.runsRoot();
    const entries = queued.flatMap((request) => {
      if (!request.queueId) return [];
      const created = this.createdAt.get(request.queueId) ?? new Date().toISOString();
      this.createdAt.set(request.queueId, created);
      return [queueEntryOf(request, created) as QueuedRun];
    });
    this.writing = this.writing
      .then(() => writeQueue(root, entries))
      .catch((error: unknown) => this.deps.log(`cannot write the queue in ${root}: ${String(error)}`));
    return this.writing;
  }

  /** A queued request's config file is no longer needed (it started and was read, or it was cancelled). */
  async forget(request: TrainRequest, started: boolean): Promise<void> {
    if (!request.queueId) return;
    this.createdAt.delete(request.queueId);
    // A started run read its config at its start; it is removed once the run has ended.
    if (!started) await removeQueuedConfig(this.deps.runsRoot(), request.queueId).catch(() => undefined);
  }

  /**
   * Why a queued request may not start at its turn: its config file (read back as untrusted input) is
   * gone, a link, or no longer a valid config; null when it may. Requests not from the form have none.
   */
  check(request: TrainRequest): Promise<string | null> {
    if (!request.queueId) return Promise.resolve(null);
    return queuedConfigProblem(request.runsRoot, {
      id: request.queueId,
      ...(request.base ? { base: request.base } : {}),
    });
  }

  /** A queued run dropped at its turn: the user is told which file; the file is left for them to look at. */
  dropped(request: TrainRequest, reason: string): void {
    if (request.queueId) this.createdAt.delete(request.queueId);
    this.deps.warn(droppedLine(request.label ?? path.basename(request.datasetDir), reason));
  }

  async ended(request: TrainRequest): Promise<void> {
    if (request.queueId)
      await removeQueuedConfig(this.deps.runsRoot(), request.queueId).catch(() => undefined);
  }

  /** Queues again what the file lists; entries whose data set is not allowed are dropped with the reason. */
  async restore(): Promise<number> {
    if (!this.deps.mayTrain()) return 0;
    const root = this.deps.runsRoot();
    const read = await readQueue(root);
    for (const problem of read.problems) this.deps.log(`queue.json: ${problem}`);
    let restored = 0;
    for (const entry of read.entries) {
      const refused = await this.deps.datasetAllowed(entry.datasetDir);
      if (refused) {
        this.deps.log(`queued run ${entry.id} dropped: ${refused}`);
        continue;
      }
      const problem = await queuedConfigProblem(root, entry);
      if (problem) {
        this.deps.warn(droppedLine(entry.label, problem));
        continue;
      }
      this.createdAt.set(entry.id, entry.createdAt);
      this.deps.enqueue({
        datasetDir: entry.datasetDir,
        runsRoot: root,
        configFile: path.join(root, queuedConfigPath(entry.id)),
        queueId: entry.id,
        label: entry.label,
        ...(entry.base ? { base: entry.base } : {}),
        ...(entry.parentId ? { parentId: entry.parentId } : {}),
      });
      restored++;
    }
    return restored;
  }
}

/** The one line a dropped queued run gets: which run, and the file's problem (which names the file). */
export function droppedLine(label: string, reason: string): string {
  return `Queued run "${label}" was dropped, not started: ${reason}`;
}
