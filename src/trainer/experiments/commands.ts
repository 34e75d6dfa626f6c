// The experiment commands of the CLI: `sweep`, `lr-find` and `export` (cli.ts parses the flags and
// dispatches here; loaded lazily, like training, because TF.js is heavy).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TrainerToHost } from '../../protocol/trainerMessages';
import { parseConfigFileText, resolveConfig } from '../../core/config';
import { UsageError } from '../errors';
import { configOverrides } from '../../core/configFlags';
import type { CliIo, ParsedArgs } from '../cliIo';
import { DEFAULT_LR_FIND } from './lrFindOptions';

export type ExperimentArgs = ParsedArgs;
export type ExperimentIo = Omit<CliIo, 'isTTY' | 'env'>;

export interface CliHelpers {
  loadConfigFile: (file: string) => Promise<unknown>;
}

export const EXPORT_FORMAT_LIST = 'tfjs-layers|onnx|tfjs-graph|savedmodel';

export async function runExperimentCommand(
  args: ExperimentArgs,
  io: ExperimentIo,
  stop: { requested: boolean },
  helpers: CliHelpers,
): Promise<number> {
  switch (args.command) {
    case 'sweep':
      return sweepCommand(args, io, stop);
    case 'lr-find':
      return lrFindCommand(args, io, stop, helpers);
    case 'export':
      return exportCommand(args, io);
    default:
      throw new UsageError(`unknown command "${args.command}"`);
  }
}

function runsRootOf(args: ExperimentArgs, io: ExperimentIo): string {
  return path.resolve(io.cwd, args.values.get('--out') ?? path.join('.image-trainer', 'runs'));
}

/** Events go to the host (IPC) and, with --json, to stdout; otherwise only logs reach stderr. */
function eventSink(args: ExperimentArgs, io: ExperimentIo): (event: TrainerToHost) => void {
  const json = args.switches.has('--json');
  return (event) => {
    io.send?.(event);
    if (json) io.stdout(JSON.stringify(event) + '\n');
    else if (event.type === 'log') io.stderr(`${event.message}\n`);
    else if (event.type === 'epochEnded') {
      const m = event.metrics;
      io.stderr(
        `  epoch ${m.epoch}: loss ${m.loss.toFixed(4)}${m.valAccuracy === null ? '' : `, val acc ${(m.valAccuracy * 100).toFixed(1)}%`}\n`,
      );
    } else if (event.type === 'runFailed') io.stderr(`  failed: ${event.message}\n`);
  };
}

async function sweepCommand(
  args: ExperimentArgs,
  io: ExperimentIo,
  stop: { requested: boolean },
): Promise<number> {
  const file = path.resolve(io.cwd, args.positionals[0]);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: cannot read the sweep file — check the path`);
  }
  const { parseSweepSpec } = await import('./sweepPlan');
  const spec = parseSweepSpec(parseConfigFileText(text, file), file);
  const dataArg = args.values.get('--data');
  const dataDir = dataArg
    ? path.resolve(io.cwd, dataArg)
    : spec.data
      ? path.resolve(path.dirname(file), spec.data)
      : null;
  if (!dataDir)
    throw new UsageError(`${file}: no data set — add "data": "FOLDER" to the sweep file or pass --data DIR`);
  const { runSweep } = await import('./sweep');
  const outcome = await runSweep({
    spec,
    file,
    dataDir,
    runsRoot: runsRootOf(args, io),
    emit: eventSink(args, io),
    stop,
  });
  const format = (v: number | null) =>
    v === null ? '—' : spec.metric === 'valAccuracy' ? `${(v * 100).toFixed(2)}%` : v.toFixed(4);
  if (args.switches.has('--json')) {
    io.stdout(
      JSON.stringify({
        type: 'sweepCompleted',
        sweepId: outcome.sweepId,
        groupFile: outcome.groupFile,
        best: outcome.best,
        trials: outcome.trials.map(({ curve: _c, ...t }) => t),
      }) + '\n',
    );
  } else {
    const lines = [`Sweep ${outcome.sweepId}: ${outcome.trials.length} trial(s), ${spec.metric}`];
    for (const t of outcome.trials) {
      lines.push(
        `  #${String(t.index).padEnd(3)} ${format(t.best).padStart(8)}  ${t.status.padEnd(10)} ${JSON.stringify(t.overrides)}  ${t.runId ?? ''}`,
      );
    }
    lines.push(
      outcome.best
        ? `Best: trial ${outcome.best.index} ${format(outcome.best.best)} ${JSON.stringify(outcome.best.overrides)}`
        : 'No trial finished.',
    );
    lines.push(`Summary: ${outcome.groupFile}`);
    io.stdout(lines.join('\n') + '\n');
  }
  if (outcome.stopped) return 130;
  return outcome.best ? 0 : 1;
}

