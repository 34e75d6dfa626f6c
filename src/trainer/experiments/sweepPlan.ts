// Sweep files: parsing and validating `image-trainer sweep CONFIG`, and planning its trials (grid or
// seeded random search over any config field, dotted names reaching nested ones). Pure: no TF.js.
import { isRecord } from '../../protocol/guards';
import { ConfigError, resolveConfig } from '../../core/config';
import { createRng, deriveSeed } from '../../core/random';

/** How one field is searched: a list of choices, or a range (log-uniform, uniform, or whole numbers). */
export type SearchSpace =
  | { kind: 'choice'; values: unknown[] }
  | { kind: 'log' | 'uniform' | 'int'; min: number; max: number; steps: number };

export interface MedianStopping {
  type: 'median';
  /** Epochs every trial runs before the rule may stop it. */
  warmupEpochs: number;
  /** Finished trials needed before the rule applies. */
  minTrials: number;
}

export interface SweepSpec {
  /** Data set folder (relative to the sweep file). */
  data: string | null;
  base: Record<string, unknown>;
  search: Record<string, SearchSpace>;
  method: 'grid' | 'random';
  /** Trial budget: random draws this many; grid runs at most this many of its points. */
  trials: number;
  seed: number;
  metric: 'valAccuracy' | 'valLoss';
  earlyTermination: MedianStopping | null;
}

export interface Trial {
  index: number;
  /** Dotted field → value, applied over `base`. */
  overrides: Record<string, unknown>;
}

const DEFAULT_GRID_STEPS = 3;
const KEYS = [
  '$schema',
  '$comment',
  'data',
  'base',
  'search',
  'method',
  'trials',
  'seed',
  'metric',
  'earlyTermination',
];

function fail(file: string, message: string): never {
  throw new ConfigError(`${file}: ${message}`);
}

function parseSpace(file: string, field: string, raw: unknown): SearchSpace {
  if (Array.isArray(raw)) {
    if (raw.length === 0) fail(file, `search.${field} lists no values`);
    return { kind: 'choice', values: raw };
  }
  if (isRecord(raw)) {
    const kinds = (['log', 'uniform', 'int'] as const).filter((k) => k in raw);
    if (kinds.length === 1) {
      const kind = kinds[0];
      const range = raw[kind];
      const steps = raw.steps ?? DEFAULT_GRID_STEPS;
      if (
        !Array.isArray(range) ||
        range.length !== 2 ||
        !range.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
        range[0] > range[1]
      ) {
        fail(file, `search.${field}.${kind} must be [min, max] with min ≤ max`);
      }
      if (kind === 'log' && range[0] <= 0)
        fail(file, `search.${field}.log needs a positive min, got ${range[0]}`);
      if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1)
        fail(file, `search.${field}.steps must be a whole number ≥ 1`);
      return { kind, min: range[0], max: range[1], steps };
    }
  }
  return fail(
    file,
    `search.${field} must be a list of values or {"log"|"uniform"|"int": [min, max], "steps": N}`,
  );
}

/** Validates a parsed sweep file; every trial's config is checked before anything trains. */
export function parseSweepSpec(raw: unknown, file: string): SweepSpec {
  if (!isRecord(raw)) fail(file, 'a sweep file must be a JSON object with "base" and "search"');
  for (const key of Object.keys(raw))
    if (!KEYS.includes(key)) fail(file, `unknown field "${key}" — known: ${KEYS.slice(2).join(', ')}`);
  const base = raw.base ?? {};
  if (!isRecord(base)) fail(file, '"base" must be a config object (the fields of *.imagetrainer.json)');
  if (!isRecord(raw.search) || Object.keys(raw.search).length === 0)
    fail(file, '"search" must name at least one field, e.g. {"learningRate": {"log": [1e-4, 1e-2]}}');
  // fromEntries: a field named "__proto__" stays an own (and then unknown, refused) field.
  const search: Record<string, SearchSpace> = Object.fromEntries(
    Object.entries(raw.search).map(([field, space]) => [field, parseSpace(file, field, space)]),
  );
  const method = raw.method ?? 'random';
  if (method !== 'grid' && method !== 'random')
    fail(file, `"method" must be "grid" or "random", got ${JSON.stringify(method)}`);
  const trials = raw.trials ?? (method === 'grid' ? 1000 : 8);
  if (typeof trials !== 'number' || !Number.isInteger(trials) || trials < 1 || trials > 10000)
    fail(file, '"trials" must be a whole number from 1 to 10000');
  const seed = raw.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)
    fail(file, '"seed" must be a whole number ≥ 0');
  const metric = raw.metric ?? 'valAccuracy';
  if (metric !== 'valAccuracy' && metric !== 'valLoss')
    fail(file, '"metric" must be "valAccuracy" or "valLoss"');
  let earlyTermination: MedianStopping | null = null;
  if (raw.earlyTermination !== undefined && raw.earlyTermination !== null) {
    const et = raw.earlyTermination;
    if (!isRecord(et) || et.type !== 'median')
      fail(file, '"earlyTermination" must be {"type": "median", "warmupEpochs": N, "minTrials": N} or null');
    const warmupEpochs = et.warmupEpochs ?? 1;
    const minTrials = et.minTrials ?? 2;
    if (typeof warmupEpochs !== 'number' || !Number.isInteger(warmupEpochs) || warmupEpochs < 1)
      fail(file, 'earlyTermination.warmupEpochs must be a whole number ≥ 1');
    if (typeof minTrials !== 'number' || !Number.isInteger(minTrials) || minTrials < 1)
      fail(file, 'earlyTermination.minTrials must be a whole number ≥ 1');
    earlyTermination = { type: 'median', warmupEpochs, minTrials };
  }
  if (raw.data !== undefined && typeof raw.data !== 'string')
    fail(file, '"data" must be the path of the data set folder');
  const spec: SweepSpec = {
    data: (raw.data as string | undefined) ?? null,
    base,
    search,
    method,
    trials,
    seed,
    metric,
    earlyTermination,
  };
  for (const trial of planTrials(spec)) trialConfig(spec, trial, file);
  return spec;
}

