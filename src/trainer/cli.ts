// `image-trainer`: the trainer as a command-line tool, and the child process the extension runs.
// With --json it prints TrainerToHost events (train) or the result object (scan, evaluate, predict).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Prediction } from '../protocol/runRecord';
import { isHostToTrainer, type TrainerToHost } from '../protocol/trainerMessages';
import { parseConfigFileText, resolveConfig, suggestName } from '../core/config';
import { CONFIG_FLAGS, configOverrides, flagHelpLines, type FlagSpec } from '../core/configFlags';
import { InputError } from '../core/inputError';
import { isImageCandidate, isHiddenName } from '../core/dataset';
import { listRuns } from '../core/runStore';
import type { CliIo, ParsedArgs, StopRequest } from './cliIo';
import { UsageError } from './errors';

export type { CliIo } from './cliIo';
import { visibleText } from '../protocol/displayText';
import { makeDirectoryInside, RunFileError, writablePath, writeFileInside } from '../core/runFiles';
import { RunLockedError, withRunLock } from '../core/runLock';
import { createProgressReporter } from './progress';
import { requireDatasetFolder, scanDataset } from './scan';
import { formatDetectionScanReport, formatScanReport } from './scanFormat';
import { writeSampleDataset } from './sampleWriter';
import type { DetectionFormat } from '../protocol/detection';
import { DEFAULT_DETECTION_SAMPLE } from '../core/detection/sample';
import { DETECTION_FORMATS } from '../core/detection/listing';
import { EXPORT_FORMAT_LIST, runExperimentCommand } from './experiments/commands';
import { DEFAULT_LR_FIND } from './experiments/lrFindOptions';
import { version as VERSION } from '../../package.json';
import { photoAdviceLine } from '../core/baseAdvice';
import { samplePhotoProfile } from '../core/photoSample';
import { isRecord } from '../protocol/guards';
import { withDetectionDefaults } from '../core/detection/detectionDefaults';
import { isRunIdReference } from '../protocol/runSchema';
import { defaultCacheDir, listBases, loadCatalogue } from './bases/cache';
import { BASES_FLAGS, BASES_HELP, BASES_USAGE, runBasesCommand } from './bases/command';
import { ENGINE_FLAGS, ENGINE_HELP, ENGINE_USAGE } from './engine/usage';
import { compareCodeUnits } from '../protocol/order';
import type { AugmentPreviewImage } from '../protocol/cliResults';
import { DEFAULT_PREVIEW_COUNT, MAX_PREVIEW_COUNT, previewAugmentation, previewPng } from './augmentPreview';

/** One command: how help shows it, what it accepts, and what runs it. */
interface CommandSpec {
  usage: string;
  summary: string;
  /** Every flag it takes, with help and default; a flag without `value` is a switch. */
  flags: readonly FlagSpec[];
  positionals: { min: number; max: number };
  /** Help lines after the flags (subcommands, notes). */
  notes?: readonly string[];
  run: (args: ParsedArgs, io: CliIo, stop: StopRequest) => Promise<number>;
}

const JSON_SWITCH: FlagSpec = { flag: '--json', help: 'print the result as JSON' };
const RUNS_ROOT = path.join('.image-trainer', 'runs');
const OUT_FLAG: FlagSpec = { flag: '--out', value: 'DIR', help: 'runs root', default: RUNS_ROOT };
const CONFIG_FILE_FLAG: FlagSpec = {
  flag: '--config',
  value: 'FILE',
  help: 'a JSON config (*.imagetrainer.json) that may set every training flag; flags override it',
};

/** The flags of everything that trains: train and lr-find. */
const TRAINING_FLAGS: readonly FlagSpec[] = [OUT_FLAG, CONFIG_FILE_FLAG, ...CONFIG_FLAGS];

/** sweep, lr-find and export: experiments/commands.ts (which loads TF.js only when one runs). */
const runExperiment: CommandSpec['run'] = (args, io, stop) =>
  runExperimentCommand(args, io, stop, { loadConfigFile });

/** `predict --confidence` of detection runs: Ultralytics' default. */
const PREDICT_CONFIDENCE = 0.25;

/** `sample`'s defaults: a set that trains to high accuracy in about a minute. */
const SAMPLE_DEFAULTS = { perClass: 120, size: 48, seed: 7 };

