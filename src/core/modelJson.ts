// Reads a TF.js model.json (layers or graph format) without TF.js: its format, the input shape, the
// top-level layer names, and the weight files with the bytes each group must hold. The file is untrusted:
// every field is checked, and a problem comes back as a sentence for a one-line error.
import type { BaseFormat } from '../protocol/bases';
import { isRecord } from '../protocol/guards';

export interface WeightGroup {
  /** Paths as written in model.json. */
  paths: string[];
  /** Bytes the group's files hold together, from its weight specs; null when a dtype has no fixed size. */
  bytes: number | null;
}

export interface ModelJsonInfo {
  format: BaseFormat;
  /** [height, width, channels] of one input image; null where the model leaves a dimension open. */
  inputShape: [number | null, number | null, number | null] | null;
  /** Layers models: the top-level layer names in topology order (what `getLayer` finds). */
  layerNames: string[];
  groups: WeightGroup[];
}

export class ModelJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelJsonError';
  }
}

/** Bytes per stored element by dtype (or quantization dtype); no prototype, so any key from a file is safe. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = Object.assign(
  Object.create(null) as Record<string, number>,
  {
    float32: 4,
    int32: 4,
    bool: 1,
    complex64: 8,
    uint8: 1,
    uint16: 2,
    float16: 2,
    int8: 1,
    int16: 2,
  },
);

function specBytes(spec: unknown): number | null {
  if (!isRecord(spec) || !Array.isArray(spec.shape) || typeof spec.dtype !== 'string')
    throw new ModelJsonError('a weight spec lacks its shape or dtype');
  let count = 1;
  for (const d of spec.shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new ModelJsonError(
        `weight ${String(spec.name)} has an invalid shape ${JSON.stringify(spec.shape)}`,
      );
    count *= d;
  }
  const quantised = isRecord(spec.quantization) ? spec.quantization.dtype : undefined;
  const size = DTYPE_BYTES[typeof quantised === 'string' ? quantised : spec.dtype];
  return size === undefined ? null : count * size;
}

function readGroups(manifest: unknown): WeightGroup[] {
  if (manifest === undefined) return [];
  if (!Array.isArray(manifest)) throw new ModelJsonError('weightsManifest is not a list');
  return manifest.map((group) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string'))
      throw new ModelJsonError('a weightsManifest group has no list of paths');
    if (!Array.isArray(group.weights))
      throw new ModelJsonError('a weightsManifest group has no list of weights');
    let bytes: number | null = 0;
    for (const spec of group.weights) {
      const size = specBytes(spec);
      bytes = size === null || bytes === null ? null : bytes + size;
    }
    return { paths: group.paths as string[], bytes };
  });
}

function detectFormat(json: Record<string, unknown>): BaseFormat {
  if (json.format === 'layers-model') return 'layers';
  if (json.format === 'graph-model') return 'graph';
  const topology = json.modelTopology;
  if (isRecord(topology) && Array.isArray(topology.node)) return 'graph';
  if (isRecord(topology) && (isRecord(topology.model_config) || typeof topology.class_name === 'string'))
    return 'layers';
  throw new ModelJsonError(
    'it is neither a TF.js layers model nor a graph model (no modelTopology to recognise)',
  );
}

type Dim = number | null;

function dimOf(value: unknown): Dim {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

function imageShape(dims: unknown[]): [Dim, Dim, Dim] | null {
  // [batch, height, width, channels]
  return dims.length === 4 ? [dimOf(dims[1]), dimOf(dims[2]), dimOf(dims[3])] : null;
}

/** The Keras model config inside a layers topology (`model_config` wraps it in files Keras wrote). */
function kerasConfig(topology: Record<string, unknown>): Record<string, unknown> | null {
  const config = isRecord(topology.model_config) ? topology.model_config : topology;
  return isRecord(config) ? config : null;
}

function layerList(model: Record<string, unknown>): Record<string, unknown>[] {
  const config = model.config;
  const layers = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  return Array.isArray(layers) ? layers.filter(isRecord) : [];
}

function layerName(layer: Record<string, unknown>): string | null {
  const config = isRecord(layer.config) ? layer.config : {};
  const name = typeof config.name === 'string' ? config.name : layer.name;
  return typeof name === 'string' ? name : null;
}

function batchInputShape(layer: Record<string, unknown>): unknown[] | null {
  const config = isRecord(layer.config) ? layer.config : {};
  const shape = config.batch_input_shape ?? config.batchInputShape ?? config.batch_shape;
  return Array.isArray(shape) ? shape : null;
}

