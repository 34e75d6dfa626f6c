// The first steps of every training on a data set folder (a new run, lr-find): the folder checked, the
// engine chosen, the images scanned, at least two classes found. One place for their one-line errors.
import type { BackendName, TrainingConfig } from '../../protocol/config';
import { compareCodeUnits, type ScanResult } from '../../core/dataset';
import { selectBackend } from '../backend';
import { UsageError } from '../errors';
import { requireDatasetFolder, scanDataset } from '../scan';
import type { VerifyMode } from '../imageDecode';
import type { Emit } from './runContext';

/** The config's backend, initialised; one it cannot have (not installed, no GPU) is a usage error. */
export async function selectEngine(
  config: TrainingConfig,
): Promise<{ backend: BackendName; notes: string[] }> {
  try {
    return await selectBackend(config.backend);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface OpenedDataset {
  root: string;
  backend: BackendName;
  backendNotes: string[];
  scan: ScanResult;
  /** The classes with images, in code-unit order (the order of the model's outputs). */
  classNames: string[];
}

export interface OpenOptions {
  /** Reports the scan (phase and progress events) and its warnings; silent without. */
  emit?: Emit;
  /** How closely the scan checks each image (default `full`). */
  verify?: VerifyMode;
}

export async function openDataset(
  dataDir: string,
  config: TrainingConfig,
  options: OpenOptions = {},
): Promise<OpenedDataset> {
  const { emit } = options;
  const root = await requireDatasetFolder(dataDir);
  const { backend, notes } = await selectEngine(config);
  emit?.({ type: 'phaseChanged', phase: 'scanning', message: `Scanning ${root}` });
  const scan = await scanDataset(root, {
    verify: options.verify,
    onProgress: emit && ((done, total) => emit({ type: 'progress', phase: 'scanning', done, total })),
  });
  const classNames = [...new Set(scan.entries.map((e) => e.label))].sort(compareCodeUnits);
  if (classNames.length < 2) {
    throw new UsageError(
      `${root}: found ${classNames.length} class folder(s) with images; training needs at least two (one sub-folder per class)`,
    );
  }
  for (const warning of scan.report.warnings)
    emit?.({ type: 'log', level: 'warn', message: warning.message });
  return { root, backend, backendNotes: notes, scan, classNames };
}
