// The base cache: `<cacheDir>/bases/<name>/` holds one installed base (model.json, its weight files and
// base.json with every file's size and sha256). A base is staged in the hidden sibling `.partial-<name>`
// (kept across interruptions so a download resumes), fsynced, then renamed into place: the listing never
// shows a half-installed base. Installed files are checked against base.json before every use.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BASE_MANIFEST_FILE,
  BASE_MANIFEST_VERSION,
  baseDigestText,
  isBaseName,
  isInstalledBaseManifest,
  toBaseEntry,
  type BaseEntry,
  type BaseFileRecord,
  type BasePreprocessing,
  type InstalledBaseManifest,
} from '../../protocol/bases';
import { isRecord } from '../../protocol/guards';
import { compareCodeUnits } from '../../protocol/order';
import { BASE_CATALOGUE, toCatalogueEntry, type CatalogueEntry } from '../../core/baseCatalogue';
import { confineWeightPath, ModelJsonError, readModelJson, type ModelJsonInfo } from '../../core/modelJson';
import { BaseError, diskError } from './errors';
import {
  MODEL_JSON,
  sha256OfFile,
  stageRemoteModel,
  STATE_FILE,
  writeFileSynced,
  type DownloadOptions,
  type StagedModel,
} from './download';

export const CACHE_DIR_ENV = 'IMAGE_TRAINER_CACHE_DIR';

/** `$IMAGE_TRAINER_CACHE_DIR`, else `$XDG_CACHE_HOME/image-trainer`, else `~/.cache/image-trainer`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const explicit = env[CACHE_DIR_ENV]?.trim();
  if (explicit) return path.resolve(explicit);
  const xdg = env.XDG_CACHE_HOME?.trim();
  return xdg && path.isAbsolute(xdg)
    ? path.join(xdg, 'image-trainer')
    : path.join(home, '.cache', 'image-trainer');
}

export const CATALOGUE_ENV = 'IMAGE_TRAINER_BASE_CATALOGUE';

/**
 * The catalogue: the built-in one, or the JSON list of entries in the file `$IMAGE_TRAINER_BASE_CATALOGUE`
 * names (a mirror inside a company network, or a local server in end-to-end tests).
 */
export async function loadCatalogue(
  env: NodeJS.ProcessEnv = process.env,
): Promise<readonly CatalogueEntry[]> {
  const file = env[CATALOGUE_ENV]?.trim();
  if (!file) return BASE_CATALOGUE;
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new BaseError(
      `${file} (${CATALOGUE_ENV}): cannot read it as JSON (${(err as Error).message.split('\n')[0]}) — fix the file or unset ${CATALOGUE_ENV}`,
    );
  }
  if (!Array.isArray(value))
    throw new BaseError(`${file} (${CATALOGUE_ENV}): not a JSON list of base entries`);
  return value.map((item, i) => {
    const entry = toCatalogueEntry(item);
    if (!entry)
      throw new BaseError(
        `${file} (${CATALOGUE_ENV}): entry ${i + 1} is not a valid base entry ({name, format, inputShape, preprocessing, cutLayer, sizeBytes, sha256, source, licence})`,
      );
    return entry;
  });
}

export function basesRoot(cacheDir: string): string {
  return path.join(cacheDir, 'bases');
}

const stagingDirOf = (root: string, name: string): string => path.join(root, `.partial-${name}`);
const lockFileOf = (root: string, name: string): string => path.join(root, `.lock-${name}`);

export interface InstalledBase {
  dir: string;
  manifest: InstalledBaseManifest;
}

/** The digest that pins a whole base: sha256 of its `sha256sum`-style file list. */
export function baseDigest(files: readonly Pick<BaseFileRecord, 'path' | 'sha256'>[]): string {
  return createHash('sha256').update(baseDigestText(files)).digest('hex');
}

