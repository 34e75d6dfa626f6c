// The New Training form's host-side logic without vscode: answers the form's messages, fills it from a
// run to change, computes the estimate's basis, and is the only place a form message can start a run or
// write a file. Every submitted value is validated again with the CLI's validator (core/trainForm.ts);
// the data set folder must be one the user chose; training needs a trusted workspace.
import * as path from 'node:path';
import type { BackendChoice, BackendName, TrainingConfig } from '../../protocol/config';
import { assertNever } from '../../protocol/guards';
import type { RunDetails, RunSummary } from '../../protocol/runRecord';
import type { AugmentPreviewResult } from '../../protocol/cliResults';
import {
  type EstimateBasis,
  type FormAction,
  type FormBase,
  type FormDataset,
  type FormToHost,
  type HostToForm,
  type PreviewImageView,
  isFormToHost,
  type QueueEntryView,
} from '../../protocol/trainFormMessages';
import { DEFAULT_CONFIG } from '../../core/configFields';
import { budgetBytes } from '../../core/memoryArithmetic';
import { equivalentCommand, formConfig, formOverrides, formValues } from '../../core/trainForm';
import { visibleText } from '../../protocol/displayText';
import { messageOf } from '../util/errors';

/** What the form is opened on: a data set, and for Re-run with Changes the run to change. */
export interface TrainFormTarget {
  datasetDir?: string;
  parent?: { id: string; config: TrainingConfig; base: string | null; datasetDir: string };
}

/** A run the form asks for, validated: the host writes its config and starts or queues it. */
export interface FormRunRequest {
  action: Exclude<FormAction, 'saveConfig'>;
  datasetDir: string;
  config: TrainingConfig;
  base: string | null;
  parentId: string | null;
  label: string;
}

export interface TrainFormEffects {
  post(message: HostToForm): void;
  datasets(): Promise<FormDataset[]>;
  bases(datasetDir: string | null): Promise<FormBase[]>;
  trusted(): boolean;
  /** The imageTrainer.backend setting: a new form starts from it. */
  backendSetting(): BackendChoice;
  listRuns(): Promise<RunSummary[]>;
  readRunDetails(runDir: string): Promise<RunDetails | null>;
  totalMemory(): number;
  /** null when the folder is one the user chose; else why it is refused. */
  checkDataset(dir: string): Promise<string | null>;
  queue(): QueueEntryView[];
  /** Starts or queues the run; the sentence to show. */
  run(request: FormRunRequest): Promise<string>;
  /** Asks where and writes the config file; the path written, or null when cancelled. */
  saveConfig(config: TrainingConfig, suggestedName: string): Promise<string | null>;
  copy(text: string): Promise<void>;
  /** Runs `image-trainer preview-augment DIR --json` with this config in a child process. */
  previewAugmentation(
    datasetDir: string,
    config: TrainingConfig,
    signal: AbortSignal,
  ): Promise<AugmentPreviewResult>;
  moveQueued(id: string, delta: -1 | 1): void;
  cancelQueued(id: string): void;
  log(line: string): void;
}