function parseNumberFlag(args: ExperimentArgs, flag: string, fallback: number): number {
  const text = args.values.get(flag);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${flag} must be a positive number, got "${text}"`);
  return value;
}

async function lrFindCommand(
  args: ExperimentArgs,
  io: ExperimentIo,
  stop: { requested: boolean },
  helpers: CliHelpers,
): Promise<number> {
  // The training flags of `train`, from the same field table.
  const overrides = configOverrides(args.values);
  const configFile = args.values.get('--config');
  const fileConfig = configFile ? await helpers.loadConfigFile(path.resolve(io.cwd, configFile)) : undefined;
  const config = resolveConfig(fileConfig, overrides, configFile);
  if (config.task === 'detect')
    throw new UsageError(
      'lr-find trains classifiers; a detection run takes --learning-rate (its default is tuned: bench/RESULTS.md)',
    );
  const { lrFind } = await import('./lrFind');
  const steps = parseNumberFlag(args, '--steps', DEFAULT_LR_FIND.steps);
  if (!Number.isInteger(steps) || steps < 3 || steps > 100000)
    throw new UsageError(`--steps must be a whole number from 3 to 100000, got ${steps}`);
  const result = await lrFind({
    dataDir: path.resolve(io.cwd, args.positionals[0]),
    runsRoot: runsRootOf(args, io),
    config,
    options: {
      min: parseNumberFlag(args, '--min', DEFAULT_LR_FIND.min),
      max: parseNumberFlag(args, '--max', DEFAULT_LR_FIND.max),
      steps,
    },
    emit: (event) => io.send?.(event),
    stop,
  });
  if (args.switches.has('--json')) {
    io.stdout(
      JSON.stringify({
        type: 'lrFindCompleted',
        file: result.file,
        suggestion: result.suggestion,
        diverged: result.diverged,
        points: result.points.length,
      }) + '\n',
    );
  } else {
    const s = result.suggestion;
    const show = (v: number | null) => (v === null ? '—' : v.toPrecision(2));
    io.stdout(
      [
        `Learning-rate range test: ${result.points.length} steps${result.diverged ? ' (stopped when the loss diverged)' : ''}`,
        `  steepest descent ${show(s.steepest)}   lowest loss / 10 ${show(s.minLossOver10)}`,
        `Suggested --learning-rate ${show(s.suggested)}`,
        `Curve: ${result.file}`,
      ].join('\n') + '\n',
    );
  }
  return stop.requested ? 130 : 0;
}

async function exportCommand(args: ExperimentArgs, io: ExperimentIo): Promise<number> {
  const format = args.values.get('--format') ?? 'tfjs-layers';
  const { exportRun, EXPORT_FORMATS } = await import('./exportModel');
  if (format !== 'onnx' && !(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${EXPORT_FORMAT_LIST}, got "${format}"`);
  const opset = args.values.get('--opset');
  if (opset !== undefined && format !== 'onnx') throw new UsageError('--opset applies to --format onnx only');
  const { selectBackend } = await import('../backend');
  await selectBackend('auto');
  const out = args.values.get('--out');
  // Every format: a running, failed or model-less run and an unwritable --out are refused before writing.
  const { exportableRun, prepareOutDir } = await import('../export/exportChecks');
  await exportableRun(path.resolve(io.cwd, args.positionals[0]));
  if (out) await prepareOutDir(path.resolve(io.cwd, out));
  if (format === 'onnx') return onnxExportCommand(args, io, out, opset);
  const result = await exportRun(
    path.resolve(io.cwd, args.positionals[0]),
    format as (typeof EXPORT_FORMATS)[number],
    out ? path.resolve(io.cwd, out) : undefined,
  );
  const p = result.parity;
  if (args.switches.has('--json')) io.stdout(JSON.stringify(result) + '\n');
  else {
    io.stdout(
      [
        `Exported ${result.format} to ${result.dir} (${result.files.join(', ')})`,
        `Parity on ${p.images} validation images: same top-1 on ${p.sameTop1}, max probability difference ${p.maxProbabilityDifference.toExponential(2)} — ${p.passed ? 'passed' : 'FAILED'}`,
        ...p.mismatches.map(
          (m) => `  ${m.path}: trained model says ${m.expected}, export says ${m.exported}`,
        ),
      ].join('\n') + '\n',
    );
  }
  if (!p.passed)
    io.stderr(
      `image-trainer: the exported model does not predict as the trained one (${result.dir}) — do not ship it\n`,
    );
  return p.passed ? 0 : 1;
}

async function onnxExportCommand(
  args: ExperimentArgs,
  io: ExperimentIo,
  out: string | undefined,
  opsetText: string | undefined,
): Promise<number> {
  const { exportOnnx, onnxExportSummary } = await import('../export/onnxExport');
  const { MIN_OPSET, MAX_OPSET } = await import('../export/onnxGraph');
  let opset: number | undefined;
  if (opsetText !== undefined) {
    opset = Number(opsetText);
    if (!/^\d+$/.test(opsetText) || opset < MIN_OPSET || opset > MAX_OPSET)
      throw new UsageError(
        `--opset must be a whole number from ${MIN_OPSET} to ${MAX_OPSET}, got "${opsetText}"`,
      );
  }
  const result = await exportOnnx(path.resolve(io.cwd, args.positionals[0]), {
    outDir: out ? path.resolve(io.cwd, out) : undefined,
    opset,
  });
  if (args.switches.has('--json')) io.stdout(JSON.stringify(result) + '\n');
  else io.stdout(onnxExportSummary(result).join('\n') + '\n');
  if (!result.parity.passed)
    io.stderr(
      `image-trainer: the exported model does not predict as the trained one (${result.dir}) — do not ship it\n`,
    );
  return result.parity.passed ? 0 : 1;
}
