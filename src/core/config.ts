// Validation of user input (a `--config FILE` object, then command-line overrides) into a TrainingConfig.
// Rules come from the field description in configFields.ts, which also generates the JSON schema.
import type { TrainingConfig } from '../protocol/config';
import { isRecord } from '../protocol/guards';
import {
  CONFIG_FIELDS,
  CONFIG_FILE_META_KEYS,
  DEFAULT_CONFIG,
  type FieldMap,
  type FieldSpec,
  type NumberField,
  type OptionalObjectField,
  type UnionField,
} from './configFields';

export {
  CONFIG_FIELDS,
  DEFAULT_AUGMENT,
  DEFAULT_CNN,
  DEFAULT_CONFIG,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_SCHEDULES,
} from './configFields';
import { InputError } from './inputError';

/** A one-line, user-facing message naming the field, the bad value and what is allowed. */
export class ConfigError extends InputError {
  constructor(
    message: string,
    /** Dotted field name (`cnn.filters`), when the error is about one field. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where a value came from: decides how it is parsed (flags are strings) and how the field is named. */
interface Origin {
  /** A file name for file values; undefined for command-line overrides. */
  file?: string;
  fromCommandLine: boolean;
  /** Records read back from disk: fields this version does not know (an older or newer writer's) are dropped. */
  ignoreUnknown?: boolean;
}

/**
 * File config (already parsed JSON, or undefined for none) merged over the defaults, then the
 * command-line overrides (camelCase keys; string values are parsed strictly, other values are taken as
 * JSON values; undefined values are skipped; dotted keys such as `cnn.filters` reach nested fields).
 */
export function resolveConfig(
  fileConfig: unknown,
  overrides: Record<string, unknown> = {},
  source?: string,
): TrainingConfig {
  let config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  if (fileConfig !== undefined && fileConfig !== null) {
    const origin: Origin = { file: source ?? 'config', fromCommandLine: false };
    if (!isRecord(fileConfig)) {
      throw new ConfigError(`${origin.file}: a config must be a JSON object, got ${kindOf(fileConfig)}`);
    }
    const body = withoutMetaKeys(fileConfig);
    config = mergeFields(CONFIG_FIELDS, body, config, [], origin);
  }
  const commandLine: Origin = { fromCommandLine: true };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    config = applyOverride(config, key.split('.'), value, commandLine);
  }
  // A deep copy, so that a caller mutating its config can never change the shared defaults.
  const resolved = structuredClone(config) as unknown as TrainingConfig;
  const hasFile = fileConfig !== undefined && fileConfig !== null;
  checkCrossFieldRules(resolved, (fields) =>
    hasFile && !fields.some((f) => f in overrides) ? `${source ?? 'config'}: ` : '',
  );
  return resolved;
}

/** The fields of a config object without `$schema`/`$comment`; fromEntries keeps a "__proto__" key an own field. */
function withoutMetaKeys(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).filter(([key]) => !(CONFIG_FILE_META_KEYS as readonly string[]).includes(key)),
  );
}

/**
 * A config read back from disk (run.json, a checkpoint): every field checked with the same field table as
 * user input, missing fields taking their defaults, unknown ones dropped. `file` names the record.
 */
export function resolveStoredConfig(stored: unknown, file: string): TrainingConfig {
  if (!isRecord(stored))
    throw new ConfigError(`${file}: config must be a JSON object, got ${kindOf(stored)}`);
  const origin: Origin = { file: `${file}: config`, fromCommandLine: false, ignoreUnknown: true };
  const body = withoutMetaKeys(stored);
  const resolved = structuredClone(
    mergeFields(CONFIG_FIELDS, body, { ...DEFAULT_CONFIG }, [], origin),
  ) as unknown as TrainingConfig;
  checkCrossFieldRules(resolved, () => `${file}: config: `);
  return resolved;
}

/**
 * One value read back from disk (model metadata, checkpoint state) checked against a field of the config
 * table, as `--image-size` or `epochs` would be: the value, or a ConfigError naming `name` in `file`.
 */
export function checkStoredField<K extends keyof TrainingConfig>(
  field: K,
  value: unknown,
  file: string,
  name: string = field,
): TrainingConfig[K] {
  const origin: Origin = { file, fromCommandLine: false };
  return validateValue(
    CONFIG_FIELDS[field],
    value,
    DEFAULT_CONFIG[field],
    [name],
    origin,
  ) as TrainingConfig[K];
}

/** JSON text of a config file to a value, or a ConfigError `FILE:LINE:COLUMN: invalid JSON — ...`. */
export function parseConfigFileText(text: string, path: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const problem = locateJsonError(body);
    const { line, column } = lineAndColumn(body, problem.offset);
    throw new ConfigError(`${path}:${line}:${column}: invalid JSON — ${problem.message}`);
  }
}