/** The dispatch table: one entry a command, in the order help lists them. */
const COMMANDS: Record<string, CommandSpec> = {
  scan: {
    usage: 'image-trainer scan DIR [--json]',
    summary:
      'find the classes of a data set and report every file it would skip, with the reason; for a detection set (YOLO, COCO, VOC): boxes per class, splits and annotation findings',
    flags: [JSON_SWITCH],
    positionals: { min: 1, max: 1 },
    run: (args, io) => runScan(args, io),
  },
  train: {
    usage: 'image-trainer train DIR [flags] | image-trainer train --resume RUN_DIR [--epochs N]',
    summary: 'train a model on DIR (one sub-folder per class, or train/val/test split folders)',
    flags: [
      ...TRAINING_FLAGS,
      {
        flag: '--resume',
        value: 'RUN_DIR',
        help: 'continue a stopped or crashed run from its last checkpoint',
      },
      {
        flag: '--group',
        value: 'NAME',
        help: 'record the run as one of a group (shown together in the Runs view)',
      },
      {
        flag: '--k-folds',
        value: 'K',
        help: 'K runs on stratified folds, one group; the summary goes to <out>/groups/',
      },
      {
        flag: '--parent',
        value: 'RUN_ID',
        help: 'the run this one re-runs with changes (recorded in run.json as parentId)',
      },
      { flag: '--json', help: 'print the trainer events, one JSON object a line' },
    ],
    positionals: { min: 0, max: 1 },
    notes: [
      '--base NAME (a pretrained base, see image-trainer bases list) or PATH (a model folder) without --model',
      'trains a transfer head on it. Models: docs/experiments.md. Exit status: 0 done, 1 failed, 2 bad usage',
      'or input, 130 stopped (Ctrl-C ends the epoch after the batch in progress).',
    ],
    run: (args, io, stop) => runTrain(args, io, stop),
  },
  evaluate: {
    usage: 'image-trainer evaluate RUN_DIR DATA_DIR [--split train|val|test] [--json]',
    summary: "evaluate a run's model on a labelled folder (a detection run: on a detection data set)",
    flags: [
      {
        flag: '--split',
        value: 'train|val|test',
        help: 'detection runs: which split of a split data set (default test, else val, else every image)',
      },
      JSON_SWITCH,
    ],
    positionals: { min: 2, max: 2 },
    run: (args, io) => runEvaluate(args, io),
  },
  predict: {
    usage: 'image-trainer predict RUN_DIR IMAGE_OR_FOLDER... [--top K] [--engine auto|tfjs] [--json]',
    summary: 'classify images with the preprocessing recorded at training time (ONNX Runtime when it can)',
    flags: [
      { flag: '--top', value: 'K', help: 'classes listed per image', default: '3' },
      {
        flag: '--confidence',
        value: 'X',
        help: 'detection runs: boxes below this confidence are left out',
        default: String(PREDICT_CONFIDENCE),
      },
      {
        flag: '--engine',
        value: 'auto|tfjs',
        help: 'auto: ONNX Runtime when the model maps exactly, else TF.js; tfjs: always TF.js',
        default: 'auto',
      },
      JSON_SWITCH,
    ],
    positionals: { min: 2, max: Infinity },
    run: (args, io) => runPredict(args, io),
  },
  runs: {
    usage: 'image-trainer runs [RUNS_ROOT] [--json]',
    summary: `list the runs under a runs root (default ${RUNS_ROOT}), newest first, with their status`,
    flags: [JSON_SWITCH],
    positionals: { min: 0, max: 1 },
    run: (args, io) => runRuns(args, io),
  },
  sweep: {
    usage: 'image-trainer sweep CONFIG [--data DIR] [--out DIR] [--json]',
    summary: 'grid or random search over config fields; every trial a run grouped under the sweep id',
    flags: [
      { flag: '--data', value: 'DIR', help: 'the data set', default: 'the sweep file\'s "data"' },
      OUT_FLAG,
      { flag: '--json', help: 'print the trainer events and the summary as JSON' },
    ],
    positionals: { min: 1, max: 1 },
    run: runExperiment,
  },
  'lr-find': {
    usage: 'image-trainer lr-find DIR [training flags] [--min X] [--max X] [--steps N] [--json]',
    summary:
      'learning-rate range test: the loss curve over exponentially growing rates, and a suggested rate',
    flags: [
      ...TRAINING_FLAGS,
      { flag: '--min', value: 'X', help: 'first learning rate', default: String(DEFAULT_LR_FIND.min) },
      { flag: '--max', value: 'X', help: 'last learning rate', default: String(DEFAULT_LR_FIND.max) },
      {
        flag: '--steps',
        value: 'N',
        help: 'training steps (3 to 100000)',
        default: String(DEFAULT_LR_FIND.steps),
      },
      JSON_SWITCH,
    ],
    positionals: { min: 1, max: 1 },
    run: runExperiment,
  },
  export: {
    usage: `image-trainer export RUN_DIR [--format ${EXPORT_FORMAT_LIST}] [--opset N] [--out DIR] [--json]`,
    summary: "export a run's model with an inference snippet, checked for parity on the validation images",
    flags: [
      { flag: '--format', value: EXPORT_FORMAT_LIST, help: 'what to export', default: 'tfjs-layers' },
      { flag: '--opset', value: 'N', help: 'ONNX opset of an onnx export', default: '17' },
      { flag: '--out', value: 'DIR', help: 'where the export goes', default: 'RUN_DIR/export/<format>' },
      JSON_SWITCH,
    ],
    positionals: { min: 1, max: 1 },
    run: runExperiment,
  },
  bases: {
    usage: BASES_USAGE,
    summary: 'pretrained bases: list the catalogue, get one into the cache, add any TF.js model, remove one',
    flags: BASES_FLAGS,
    positionals: { min: 1, max: 3 },
    notes: ['Subcommands:', ...BASES_HELP],
    run: (args, io, stop) => runBasesCommand(args, io, stop),
  },
  engine: {
    usage: ENGINE_USAGE,
    summary: 'the backend training uses here and why; install native TensorFlow (CPU or CUDA) with npm',
    flags: ENGINE_FLAGS,
    positionals: { min: 1, max: 2 },
    notes: ['Subcommands:', ...ENGINE_HELP],
    run: async (args, io, stop) => {
      // Loaded only when used: it loads tfjs and the WASM backend's registration.
      const { runEngineCommand } = await import('./engine/command');
      return runEngineCommand(args, io, stop);
    },
  },
  'preview-augment': {
    usage: 'image-trainer preview-augment DIR [training flags] [--count N] (--out DIR | --json)',
    summary:
      'the first training images of epoch 1 drawn through the augmentation, as the trainer will (same seed)',
    flags: [
      CONFIG_FILE_FLAG,
      ...CONFIG_FLAGS,
      {
        flag: '--count',
        value: 'N',
        help: `images (1 to ${MAX_PREVIEW_COUNT})`,
        default: String(DEFAULT_PREVIEW_COUNT),
      },
      { flag: '--out', value: 'DIR', help: 'write them there as augment-1.png, augment-2.png, …' },
      { flag: '--json', help: 'print them as JSON, each PNG as a data URL' },
    ],
    positionals: { min: 1, max: 1 },
    run: (args, io) => runPreviewAugment(args, io),
  },
  sample: {
    usage:
      'image-trainer sample DIR [--per-class N] [--size N] [--seed N] | image-trainer sample DIR --task detect [--format yolo|coco|voc] [--images N] [--size N] [--seed N]',
    summary: 'write the procedural sample data set (shapes drawn in code) into DIR',
    flags: [
      {
        flag: '--task',
        value: 'classify|detect',
        help: 'classify: one folder per shape; detect: several shapes per image with boxes',
        default: 'classify',
      },
      {
        flag: '--per-class',
        value: 'N',
        help: 'images per class (classify)',
        default: String(SAMPLE_DEFAULTS.perClass),
      },
      {
        flag: '--format',
        value: DETECTION_FORMATS.join('|'),
        help: 'label format (detect): images/<split>/*.png with YOLO labels, COCO JSON or VOC XML',
        default: 'yolo',
      },
      {
        flag: '--images',
        value: 'N',
        help: 'images (detect), split 80/20 into train and val',
        default: String(DEFAULT_DETECTION_SAMPLE.images),
      },
      {
        flag: '--size',
        value: 'N',
        help: 'image width and height in pixels',
        default: `${SAMPLE_DEFAULTS.size} (detect: ${DEFAULT_DETECTION_SAMPLE.size})`,
      },
      { flag: '--seed', value: 'N', help: 'seed of the drawing', default: String(SAMPLE_DEFAULTS.seed) },
      JSON_SWITCH,
    ],
    positionals: { min: 1, max: 1 },
    run: (args, io) => runSample(args, io),
  },
};

