// The New Training form's state and its pure reducer. Host messages and the user's edits go through the
// same reducer, which also says which messages the host must get (`post`), so validation per field, the
// estimate and the queue actions are tested in node without a browser.
import type { TrainingConfig } from '../../../src/protocol/config';
import type {
  EstimateBasis,
  FormAction,
  FormBase,
  FormDataset,
  FormToHost,
  HostToForm,
  PreviewImageView,
  QueueEntryView,
} from '../../../src/protocol/trainFormMessages';
import { resolveStoredConfig } from '../../../src/core/config';
import { DEFAULT_CONFIG } from '../../../src/core/configFields';
import {
  datasetTask,
  equivalentCommand,
  fieldError,
  formConfig,
  formValues,
  valuesForTask,
} from '../../../src/core/trainForm';
import { inputBatchBytes, presetShape, trainingBytes } from '../../../src/core/memoryArithmetic';

export interface FormState {
  loaded: boolean;
  datasets: FormDataset[];
  datasetDir: string | null;
  bases: FormBase[];
  base: string | null;
  /** The config the form was filled from; unchanged fields keep its values exactly. */
  start: TrainingConfig;
  values: Record<string, string>;
  /** path → the CLI's message for that field's text. */
  errors: Record<string, string>;
  /** A rule between fields (validation + test split below 1), once every field is valid on its own. */
  formError: string | null;
  parentId: string | null;
  trusted: boolean;
  queue: QueueEntryView[];
  basis: EstimateBasis | null;
  notice: { level: 'info' | 'error'; message: string } | null;
  /** The action sent and not yet answered: its button shows it is busy. */
  pending: FormAction | null;
  preview: PreviewState;
}

/** The augmentation preview: the data set's first training images as epoch 1 draws them. */
export interface PreviewState {
  /** What was last asked for (data set and the fields the images depend on); null before any. */
  key: string | null;
  /** The number of the last request: an answer to an older one is dropped. */
  requestId: number;
  loading: boolean;
  images: PreviewImageView[];
  error: string | null;
  /** The seed and whether augmentation was on, for the caption (of the request the images answer). */
  seed: number | null;
  augmented: boolean;
}

export type FormUiAction =
  | { type: 'ui/setField'; path: string; value: string }
  | { type: 'ui/chooseDataset'; datasetDir: string }
  | { type: 'ui/chooseBase'; base: string | null }
  | { type: 'ui/submit'; action: FormAction }
  | { type: 'ui/copyCommand' }
  | { type: 'ui/moveQueued'; id: string; delta: -1 | 1 }
  | { type: 'ui/cancelQueued'; id: string }
  | { type: 'ui/dismissNotice' };

export type FormEvent = HostToForm | FormUiAction;

export interface Reduced {
  state: FormState;
  post: FormToHost[];
}

export function initialFormState(): FormState {
  return {
    loaded: false,
    datasets: [],
    datasetDir: null,
    bases: [],
    base: null,
    start: structuredClone(DEFAULT_CONFIG) as TrainingConfig,
    values: formValues(),
    errors: {},
    formError: null,
    parentId: null,
    trusted: true,
    queue: [],
    basis: null,
    notice: null,
    pending: null,
    preview: {
      key: null,
      requestId: 0,
      loading: false,
      images: [],
      error: null,
      seed: null,
      augmented: false,
    },
  };
}

/** The config fields the preview's images depend on (the split picks the images, the rest draws them). */
const PREVIEW_FIELDS = [
  'augment',
  'seed',
  'imageSize',
  'channels',
  'resize',
  'validationSplit',
  'testSplit',
] as const;

/** What the preview would be drawn for now; null while there is no data set or a field is invalid. */
export function previewKey(state: FormState): string | null {
  if (!state.loaded || !state.datasetDir) return null;
  const result = formConfig(state.values, state.start);
  if (!result.ok) return null;
  return JSON.stringify([state.datasetDir, ...PREVIEW_FIELDS.map((f) => result.config[f])]);
}

/** After a change: a new preview request when what the images depend on changed (the app debounces it). */
function withPreview(reduced: Reduced): Reduced {
  const { state } = reduced;
  const key = previewKey(state);
  if (key === null || key === state.preview.key || !state.datasetDir) return reduced;
  const result = formConfig(state.values, state.start);
  const requestId = state.preview.requestId + 1;
  return {
    state: {
      ...state,
      preview: {
        ...state.preview,
        key,
        requestId,
        loading: true,
        error: null,
        seed: result.ok ? result.config.seed : null,
        augmented: result.ok && result.config.augment !== null,
      },
    },
    post: [
      ...reduced.post,
      { type: 'previewAugmentation', requestId, datasetDir: state.datasetDir, values: { ...state.values } },
    ],
  };
}

