// Downloads a TF.js model (model.json, then every weight file it names) into a staging folder, resuming
// from `.part` files with HTTP Range. Every file is checked: its length against Content-Length /
// Content-Range, each weight group against model.json's byte counts, and against a checksum the server
// announces (Repr-Digest / Digest sha-256, x-goog-hash md5). Nothing here installs anything.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  openSync,
  promises as fs,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import type { BaseDownloadEvent, BaseFileRecord } from '../../protocol/bases';
import { confineWeightPath, ModelJsonError, readModelJson, type ModelJsonInfo } from '../../core/modelJson';
import { BaseError, diskError, DownloadStoppedError } from './errors';
import { httpGet, type HttpResponse, type NetworkOptions } from './http';

export const MODEL_JSON = 'model.json';
/** Resume state in the staging folder; the installer deletes it just before the folder is renamed into place. */
export const STATE_FILE = 'download.json';
const PART = '.part';
/** model.json of a large graph model is a few MB; anything far beyond is not a model.json. */
const MODEL_JSON_LIMIT = 64 * 1024 * 1024;

export interface DownloadOptions extends NetworkOptions {
  /** Name of the base being fetched (for events and messages). */
  name: string;
  onEvent?: (event: BaseDownloadEvent) => void;
  /** Called before every write into the staging folder; tests throw from it to simulate a full disk. */
  beforeWrite?: (file: string, bytes: number) => void;
  progressIntervalMs?: number;
  now?: () => number;
}

export interface StagedModel {
  /** The model.json URL that answered. */
  source: string;
  info: ModelJsonInfo;
  /** model.json and every weight file, as written in the staging folder. */
  files: BaseFileRecord[];
  /** Bytes that were already on disk from an interrupted download. */
  resumedBytes: number;
}

interface DownloadState {
  source: string;
  modelJsonSha256: string;
  /** ETag or Last-Modified of each weight file, sent as If-Range when resuming it. */
  validators: Record<string, string>;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fileDigests(file: string): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file)) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest('base64'), md5: md5.digest('base64') };
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return null;
  }
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function contentEncoded(response: HttpResponse): boolean {
  const encoding = (header(response, 'content-encoding') ?? 'identity').trim().toLowerCase();
  return encoding !== '' && encoding !== 'identity';
}

/** Checksums the server announces for the whole file (base64), when they describe the bytes we store. */
function announcedDigests(response: HttpResponse): { sha256?: string; md5?: string } {
  const stored = (header(response, 'x-goog-stored-content-encoding') ?? 'identity').toLowerCase();
  if (contentEncoded(response) || (stored !== 'identity' && stored !== '')) return {};
  const out: { sha256?: string; md5?: string } = {};
  const repr = header(response, 'repr-digest');
  const reprSha = repr && /sha-256=:([A-Za-z0-9+/=]+):/i.exec(repr);
  if (reprSha) out.sha256 = reprSha[1];
  const digest = header(response, 'digest');
  const digestSha = digest && /sha-256=([A-Za-z0-9+/=]+)/i.exec(digest);
  if (!out.sha256 && digestSha) out.sha256 = digestSha[1];
  const goog = header(response, 'x-goog-hash');
  const googMd5 = goog && /md5=([A-Za-z0-9+/=]+)/i.exec(goog);
  if (googMd5) out.md5 = googMd5[1];
  return out;
}

function decoded(response: HttpResponse): Readable {
  const encoding = (header(response, 'content-encoding') ?? '').trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return response.body.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return response.body.pipe(zlib.createInflate());
  if (encoding === 'br') return response.body.pipe(zlib.createBrotliDecompress());
  if (encoding === '' || encoding === 'identity') return response.body;
  response.body.resume();
  throw new BaseError(
    `${response.url}: the server sent an unknown Content-Encoding "${encoding}" — try again later`,
  );
}

