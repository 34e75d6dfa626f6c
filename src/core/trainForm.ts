// The New Training form's model, shared by the webview (which renders and validates it while the user
// types) and the host (which validates again before anything runs): which fields it shows, in which
// groups, with which labels, and how its text values become the same overrides the CLI's flags give.
// Validation is resolveConfig's own, so a message beside a field is the CLI's message, word for word.
import type { ModelPreset, Task, TrainingConfig } from '../protocol/config';
import type { FormDataset } from '../protocol/trainFormMessages';
import { ConfigError, resolveConfig } from './config';
import { CONFIG_FIELDS, DEFAULT_CONFIG, fieldLabel, type FieldSpec } from './configFields';
import { CONFIG_FLAGS } from './configFlags';
import { withDetectionDefaults } from './detection/detectionDefaults';

/** One line per preset, for the form's preset choice and Train Model's picker. */
export const PRESET_DESCRIPTIONS: Readonly<Record<ModelPreset, string>> = {
  'simple-cnn': 'Two conv blocks, dense 128, dropout: fast, good for small images',
  cnn: 'Configurable conv blocks with batch norm (its options are the cnn fields of a config or the form)',
  resnet: 'Small residual net with batch norm, trained from scratch',
  mobilenet: 'Depthwise-separable convolutions with batch norm: few weights',
  rnn: 'Image rows as a sequence through an LSTM or GRU',
  svm: 'Linear classifier, squared hinge loss: a classic baseline',
  knn: 'k nearest neighbours on pixels or on a base model’s features; no training',
  transfer: 'New head on a pretrained base or a local model (transfer.base)',
};

export type FormControl =
  | { kind: 'text'; inputMode: 'numeric' | 'decimal' }
  | { kind: 'select'; options: readonly string[] }
  | { kind: 'checkbox' };

export interface FormField {
  /** Dotted config path: `learningRate`, `cnn.filters`. */
  path: string;
  label: string;
  description: string;
  control: FormControl;
}

export interface FormGroup {
  id: string;
  title: string;
  /** Folded until opened. */
  advanced: boolean;
  fields: FormField[];
}

/** The fields people change most, in the order they think of them; everything else is advanced. */
export const BASIC_FIELDS = ['model', 'epochs', 'batchSize', 'learningRate', 'imageSize', 'augment'] as const;

/** Nested objects of the table shown as their own folded groups (transfer is chosen as a base instead). */
const NESTED_GROUPS = ['cnn', 'rnn', 'svm', 'knn'] as const;

function controlOf(spec: FieldSpec): FormControl | undefined {
  switch (spec.kind) {
    case 'integer':
      return { kind: 'text', inputMode: 'numeric' };
    case 'number':
      return { kind: 'text', inputMode: 'decimal' };
    case 'enum':
      return { kind: 'select', options: spec.values.map(String) };
    case 'boolean':
      return { kind: 'checkbox' };
    case 'optionalObject':
      // Turned on with its defaults or off; its parts stay in config files.
      return { kind: 'select', options: ['none', 'default'] };
    case 'union':
      return { kind: 'select', options: Object.keys(spec.variants) };
    default:
      return undefined;
  }
}

function formField(path: string, spec: FieldSpec): FormField | undefined {
  const control = controlOf(spec);
  const label = fieldLabel(path);
  return control && label ? { path, label, description: spec.description, control } : undefined;
}

/** The form's groups: basics first, then the other top-level fields, then one group per preset's options. */
export function formGroups(): FormGroup[] {
  const basics = BASIC_FIELDS.flatMap((key) => formField(key, CONFIG_FIELDS[key]) ?? []);
  const others = (Object.keys(CONFIG_FIELDS) as (keyof TrainingConfig)[])
    .filter((key) => !(BASIC_FIELDS as readonly string[]).includes(key) && key !== 'transfer')
    .flatMap((key) => formField(key, CONFIG_FIELDS[key]) ?? []);
  const nested = NESTED_GROUPS.map((group) => {
    const spec = CONFIG_FIELDS[group];
    const fields =
      spec.kind === 'object'
        ? Object.entries(spec.fields).flatMap(([key, sub]) => formField(`${group}.${key}`, sub) ?? [])
        : [];
    return { id: group, title: `${fieldLabel(group) ?? group} options`, advanced: true, fields };
  });
  return [
    { id: 'basics', title: 'Basics', advanced: false, fields: basics },
    { id: 'training', title: 'Training', advanced: true, fields: others },
    ...nested,
  ];
}