/** The start config as the host sent it, checked like any record read from disk; the defaults if it fails. */
function startConfig(raw: Record<string, unknown>): TrainingConfig {
  try {
    return resolveStoredConfig(raw, 'the run to change');
  } catch {
    return structuredClone(DEFAULT_CONFIG) as TrainingConfig;
  }
}

function validated(state: FormState): FormState {
  const errors: Record<string, string> = {};
  for (const [path, text] of Object.entries(state.values)) {
    const error = fieldError(path, text);
    if (error) errors[path] = error;
  }
  let formError: string | null = null;
  if (Object.keys(errors).length === 0) {
    const result = formConfig(state.values, state.start);
    if (!result.ok) formError = result.error;
  }
  return { ...state, errors, formError };
}

export function canSubmit(state: FormState, action: FormAction): boolean {
  if (!state.loaded || !state.datasetDir || state.pending) return false;
  if (Object.keys(state.errors).length > 0 || state.formError) return false;
  return action === 'saveConfig' || state.trusted;
}

/** Why a button is disabled, or null when it is not. */
export function blockedReason(state: FormState, action: FormAction): string | null {
  if (!state.loaded) return 'loading…';
  if (!state.datasetDir) return 'choose a data set';
  const invalid = Object.keys(state.errors).length;
  if (invalid > 0) return `${invalid} field${invalid === 1 ? '' : 's'} to correct`;
  if (state.formError) return state.formError;
  if (action !== 'saveConfig' && !state.trusted)
    return 'training is disabled in Restricted Mode; trust the workspace to train';
  if (state.pending) return 'sending…';
  return null;
}

export function reduceForm(state: FormState, event: FormEvent): Reduced {
  const reduced = reduceFormEvent(state, event);
  return event.type === 'init' || event.type === 'ui/setField' || event.type === 'ui/chooseDataset'
    ? withPreview(reduced)
    : reduced;
}