function checkName(name: string): void {
  if (!isBaseName(name))
    throw new BaseError(
      `"${name}" is not a valid base name — use lower-case letters, digits, ".", "_" and "-" (at most 64 characters)`,
    );
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function fsyncPath(p: string): Promise<void> {
  try {
    const handle = await fs.open(p, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Directories cannot be fsynced on every platform (Windows); the rename stays atomic.
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One writer per base name: a lock file with the owner's pid; a dead owner's lock is taken over. */
async function withLock<T>(root: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    await fs.mkdir(root, { recursive: true });
  } catch (err) {
    throw diskError(err, root);
  }
  const lock = lockFileOf(root, name);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw diskError(err, lock);
      const owner = Number((await fs.readFile(lock, 'utf8').catch(() => '')).trim());
      if (
        attempt === 0 &&
        !(Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner))
      ) {
        await fs.rm(lock, { force: true });
        continue;
      }
      throw new BaseError(
        `${lock}: another image-trainer (pid ${owner || '?'}) is installing or removing ${name} — wait for it to finish, ` +
          'or delete this file if no such process runs',
      );
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** Reads and checks base.json of an installed base (no hashing). */
export async function readManifest(dir: string): Promise<InstalledBaseManifest> {
  const file = path.join(dir, BASE_MANIFEST_FILE);
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not valid JSON';
    throw new BaseError(
      `${file}: ${reason} — the cached base is damaged; remove it with \`image-trainer bases remove ${path.basename(dir)}\``,
    );
  }
  if (!isInstalledBaseManifest(value))
    throw new BaseError(
      `${file}: not a valid base manifest — remove the base with \`image-trainer bases remove ${path.basename(dir)}\``,
    );
  return value;
}

function reinstallHint(manifest: InstalledBaseManifest): string {
  const again =
    manifest.origin === 'catalogue'
      ? `image-trainer bases get ${manifest.name}`
      : `image-trainer bases add ${manifest.source} --name ${manifest.name}`;
  return `run \`image-trainer bases remove ${manifest.name}\` then \`${again}\``;
}

/**
 * Checks every file of the installed base in `dir` against the sizes and sha256 recorded in base.json (and
 * the recorded digest against the file list). Throws a one-line BaseError naming the file on any mismatch.
 */
export async function verifyInstalledBase(dir: string): Promise<InstalledBaseManifest> {
  const manifest = await readManifest(dir);
  if (baseDigest(manifest.files) !== manifest.sha256)
    throw new BaseError(
      `${path.join(dir, BASE_MANIFEST_FILE)}: its file list does not match its recorded sha256 — the cached base was modified; ${reinstallHint(manifest)}`,
    );
  const root = await fs.realpath(dir);
  for (const record of manifest.files) {
    const file = path.join(root, record.path);
    let real: string;
    try {
      real = await fs.realpath(file);
    } catch {
      throw new BaseError(`${file}: missing from the cached base — ${reinstallHint(manifest)}`);
    }
    const relative = path.relative(root, real);
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw new BaseError(`${file}: links outside the base's folder — ${reinstallHint(manifest)}`);
    const stat = await fs.stat(real);
    if (stat.size !== record.bytes || (await sha256OfFile(real)) !== record.sha256)
      throw new BaseError(
        `${file}: its sha256 differs from the one recorded when the base was installed — the cached base is damaged or was modified; ${reinstallHint(manifest)}`,
      );
  }
  return manifest;
}

/** The installed base `name` (manifest read and checked for shape, files not hashed), or null. */
export async function readInstalledBase(cacheDir: string, name: string): Promise<InstalledBase | null> {
  checkName(name);
  const dir = path.join(basesRoot(cacheDir), name);
  if (!(await exists(dir))) return null;
  return { dir, manifest: await readManifest(dir) };
}

/** Writes base.json into the staging folder, fsyncs it, and renames the folder to `<root>/<name>`. */
async function installStaged(
  root: string,
  stagingDir: string,
  manifest: InstalledBaseManifest,
  beforeWrite?: DownloadOptions['beforeWrite'],
): Promise<string> {
  const target = path.join(root, manifest.name);
  await writeFileSynced(
    path.join(stagingDir, BASE_MANIFEST_FILE),
    JSON.stringify(manifest, null, 2) + '\n',
    beforeWrite,
  );
  await fs.rm(path.join(stagingDir, STATE_FILE), { force: true });
  await fsyncPath(stagingDir);
  if (await exists(target))
    throw new BaseError(
      `${target}: a base named ${manifest.name} is already installed — remove it first with \`image-trainer bases remove ${manifest.name}\``,
    );
  try {
    beforeWrite?.(target, 0);
    await fs.rename(stagingDir, target);
  } catch (err) {
    throw diskError(err, target);
  }
  await fsyncPath(root);
  return target;
}

function totalBytes(files: BaseFileRecord[]): number {
  return files.reduce((sum, f) => sum + f.bytes, 0);
}

function checkPinned(pinned: string | null, digest: string, source: string): void {
  if (pinned && pinned !== digest)
    throw new BaseError(
      `${source}: the downloaded files' sha256 ${digest.slice(0, 12)}… does not match the pinned ${pinned.slice(0, 12)}… — ` +
        'the download is corrupted or the files changed at the source; the partial download was discarded',
    );
}

export interface GetBaseOptions extends Omit<DownloadOptions, 'name'> {
  cacheDir: string;
  /** The catalogue to look names up in (tests pass their own). */
  catalogue?: readonly CatalogueEntry[];
}

export interface GetBaseResult extends InstalledBase {
  alreadyInstalled: boolean;
  resumedBytes: number;
}

function checkAgainstCatalogue(entry: CatalogueEntry, staged: StagedModel): void {
  const { info, source } = staged;
  if (info.format !== entry.format)
    throw new BaseError(
      `${source}: is a ${info.format} model, but the catalogue lists ${entry.name} as ${entry.format} — the files at the source changed; use \`bases add\` instead`,
    );
  const shape = info.inputShape;
  if (shape && shape.some((d, i) => d !== null && d !== entry.inputShape[i]))
    throw new BaseError(
      `${source}: takes input ${JSON.stringify(shape)}, but the catalogue lists ${JSON.stringify(entry.inputShape)} for ${entry.name} — the files at the source changed`,
    );
  if (entry.cutLayer && !info.layerNames.includes(entry.cutLayer))
    throw new BaseError(
      `${source}: has no layer ${entry.cutLayer}, the catalogue's cut layer for ${entry.name} — the files at the source changed`,
    );
}

/**
 * Downloads (or resumes) the catalogue base `name` into the cache and installs it. An installed base is
 * verified instead and returned as it is.
 */
export async function getBase(name: string, options: GetBaseOptions): Promise<GetBaseResult> {
  checkName(name);
  const catalogue = options.catalogue ?? BASE_CATALOGUE;
  const root = basesRoot(options.cacheDir);
  const target = path.join(root, name);
  const entry = catalogue.find((e) => e.name === name);
  if (await exists(target)) {
    const manifest = await verifyInstalledBase(target);
    return { dir: target, manifest, alreadyInstalled: true, resumedBytes: 0 };
  }
  if (!entry)
    throw new BaseError(
      `no base named "${name}" in the catalogue (${catalogue.map((e) => e.name).join(', ')}) — ` +
        'add any TF.js model with `image-trainer bases add URL_OR_PATH --name NAME`',
    );
  return withLock(root, name, async () => {
    const stagingDir = stagingDirOf(root, name);
    const staged = await stageRemoteModel([entry.source, ...entry.alternateSources], stagingDir, {
      ...options,
      name,
    });
    checkAgainstCatalogue(entry, staged);
    const digest = baseDigest(staged.files);
    if (entry.sha256 && entry.sha256 !== digest) {
      await fs.rm(stagingDir, { recursive: true, force: true });
      checkPinned(entry.sha256, digest, staged.source);
    }
    const manifest: InstalledBaseManifest = {
      formatVersion: BASE_MANIFEST_VERSION,
      ...toBaseEntry(entry),
      sha256: digest,
      sizeBytes: totalBytes(staged.files),
      source: staged.source,
      files: staged.files,
      installedAt: new Date().toISOString(),
      origin: 'catalogue',
    };
    const dir = await installStaged(root, stagingDir, manifest, options.beforeWrite);
    options.onEvent?.({
      type: 'baseInstalled',
      name,
      dir,
      base: toBaseEntry(manifest),
      resumedBytes: staged.resumedBytes,
    });
    return { dir, manifest, alreadyInstalled: false, resumedBytes: staged.resumedBytes };
  });
}

/** The model.json URL of a model address: as given when it names a .json, else TF.js' rules for a folder. */
export function modelJsonUrlOf(address: string): string {
  const url = new URL(address);
  if (url.pathname.toLowerCase().endsWith('.json')) return url.href;
  const tfHub = /(^|\.)tfhub\.dev$|(^|\.)kaggle\.com$/i.test(url.hostname);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/model.json`;
  if (tfHub && !url.search) url.search = '?tfjs-format=file';
  return url.href;
}

/** The pixel scaling recorded by our own runs' `model/metadata.json`, if `dir` is one. */
async function preprocessingFromMetadata(dir: string): Promise<BasePreprocessing | null> {
  try {
    const metadata: unknown = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8'));
    if (
      isRecord(metadata) &&
      isRecord(metadata.preprocessing) &&
      typeof metadata.preprocessing.offset === 'number'
    )
      return metadata.preprocessing.offset < -0.5 ? 'minusOneOne' : 'zeroOne';
  } catch {
    // Not one of our runs: no metadata.
  }
  return null;
}

/** model.json path and folder of a local model given as a folder or a .json file. */
async function localModel(source: string): Promise<{ dir: string; jsonPath: string }> {
  const resolved = path.resolve(source);
  const stat = await fs.stat(resolved).catch(() => null);
  if (!stat)
    throw new BaseError(
      `${resolved}: no such file or folder — pass a folder holding a TF.js model.json, or the model.json`,
    );
  if (stat.isDirectory()) return { dir: resolved, jsonPath: path.join(resolved, MODEL_JSON) };
  if (!resolved.toLowerCase().endsWith('.json'))
    throw new BaseError(
      `${resolved}: not a model.json — pass a folder holding a TF.js model.json, or the model.json`,
    );
  return { dir: path.dirname(resolved), jsonPath: resolved };
}

function parseLocalModelJson(jsonPath: string, text: string): ModelJsonInfo {
  try {
    return readModelJson(text);
  } catch (err) {
    if (err instanceof ModelJsonError)
      throw new BaseError(
        `${jsonPath}: not a TF.js model.json: ${err.message} — pass a TF.js layers or graph model`,
      );
    throw err;
  }
}

/** The weight files of a local model, confined to its folder (no `..`, no link out of it). */
async function localWeightFiles(
  dir: string,
  jsonPath: string,
  info: ModelJsonInfo,
): Promise<Map<string, string>> {
  const root = await fs.realpath(dir);
  const files = new Map<string, string>();
  for (const group of info.groups) {
    let groupBytes = 0;
    for (const raw of group.paths) {
      const confined = confineWeightPath(raw, null);
      if (!confined.ok)
        throw new BaseError(`${jsonPath}: ${confined.reason} — refusing to read outside the model's folder`);
      let real: string;
      try {
        real = await fs.realpath(path.join(root, confined.path));
      } catch {
        throw new BaseError(
          `${jsonPath}: names ${confined.path}, but there is no such file beside it — the model is incomplete`,
        );
      }
      const relative = path.relative(root, real);
      if (relative.startsWith('..') || path.isAbsolute(relative))
        throw new BaseError(
          `${path.join(root, confined.path)}: links outside the model's folder — refusing to read it`,
        );
      groupBytes += (await fs.stat(real)).size;
      files.set(confined.path, real);
    }
    if (group.bytes !== null && groupBytes !== group.bytes)
      throw new BaseError(
        `${jsonPath}: the weight files [${group.paths.join(', ')}] hold ${groupBytes} bytes, but the weightsManifest describes ${group.bytes} — a file is truncated or belongs to another model`,
      );
  }
  return files;
}