function statusError(response: HttpResponse, what: string): BaseError {
  response.body.resume();
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 404 || response.status === 410)
    return new BaseError(`${response.url}: ${status} — ${what}`);
  if (response.status === 401 || response.status === 403)
    return new BaseError(
      `${response.url}: ${status} — the server refuses the download; check the address (and proxy credentials)`,
    );
  if (response.status >= 500)
    return new BaseError(
      `${response.url}: ${status} — the server failed; run the same command again later (the download resumes)`,
    );
  return new BaseError(
    `${response.url}: unexpected ${status} — check the address, then run the same command again`,
  );
}

/** Reads a whole (small) body, honouring Content-Encoding. */
async function readBody(response: HttpResponse, limit: number, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of decoded(response)) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        response.body.destroy();
        throw new BaseError(`${response.url}: larger than ${limit} bytes — this is not a model.json`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (signal?.aborted) throw new DownloadStoppedError(0, 0);
    if (err instanceof BaseError) throw err;
    throw new BaseError(
      `${response.url}: the connection dropped (${(err as Error).message}) — run the same command again`,
    );
  }
  const length = Number(header(response, 'content-length'));
  if (!contentEncoded(response) && Number.isFinite(length) && length !== total)
    throw new BaseError(
      `${response.url}: received ${total} of ${length} bytes — the connection dropped; run the same command again`,
    );
  return Buffer.concat(chunks);
}

/** The URL of a weight file: model.json's folder + path + model.json's query (as TF.js' http loader does). */
export function weightUrl(modelJsonUrl: string, relative: string): string {
  const base = new URL(modelJsonUrl);
  const url = new URL(relative.split('/').map(encodeURIComponent).join('/'), base);
  url.search = base.search;
  return url.href;
}

class Progress {
  private lastEmit = 0;
  private sessionBytes = 0;
  private sessionStart: number | null = null;
  constructor(
    private readonly options: DownloadOptions,
    public bytesDone: number,
    public bytesTotal: number,
  ) {}
  private now(): number {
    return (this.options.now ?? Date.now)();
  }
  add(bytes: number, file: string): void {
    if (this.sessionStart === null) this.sessionStart = this.now();
    this.bytesDone += bytes;
    this.sessionBytes += bytes;
    this.bytesTotal = Math.max(this.bytesTotal, this.bytesDone);
    if (this.now() - this.lastEmit >= (this.options.progressIntervalMs ?? 200)) this.emit(file);
  }
  emit(file: string): void {
    this.lastEmit = this.now();
    const elapsed = this.sessionStart === null ? 0 : this.now() - this.sessionStart;
    const rate = elapsed > 250 ? this.sessionBytes / elapsed : 0;
    this.options.onEvent?.({
      type: 'baseDownloadProgress',
      name: this.options.name,
      file,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      etaMs: rate > 0 ? Math.round((this.bytesTotal - this.bytesDone) / rate) : null,
    });
  }
}

async function readState(dir: string): Promise<DownloadState | null> {
  try {
    const state: unknown = JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8'));
    const s = state as DownloadState;
    return typeof s?.source === 'string' &&
      typeof s.modelJsonSha256 === 'string' &&
      typeof s.validators === 'object'
      ? s
      : null;
  } catch {
    return null;
  }
}

async function writeState(dir: string, state: DownloadState): Promise<void> {
  const file = path.join(dir, STATE_FILE);
  try {
    await fs.writeFile(`${file}.tmp`, JSON.stringify(state));
    await fs.rename(`${file}.tmp`, file);
  } catch (err) {
    throw diskError(err, file);
  }
}

function writeStateSync(dir: string, state: DownloadState): void {
  const file = path.join(dir, STATE_FILE);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    throw diskError(err, file);
  }
}

/**
 * Writes `data` to `file` (its folder made first) and fsyncs it; `beforeWrite` is the tests' hook for a
 * full disk. Any failure is a one-line disk error naming the file.
 */
export async function writeFileSynced(
  file: string,
  data: string | Buffer,
  beforeWrite?: DownloadOptions['beforeWrite'],
): Promise<void> {
  try {
    beforeWrite?.(file, Buffer.byteLength(data));
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw diskError(err, file);
  }
}