const HELP_FLAGS = new Set(['--help', '-h']);

function helpText(): string {
  const lines = [`image-trainer ${VERSION} — train, evaluate and use image classifiers`, '', 'Commands:'];
  for (const [name, spec] of Object.entries(COMMANDS))
    lines.push(`  ${name.padEnd(9)} ${spec.summary}`, `            ${spec.usage}`);
  lines.push(
    '',
    'Pretrained bases:',
    ...BASES_HELP,
    '',
    'Native engines:',
    ...ENGINE_HELP,
    '',
    'image-trainer COMMAND --help lists the flags of a command, with their defaults.',
    'Exit status: 0 done, 1 training failed, 2 bad usage or input, 130 stopped.',
  );
  return lines.join('\n');
}

/** The commands, and the flags each takes (what its --help lists). */
export function commandFlags(): ReadonlyMap<string, readonly FlagSpec[]> {
  return new Map(Object.entries(COMMANDS).map(([name, spec]) => [name, spec.flags]));
}

/** `image-trainer COMMAND --help`: the command's usage and every flag it takes, with its default. */
export function commandHelpText(command: string): string {
  const spec = COMMANDS[command];
  return [
    `image-trainer ${command} — ${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    'Flags:',
    ...flagHelpLines(spec.flags),
    ...(spec.notes ? ['', ...spec.notes] : []),
  ].join('\n');
}

function suggestFlag(flag: string, known: string[]): string {
  const near = suggestName(flag, known);
  return near ? ` — did you mean ${near}?` : '';
}

export function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec)
    throw new UsageError(
      `unknown command "${command}" — use one of: ${Object.keys(COMMANDS).join(', ')} (see --help)`,
    );
  const valueFlags = spec.flags.filter((f) => f.value !== undefined).map((f) => f.flag);
  const switches = spec.flags.filter((f) => f.value === undefined).map((f) => f.flag);
  const parsed: ParsedArgs = { command, positionals: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--') {
      parsed.positionals.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (switches.includes(name)) {
        if (eq > 0) throw new UsageError(`${name} takes no value`);
        parsed.switches.add(name);
      } else if (valueFlags.includes(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
        if (value === undefined) throw new UsageError(`${name} needs a value (${spec.usage})`);
        parsed.values.set(name, value);
      } else {
        throw new UsageError(
          `unknown flag ${name} for ${command}${suggestFlag(name, [...valueFlags, ...switches])}`,
        );
      }
    } else {
      parsed.positionals.push(arg);
    }
  }
  const count = parsed.positionals.length;
  if (count < spec.positionals.min || count > spec.positionals.max)
    throw new UsageError(`usage: ${spec.usage}`);
  return parsed;
}

function parsePositiveInt(
  flag: string,
  value: string | undefined,
  fallback: number,
  max = 1_000_000,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

async function loadConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: cannot read the config file — check the path`);
  }
  return parseConfigFileText(text, file);
}

