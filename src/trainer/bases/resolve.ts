// What training calls to use a base: a catalogue or installed name, or a local folder / model.json, resolved
// to a folder on disk plus the facts training needs. Installed bases are verified file by file (sha256)
// before use; nothing here touches the network.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BaseFormat, BaseFileRecord, BasePreprocessing } from '../../protocol/bases';
import { BASE_CATALOGUE, type CatalogueEntry } from '../../core/baseCatalogue';
import { formatBytes } from '../../protocol/format';
import { BaseError } from './errors';
import { baseDigest, basesRoot, localModelFiles, verifyInstalledBase } from './cache';
import { sha256OfFile } from './download';

export interface ResolvedBase {
  name: string;
  /** Folder holding model.json and its weight files. */
  dir: string;
  format: BaseFormat;
  inputShape: [number, number, number];
  preprocessing: BasePreprocessing;
  /**
   * Layers bases: the layer to cut after. null for graph bases (used whole), and for a local layers model
   * given by path, where transfer.ts' defaultCutLayer decides.
   */
  cutLayer: string | null;
  /** The URL it was downloaded from, or the local model.json path. */
  source: string;
  /** The base digest (see baseDigest). */
  sha256: string;
}

export interface ResolveBaseOptions {
  cacheDir: string;
  /** Resolves relative paths (default process.cwd()). */
  cwd?: string;
  catalogue?: readonly CatalogueEntry[];
}

/** Is `value` meant as a path rather than a base name? */
function looksLikePath(value: string): boolean {
  return (
    /[\\/]/.test(value) ||
    value.startsWith('.') ||
    value.startsWith('~') ||
    value.toLowerCase().endsWith('.json')
  );
}

async function resolveLocal(source: string): Promise<ResolvedBase> {
  const { localModel, parseLocalModelJson, localWeightFiles, preprocessingFromMetadata } = localModelFiles;
  const { dir, jsonPath } = await localModel(source);
  let text: string;
  try {
    text = await fs.readFile(jsonPath, 'utf8');
  } catch {
    throw new BaseError(
      `${jsonPath}: no model.json here — pass a folder holding a TF.js model.json, or the model.json`,
    );
  }
  const info = parseLocalModelJson(jsonPath, text);
  const weights = await localWeightFiles(dir, jsonPath, info);
  const [height, width, channels] = info.inputShape ?? [null, null, null];
  if (height === null || width === null)
    throw new BaseError(
      `${jsonPath}: the model leaves its input size open — install it with \`image-trainer bases add ${source} --name NAME --input-size N\``,
    );
  const c = channels ?? 3;
  if (c !== 1 && c !== 3)
    throw new BaseError(`${jsonPath}: takes ${c}-channel images; a base must take 1 or 3 channels`);
  const files: Pick<BaseFileRecord, 'path' | 'sha256'>[] = [
    { path: 'model.json', sha256: await sha256OfFile(jsonPath) },
  ];
  for (const [relative, real] of weights) files.push({ path: relative, sha256: await sha256OfFile(real) });
  return {
    name: path.basename(dir),
    dir,
    format: info.format,
    inputShape: [height, width, c],
    preprocessing: (await preprocessingFromMetadata(dir)) ?? 'zeroOne',
    cutLayer: null,
    source: jsonPath,
    sha256: baseDigest(files),
  };
}

/**
 * Resolves a base for training: an installed base by name (every file checked against the sha256 recorded
 * at install; a mismatch is a one-line error telling the user to `bases remove` and `bases get`), or a
 * local folder / model.json. A catalogue name that is not downloaded yet says how to get it.
 */
export async function resolveBase(nameOrPath: string, options: ResolveBaseOptions): Promise<ResolvedBase> {
  const cwd = options.cwd ?? process.cwd();
  if (looksLikePath(nameOrPath)) return resolveLocal(path.resolve(cwd, nameOrPath));
  const dir = path.join(basesRoot(options.cacheDir), nameOrPath);
  const installed = await fs.stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (installed) {
    const manifest = await verifyInstalledBase(dir);
    return {
      name: manifest.name,
      dir,
      format: manifest.format,
      inputShape: manifest.inputShape,
      preprocessing: manifest.preprocessing,
      cutLayer: manifest.cutLayer,
      source: manifest.source,
      sha256: manifest.sha256,
    };
  }
  const entry = (options.catalogue ?? BASE_CATALOGUE).find((e) => e.name === nameOrPath);
  if (entry)
    throw new BaseError(
      `base ${entry.name} is not downloaded yet — run \`image-trainer bases get ${entry.name}\` (about ${formatBytes(entry.sizeBytes)}) and train again`,
    );
  const local = path.resolve(cwd, nameOrPath);
  if (
    await fs.stat(local).then(
      () => true,
      () => false,
    )
  )
    return resolveLocal(local);
  throw new BaseError(
    `no base named "${nameOrPath}" — \`image-trainer bases list\` shows the names; pass a folder as ./PATH`,
  );
}