/** Fetches model.json from the first source that does not answer 404. */
async function fetchModelJson(
  sources: string[],
  options: DownloadOptions,
): Promise<{ url: string; text: Buffer; info: ModelJsonInfo }> {
  let lastNotFound: BaseError | null = null;
  for (const source of sources) {
    const response = await httpGet(source, { 'accept-encoding': 'gzip, deflate, br' }, options);
    if ((response.status === 404 || response.status === 410) && source !== sources[sources.length - 1]) {
      response.body.resume();
      lastNotFound = statusError(response, 'no model.json here');
      continue;
    }
    if (response.status !== 200)
      throw statusError(
        response,
        lastNotFound
          ? 'no model.json at any of the catalogue addresses; the publisher may have moved it — add it by hand with `bases add URL --name NAME`'
          : 'no model.json at this address; check the URL (it must point at a TF.js model.json)',
      );
    const text = await readBody(response, MODEL_JSON_LIMIT, options.signal);
    let info: ModelJsonInfo;
    try {
      info = readModelJson(text.toString('utf8'));
    } catch (err) {
      if (err instanceof ModelJsonError)
        throw new BaseError(
          `${source}: not a TF.js model.json: ${err.message} — pass the address of a TF.js model.json`,
        );
      throw err;
    }
    return { url: source, text, info };
  }
  throw lastNotFound ?? new BaseError('no source to download from');
}

/**
 * Maps every weight path of model.json to a confined relative path; returns model.json's bytes to store
 * (rewritten only when a path was a same-origin URL, so local loaders read plain relative paths).
 */
function confinePaths(url: string, text: Buffer, info: ModelJsonInfo): { text: Buffer; info: ModelJsonInfo } {
  let rewritten = false;
  const groups = info.groups.map((group) => ({
    ...group,
    paths: group.paths.map((raw) => {
      const confined = confineWeightPath(raw, url);
      if (!confined.ok)
        throw new BaseError(
          `${url}: ${confined.reason} — refusing to fetch a file outside the model's folder`,
        );
      if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) rewritten = true;
      return /^[a-z][a-z0-9+.-]*:/i.test(raw) ? confined.path : raw;
    }),
  }));
  if (!rewritten) return { text, info };
  const json = JSON.parse(text.toString('utf8')) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest.forEach((group, i) => (group.paths = groups[i].paths));
  return { text: Buffer.from(JSON.stringify(json)), info: { ...info, groups } };
}

/** Local file name of a (confined) weight path. */
function localPath(dir: string, raw: string): string {
  const confined = confineWeightPath(raw, null);
  if (!confined.ok) throw new BaseError(`${path.join(dir, MODEL_JSON)}: ${confined.reason}`);
  return confined.path;
}

interface FileJob {
  url: string;
  relative: string;
  file: string;
  state: DownloadState;
  stagingDir: string;
  progress: Progress;
}