async function runScan(args: ParsedArgs, io: CliIo): Promise<number> {
  const root = await requireDatasetFolder(path.resolve(io.cwd, args.positionals[0]));
  // A detection set (YOLO, COCO, VOC) gets the detection report; anything else scans as before.
  const { detectDetectionFormat, scanDetectionSet } = await import('./detect/detectionSet');
  if ((await detectDetectionFormat(root)) !== null) {
    const report = await scanDetectionSet(root);
    io.stdout(
      args.switches.has('--json') ? JSON.stringify(report) + '\n' : formatDetectionScanReport(report),
    );
    return 0;
  }
  const progress = args.switches.has('--json') ? null : createProgressReporter(io.stderr, io.isTTY);
  const { report } = await scanDataset(root, {
    onProgress: (done, total) => progress?.progress('Scanning', done, total),
  });
  progress?.clear();
  io.stdout(args.switches.has('--json') ? JSON.stringify(report) + '\n' : formatScanReport(report));
  return 0;
}

async function runTrain(args: ParsedArgs, io: CliIo, stop: { requested: boolean }): Promise<number> {
  const json = args.switches.has('--json');
  const resume = args.values.get('--resume');
  if (resume && args.positionals.length > 0)
    throw new UsageError('pass either DIR or --resume RUN_DIR, not both');
  if (!resume && args.positionals.length === 0) throw new UsageError(`usage: ${COMMANDS.train.usage}`);
  const configFile = args.values.get('--config');
  const overrides: Record<string, unknown> = configOverrides(args.values);
  const kFolds = args.values.has('--k-folds')
    ? parsePositiveInt('--k-folds', args.values.get('--k-folds'), 0, 1000)
    : undefined;
  if (kFolds !== undefined && (kFolds < 2 || resume))
    throw new UsageError('--k-folds needs K ≥ 2 and a data set folder (not --resume)');
  const fileConfig = configFile ? await loadConfigFile(path.resolve(io.cwd, configFile)) : undefined;
  const modelChosen =
    args.values.has('--model') || (isRecord(fileConfig) && Object.hasOwn(fileConfig, 'model'));
  const fileFields = isRecord(fileConfig) ? Object.keys(fileConfig) : [];
  const taskChosen = overrides.task !== undefined || fileFields.includes('task');
  // A detection data set (YOLO, COCO, VOC) trains a detector unless a task is named.
  if (!resume && !taskChosen && (await isDetectionFolder(path.resolve(io.cwd, args.positionals[0]))))
    overrides.task = 'detect';
  const detect = overrides.task === 'detect' || (isRecord(fileConfig) && fileConfig.task === 'detect');
  if (detect && !resume) Object.assign(overrides, withDetectionDefaults(overrides, fileFields));
  if (detect && kFolds !== undefined) throw new UsageError('--k-folds is not available for detection runs');
  // `train DIR --base NAME_OR_PATH` trains a transfer head on that base unless a model is named.
  if (args.values.has('--base') && !modelChosen) overrides.model = 'transfer';
  const config = resolveConfig(fileConfig, overrides, configFile);
  const cacheDir = defaultCacheDir(io.env ?? process.env);
  const epochsOverride = resume && overrides.epochs !== undefined ? config.epochs : undefined;
  const runsRoot = path.resolve(io.cwd, args.values.get('--out') ?? path.join('.image-trainer', 'runs'));
  const progress = json ? null : createProgressReporter(io.stderr, io.isTTY);
  const emit = (event: TrainerToHost): void => {
    io.send?.(event);
    if (json) io.stdout(JSON.stringify(event) + '\n');
    else progress!.event(event, io.stdout);
  };
  if (!resume && !detect && !modelChosen && !args.values.has('--base')) {
    const advice = await photoAdvice(args.positionals[0], io.cwd, cacheDir, io.env ?? process.env);
    if (advice) {
      if (json) emit({ type: 'log', level: 'info', message: advice });
      else io.stderr(`image-trainer: note: ${advice}\n`);
    }
  }
  // Loaded lazily: tfjs is heavy and `scan`, `--help` and usage errors should not pay for it.
  const { trainAny } = await import('./experiments/trainAny');
  const outcome = await trainAny({
    cacheDir,
    kFolds,
    dataDir: resume ? undefined : path.resolve(io.cwd, args.positionals[0]),
    runsRoot,
    config,
    resumeRunDir: resume ? path.resolve(io.cwd, resume) : undefined,
    epochsOverride,
    group: args.values.get('--group'),
    parentId: parentIdFlag(args.values.get('--parent'), resume),
    emit,
    stop,
  });
  progress?.clear();
  if (outcome.status === 'completed') return 0;
  if (outcome.status === 'stopped') return 130;
  return 1;
}

