// `image-trainer bases list|get|add|remove`: the catalogue of pretrained bases and the cache they install
// into. With --json, `list` prints the entries and the others print BaseDownloadEvents, one JSON object a
// line (the extension shows them with a Cancel button and stops the process with IPC `stop`).
import * as path from 'node:path';
import {
  BASE_PREPROCESSINGS,
  isSha256,
  toBaseEntry,
  type BaseDownloadEvent,
  type BasePreprocessing,
} from '../../protocol/bases';
import type { FlagSpec } from '../../core/configFlags';
import type { CliIo, ParsedArgs } from '../cliIo';
import { formatBytes } from '../../protocol/format';
import { UsageError } from '../errors';
import { createProgressReporter } from '../progress';
import {
  addBase,
  basesRoot,
  defaultCacheDir,
  getBase,
  listBases,
  loadCatalogue,
  removeBase,
  CACHE_DIR_ENV,
} from './cache';
import { DownloadStoppedError } from './errors';

export const BASES_USAGE =
  'image-trainer bases list|get NAME|add URL_OR_PATH --name NAME|remove NAME [--cache-dir DIR] [--json]';

/** The subcommands, as help lists them. */
export const BASES_HELP = [
  '  bases list               the catalogue and the installed bases (--json: [{name, format, inputShape,',
  '                           preprocessing, cutLayer, sizeBytes, sha256, source, licence}])',
  '  bases get NAME           download a catalogue base into the cache (resumes; verified by sha256)',
  '  bases add URL_OR_PATH --name NAME   install any TF.js layers or graph model',
  '  bases remove NAME        delete an installed base',
];

export const BASES_FLAGS: readonly FlagSpec[] = [
  {
    flag: '--cache-dir',
    value: 'DIR',
    help: `cache folder (every subcommand)`,
    default: `$${CACHE_DIR_ENV} or ~/.cache/image-trainer`,
  },
  {
    flag: '--proxy',
    value: 'URL',
    help: 'proxy for downloads (get, add)',
    default: 'HTTPS_PROXY / HTTP_PROXY, honouring NO_PROXY',
  },
  { flag: '--name', value: 'NAME', help: 'add: the name to install the base as' },
  {
    flag: '--cut-layer',
    value: 'L',
    help: 'add: the layer whose output is the features',
    default: 'the last pooling or flatten layer',
  },
  {
    flag: '--preprocessing',
    value: BASE_PREPROCESSINGS.join('|'),
    help: 'add: the pixel range the base expects ([0, 1] or [-1, 1])',
  },
  { flag: '--input-size', value: 'N', help: 'add: the square input size, when the model does not say' },
  { flag: '--sha256', value: 'HEX', help: 'add: the digest the files must have' },
  { flag: '--json', help: 'print the list (list) or download events (get, add) as JSON' },
];

/** The parts of the CLI's parsed arguments and I/O this command uses. */
export type BasesArgs = Pick<ParsedArgs, 'positionals' | 'values' | 'switches'>;
export type BasesIo = Omit<CliIo, 'send'>;

const FLAGS_OF: Record<string, string[]> = {
  list: ['--cache-dir'],
  get: ['--cache-dir', '--proxy'],
  add: ['--cache-dir', '--proxy', '--name', '--cut-layer', '--preprocessing', '--input-size', '--sha256'],
  remove: ['--cache-dir'],
};

function checkUsage(args: BasesArgs): string {
  const [sub, target, ...extra] = args.positionals;
  if (!sub || !(sub in FLAGS_OF))
    throw new UsageError(`bases needs list, get, add or remove — usage: ${BASES_USAGE}`);
  for (const flag of args.values.keys())
    if (!FLAGS_OF[sub].includes(flag))
      throw new UsageError(`${flag} does not apply to bases ${sub} (usage: ${BASES_USAGE})`);
  const wantsTarget = sub !== 'list';
  if (extra.length > 0 || (wantsTarget && !target) || (!wantsTarget && target))
    throw new UsageError(
      `usage: image-trainer bases ${sub}${sub === 'list' ? '' : sub === 'add' ? ' URL_OR_PATH --name NAME' : ' NAME'} [--cache-dir DIR] [--json]`,
    );
  if (sub === 'add' && !args.values.get('--name'))
    throw new UsageError('bases add needs --name NAME (the name to install the base as)');
  return sub;
}

function inputSizeFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 8 || n > 4096)
    throw new UsageError(`--input-size must be a whole number from 8 to 4096, got "${value}"`);
  return n;
}

function preprocessingFlag(value: string | undefined): BasePreprocessing | undefined {
  if (value === undefined) return undefined;
  if (!(BASE_PREPROCESSINGS as readonly string[]).includes(value))
    throw new UsageError(
      `--preprocessing must be ${BASE_PREPROCESSINGS.join(' or ')} ([0, 1] or [-1, 1]), got "${value}"`,
    );
  return value as BasePreprocessing;
}