async function truncate(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

/** Downloads one weight file into `<file>.part`, resuming it; renames it to `<file>` once complete and checked. */
async function downloadWeightFile(job: FileJob, options: DownloadOptions, retried = false): Promise<void> {
  const part = `${job.file}${PART}`;
  const existing = (await sizeOf(part)) ?? 0;
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  const validator = job.state.validators[job.relative];
  if (existing > 0) {
    headers.range = `bytes=${existing}-`;
    if (validator) headers['if-range'] = validator;
  }
  const response = await httpGet(job.url, headers, options);
  let append = false;
  let expectedTotal: number | null = null;
  const contentLength = Number(header(response, 'content-length'));
  if (response.status === 206 && existing > 0) {
    const range = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/i.exec(header(response, 'content-range') ?? '');
    if (!range || Number(range[1]) !== existing) {
      response.body.resume();
      if (retried)
        throw new BaseError(
          `${job.url}: the server answers ranges inconsistently — run the same command again`,
        );
      await truncate(part);
      return downloadWeightFile(job, options, true);
    }
    append = true;
    expectedTotal = range[3] === '*' ? null : Number(range[3]);
  } else if (response.status === 416 && existing > 0) {
    response.body.resume();
    const total = /\*\/(\d+)/.exec(header(response, 'content-range') ?? '');
    if (total && Number(total[1]) === existing)
      return finishWeightFile(job, part, response, existing, options);
    if (retried)
      throw new BaseError(`${job.url}: the server refuses every range — run the same command again`);
    await truncate(part);
    return downloadWeightFile(job, options, true);
  } else if (response.status === 200) {
    // A server that ignores Range (or whose file changed, per If-Range) sends the whole file again.
    expectedTotal = contentEncoded(response) || !Number.isFinite(contentLength) ? null : contentLength;
  } else {
    throw statusError(
      response,
      `model.json names ${job.relative}, but the server has no such file; the model is incomplete at its source — ` +
        'check the address or report it to its publisher',
    );
  }
  // From here until the listeners are attached nothing may wait for I/O: a connection that drops in the
  // meantime would take its buffered bytes and its close event with it.
  const newValidator = header(response, 'etag') ?? header(response, 'last-modified');
  if (newValidator && !contentEncoded(response) && job.state.validators[job.relative] !== newValidator) {
    job.state.validators[job.relative] = newValidator;
    try {
      writeStateSync(job.stagingDir, job.state);
    } catch (err) {
      response.body.resume();
      throw err;
    }
  }
  if (!append && existing > 0) job.progress.bytesDone -= existing;
  let written = append ? existing : 0;
  let fd: number;
  try {
    mkdirSync(path.dirname(part), { recursive: true });
    fd = openSync(part, append ? 'a' : 'w');
  } catch (err) {
    response.body.resume();
    throw diskError(err, part);
  }
  // Each chunk is written the moment it arrives (synchronously), so a connection that drops keeps every
  // byte it delivered: a stream that errors discards what it still buffers.
  const failure = await new Promise<unknown>((resolve) => {
    let source: Readable;
    try {
      source = decoded(response);
    } catch (err) {
      resolve(err);
      return;
    }
    let settled = false;
    const settle = (value: unknown): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        options.beforeWrite?.(part, chunk.length);
        writeSync(fd, chunk);
      } catch (err) {
        settle(diskError(err, part));
        response.body.destroy();
        return;
      }
      written += chunk.length;
      job.progress.add(chunk.length, job.relative);
    });
    source.once('end', () => settle(null));
    source.once('error', (err) => settle(err));
    response.body.once('aborted', () => settle(new Error('aborted')));
    response.body.once('error', (err) => settle(err));
    response.body.once('close', () => {
      if (!response.body.complete) settle(new Error('aborted'));
    });
    if (response.body.destroyed && !response.body.complete) settle(new Error('aborted'));
  });
  try {
    fsyncSync(fd);
  } catch {
    // The data is still in the page cache; the size checks below decide whether it is usable.
  }
  closeSync(fd);
  if (contentEncoded(response) && failure) await truncate(part); // decoded bytes cannot be resumed by Range
  if (failure) {
    if (options.signal?.aborted)
      throw new DownloadStoppedError(job.progress.bytesDone, job.progress.bytesTotal);
    if (failure instanceof BaseError) throw failure;
    throw new BaseError(
      `${job.url}: the connection dropped after ${written}${expectedTotal ? ` of ${expectedTotal}` : ''} bytes — ` +
        'run the same command again to resume',
    );
  }
  if (expectedTotal !== null && written !== expectedTotal) {
    if (written < expectedTotal)
      throw new BaseError(
        `${job.url}: the connection dropped after ${written} of ${expectedTotal} bytes — run the same command again to resume`,
      );
    await truncate(part);
    throw new BaseError(
      `${job.url}: received ${written} bytes, more than the ${expectedTotal} announced — run the same command again`,
    );
  }
  return finishWeightFile(job, part, response, written, options);
}

async function finishWeightFile(
  job: FileJob,
  part: string,
  response: HttpResponse,
  size: number,
  options: DownloadOptions,
): Promise<void> {
  const announced = announcedDigests(response);
  if (announced.sha256 || announced.md5) {
    const actual = await fileDigests(part);
    const bad =
      (announced.sha256 && announced.sha256 !== actual.sha256) ||
      (announced.md5 && announced.md5 !== actual.md5);
    if (bad) {
      await truncate(part);
      delete job.state.validators[job.relative];
      await writeState(job.stagingDir, job.state);
      throw new BaseError(
        `${job.url}: the ${size} bytes received do not match the checksum the server announces — ` +
          'the download was corrupted on the way; run the same command again',
      );
    }
  }
  try {
    options.beforeWrite?.(job.file, 0);
    await fs.rename(part, job.file);
  } catch (err) {
    throw diskError(err, job.file);
  }
  job.progress.emit(job.relative);
}