/** Whether DIR is a detection data set (its format detected); false for anything unreadable. */
async function isDetectionFolder(dir: string): Promise<boolean> {
  const { detectDetectionFormat } = await import('./detect/detectionSet');
  return (await detectDetectionFormat(dir).catch(() => null)) !== null;
}

/** `--parent RUN_ID`: the run a new run re-runs with changes (recorded in its run.json). */
function parentIdFlag(value: string | undefined, resume: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (resume)
    throw new UsageError('--parent names the run a new run comes from; a resumed run keeps its own');
  if (!isRunIdReference(value))
    throw new UsageError(
      `--parent must be a run id (a folder name under the runs folder), got ${JSON.stringify(value)}`,
    );
  return value;
}

/**
 * For `train DIR` with the default model on photos: which pretrained base to use instead (or null). The
 * commands it suggests name DIR as the user typed it.
 */
async function photoAdvice(
  dataDir: string,
  cwd: string,
  cacheDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  try {
    const profile = await samplePhotoProfile(path.resolve(cwd, dataDir));
    if (!profile.photos) return null;
    const { bases } = await listBases(cacheDir, await loadCatalogue(env));
    const options = bases.map((b) => ({
      name: b.entry.name,
      installed: b.installed,
      sizeBytes: b.entry.sizeBytes,
    }));
    return photoAdviceLine(profile, options, dataDir);
  } catch {
    // Advice is best effort: a folder that cannot be read fails later with its own message.
    return null;
  }
}

/** Where `evaluate` saves its result inside the run directory, relative to it. */
function savedEvaluationName(dataDir: string): string {
  return path.join(
    'evaluations',
    `${
      path
        .basename(dataDir)
        .replace(/[^\w.-]+/g, '_')
        .replace(/^\.+/, '_') || 'data'
    }.json`,
  );
}

/**
 * Saves an evaluation (classification or detection) under the run directory, holding the run's lock; a
 * failure to save is a warning, not an error (the result is printed anyway). Returns the saved path.
 */
async function saveEvaluation(
  runDir: string,
  savedName: string,
  evaluation: unknown,
  io: CliIo,
): Promise<string> {
  try {
    await withRunLock(runDir, { purpose: 'evaluate' }, async () => {
      await makeDirectoryInside(runDir, path.dirname(savedName));
      await writeFileInside(runDir, savedName, JSON.stringify(evaluation, null, 2) + '\n');
    });
  } catch (err) {
    const reason =
      err instanceof RunFileError || err instanceof RunLockedError ? err.message : (err as Error).message;
    io.stderr(`image-trainer: warning: the evaluation was not saved: ${visibleText(reason)}\n`);
  }
  return path.join(runDir, savedName);
}

async function runEvaluate(args: ParsedArgs, io: CliIo): Promise<number> {
  const { loadRunModel, evaluateFolder } = await import('./runModel');
  const { selectBackend } = await import('./backend');
  await selectBackend('auto');
  const [runDir, dataDir] = args.positionals.map((p) => path.resolve(io.cwd, p));
  const { isDetectionModel } = await import('./detect/detectionModel');
  if (await isDetectionModel(runDir)) return runEvaluateDetection(args, io, runDir, dataDir);
  if (args.values.has('--split'))
    throw new UsageError(
      '--split applies to detection runs; a classification run evaluates the whole folder',
    );
  const savedName = savedEvaluationName(dataDir);
  const runModel = await loadRunModel(runDir);
  // Before the work: a result that could only be saved through a link (out of the run) is refused.
  await writablePath(runDir, savedName).catch((err: unknown) => {
    runModel.model.dispose();
    throw err;
  });
  const evaluation = await evaluateFolder(runModel, dataDir, (message) =>
    io.stderr(`image-trainer: warning: ${visibleText(message)}\n`),
  );
  const saved = await saveEvaluation(runDir, savedName, evaluation, io);
  if (args.switches.has('--json')) {
    io.stdout(JSON.stringify(evaluation) + '\n');
  } else {
    const lines = [
      `Accuracy ${(evaluation.accuracy * 100).toFixed(2)}% on ${evaluation.perClass.reduce((n, c) => n + c.support, 0)} images`,
      `Macro F1 ${evaluation.macro.f1.toFixed(3)}   weighted F1 ${evaluation.weighted.f1.toFixed(3)}`,
      '',
      `${'class'.padEnd(20)} precision  recall     f1   support`,
      ...evaluation.perClass.map(
        (c) =>
          `${visibleText(c.label).padEnd(20)} ${c.precision.toFixed(3).padStart(9)} ${c.recall.toFixed(3).padStart(7)} ${c.f1.toFixed(3).padStart(6)} ${String(c.support).padStart(9)}`,
      ),
      '',
      `Saved to ${visibleText(saved)}`,
    ];
    io.stdout(lines.join('\n') + '\n');
  }
  runModel.model.dispose();
  return 0;
}