function median(values: number[]): number | null {
  const sorted = values.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What changed from `start`, for the queue's one-line label. */
export function changeLabel(values: Record<string, string>, start: TrainingConfig): string {
  const changed = Object.entries(formOverrides(values, formValues(start)));
  return changed.length === 0 ? 'unchanged' : changed.map(([k, v]) => `${k} ${v}`).join(', ');
}

export class TrainFormController {
  private target: TrainFormTarget;
  private start: TrainingConfig;
  /** The preview being drawn: a newer request (or closing the form) stops its process. */
  private previewAbort: AbortController | null = null;

  constructor(
    private readonly effects: TrainFormEffects,
    target: TrainFormTarget,
  ) {
    this.target = target;
    this.start = this.startConfig();
  }

  private startConfig(): TrainingConfig {
    if (this.target.parent) return structuredClone(this.target.parent.config);
    return { ...(structuredClone(DEFAULT_CONFIG) as TrainingConfig), backend: this.effects.backendSetting() };
  }

  /** The panel was asked to show another data set or run: the form is filled again. */
  async retarget(target: TrainFormTarget): Promise<void> {
    this.target = target;
    this.start = this.startConfig();
    await this.sendInit();
  }

  dispose(): void {
    this.previewAbort?.abort();
    this.previewAbort = null;
  }

  queueChanged(): void {
    this.effects.post({ type: 'queueChanged', queue: this.effects.queue() });
  }

  async handle(raw: unknown): Promise<void> {
    if (!isFormToHost(raw)) {
      this.effects.log('[new training] ignored a malformed message from the form');
      return;
    }
    try {
      await this.dispatch(raw);
    } catch (error) {
      this.notice('error', `New Training: ${messageOf(error)}`);
    }
  }

  private notice(level: 'info' | 'error', message: string): void {
    const shown = visibleText(message).slice(0, 4000);
    this.effects.log(`[new training] ${shown}`);
    this.effects.post({ type: 'notice', level, message: shown });
  }

  private async dispatch(message: FormToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.sendInit();
        return;
      case 'chooseDataset': {
        const refused = await this.effects.checkDataset(message.datasetDir);
        if (refused) return this.notice('error', `Cannot use ${message.datasetDir}: ${refused}.`);
        const basis = await this.basis(message.datasetDir);
        if (basis) this.effects.post({ type: 'estimateBasis', basis });
        return;
      }
      case 'submit':
        await this.submit(message.action, message.datasetDir, message.values, message.base);
        return;
      case 'copyCommand': {
        // Validated like a submission, and built here: the clipboard never gets text the webview wrote.
        const result = formConfig(message.values, this.start);
        if (!result.ok) return this.notice('error', `Cannot copy the command: ${result.error}`);
        const { command } = equivalentCommand(message.datasetDir, message.values, {
          base: message.base,
          parentId: this.target.parent?.id ?? null,
          start: this.start,
        });
        await this.effects.copy(command);
        this.notice('info', `Copied: ${command}`);
        return;
      }
      case 'moveQueued':
        this.effects.moveQueued(message.id, message.delta);
        this.queueChanged();
        return;
      case 'cancelQueued':
        this.effects.cancelQueued(message.id);
        this.queueChanged();
        return;
      case 'previewAugmentation':
        await this.preview(message.requestId, message.datasetDir, message.values);
        return;
      default:
        assertNever(message);
    }
  }

  /**
   * Draws the augmentation preview with the values' config (validated here like a submission) in a child
   * process; only the newest request is answered, and an older one still drawing is stopped.
   */
  private async preview(
    requestId: number,
    datasetDir: string,
    values: Record<string, string>,
  ): Promise<void> {
    this.previewAbort?.abort();
    const abort = new AbortController();
    this.previewAbort = abort;
    const answer = (images: PreviewImageView[], error: string | null): void => {
      if (abort.signal.aborted) return;
      this.effects.post({
        type: 'augmentPreview',
        requestId,
        images,
        error: error === null ? null : visibleText(error).slice(0, 4000),
      });
    };
    try {
      if (!this.effects.trusted())
        return answer([], 'the preview runs the trainer on the data set: trust the workspace to see it');
      const result = formConfig(values, this.start);
      if (!result.ok) return answer([], result.error);
      const refused = await this.effects.checkDataset(datasetDir);
      if (refused) return answer([], `cannot use ${datasetDir}: ${refused}`);
      const preview = await this.effects.previewAugmentation(datasetDir, result.config, abort.signal);
      answer(
        preview.images.map((image) => ({ path: image.path, label: image.label, src: image.png })),
        null,
      );
    } catch (error) {
      answer([], messageOf(error));
    } finally {
      if (this.previewAbort === abort) this.previewAbort = null;
    }
  }

  private async sendInit(): Promise<void> {
    const datasetDir = this.target.parent?.datasetDir ?? this.target.datasetDir ?? null;
    const [datasets, bases] = await Promise.all([this.effects.datasets(), this.effects.bases(datasetDir)]);
    const basis = datasetDir ? await this.basis(datasetDir, datasets) : null;
    this.effects.post({
      type: 'init',
      init: {
        datasets,
        datasetDir,
        bases,
        start: this.start as unknown as Record<string, unknown>,
        parentId: this.target.parent?.id ?? null,
        base: this.target.parent?.base ?? null,
        trusted: this.effects.trusted(),
        queue: this.effects.queue(),
        basis,
      },
    });
  }

  /**
   * The estimate's basis for a data set: the pace (seconds per training image, median over epochs) of the
   * newest completed run on it, and the trainer's memory budget for that run's backend (WASM when none).
   */
  async basis(datasetDir: string, known?: FormDataset[]): Promise<EstimateBasis | null> {
    const dataset = (known ?? (await this.effects.datasets())).find((d) => d.dir === datasetDir);
    const runs = await this.effects.listRuns().catch(() => [] as RunSummary[]);
    const resolved = path.resolve(datasetDir);
    let secondsPerImage: number | null = null;
    let runId: string | null = null;
    let matched = '';
    let backend: BackendName = 'wasm';
    for (const run of runs) {
      if (run.status !== 'completed' || path.resolve(run.datasetRoot) !== resolved) continue;
      const details = await this.effects.readRunDetails(run.runDir).catch(() => null);
      const trainImages = details?.record.dataset.counts.train ?? 0;
      const perEpoch = median(details?.epochs.map((e) => e.durationMs) ?? []);
      if (!details || trainImages <= 0 || perEpoch === null) continue;
      secondsPerImage = perEpoch / 1000 / trainImages;
      runId = run.id;
      matched = `${run.model}, ${details.record.config.imageSize} px, batch ${details.record.config.batchSize}`;
      backend = details.record.backend;
      break;
    }
    return {
      datasetDir,
      images: dataset?.images ?? 0,
      classes: dataset?.classes ?? 0,
      secondsPerImage,
      runId,
      matched,
      budgetBytes: budgetBytes(backend, this.effects.totalMemory()),
    };
  }

  private async submit(
    action: FormAction,
    datasetDir: string,
    values: Record<string, string>,
    base: string | null,
  ): Promise<void> {
    const result = formConfig(values, this.start);
    if (!result.ok)
      return this.notice('error', `Cannot ${action === 'saveConfig' ? 'save' : 'train'}: ${result.error}`);
    const config = result.config;
    const name = path.basename(datasetDir) || 'config';
    if (action === 'saveConfig') {
      const saved = await this.effects.saveConfig(config, `${name}.imagetrainer.json`);
      if (saved) this.effects.post({ type: 'submitted', action, message: `Saved ${saved}.` });
      else this.effects.post({ type: 'notice', level: 'info', message: 'Not saved.' });
      return;
    }
    if (!this.effects.trusted())
      return this.notice('error', 'Training is disabled in Restricted Mode; trust the workspace to train.');
    const refused = await this.effects.checkDataset(datasetDir);
    if (refused) return this.notice('error', `Cannot train on ${datasetDir}: ${refused}.`);
    if (base !== null) {
      const bases = await this.effects.bases(datasetDir);
      if (!bases.some((b) => b.name === base))
        return this.notice('error', `Unknown pretrained base ${base}.`);
    }
    const parentId = this.target.parent?.id ?? null;
    const what = changeLabel(values, this.start);
    const label = `${name} · ${config.model} · ${config.epochs} epochs${parentId ? ` · from ${parentId}: ${what}` : ''}`;
    const message = await this.effects.run({ action, datasetDir, config, base, parentId, label });
    this.effects.post({ type: 'submitted', action, message });
    this.queueChanged();
  }
}