/** Copies a local model (model.json + weights) into a fresh staging folder. */
async function stageLocalModel(
  source: string,
  stagingDir: string,
  options: AddBaseOptions,
): Promise<StagedModel> {
  const { dir, jsonPath } = await localModel(source);
  let text: Buffer;
  try {
    text = await fs.readFile(jsonPath);
  } catch {
    throw new BaseError(
      `${jsonPath}: no model.json here — pass a folder holding a TF.js model.json, or the model.json`,
    );
  }
  const info = parseLocalModelJson(jsonPath, text.toString('utf8'));
  const weights = await localWeightFiles(dir, jsonPath, info);
  await fs.rm(stagingDir, { recursive: true, force: true });
  try {
    await fs.mkdir(stagingDir, { recursive: true });
  } catch (err) {
    throw diskError(err, stagingDir);
  }
  await writeFileSynced(path.join(stagingDir, MODEL_JSON), text, options.beforeWrite);
  const files: BaseFileRecord[] = [];
  for (const [relative, real] of weights) {
    const target = path.join(stagingDir, relative);
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      options.beforeWrite?.(target, (await fs.stat(real)).size);
      await fs.copyFile(real, target);
    } catch (err) {
      throw diskError(err, target);
    }
    await fsyncPath(target);
  }
  for (const relative of [MODEL_JSON, ...weights.keys()]) {
    const file = path.join(stagingDir, relative);
    files.push({ path: relative, bytes: (await fs.stat(file)).size, sha256: await sha256OfFile(file) });
  }
  return { source: jsonPath, info, files, resumedBytes: 0 };
}