/** `evaluate` of a detection run: DetectionEvaluation printed, and saved under evaluations/. */
async function runEvaluateDetection(
  args: ParsedArgs,
  io: CliIo,
  runDir: string,
  dataDir: string,
): Promise<number> {
  const { loadDetectionRunModel } = await import('./detect/detectionModel');
  const { evaluateDetectionFolder } = await import('./detect/detectionCommands');
  const savedName = savedEvaluationName(dataDir);
  const runModel = await loadDetectionRunModel(runDir);
  try {
    await writablePath(runDir, savedName);
    const evaluation = await evaluateDetectionFolder(
      runModel,
      dataDir,
      args.values.get('--split'),
      (message) => io.stderr(`image-trainer: warning: ${visibleText(message)}\n`),
    );
    const saved = await saveEvaluation(runDir, savedName, evaluation, io);
    if (args.switches.has('--json')) {
      io.stdout(JSON.stringify(evaluation) + '\n');
      return 0;
    }
    const lines = [
      `mAP@0.5 ${evaluation.map50.toFixed(3)}   mAP@0.5:0.95 ${evaluation.map50_95.toFixed(3)} on ${evaluation.images} ${visibleText(evaluation.source ?? '')} images`,
      '',
      `${'class'.padEnd(20)}   AP50  AP50:95  boxes`,
      ...evaluation.perClass.map(
        (c) =>
          `${visibleText(c.label).padEnd(20)} ${c.ap50.toFixed(3).padStart(6)} ${c.ap50_95.toFixed(3).padStart(8)} ${String(c.support).padStart(6)}`,
      ),
      '',
      `Saved to ${visibleText(saved)}`,
    ];
    io.stdout(lines.join('\n') + '\n');
    return 0;
  } finally {
    runModel.model.dispose();
  }
}

/** `predict` of a detection run: `[{path, boxes: [{label, confidence, box}]}]`, boxes in original pixels. */
async function runPredictDetection(
  args: ParsedArgs,
  io: CliIo,
  runDir: string,
  files: string[],
): Promise<number> {
  const { loadDetectionRunModel } = await import('./detect/detectionModel');
  const { predictDetectionFiles, parseConfidence } = await import('./detect/detectionCommands');
  const confidence = parseConfidence(args.values.get('--confidence'), PREDICT_CONFIDENCE);
  const runModel = await loadDetectionRunModel(runDir);
  let failures = 0;
  try {
    const predictions = await predictDetectionFiles(runModel, files, confidence, (file, message) => {
      failures++;
      io.stderr(`image-trainer: skipped ${visibleText(file)}: ${visibleText(message)}\n`);
    });
    if (predictions.length === 0)
      throw new UsageError(`none of the ${files.length} image(s) could be read (${failures} failed)`);
    if (args.switches.has('--json')) {
      io.stdout('[' + predictions.map((p) => '\n' + JSON.stringify(p)).join(',') + '\n]\n');
      return 0;
    }
    for (const p of predictions) {
      const boxes = p.boxes
        .map(
          (b) =>
            `${visibleText(b.label)} ${(b.confidence * 100).toFixed(1)}% [${b.box.map((v) => v.toFixed(1)).join(', ')}]`,
        )
        .join('; ');
      io.stdout(`${visibleText(p.path)}\t${p.boxes.length} box(es)\t${boxes}\n`);
    }
    return 0;
  } finally {
    runModel.model.dispose();
  }
}

/** Expands folders into their image files (recursively, hidden entries skipped), sorted. */
async function expandImageArguments(items: string[], cwd: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => compareCodeUnits(a.name, b.name));
    for (const entry of entries) {
      if (isHiddenName(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isImageCandidate(entry.name)) files.push(full);
    }
  };
  for (const item of items) {
    const full = path.resolve(cwd, item);
    const stat = await fs.stat(full).catch(() => null);
    if (!stat) throw new UsageError(`${full}: no such file or folder`);
    if (stat.isDirectory()) await walk(full);
    else files.push(full);
  }
  return files;
}