/** Short human-readable summary of the settings that matter most, for logs and the CLI. */
export function describeConfig(config: TrainingConfig): string {
  const parts = [
    `model ${config.model}`,
    `${config.epochs} epochs`,
    `batch ${config.batchSize}`,
    `${config.optimizer} lr ${config.learningRate}`,
    `${config.imageSize}×${config.imageSize}×${config.channels}${config.resize === 'stretch' ? '' : ` ${config.resize}`}`,
    `seed ${config.seed}`,
    `val ${config.validationSplit}`,
  ];
  if (config.testSplit > 0) parts.push(`test ${config.testSplit}`);
  if (config.augment) parts.push('augment');
  if (config.schedule.type !== 'constant') parts.push(`schedule ${config.schedule.type}`);
  if (config.earlyStopping)
    parts.push(`early stopping (${config.earlyStopping.monitor}, patience ${config.earlyStopping.patience})`);
  if (config.classWeight !== 'none') parts.push(`class weight ${config.classWeight}`);
  if (config.labelSmoothing > 0) parts.push(`label smoothing ${config.labelSmoothing}`);
  return parts.join(', ');
}

/** Strict number syntax for command-line values: `1e-3`, `.5`, `-2` pass; `12abc`, `0x10`, `` fail. */
export function parseStrictNumber(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The closest known name to a misspelt one, or undefined when nothing is close. */
export function suggestName(name: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string): string => s.toLowerCase().replace(/[-_\s.]/g, '');
  const exact = candidates.find((c) => squash(c) === squash(name));
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

// ---- walking the field description -------------------------------------------------------------

function applyOverride(
  config: Record<string, unknown>,
  path: string[],
  value: unknown,
  origin: Origin,
): Record<string, unknown> {
  // A dotted key becomes a nested partial object, so nested fields take the same merge rules as files.
  let partial: unknown = value;
  for (let i = path.length - 1; i >= 1; i--) partial = { [path[i]]: partial };
  return mergeFields(CONFIG_FIELDS, { [path[0]]: partial }, config, [], origin);
}

function mergeFields(
  fields: FieldMap,
  raw: Record<string, unknown>,
  base: Readonly<Record<string, unknown>>,
  path: string[],
  origin: Origin,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(raw)) {
    const spec = Object.hasOwn(fields, key) ? fields[key] : undefined;
    const fieldPath = [...path, key];
    if (!spec) {
      if (origin.ignoreUnknown) continue;
      throw unknownField(fieldPath, Object.keys(fields), origin);
    }
    if (value === undefined) continue;
    out[key] = validateValue(spec, value, base[key], fieldPath, origin);
  }
  return out;
}

function validateValue(
  spec: FieldSpec,
  raw: unknown,
  base: unknown,
  path: string[],
  origin: Origin,
): unknown {
  switch (spec.kind) {
    case 'integer': {
      const value = origin.fromCommandLine && typeof raw === 'string' ? parseStrictNumber(raw) : raw;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
        throw invalid(path, `a whole number from ${spec.min} to ${spec.max}`, raw, origin);
      }
      return value;
    }
    case 'number': {
      const value = origin.fromCommandLine && typeof raw === 'string' ? parseStrictNumber(raw) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(spec, value)) {
        throw invalid(path, describeRange(spec), raw, origin);
      }
      return value;
    }
    case 'enum': {
      const numeric = spec.values.every((v) => typeof v === 'number');
      const value =
        origin.fromCommandLine && numeric && typeof raw === 'string' ? parseStrictNumber(raw) : raw;
      if (!spec.values.includes(value as string | number)) {
        const hint = typeof raw === 'string' ? suggestName(raw, spec.values.map(String)) : undefined;
        throw invalid(path, `one of ${spec.values.join(', ')}`, raw, origin, hint);
      }
      return value;
    }
    case 'boolean': {
      const value = origin.fromCommandLine && typeof raw === 'string' ? parseBooleanText(raw) : raw;
      if (typeof value !== 'boolean') throw invalid(path, 'true or false', raw, origin);
      return value;
    }
    case 'string':
      if (typeof raw !== 'string' || raw.length > spec.maxLength) {
        throw invalid(path, `a string of at most ${spec.maxLength} characters`, raw, origin);
      }
      return raw;
    case 'object': {
      const object = objectFrom(raw, path, origin, 'an object');
      if (!object) throw invalid(path, 'an object', raw, origin);
      return mergeFields(spec.fields, object, isRecord(base) ? base : {}, path, origin);
    }
    case 'optionalObject':
      return validateOptionalObject(spec, raw, base, path, origin);
    case 'union':
      return validateUnion(spec, raw, base, path, origin);
  }
}