export interface AddBaseOptions extends Omit<DownloadOptions, 'name'> {
  cacheDir: string;
  name: string;
  /** Layers bases: the layer to cut after (default: transfer.ts' defaultCutLayer rule). */
  cutLayer?: string;
  preprocessing?: BasePreprocessing;
  /** Height and width when the model leaves them open. */
  inputSize?: number;
  /** Pin: the base digest the installed files must have. */
  sha256?: string;
  licence?: string;
  catalogue?: readonly CatalogueEntry[];
}

/** Installs any TF.js layers or graph model, from an http(s) URL or a local folder / model.json, as `name`. */
export async function addBase(source: string, options: AddBaseOptions): Promise<InstalledBase> {
  const { name } = options;
  checkName(name);
  if ((options.catalogue ?? BASE_CATALOGUE).some((e) => e.name === name))
    throw new BaseError(
      `--name ${name}: that name belongs to the catalogue (use \`bases get ${name}\`) — choose another name`,
    );
  const root = basesRoot(options.cacheDir);
  const target = path.join(root, name);
  if (await exists(target))
    throw new BaseError(
      `${target}: a base named ${name} is already installed — remove it first with \`image-trainer bases remove ${name}\``,
    );
  const remote = /^https?:\/\//i.test(source);
  const stagingDir = stagingDirOf(root, name);
  return withLock(root, name, () =>
    installAdded(source, remote, stagingDir, root, options).catch(async (err: unknown) => {
      // A local copy is quick to redo; a download stays staged so that a retry (say with --cut-layer) resumes.
      if (!remote) await fs.rm(stagingDir, { recursive: true, force: true });
      throw err;
    }),
  );
}