export function formFieldPaths(): string[] {
  return formGroups().flatMap((g) => g.fields.map((f) => f.path));
}

/** A form value as text: what an input shows, and what the CLI would be given. */
function textOf(value: unknown): string {
  if (value === null) return 'none';
  if (typeof value === 'object') {
    const type = (value as { type?: unknown }).type;
    return typeof type === 'string' ? type : 'default';
  }
  return String(value);
}

/** The form's values for a config (the defaults, or a run's recorded config to change). */
export function formValues(config: Readonly<TrainingConfig> = DEFAULT_CONFIG): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of formFieldPaths()) {
    const [head, leaf] = path.split('.');
    const top = (config as unknown as Record<string, unknown>)[head];
    const value = leaf === undefined ? top : (top as Record<string, unknown> | null)?.[leaf];
    out[path] = textOf(value);
  }
  return out;
}

/** The CLI's message for one field's text, or null when the field accepts it. */
export function fieldError(path: string, text: string): string | null {
  try {
    resolveConfig(undefined, { [path]: text });
    return null;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

/** Every field's message (fields without one are absent). */
export function formErrors(values: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of formFieldPaths()) {
    if (!Object.hasOwn(values, path)) continue;
    const error = fieldError(path, values[path]);
    if (error) out[path] = error;
  }
  return out;
}

/**
 * The values that differ from `base` as CLI-style overrides. An optional object set to "default" on a
 * base that already had it keeps the base's own settings (a re-run keeps its augmentation's numbers).
 */
export function formOverrides(
  values: Readonly<Record<string, string>>,
  base: Readonly<Record<string, string>> = formValues(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of formFieldPaths()) {
    if (!Object.hasOwn(values, path)) continue;
    if (values[path] !== base[path]) out[path] = values[path];
  }
  return out;
}

let detectionDefaults: TrainingConfig | undefined;

/**
 * The config a new run of `task` starts from: the defaults, or for a detector the defaults with the
 * detector's own (image size, epochs, batch size, learning rate, box-aware augmentation, cosine schedule),
 * as `train DIR --task detect` takes them.
 */
export function taskDefaults(task: Task): Readonly<TrainingConfig> {
  if (task !== 'detect') return DEFAULT_CONFIG;
  detectionDefaults ??= resolveConfig(undefined, withDetectionDefaults({ task: 'detect' }, []));
  return detectionDefaults;
}

/** The task the values ask for; values without the field keep `fallback` (the config they came from). */
function taskOf(values: Readonly<Record<string, string>>, fallback: Task = 'classify'): Task {
  if (!Object.hasOwn(values, 'task')) return fallback;
  return values.task === 'detect' ? 'detect' : 'classify';
}

/**
 * The form's values for `task`: the task field set, and every field still at the other task's default
 * moved to this task's (a detection set chosen on an untouched form gets the detector's image size,
 * epochs, batch size, learning rate, augmentation and schedule); fields the user changed are kept.
 */
export function valuesForTask(values: Readonly<Record<string, string>>, task: Task): Record<string, string> {
  const from = taskOf(values);
  if (from === task) return { ...values };
  const fromDefaults = formValues(taskDefaults(from));
  const toDefaults = formValues(taskDefaults(task));
  const out: Record<string, string> = { ...values, task };
  for (const path of formFieldPaths()) {
    if (path === 'task' || !Object.hasOwn(values, path)) continue;
    if (values[path] === fromDefaults[path]) out[path] = toDefaults[path];
  }
  return out;
}

/** The task a data set of the form trains: `detect` for an object-detection set. */
export function datasetTask(dataset: Pick<FormDataset, 'detection'> | undefined): Task {
  return dataset?.detection ? 'detect' : 'classify';
}

/**
 * How the form lists a data set: `pets — 1,200 images, 3 classes`, or for a detection set
 * `boxes — detection set · YOLO · 120 images · 3 classes · 410 boxes` (classes and boxes once a scan has
 * counted them, else `classes after a scan`): never "0 classes".
 */
export function describeFormDataset(dataset: FormDataset): string {
  const images = `${dataset.images.toLocaleString('en-US')} image${dataset.images === 1 ? '' : 's'}`;
  const detection = dataset.detection;
  if (!detection)
    return `${dataset.name} — ${images}, ${dataset.classes} class${dataset.classes === 1 ? '' : 'es'}`;
  const scanned = detection.scanned;
  const counts = scanned
    ? `${scanned.classes} class${scanned.classes === 1 ? '' : 'es'} · ${scanned.boxes.toLocaleString('en-US')} box${scanned.boxes === 1 ? '' : 'es'}`
    : 'classes after a scan';
  return `${dataset.name} — detection set · ${detection.format.toUpperCase()} · ${images} · ${counts}`;
}

export type FormConfigResult =
  { ok: true; config: TrainingConfig } | { ok: false; error: string; field?: string };

/** The whole config the form asks for (`start` is the config it was filled from), or the first problem. */
export function formConfig(
  values: Readonly<Record<string, string>>,
  start: Readonly<TrainingConfig> = DEFAULT_CONFIG,
): FormConfigResult {
  // Only the form's own fields: a message naming another (transfer.base, say) is refused, not applied.
  const known = new Set(formFieldPaths());
  const stray = Object.keys(values).find((key) => !known.has(key));
  if (stray !== undefined)
    return { ok: false, error: `unknown option "${stray}" — not a field of the form`, field: stray };
  // Values name the task; what the form cannot show (the detector's augmentation numbers, a schedule's
  // parameters) comes from that task's defaults when the form was filled for the other task.
  const task = taskOf(values, start.task);
  const base = task === start.task ? start : taskDefaults(task);
  try {
    const overrides = formOverrides(values, formValues(base));
    return { ok: true, config: resolveConfig(structuredClone(base), overrides) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error: error.message, field: error.field };
    throw error;
  }
}

/** The CLI's flag for a form field (its generated flag table, configFlags.ts); undefined without one. */
export function flagOf(path: string): string | undefined {
  return FLAG_BY_FIELD.get(path);
}

const FLAG_BY_FIELD = new Map(CONFIG_FLAGS.map((f) => [f.field, f.flag]));

function shellQuote(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export interface CommandLine {
  command: string;
  /** Changed fields the command cannot say with flags: they need a config file (Save as Config…). */
  needsConfigFile: string[];
}

/** The equivalent `image-trainer train …` command for the form's values. */
export function equivalentCommand(
  datasetDir: string,
  values: Readonly<Record<string, string>>,
  options: { base?: string | null; parentId?: string | null; start?: Readonly<TrainingConfig> } = {},
): CommandLine {
  const parts = ['image-trainer', 'train', shellQuote(datasetDir)];
  const needsConfigFile: string[] = [];
  const start = options.start ?? DEFAULT_CONFIG;
  const task = taskOf(values, start.task);
  const overrides = formOverrides(values, formValues(task === start.task ? start : taskDefaults(task)));
  // A re-run's config differs from the defaults in ways the form did not touch: name those too. A
  // detector's defaults are what `--task detect` gives, so only the fields changed from them are named.
  const fromDefaults = formOverrides(values, formValues(taskDefaults(task)));
  // The task first: it decides what the other flags' defaults are.
  if (task === 'detect') parts.push(flagOf('task') ?? '--task', 'detect');
  for (const path of formFieldPaths()) {
    if (path === 'task' && task === 'detect') continue;
    if (!Object.hasOwn(fromDefaults, path) && !Object.hasOwn(overrides, path)) continue;
    const flag = flagOf(path);
    if (flag) parts.push(flag, shellQuote(values[path]));
    else needsConfigFile.push(path);
  }
  if (options.base) parts.push('--base', shellQuote(options.base));
  if (options.parentId) parts.push('--parent', shellQuote(options.parentId));
  return { command: parts.join(' '), needsConfigFile };
}