function validateOptionalObject(
  spec: OptionalObjectField,
  raw: unknown,
  base: unknown,
  path: string[],
  origin: Origin,
): Record<string, unknown> | null {
  const expected = '"none", "default" or an object';
  if (raw === null || raw === 'none' || (origin.fromCommandLine && raw === 'null')) return null;
  if (raw === 'default') return { ...spec.defaults };
  const object = requireObject(raw, path, origin, expected, ['none', 'default']);
  // A partial object fills its gaps from what was already set, else from the defaults.
  const start = isRecord(base) ? base : spec.defaults;
  return mergeFields(spec.fields, object, start, path, origin);
}

function validateUnion(
  spec: UnionField,
  raw: unknown,
  base: unknown,
  path: string[],
  origin: Origin,
): Record<string, unknown> {
  const typeNames = Object.keys(spec.variants);
  const expected = `one of ${typeNames.join(', ')} or an object with a "type"`;
  if (typeof raw === 'string' && Object.hasOwn(spec.variants, raw))
    return { type: raw, ...spec.variants[raw].defaults };
  const object = requireObject(raw, path, origin, expected, typeNames);
  const baseType = isRecord(base) && typeof base.type === 'string' ? base.type : undefined;
  // Files must name the type (as the schema says); a command-line partial may lean on the current one.
  const type = object.type ?? (origin.file === undefined ? baseType : undefined);
  const typePath = [...path, 'type'];
  if (type === undefined)
    throw new ConfigError(
      `${prefix(origin)}${fieldName(typePath, origin)} is required: one of ${typeNames.join(', ')}`,
      typePath.join('.'),
    );
  if (typeof type !== 'string' || !Object.hasOwn(spec.variants, type)) {
    throw invalid(
      typePath,
      `one of ${typeNames.join(', ')}`,
      type,
      origin,
      typeof type === 'string' ? suggestName(type, typeNames) : undefined,
    );
  }
  const variant = spec.variants[type];
  const start = type === baseType && isRecord(base) ? withoutKey(base, 'type') : variant.defaults;
  const params = withoutKey(object, 'type');
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(variant.fields, key)) {
      const owners = typeNames.filter((name) => Object.hasOwn(spec.variants[name].fields, key));
      if (owners.length > 0) {
        const keyPath = [...path, key].join('.');
        throw new ConfigError(
          `${prefix(origin)}${keyPath} applies to ${path.join('.')} type ${owners.join(' or ')}, not ${type}`,
          keyPath,
        );
      }
    }
  }
  return { type, ...mergeFields(variant.fields, params, start, path, origin) };
}

/** objectFrom, or an error that suggests the nearest of the value's named `choices`. */
function requireObject(
  raw: unknown,
  path: string[],
  origin: Origin,
  expected: string,
  choices: string[],
): Record<string, unknown> {
  const object = objectFrom(raw, path, origin, expected);
  if (object) return object;
  throw invalid(path, expected, raw, origin, typeof raw === 'string' ? suggestName(raw, choices) : undefined);
}

/** An object as given, or (on the command line) a JSON object string; undefined if it is neither. */
function objectFrom(
  raw: unknown,
  path: string[],
  origin: Origin,
  expected: string,
): Record<string, unknown> | undefined {
  if (isRecord(raw)) return raw;
  if (origin.fromCommandLine && typeof raw === 'string' && raw.trim().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      const problem = locateJsonError(raw);
      throw new ConfigError(
        `${fieldName(path, origin)} must be ${expected}; its JSON is invalid at character ${problem.offset + 1}: ${problem.message}`,
        path.join('.'),
      );
    }
    if (isRecord(parsed)) return parsed;
  }
  return undefined;
}

/** `where(fields)` names the file unless one of the fields came from the command line. */
function checkCrossFieldRules(config: TrainingConfig, where: (fields: string[]) => string): void {
  if (config.validationSplit + config.testSplit >= 1) {
    throw new ConfigError(
      `${where(['validationSplit', 'testSplit'])}validationSplit + testSplit must be below 1 so that training keeps images, got ${config.validationSplit} + ${config.testSplit}`,
      'validationSplit',
    );
  }
  const schedule = config.schedule;
  if (
    (schedule.type === 'cosine' || schedule.type === 'reduceOnPlateau') &&
    schedule.minLearningRate > config.learningRate
  ) {
    throw new ConfigError(
      `${where(['schedule', 'schedule.minLearningRate', 'learningRate'])}schedule.minLearningRate must not exceed learningRate (${config.learningRate}), got ${schedule.minLearningRate}`,
      'schedule.minLearningRate',
    );
  }
}