function reduceFormEvent(state: FormState, event: FormEvent): Reduced {
  const none = (next: FormState): Reduced => ({ state: next, post: [] });
  switch (event.type) {
    case 'init': {
      const init = event.init;
      const start = startConfig(init.start);
      const chosen = init.datasets.find((d) => d.dir === init.datasetDir);
      return none(
        validated({
          ...state,
          loaded: true,
          datasets: init.datasets,
          datasetDir: init.datasetDir,
          bases: init.bases,
          base: init.base && init.bases.some((b) => b.name === init.base) ? init.base : null,
          start,
          // A detection set trains a detector: its task and defaults, unless the config already says so.
          values: chosen ? valuesForTask(formValues(start), datasetTask(chosen)) : formValues(start),
          parentId: init.parentId,
          trusted: init.trusted,
          queue: init.queue,
          basis: init.basis,
          notice: null,
          pending: null,
        }),
      );
    }
    case 'estimateBasis':
      return none({ ...state, basis: event.basis });
    case 'augmentPreview':
      if (event.requestId !== state.preview.requestId) return none(state);
      return none({
        ...state,
        preview: { ...state.preview, loading: false, images: event.images, error: event.error },
      });
    case 'queueChanged':
      return none({ ...state, queue: event.queue });
    case 'submitted':
      return none({ ...state, pending: null, notice: { level: 'info', message: event.message } });
    case 'notice':
      return none({ ...state, pending: null, notice: { level: event.level, message: event.message } });
    case 'ui/setField': {
      if (!Object.hasOwn(state.values, event.path) || state.values[event.path] === event.value)
        return none(state);
      // Another task: the fields still at the old task's defaults take the new task's.
      const values =
        event.path === 'task' && (event.value === 'detect' || event.value === 'classify')
          ? valuesForTask(state.values, event.value)
          : { ...state.values, [event.path]: event.value };
      return none(validated({ ...state, values }));
    }
    case 'ui/chooseDataset': {
      if (event.datasetDir === state.datasetDir) return none(state);
      const dataset = state.datasets.find((d) => d.dir === event.datasetDir);
      // A detection set trains a detector, a classification set a classifier (when the host knows it).
      const values = dataset ? valuesForTask(state.values, datasetTask(dataset)) : state.values;
      return {
        state: validated({ ...state, datasetDir: event.datasetDir, basis: null, values }),
        post: [{ type: 'chooseDataset', datasetDir: event.datasetDir }],
      };
    }
    case 'ui/chooseBase':
      if (event.base !== null && !state.bases.some((b) => b.name === event.base)) return none(state);
      return none({ ...state, base: event.base });
    case 'ui/submit': {
      if (!canSubmit(state, event.action) || !state.datasetDir) return none(state);
      return {
        state: { ...state, pending: event.action, notice: null },
        post: [
          {
            type: 'submit',
            action: event.action,
            datasetDir: state.datasetDir,
            values: { ...state.values },
            base: usesBase(state) ? state.base : null,
          },
        ],
      };
    }
    case 'ui/copyCommand':
      if (!state.datasetDir) return none(state);
      return {
        state,
        post: [
          {
            type: 'copyCommand',
            datasetDir: state.datasetDir,
            values: { ...state.values },
            base: usesBase(state) ? state.base : null,
          },
        ],
      };
    case 'ui/moveQueued': {
      const index = state.queue.findIndex((q) => q.id === event.id);
      const target = index + event.delta;
      if (index < 0 || target < 0 || target >= state.queue.length) return none(state);
      // Moved at once here; the host's queueChanged that follows says what it really did.
      const queue = [...state.queue];
      [queue[index], queue[target]] = [queue[target], queue[index]];
      return {
        state: { ...state, queue: queue.map((q, i) => ({ ...q, position: i + 1 })) },
        post: [{ type: 'moveQueued', id: event.id, delta: event.delta }],
      };
    }
    case 'ui/cancelQueued': {
      if (!state.queue.some((q) => q.id === event.id)) return none(state);
      const queue = state.queue.filter((q) => q.id !== event.id).map((q, i) => ({ ...q, position: i + 1 }));
      return { state: { ...state, queue }, post: [{ type: 'cancelQueued', id: event.id }] };
    }
    case 'ui/dismissNotice':
      return none({ ...state, notice: null });
    default:
      return none(state);
  }
}

/** The base choice applies to the presets that use a base. */
export function usesBase(state: FormState): boolean {
  return ['transfer', 'svm', 'knn'].includes(state.values.model ?? '');
}

export function commandLine(state: FormState): ReturnType<typeof equivalentCommand> {
  return equivalentCommand(state.datasetDir ?? 'DIR', state.values, {
    base: usesBase(state) ? state.base : null,
    parentId: state.parentId,
    start: state.start,
  });
}

export interface Estimate {
  /** Seconds one epoch should take, from the basis run's pace; null when there is no basis. */
  secondsPerEpoch: number | null;
  /** Peak training memory in bytes; `peakIsFloor` when only the input batch could be counted. */
  peakBytes: number | null;
  peakIsFloor: boolean;
  budgetBytes: number | null;
  /** False when the estimate is over the budget (the trainer would refuse it). */
  fits: boolean | null;
}

/** The estimate for the form's current values (nothing while a field is invalid). */
export function estimate(state: FormState): Estimate {
  const empty: Estimate = {
    secondsPerEpoch: null,
    peakBytes: null,
    peakIsFloor: false,
    budgetBytes: state.basis?.budgetBytes ?? null,
    fits: null,
  };
  const result = formConfig(state.values, state.start);
  if (!result.ok) return empty;
  const config = result.config;
  const basis = state.basis?.datasetDir === state.datasetDir ? state.basis : null;
  const classes = Math.max(2, basis?.classes ?? 2);
  const shape = usesBase(state) ? undefined : presetShape(config, classes);
  const peakBytes = shape
    ? trainingBytes(shape.inputElements, shape.layers, shape.parameters, config.batchSize)
    : inputBatchBytes(config);
  const trainShare = Math.max(0, 1 - config.validationSplit - config.testSplit);
  const secondsPerEpoch =
    basis && basis.secondsPerImage !== null ? basis.secondsPerImage * basis.images * trainShare : null;
  const budget = state.basis?.budgetBytes ?? null;
  return {
    secondsPerEpoch,
    peakBytes,
    peakIsFloor: !shape,
    budgetBytes: budget,
    fits: budget === null ? null : peakBytes <= budget,
  };
}