async function runPredict(args: ParsedArgs, io: CliIo): Promise<number> {
  const top = parsePositiveInt('--top', args.values.get('--top'), 3, 1000);
  const [runDirArg, ...imageArgs] = args.positionals;
  const files = await expandImageArguments(imageArgs, io.cwd);
  if (files.length === 0) throw new UsageError('no image files found in the given paths');
  const { isDetectionModel } = await import('./detect/detectionModel');
  if (await isDetectionModel(path.resolve(io.cwd, runDirArg))) {
    const { selectBackend } = await import('./backend');
    await selectBackend('auto');
    return runPredictDetection(args, io, path.resolve(io.cwd, runDirArg), files);
  }
  if (args.values.has('--confidence'))
    throw new UsageError('--confidence applies to detection runs; a classifier lists its --top K classes');
  const { loadRunModel } = await import('./runModel');
  const { predictWithEngine, PREDICT_ENGINES } = await import('./export/onnxPredict');
  const engine = args.values.get('--engine') ?? 'auto';
  if (!(PREDICT_ENGINES as readonly string[]).includes(engine))
    throw new UsageError(`--engine must be one of ${PREDICT_ENGINES.join(', ')}, got "${engine}"`);
  const { selectBackend } = await import('./backend');
  await selectBackend('auto');
  const runModel = await loadRunModel(path.resolve(io.cwd, runDirArg));
  const json = args.switches.has('--json');
  let first = true;
  let failures = 0;
  if (json) io.stdout('[');
  const { count } = await predictWithEngine(runModel, files, {
    engine: engine as (typeof PREDICT_ENGINES)[number],
    top,
    onPredictions: (predictions: Prediction[]) => {
      for (const p of predictions) {
        if (json) {
          io.stdout((first ? '\n' : ',\n') + JSON.stringify(p));
          first = false;
        } else {
          const rest = p.top
            .map((t) => `${visibleText(t.label)} ${(t.confidence * 100).toFixed(1)}%`)
            .join(', ');
          io.stdout(
            `${visibleText(p.path)}\t${visibleText(p.label)}\t${(p.confidence * 100).toFixed(1)}%\t(${rest})\n`,
          );
        }
      }
    },
    onError: (file, message) => {
      failures++;
      io.stderr(`image-trainer: skipped ${visibleText(file)}: ${visibleText(message)}\n`);
    },
  });
  if (json) io.stdout(first ? ']\n' : '\n]\n');
  runModel.model.dispose();
  if (count === 0)
    throw new UsageError(`none of the ${files.length} image(s) could be read (${failures} failed)`);
  return 0;
}

/** A run whose trainer vanished (crash, kill, reboot) shows as `interrupted`, as in the Runs view. */
async function runRuns(args: ParsedArgs, io: CliIo): Promise<number> {
  const root = path.resolve(io.cwd, args.positionals[0] ?? path.join('.image-trainer', 'runs'));
  const runs = await listRuns(root);
  if (args.switches.has('--json')) {
    io.stdout(JSON.stringify(runs) + '\n');
    return 0;
  }
  if (runs.length === 0) {
    io.stdout(`No runs under ${root}\n`);
    return 0;
  }
  for (const run of runs) {
    if (run.status === 'damaged') {
      io.stdout(`${visibleText(run.id)}  ${run.status.padEnd(11)}  ${visibleText(run.error ?? '')}\n`);
      continue;
    }
    const accuracy =
      run.bestValAccuracy === null ? '' : `  best val acc ${(run.bestValAccuracy * 100).toFixed(1)}%`;
    io.stdout(
      `${visibleText(run.id)}  ${run.status.padEnd(11)}  epoch ${run.epochsCompleted}/${run.totalEpochs}${accuracy}  ${visibleText(run.runDir)}\n`,
    );
  }
  return 0;
}

async function runPreviewAugment(args: ParsedArgs, io: CliIo): Promise<number> {
  const json = args.switches.has('--json');
  const out = args.values.get('--out');
  if (!json && out === undefined)
    throw new UsageError('preview-augment needs --out DIR (PNG files) or --json (data URLs)');
  const count = parsePositiveInt(
    '--count',
    args.values.get('--count'),
    DEFAULT_PREVIEW_COUNT,
    MAX_PREVIEW_COUNT,
  );
  const configFile = args.values.get('--config');
  const fileConfig = configFile ? await loadConfigFile(path.resolve(io.cwd, configFile)) : undefined;
  const config = resolveConfig(fileConfig, configOverrides(args.values), configFile);
  const preview = await previewAugmentation(path.resolve(io.cwd, args.positionals[0]), config, count);
  const outDir = out === undefined ? null : path.resolve(io.cwd, out);
  if (outDir) await fs.mkdir(outDir, { recursive: true });
  const images: (AugmentPreviewImage & { file?: string })[] = [];
  for (const [i, image] of preview.images.entries()) {
    const png = await previewPng(preview, image);
    const file = outDir ? path.join(outDir, `augment-${i + 1}.png`) : null;
    if (file) await fs.writeFile(file, png);
    images.push({
      path: image.path,
      label: image.label,
      png: `data:image/png;base64,${png.toString('base64')}`,
      ...(file ? { file } : {}),
    });
    if (!json)
      io.stdout(`${visibleText(file ?? '')}\t${visibleText(image.label)}\t${visibleText(image.path)}\n`);
  }
  if (json) {
    const { images: _pixels, ...rest } = preview;
    io.stdout(JSON.stringify({ ...rest, images }) + '\n');
  }
  return 0;
}