// ---- messages ----------------------------------------------------------------------------------

function unknownField(path: string[], known: string[], origin: Origin): ConfigError {
  const name = path[path.length - 1];
  const suggestion = suggestName(name, known);
  const parent = path.slice(0, -1);
  const full = (leaf: string): string => fieldName([...parent, leaf], origin);
  const hint = suggestion ? ` — did you mean "${full(suggestion)}"?` : ` — known fields: ${known.join(', ')}`;
  const what = origin.file === undefined ? 'option' : 'field';
  return new ConfigError(`${prefix(origin)}unknown ${what} "${full(name)}"${hint}`, path.join('.'));
}

function invalid(
  path: string[],
  expected: string,
  got: unknown,
  origin: Origin,
  suggestion?: string,
): ConfigError {
  const hint = suggestion !== undefined && suggestion !== got ? ` — did you mean "${suggestion}"?` : '';
  return new ConfigError(
    `${prefix(origin)}${fieldName(path, origin)} must be ${expected}, got ${show(got)}${hint}`,
    path.join('.'),
  );
}

function prefix(origin: Origin): string {
  return origin.file !== undefined ? `${origin.file}: ` : '';
}

/** `cnn.filters` in a file; `--learning-rate` for a top-level flag; `cnn.filters` for a dotted override. */
function fieldName(path: string[], origin: Origin): string {
  if (origin.file !== undefined || path.length > 1) return path.join('.');
  return `--${path[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${show(value)}`;
}

function describeRange(spec: NumberField): string {
  if (spec.minExclusive && spec.maxExclusive)
    return `a number between ${spec.min} and ${spec.max}, both excluded`;
  if (spec.minExclusive) return `a number above ${spec.min} and at most ${spec.max}`;
  if (spec.maxExclusive) return `a number from ${spec.min} to below ${spec.max}`;
  return `a number from ${spec.min} to ${spec.max}`;
}

function inRange(spec: NumberField, value: number): boolean {
  const aboveMin = spec.minExclusive ? value > spec.min : value >= spec.min;
  const belowMax = spec.maxExclusive ? value < spec.max : value <= spec.max;
  return aboveMin && belowMax;
}

function parseBooleanText(text: string): boolean | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return undefined;
}

function withoutKey(record: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  delete out[key];
  return out;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}

// ---- locating JSON syntax errors (JSON.parse's messages differ between Node versions) ----------

interface JsonProblem {
  offset: number;
  message: string;
}

/** A small JSON recogniser that reports where the first syntax error is and what was expected there. */
function locateJsonError(text: string): JsonProblem {
  let i = 0;
  const fail = (message: string): never => {
    throw { offset: i, message } satisfies JsonProblem;
  };
  const found = (): string => (i >= text.length ? 'end of file' : `"${text[i]}"`);
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expectChar = (c: string, what: string): void => {
    skipSpace();
    if (text[i] !== c) fail(`expected ${what}, found ${found()}`);
    i++;
  };
  const parseString = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail('unescaped control character or line break in a string');
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape in a string');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) {
          fail(`bad escape "\\${text[i] ?? ''}" in a string`);
        }
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  const parseMember = (): void => {
    skipSpace();
    if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
    parseString();
    expectChar(':', '":"');
    parseValue();
  };
  /** Items separated by commas up to `close`; the opening bracket is at i. */
  const parseSequence = (close: string, parseItem: () => void): void => {
    i++;
    skipSpace();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      parseItem();
      skipSpace();
      if (text[i] === ',') {
        i++;
        skipSpace();
        if (text[i] === close) fail(`trailing comma before "${close}"`);
        continue;
      }
      if (text[i] !== close) fail(`expected "," or "${close}", found ${found()}`);
      i++;
      return;
    }
  };
  const parseValue = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') return parseSequence('}', parseMember);
    if (c === '[') return parseSequence(']', parseValue);
    if (c === '"') return parseString();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal) {
      i += literal[0].length;
      return;
    }
    fail(`expected a value, found ${found()}`);
  };
  try {
    parseValue();
    skipSpace();
    if (i < text.length) fail(`unexpected ${found()} after the end of the value`);
  } catch (problem) {
    if (isRecord(problem) && typeof problem.offset === 'number' && typeof problem.message === 'string') {
      return { offset: problem.offset, message: problem.message };
    }
    throw problem;
  }
  return { offset: 0, message: 'the file is not valid JSON' };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