async function installAdded(
  source: string,
  remote: boolean,
  stagingDir: string,
  root: string,
  options: AddBaseOptions,
): Promise<InstalledBase> {
  const { name } = options;
  const staged = remote
    ? await stageRemoteModel([modelJsonUrlOf(source)], stagingDir, { ...options, name })
    : await stageLocalModel(source, stagingDir, options);
  const { inspectBase } = await import('./tfjsBases');
  const inspection = await inspectBase(stagingDir, staged.info.format);
  const [height, width, channels] = inspection.inputShape;
  const size = options.inputSize;
  if (size !== undefined && ((height !== null && height !== size) || (width !== null && width !== size)))
    throw new BaseError(
      `--input-size ${size}: ${staged.source} takes ${height}×${width} images — drop the flag`,
    );
  const h = height ?? size;
  const w = width ?? size;
  if (h === undefined || w === undefined)
    throw new BaseError(
      `${staged.source}: the model leaves its input size open — pass --input-size N (e.g. 224)`,
    );
  const c = channels ?? 3;
  if (c !== 1 && c !== 3)
    throw new BaseError(`${staged.source}: takes ${c}-channel images; a base must take 1 or 3 channels`);
  let cutLayer: string | null = null;
  if (staged.info.format === 'graph') {
    if (options.cutLayer)
      throw new BaseError(
        `--cut-layer: ${staged.source} is a graph model, used whole as a frozen feature extractor — drop the flag`,
      );
  } else {
    cutLayer = options.cutLayer || inspection.defaultCutLayer;
    if (!cutLayer || !inspection.layerNames.includes(cutLayer))
      throw new BaseError(
        `--cut-layer ${cutLayer ?? '(none found)'}: no such layer in ${staged.source} — its last layers: ${inspection.layerNames.slice(-8).join(', ')}`,
      );
  }
  const preprocessing =
    options.preprocessing ??
    (remote ? null : await preprocessingFromMetadata((await localModel(source)).dir)) ??
    'zeroOne';
  const digest = baseDigest(staged.files);
  if (options.sha256 && options.sha256 !== digest) {
    await fs.rm(stagingDir, { recursive: true, force: true });
    checkPinned(options.sha256, digest, staged.source);
  }
  const entry: BaseEntry = {
    name,
    format: staged.info.format,
    inputShape: [h, w, c],
    preprocessing,
    cutLayer,
    sizeBytes: totalBytes(staged.files),
    sha256: digest,
    source: staged.source,
    licence: options.licence ?? 'unknown',
  };
  const manifest: InstalledBaseManifest = {
    formatVersion: BASE_MANIFEST_VERSION,
    ...entry,
    sha256: digest,
    files: staged.files,
    installedAt: new Date().toISOString(),
    origin: 'added',
  };
  const dir = await installStaged(root, stagingDir, manifest, options.beforeWrite);
  options.onEvent?.({ type: 'baseInstalled', name, dir, base: entry, resumedBytes: staged.resumedBytes });
  return { dir, manifest };
}