/**
 * Fetches model.json from the first of `sources` that has it, then every weight file it names, into
 * `stagingDir`. Files completed by an earlier, interrupted call are kept when model.json is unchanged.
 */
export async function stageRemoteModel(
  sources: string[],
  stagingDir: string,
  options: DownloadOptions,
): Promise<StagedModel> {
  const fetched = await fetchModelJson(sources, options);
  const { text, info } = confinePaths(fetched.url, fetched.text, fetched.info);
  const modelJsonSha256 = createHash('sha256').update(text).digest('hex');
  let state = await readState(stagingDir);
  if (!state || state.modelJsonSha256 !== modelJsonSha256 || state.source !== fetched.url) {
    // A different model.json (or none yet): what is staged belongs to another version; start afresh.
    await fs.rm(stagingDir, { recursive: true, force: true });
    state = { source: fetched.url, modelJsonSha256, validators: {} };
  }
  try {
    await fs.mkdir(stagingDir, { recursive: true });
  } catch (err) {
    throw diskError(err, stagingDir);
  }
  await writeState(stagingDir, state);
  await writeFileSynced(path.join(stagingDir, MODEL_JSON), text, options.beforeWrite);

  const relatives = [...new Set(info.groups.flatMap((g) => g.paths.map((p) => localPath(stagingDir, p))))];
  let resumedBytes = 0;
  for (const relative of relatives) {
    const file = path.join(stagingDir, relative);
    resumedBytes += (await sizeOf(file)) ?? (await sizeOf(`${file}${PART}`)) ?? 0;
  }
  const announcedTotal = info.groups.reduce((sum, g) => sum + (g.bytes ?? 0), 0) + text.length;
  const progress = new Progress(options, resumedBytes + text.length, announcedTotal);
  options.onEvent?.({
    type: 'baseDownloadStarted',
    name: options.name,
    source: fetched.url,
    files: relatives.length + 1,
    bytesTotal: announcedTotal,
    bytesDone: progress.bytesDone,
    resumedBytes,
  });

  for (const group of info.groups) {
    const groupFiles = group.paths.map((p) => localPath(stagingDir, p));
    for (const relative of groupFiles) {
      const file = path.join(stagingDir, relative);
      if ((await sizeOf(file)) !== null) continue; // completed and checked by an earlier run
      if (options.signal?.aborted) throw new DownloadStoppedError(progress.bytesDone, progress.bytesTotal);
      try {
        await downloadWeightFile(
          { url: weightUrl(fetched.url, relative), relative, file, state, stagingDir, progress },
          options,
        );
      } catch (err) {
        if (err instanceof DownloadStoppedError)
          throw new DownloadStoppedError(progress.bytesDone, progress.bytesTotal);
        throw err;
      }
    }
    if (group.bytes !== null) {
      let actual = 0;
      for (const relative of new Set(groupFiles))
        actual += (await sizeOf(path.join(stagingDir, relative))) ?? 0;
      if (actual !== group.bytes) {
        for (const relative of groupFiles) await truncate(path.join(stagingDir, relative));
        throw new BaseError(
          `${weightUrl(fetched.url, groupFiles[groupFiles.length - 1])}: the weight files [${groupFiles.join(', ')}] hold ` +
            `${actual} bytes, but model.json's weightsManifest describes ${group.bytes} — the files at the source are ` +
            'truncated or belong to another model; the partial download was discarded',
        );
      }
    }
  }

  const files: BaseFileRecord[] = [];
  for (const relative of [MODEL_JSON, ...relatives]) {
    const file = path.join(stagingDir, relative);
    files.push({ path: relative, bytes: (await sizeOf(file)) ?? 0, sha256: await sha256OfFile(file) });
  }
  return { source: fetched.url, info, files, resumedBytes };
}