function layersInputShape(topology: Record<string, unknown>): [Dim, Dim, Dim] | null {
  const model = kerasConfig(topology);
  if (!model) return null;
  const layers = layerList(model);
  const config = isRecord(model.config) ? model.config : {};
  const inputNames = Array.isArray(config.input_layers)
    ? config.input_layers.map((entry) => (Array.isArray(entry) ? entry[0] : null))
    : [];
  const input =
    layers.find((l) => inputNames.includes(layerName(l))) ??
    layers.find((l) => l.class_name === 'InputLayer') ??
    layers.find((l) => batchInputShape(l) !== null);
  const shape = input ? batchInputShape(input) : null;
  return shape ? imageShape(shape) : null;
}

function graphInputShape(
  json: Record<string, unknown>,
  topology: Record<string, unknown>,
): [Dim, Dim, Dim] | null {
  const tensorDims = (tensorShape: unknown): unknown[] | null =>
    isRecord(tensorShape) && Array.isArray(tensorShape.dim)
      ? tensorShape.dim.map((d) => (isRecord(d) ? d.size : null))
      : null;
  const signature = json.signature;
  if (isRecord(signature) && isRecord(signature.inputs)) {
    for (const input of Object.values(signature.inputs)) {
      const dims = isRecord(input) ? tensorDims(input.tensorShape) : null;
      if (dims && dims.length === 4) return imageShape(dims);
    }
  }
  for (const node of Array.isArray(topology.node) ? topology.node : []) {
    if (!isRecord(node) || node.op !== 'Placeholder' || !isRecord(node.attr)) continue;
    const shapeAttr = node.attr.shape;
    const dims = isRecord(shapeAttr) ? tensorDims(shapeAttr.shape) : null;
    if (dims && dims.length === 4) return imageShape(dims);
  }
  return null;
}

/** Parses and checks model.json text. Throws ModelJsonError with a sentence saying what is wrong. */
export function readModelJson(text: string): ModelJsonInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelJsonError(`it is not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(json)) throw new ModelJsonError('it is not a JSON object');
  if (!isRecord(json.modelTopology)) throw new ModelJsonError('it has no modelTopology');
  const format = detectFormat(json);
  const groups = readGroups(json.weightsManifest);
  const topology = json.modelTopology;
  if (format === 'layers') {
    const model = kerasConfig(topology);
    const layerNames = model
      ? layerList(model)
          .map(layerName)
          .filter((n): n is string => n !== null)
      : [];
    return { format, inputShape: layersInputShape(topology), layerNames, groups };
  }
  return { format, inputShape: graphInputShape(json, topology), layerNames: [], groups };
}

/** Every weight file path named by the manifest, in order, once each. */
export function weightPaths(info: ModelJsonInfo): string[] {
  return [...new Set(info.groups.flatMap((g) => g.paths))];
}

export type ConfinedPath = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Where a weight path of model.json may point: a relative path inside the model's folder (`./` allowed,
 * no `..`, no absolute path, no backslash). For a model.json fetched from `modelJsonUrl`, a full URL is
 * accepted only on the same origin and under the same folder, and maps to the path relative to it.
 */
export function confineWeightPath(raw: string, modelJsonUrl: string | null): ConfinedPath {
  const reject = (reason: string): ConfinedPath => ({ ok: false, reason: `weight path "${raw}" ${reason}` });
  if (raw.startsWith('/') || /^[a-z]:[\\/]/i.test(raw)) return reject('is absolute');
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    if (!modelJsonUrl) return reject('is a URL, but this model.json is a local file');
    let url: URL;
    let base: URL;
    try {
      url = new URL(raw);
      base = new URL(modelJsonUrl);
    } catch {
      return reject('is not a valid URL');
    }
    if (url.origin !== base.origin) return reject(`points to another host (${url.origin})`);
    const folder = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
    if (!url.pathname.startsWith(folder)) return reject("is outside model.json's folder");
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname.slice(folder.length));
    } catch {
      return reject('is not a valid URL');
    }
    return confineWeightPath(relative, null).ok
      ? { ok: true, path: relative }
      : reject("is outside model.json's folder");
  }
  let relative = raw;
  while (relative.startsWith('./')) relative = relative.slice(2);
  if (relative.includes('\\')) return reject('contains a backslash');
  if (/[\x00-\x1f:]/.test(relative)) return reject('contains a control character or a colon');
  const segments = relative.split('/');
  if (segments.includes('..')) return reject("leaves model.json's folder (..)");
  if (relative === '' || segments.some((s) => s === '' || s === '.')) return reject('is empty or malformed');
  return { ok: true, path: relative };
}