/** Removes an installed base (and any partial download of it). Returns the folder it occupied. */
export async function removeBase(name: string, options: { cacheDir: string }): Promise<string> {
  checkName(name);
  const root = basesRoot(options.cacheDir);
  const target = path.join(root, name);
  const staging = stagingDirOf(root, name);
  if (!(await exists(target)) && !(await exists(staging)))
    throw new BaseError(
      `no base named ${name} is installed in ${root} — \`image-trainer bases list\` shows what is installed`,
    );
  return withLock(root, name, async () => {
    if (await exists(target)) {
      // Renamed first, so the listing loses the base in one step even if the deletion is interrupted.
      const doomed = path.join(root, `.removing-${name}-${process.pid}`);
      try {
        await fs.rename(target, doomed);
        await fs.rm(doomed, { recursive: true, force: true });
      } catch (err) {
        throw diskError(err, target);
      }
    }
    await fs.rm(staging, { recursive: true, force: true });
    return target;
  });
}

export interface BaseListing {
  entry: BaseEntry;
  installed: boolean;
  dir: string | null;
  description: string;
}

export interface DamagedBase {
  name: string;
  dir: string;
  reason: string;
}

/** Catalogue entries (with their installed state) followed by the other installed bases, by name. */
export async function listBases(
  cacheDir: string,
  catalogue: readonly CatalogueEntry[] = BASE_CATALOGUE,
): Promise<{ bases: BaseListing[]; damaged: DamagedBase[] }> {
  const root = basesRoot(cacheDir);
  const installed = new Map<string, InstalledBaseManifest>();
  const damaged: DamagedBase[] = [];
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  for (const dirent of entries) {
    if (dirent.name.startsWith('.') || !dirent.isDirectory()) continue;
    const dir = path.join(root, dirent.name);
    try {
      const manifest = await readManifest(dir);
      if (manifest.name !== dirent.name) throw new BaseError(`base.json names ${manifest.name}`);
      installed.set(dirent.name, manifest);
    } catch (err) {
      damaged.push({ name: dirent.name, dir, reason: (err as Error).message });
    }
  }
  const bases: BaseListing[] = catalogue.map((entry) => {
    const manifest = installed.get(entry.name);
    return {
      entry: toBaseEntry(manifest ?? entry),
      installed: Boolean(manifest),
      dir: manifest ? path.join(root, entry.name) : null,
      description: entry.description,
    };
  });
  const added = [...installed.values()]
    .filter((m) => !catalogue.some((e) => e.name === m.name))
    .sort((a, b) => compareCodeUnits(a.name, b.name));
  for (const manifest of added)
    bases.push({
      entry: toBaseEntry(manifest),
      installed: true,
      dir: path.join(root, manifest.name),
      description: '',
    });
  damaged.sort((a, b) => compareCodeUnits(a.name, b.name));
  return { bases, damaged };
}

/** Local-model helpers shared with resolveBase. */
export const localModelFiles = {
  localModel,
  parseLocalModelJson,
  localWeightFiles,
  preprocessingFromMetadata,
};