async function runSample(args: ParsedArgs, io: CliIo): Promise<number> {
  const dir = path.resolve(io.cwd, args.positionals[0]);
  const task = args.values.get('--task') ?? 'classify';
  if (task !== 'classify' && task !== 'detect')
    throw new UsageError(`--task must be classify or detect, got "${task}"`);
  if (task === 'detect') return runDetectionSample(dir, args, io);
  for (const flag of ['--format', '--images'])
    if (args.values.has(flag))
      throw new UsageError(`${flag} is for --task detect (classify takes --per-class)`);
  const perClass = parsePositiveInt(
    '--per-class',
    args.values.get('--per-class'),
    SAMPLE_DEFAULTS.perClass,
    100_000,
  );
  const size = parsePositiveInt('--size', args.values.get('--size'), SAMPLE_DEFAULTS.size, 1024);
  const seed = parsePositiveInt('--seed', args.values.get('--seed'), SAMPLE_DEFAULTS.seed, 2 ** 31);
  const written = await writeSampleDataset(dir, { perClass, size, seed });
  if (args.switches.has('--json')) io.stdout(JSON.stringify({ root: dir, ...written }) + '\n');
  else
    io.stdout(
      `Wrote ${written.images} images in ${written.classes.length} classes (${written.classes.join(', ')}) to ${dir}\n`,
    );
  return 0;
}

async function runDetectionSample(dir: string, args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.values.has('--per-class'))
    throw new UsageError('--per-class is for the classification sample; --task detect takes --images N');
  const format = args.values.get('--format') ?? 'yolo';
  if (!(DETECTION_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${DETECTION_FORMATS.join(', ')}, got "${format}"`);
  const images = parsePositiveInt(
    '--images',
    args.values.get('--images'),
    DEFAULT_DETECTION_SAMPLE.images,
    100_000,
  );
  const size = parsePositiveInt('--size', args.values.get('--size'), DEFAULT_DETECTION_SAMPLE.size, 1024);
  if (size < 32) throw new UsageError(`--size must be at least 32 for --task detect, got ${size}`);
  const seed = parsePositiveInt('--seed', args.values.get('--seed'), DEFAULT_DETECTION_SAMPLE.seed, 2 ** 31);
  const { writeDetectionSample } = await import('./detect/detectionSample');
  const written = await writeDetectionSample(dir, { format: format as DetectionFormat, images, size, seed });
  if (args.switches.has('--json')) io.stdout(JSON.stringify(written) + '\n');
  else {
    const splits = Object.entries(written.splits)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
    io.stdout(
      `Wrote ${written.images} images (${splits}) with ${written.boxes} boxes of ${written.classes.length} classes (${written.classes.join(', ')}) in ${format.toUpperCase()} form to ${dir}\n`,
    );
  }
  return 0;
}

/** Runs the CLI; returns the exit status. Never throws for user errors. */
export async function main(
  argv: string[],
  io: CliIo,
  stop: StopRequest = { requested: false },
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || HELP_FLAGS.has(first) || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    io.stdout((topic && Object.hasOwn(COMMANDS, topic) ? commandHelpText(topic) : helpText()) + '\n');
    return first === undefined ? 2 : 0;
  }
  if (first === '--version') {
    io.stdout(VERSION + '\n');
    return 0;
  }
  // `COMMAND --help` (before `--`) shows that command's help, whatever else is on the line.
  const beforeDashes = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (Object.hasOwn(COMMANDS, first) && beforeDashes.some((arg) => HELP_FLAGS.has(arg))) {
    io.stdout(commandHelpText(first) + '\n');
    return 0;
  }
  try {
    const args = parseArgs(argv);
    return await COMMANDS[args.command].run(args, io, stop);
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`image-trainer: ${visibleText(err.message)}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`image-trainer: error: ${visibleText(message)}\n`);
    if (process.env.IMAGE_TRAINER_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    return 1;
  }
}

function runAsProcess(): void {
  // A closed pipe (`image-trainer predict … | head`) ends the output quietly, as Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const stop = { requested: false };
  let interrupts = 0;
  const requestStop = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    stop.requested = true;
    process.stderr.write(
      process.argv[2] === 'bases' || process.argv[2] === 'engine'
        ? '\nimage-trainer: stopping the download (press Ctrl-C again to quit at once)\n'
        : '\nimage-trainer: stopping after this batch (press Ctrl-C again to quit at once)\n',
    );
  };
  process.on('SIGINT', requestStop);
  // SIGTERM (shutdown, `kill`) quits at once: records are written atomically, so the run reads as
  // `interrupted` and `--resume` continues it. A graceful stop that validates first is slow on big sets.
  process.on('SIGTERM', () => process.exit(143));
  if (process.send) {
    process.on('message', (message: unknown) => {
      if (!isHostToTrainer(message)) return;
      switch (message.type) {
        case 'stop':
          if (message.immediately) process.exit(130);
          stop.requested = true;
          break;
      }
    });
    // The host going away (window closed) must not leave training running.
    process.on('disconnect', () => {
      stop.requested = true;
    });
  }
  const send = process.send ? (m: TrainerToHost) => process.send!(m) : undefined;
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    send:
      send &&
      ((m) => {
        if (process.connected) send(m);
      }),
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
  };
  main(process.argv.slice(2), io, stop).then(
    (code) => {
      process.exitCode = code;
      // IPC keeps the event loop alive; let pending messages flush, then leave.
      if (process.send) process.disconnect?.();
    },
    (err: unknown) => {
      process.stderr.write(`image-trainer: error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runAsProcess();