function sha256Flag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.toLowerCase();
  if (!isSha256(hex))
    throw new UsageError(
      `--sha256 must be 64 hexadecimal digits (a base digest from \`bases list --json\`), got "${value}"`,
    );
  return hex;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Runs `bases …`; returns the exit status (0, 130 when stopped). Usage and download errors throw UsageErrors. */
export async function runBasesCommand(
  args: BasesArgs,
  io: BasesIo,
  stop: { requested: boolean },
): Promise<number> {
  const sub = checkUsage(args);
  const json = args.switches.has('--json');
  const env = io.env ?? process.env;
  const cacheDirFlag = args.values.get('--cache-dir');
  const cacheDir = cacheDirFlag ? path.resolve(io.cwd, cacheDirFlag) : defaultCacheDir(env);
  const target = args.positionals[1];
  const catalogue = await loadCatalogue(env);

  if (sub === 'list') {
    const { bases, damaged } = await listBases(cacheDir, catalogue);
    for (const d of damaged) io.stderr(`image-trainer: warning: ${d.reason}\n`);
    if (json) {
      io.stdout(JSON.stringify(bases.map((b) => toBaseEntry(b.entry))) + '\n');
      return 0;
    }
    const rows = [['NAME', 'FORMAT', 'INPUT', 'SIZE', 'STATUS', 'DESCRIPTION']];
    for (const b of bases)
      rows.push([
        b.entry.name,
        b.entry.format,
        b.entry.inputShape.join('×'),
        `${b.installed ? '' : '~'}${formatBytes(b.entry.sizeBytes)}`,
        b.installed ? 'installed' : 'not installed',
        b.description || b.entry.source,
      ]);
    io.stdout(table(rows) + `Cache: ${basesRoot(cacheDir)}   (get one with: image-trainer bases get NAME)\n`);
    return 0;
  }

  if (sub === 'remove') {
    const dir = await removeBase(target, { cacheDir });
    const event: BaseDownloadEvent = { type: 'baseRemoved', name: target, dir };
    io.stdout(json ? JSON.stringify(event) + '\n' : `Removed ${target} (${dir})\n`);
    return 0;
  }

  const name = sub === 'get' ? target : (args.values.get('--name') as string);
  const progress = json ? null : createProgressReporter(io.stderr, io.isTTY);
  const emit = (event: BaseDownloadEvent): void => {
    if (json) {
      io.stdout(JSON.stringify(event) + '\n');
      return;
    }
    if (event.type === 'baseDownloadStarted') {
      progress!.clear();
      io.stderr(
        `Downloading ${event.name} from ${event.source} (${formatBytes(event.bytesTotal)}` +
          (event.resumedBytes > 0 ? `, resuming with ${formatBytes(event.resumedBytes)} already here` : '') +
          ')\n',
      );
    } else if (event.type === 'baseDownloadProgress') {
      progress!.download(event.name, event.bytesDone, event.bytesTotal, event.etaMs);
    }
  };
  const controller = new AbortController();
  const poll = setInterval(() => {
    if (stop.requested) controller.abort();
  }, 100);
  try {
    const common = {
      cacheDir,
      catalogue,
      proxy: args.values.get('--proxy'),
      env,
      signal: controller.signal,
      onEvent: emit,
    };
    if (sub === 'get') {
      const result = await getBase(name, common);
      progress?.clear();
      if (result.alreadyInstalled) {
        if (json)
          emit({
            type: 'baseInstalled',
            name,
            dir: result.dir,
            base: toBaseEntry(result.manifest),
            resumedBytes: 0,
          });
        else io.stdout(`${name} is already installed in ${result.dir} (every file verified)\n`);
      } else if (!json) {
        io.stdout(
          `Installed ${name} (${formatBytes(result.manifest.sizeBytes)}, sha256 ${result.manifest.sha256.slice(0, 12)}…) in ${result.dir}\n`,
        );
      }
    } else {
      const result = await addBase(target, {
        ...common,
        name,
        cutLayer: args.values.get('--cut-layer'),
        preprocessing: preprocessingFlag(args.values.get('--preprocessing')),
        inputSize: inputSizeFlag(args.values.get('--input-size')),
        sha256: sha256Flag(args.values.get('--sha256')),
      });
      progress?.clear();
      if (!json) {
        const m = result.manifest;
        io.stdout(
          `Installed ${name}: ${m.format} model, input ${m.inputShape.join('×')}, ` +
            `${m.cutLayer ? `cut at ${m.cutLayer}, ` : ''}preprocessing ${m.preprocessing}, ${formatBytes(m.sizeBytes)}, ` +
            `sha256 ${m.sha256.slice(0, 12)}… in ${result.dir}\n`,
        );
      }
    }
    return 0;
  } catch (err) {
    progress?.clear();
    if (err instanceof DownloadStoppedError) {
      if (json)
        emit({ type: 'baseDownloadStopped', name, bytesDone: err.bytesDone, bytesTotal: err.bytesTotal });
      io.stderr(`image-trainer: download of ${name} stopped; run the same command again to resume\n`);
      return 130;
    }
    if (json && err instanceof Error) emit({ type: 'baseDownloadFailed', name, message: err.message });
    throw err;
  } finally {
    clearInterval(poll);
  }
}