/** Grid values of one space: choices as given, ranges in `steps` even (log: geometric) steps. */
function gridValues(space: SearchSpace): unknown[] {
  if (space.kind === 'choice') return space.values;
  const { min, max, steps } = space;
  const at = (t: number): number =>
    space.kind === 'log'
      ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min)))
      : min + t * (max - min);
  const values = Array.from({ length: steps }, (_, i) => at(steps === 1 ? 0.5 : i / (steps - 1)));
  return space.kind === 'int' ? [...new Set(values.map(Math.round))] : values.map(roundSignificant);
}

/** Keeps configs readable in run.json: 0.0031622776601683794 → 0.0031623. */
function roundSignificant(value: number): number {
  return Number(value.toPrecision(5));
}

function sample(space: SearchSpace, random: () => number): unknown {
  switch (space.kind) {
    case 'choice':
      return space.values[Math.floor(random() * space.values.length)];
    case 'log':
      return roundSignificant(
        Math.exp(Math.log(space.min) + random() * (Math.log(space.max) - Math.log(space.min))),
      );
    case 'uniform':
      return roundSignificant(space.min + random() * (space.max - space.min));
    case 'int':
      return Math.floor(space.min + random() * (space.max - space.min + 1));
  }
}

/** The trials in order: the grid's cartesian product (first field varies slowest) or seeded random draws. */
export function planTrials(spec: SweepSpec): Trial[] {
  const fields = Object.keys(spec.search);
  if (spec.method === 'grid') {
    let points: Record<string, unknown>[] = [{}];
    for (const field of fields) {
      const values = gridValues(spec.search[field]);
      points = points.flatMap((p) => values.map((v) => ({ ...p, [field]: v })));
    }
    return points.slice(0, spec.trials).map((overrides, index) => ({ index: index + 1, overrides }));
  }
  return Array.from({ length: spec.trials }, (_, i) => {
    const rng = createRng(deriveSeed(spec.seed, 'sweep', i));
    const overrides: Record<string, unknown> = Object.fromEntries(
      fields.map((field) => [field, sample(spec.search[field], () => rng.nextFloat())]),
    );
    return { index: i + 1, overrides };
  });
}

/** `base` with dotted overrides written into it, so that errors name fields as the file does. */
function withOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const out = structuredClone(base);
  // Own data properties only: a dotted "__proto__.x" from a sweep file becomes an unknown field that the
  // config check refuses, never a write to Object.prototype.
  const define = (node: Record<string, unknown>, key: string, value: unknown): void => {
    Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [dotted, value] of Object.entries(overrides)) {
    const keys = dotted.split('.');
    let node = out;
    for (const key of keys.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (isRecord(next)) node = next;
      else {
        const created: Record<string, unknown> = {};
        define(node, key, created);
        node = created;
      }
    }
    define(node, keys[keys.length - 1], value);
  }
  return out;
}

/** base + the trial's overrides through the trainer's own validation; errors name the trial. */
export function trialConfig(spec: SweepSpec, trial: Trial, file: string) {
  try {
    return resolveConfig(withOverrides(spec.base, trial.overrides), {}, file);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ConfigError(
        `${file}: trial ${trial.index} (${JSON.stringify(trial.overrides)}): ${err.message}`,
      );
    throw err;
  }
}

/** Is `value` better than `than` for the metric? */
export function isBetter(metric: SweepSpec['metric'], value: number, than: number): boolean {
  return metric === 'valLoss' ? value < than : value > than;
}

/**
 * Median stopping rule (Golovin et al., Google Vizier): stop a trial after epoch e when its best value so
 * far is worse than the median of the finished trials' best values up to epoch e.
 */
export function shouldStopTrial(
  rule: MedianStopping,
  metric: SweepSpec['metric'],
  epoch: number,
  bestSoFar: number,
  finished: readonly (readonly number[])[],
): boolean {
  if (epoch < rule.warmupEpochs || finished.length < rule.minTrials) return false;
  const references = finished
    .filter((curve) => curve.length >= epoch)
    .map((curve) => curve.slice(0, epoch).reduce((best, v) => (isBetter(metric, v, best) ? v : best)));
  if (references.length < rule.minTrials) return false;
  const sorted = [...references].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return isBetter(metric, median, bestSoFar);
}
