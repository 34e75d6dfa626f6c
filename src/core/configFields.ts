// The one description of every training-config field: its type, range, meaning and default. The
// validator (config.ts) and the JSON-schema generator (configSchema.ts) both walk it, so the editor's
// IntelliSense and the trainer's checks cannot disagree.
import {
  ACTIVATIONS,
  BACKEND_CHOICES,
  CNN_HEADS,
  KERNEL_INITIALIZERS,
  KNN_METRICS,
  MODEL_PRESETS,
  OPTIMIZERS,
  RESIZE_MODES,
  RNN_CELLS,
  TASKS,
  TRANSFER_NORMALISATIONS,
  TRANSFER_POOLINGS,
  type AugmentConfig,
  type CnnOptions,
  type EarlyStoppingConfig,
  type KnnOptions,
  type RnnOptions,
  type SvmOptions,
  type TransferOptions,
  type ScheduleConfig,
  type TrainingConfig,
} from '../protocol/config';

export interface IntegerField {
  kind: 'integer';
  description: string;
  min: number;
  max: number;
}

export interface NumberField {
  kind: 'number';
  description: string;
  min: number;
  max: number;
  /** The bound itself is not allowed (a learning rate of 0, a split of 0.9). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export interface EnumField {
  kind: 'enum';
  description: string;
  values: readonly (string | number)[];
}

export interface BooleanField {
  kind: 'boolean';
  description: string;
}

/** Free text such as a file path; `maxLength` guards against pasted blobs. */
export interface StringField {
  kind: 'string';
  description: string;
  maxLength: number;
}

export interface ObjectField {
  kind: 'object';
  description: string;
  fields: FieldMap;
}

/** `null` or `"none"` turns it off, `"default"` gives `defaults`, an object is merged over the defaults. */
export interface OptionalObjectField {
  kind: 'optionalObject';
  description: string;
  fields: FieldMap;
  defaults: Readonly<Record<string, unknown>>;
}

export interface UnionVariant {
  description: string;
  fields: FieldMap;
  defaults: Readonly<Record<string, unknown>>;
}

/** Objects told apart by their `type`; a bare type name gives that variant's defaults. */
export interface UnionField {
  kind: 'union';
  description: string;
  variants: Readonly<Record<string, UnionVariant>>;
}

export type FieldSpec =
  | IntegerField
  | NumberField
  | EnumField
  | BooleanField
  | StringField
  | ObjectField
  | OptionalObjectField
  | UnionField;
export type FieldMap = Readonly<Record<string, FieldSpec>>;

/** Every key of T described: adding a config field without describing it fails to compile. */
type FieldsOf<T> = { readonly [K in keyof T]-?: FieldSpec };

const integer = (description: string, min: number, max: number): IntegerField => ({
  kind: 'integer',
  description,
  min,
  max,
});
const number = (
  description: string,
  min: number,
  max: number,
  bounds: { minExclusive?: boolean; maxExclusive?: boolean } = {},
): NumberField => ({ kind: 'number', description, min, max, ...bounds });
const oneOf = (description: string, values: readonly (string | number)[]): EnumField => ({
  kind: 'enum',
  description,
  values,
});
const boolean = (description: string): BooleanField => ({ kind: 'boolean', description });
const text = (description: string, maxLength = 4096): StringField => ({
  kind: 'string',
  description,
  maxLength,
});

/**
 * Small and quick to train on a CPU: three blocks of one batch-normalised convolution (16, 32, 64
 * filters), no dropout. On full Fashion-MNIST (bench/RESULTS.md) this trains ~5× faster per image than
 * two 32-filter convolutions per block, and dropout 0.25 cost 7 points of test accuracy after the first
 * epoch (0.78 vs 0.85): batch norm and augmentation regularise enough for short runs. Small data sets that
 * overfit want `dropout` (0.25 is the Keras habit); bigger images and data sets, more filters or convs.
 */
export const DEFAULT_CNN: Readonly<CnnOptions> = {
  blocks: 3,
  filters: 16,
  convsPerBlock: 1,
  batchNorm: true,
  dropout: 0,
  denseUnits: 128,
  activation: 'relu',
  kernelInitializer: 'heNormal',
  l2: 0,
  head: 'auto',
};

/** Keras-like on-the-fly augmentation, used for `"augment": "default"` and under partial objects. */
export const DEFAULT_AUGMENT: Readonly<AugmentConfig> = {
  rotation: 10,
  widthShift: 0.1,
  heightShift: 0.1,
  horizontalFlip: true,
  zoom: 0.1,
  brightness: 0.1,
};

export const DEFAULT_RNN: Readonly<RnnOptions> = { cell: 'lstm', units: 64 };
export const DEFAULT_SVM: Readonly<SvmOptions> = { l2: 1e-4 };
export const DEFAULT_KNN: Readonly<KnnOptions> = { k: 5, metric: 'euclidean' };

/** `"transfer": "default"` still needs a base; the trainer says so when `base` is empty. */
export const DEFAULT_TRANSFER: Readonly<TransferOptions> = {
  base: '',
  cutLayer: '',
  headUnits: 0,
  dropout: 0,
  normalisation: 'auto',
  fineTuneLayers: 0,
  fineTuneLearningRate: 1e-5,
  fineTuneEpochs: 0,
  pooling: 'auto',
  augmentedViews: 4,
};

export const DEFAULT_EARLY_STOPPING: Readonly<EarlyStoppingConfig> = {
  monitor: 'valLoss',
  patience: 5,
  restoreBest: true,
};

type ScheduleType = ScheduleConfig['type'];
type ScheduleParams<K extends ScheduleType> = Omit<Extract<ScheduleConfig, { type: K }>, 'type'>;

export const DEFAULT_SCHEDULES: {
  readonly [K in ScheduleType]: Readonly<Extract<ScheduleConfig, { type: K }>>;
} = {
  constant: { type: 'constant' },
  step: { type: 'step', stepSize: 10, gamma: 0.1 },
  cosine: { type: 'cosine', minLearningRate: 0 },
  reduceOnPlateau: { type: 'reduceOnPlateau', factor: 0.5, patience: 3, minLearningRate: 1e-6 },
};

export const DEFAULT_CONFIG: Readonly<TrainingConfig> = {
  task: 'classify',
  model: 'cnn',
  cnn: DEFAULT_CNN,
  epochs: 10,
  batchSize: 32,
  learningRate: 0.001,
  optimizer: 'adam',
  momentum: 0.9,
  imageSize: 64,
  channels: 3,
  resize: 'stretch',
  seed: 42,
  validationSplit: 0.2,
  testSplit: 0,
  augment: null,
  schedule: DEFAULT_SCHEDULES.constant,
  earlyStopping: null,
  classWeight: 'none',
  labelSmoothing: 0,
  backend: 'auto',
  threads: 0,
  rnn: DEFAULT_RNN,
  svm: DEFAULT_SVM,
  knn: DEFAULT_KNN,
  transfer: null,
};

const CNN_FIELDS: FieldsOf<CnnOptions> = {
  blocks: integer('Number of convolution blocks; each ends in max-pooling and doubles the filters.', 1, 8),
  filters: integer('Filters of the first block’s convolutions.', 1, 1024),
  convsPerBlock: integer('3×3 convolutions in each block.', 1, 4),
  batchNorm: boolean('Batch normalisation after every convolution.'),
  dropout: number('Dropout rate after each block and before the output layer.', 0, 1, { maxExclusive: true }),
  denseUnits: integer('Units of the dense layer before the output layer.', 1, 8192),
  activation: oneOf('Activation of the hidden layers.', ACTIVATIONS),
  kernelInitializer: oneOf('Weight initialiser of the convolution and dense layers.', KERNEL_INITIALIZERS),
  l2: number('L2 weight-decay factor on the kernels (0 = off).', 0, 1),
  head: oneOf(
    'How the last feature map becomes features: "flatten" keeps every position, "globalAverage" averages them (small head at any image size), "auto" flattens maps of at most 4×4 positions and averages larger ones.',
    CNN_HEADS,
  ),
};

const RNN_FIELDS: FieldsOf<RnnOptions> = {
  cell: oneOf('Recurrent cell of the rnn preset.', RNN_CELLS),
  units: integer('Units of the recurrent layer.', 1, 4096),
};

const SVM_FIELDS: FieldsOf<SvmOptions> = {
  l2: number('L2 penalty on the weights of the svm preset (the inverse of C).', 0, 1),
};

const KNN_FIELDS: FieldsOf<KnnOptions> = {
  k: integer('Neighbours that vote in the knn preset.', 1, 1000),
  metric: oneOf('Distance between feature vectors in the knn preset.', KNN_METRICS),
};

const TRANSFER_FIELDS: FieldsOf<TransferOptions> = {
  base: text(
    'A pretrained base by name (image-trainer bases list) or the path of a local TF.js model (model.json or its folder), for example another run’s model folder.',
  ),
  cutLayer: text(
    'Name of the base layer whose output feeds the new head; empty = the last pooling or flatten layer.',
    256,
  ),
  headUnits: integer(
    'Units of a hidden dense layer in the new head (0 = a linear classifier on the features).',
    0,
    8192,
  ),
  dropout: number('Dropout before the new head’s output layer.', 0, 1, { maxExclusive: true }),
  normalisation: oneOf(
    'Pixel scaling the base expects: auto reads the base’s metadata.json (else [0, 1]); zeroOne; minusOneOne.',
    TRANSFER_NORMALISATIONS,
  ),
  fineTuneLayers: integer(
    'Top layers of the base unfrozen for fine-tuning after the head epochs (0 = none).',
    0,
    10000,
  ),
  fineTuneLearningRate: number('Learning rate of the fine-tuning epochs.', 0, 10, { minExclusive: true }),
  fineTuneEpochs: integer('Epochs of fine-tuning after the head epochs (0 = none).', 0, 10000),
  pooling: oneOf(
    'How the cut layer’s feature map becomes a feature vector: auto flattens maps of at most 4×4 positions and averages larger ones; flatten; average (global average pooling).',
    TRANSFER_POOLINGS,
  ),
  augmentedViews: integer(
    'With augment set and the base frozen: augmented views of each training image whose features are computed once and cached; each epoch draws one of them or the original.',
    0,
    64,
  ),
};

const AUGMENT_FIELDS: FieldsOf<AugmentConfig> = {
  rotation: number('Largest random rotation, in degrees (0 = off).', 0, 180),
  widthShift: number('Largest random horizontal shift, as a fraction of the width (0 = off).', 0, 1, {
    maxExclusive: true,
  }),
  heightShift: number('Largest random vertical shift, as a fraction of the height (0 = off).', 0, 1, {
    maxExclusive: true,
  }),
  horizontalFlip: boolean('Flip half of the images left to right.'),
  zoom: number('Largest random zoom in or out, as a fraction (0 = off).', 0, 1, { maxExclusive: true }),
  brightness: number('Largest random brightness change, as a fraction (0 = off).', 0, 1, {
    maxExclusive: true,
  }),
};

const EARLY_STOPPING_FIELDS: FieldsOf<EarlyStoppingConfig> = {
  monitor: oneOf('The validation metric watched for improvement.', ['valLoss', 'valAccuracy']),
  patience: integer('Epochs without improvement before training stops.', 0, 10000),
  restoreBest: boolean('Keep the weights of the best epoch rather than the last.'),
};

const minLearningRate = number('Lowest learning rate the schedule goes down to.', 0, 10);
const SCHEDULE_FIELDS: { readonly [K in ScheduleType]: FieldsOf<ScheduleParams<K>> } = {
  constant: {},
  step: {
    stepSize: integer('Epochs between two decays.', 1, 10000),
    gamma: number('Factor the learning rate is multiplied by at each step.', 0, 1, { minExclusive: true }),
  },
  cosine: { minLearningRate },
  reduceOnPlateau: {
    factor: number('Factor the learning rate is multiplied by on a plateau.', 0, 1, {
      minExclusive: true,
      maxExclusive: true,
    }),
    patience: integer('Epochs without validation-loss improvement before reducing.', 0, 1000),
    minLearningRate,
  },
};

const SCHEDULE_DESCRIPTIONS: { readonly [K in ScheduleType]: string } = {
  constant: 'The learning rate stays as set.',
  step: 'Multiply the learning rate by gamma every stepSize epochs.',
  cosine: 'Cosine decay from learningRate to minLearningRate over the run.',
  reduceOnPlateau: 'Multiply the learning rate by factor when the validation loss stops improving.',
};

function withoutType(defaults: Readonly<ScheduleConfig>): Record<string, unknown> {
  const { type: _type, ...params } = defaults;
  return params;
}

const SCHEDULE_VARIANTS: Record<string, UnionVariant> = Object.fromEntries(
  (Object.keys(SCHEDULE_FIELDS) as ScheduleType[]).map((type) => [
    type,
    {
      description: SCHEDULE_DESCRIPTIONS[type],
      fields: SCHEDULE_FIELDS[type],
      defaults: withoutType(DEFAULT_SCHEDULES[type]),
    },
  ]),
);

export const CONFIG_FIELDS: FieldsOf<TrainingConfig> = {
  task: oneOf(
    'What the model learns: "classify" gives each image one label (class folders); "detect" finds boxes with labels (a YOLO, COCO or Pascal VOC data set, chosen automatically for one) with a small CenterNet-style detector, and takes its own defaults for imageSize, epochs, batchSize and learningRate unless they are set.',
    TASKS,
  ),
  model: oneOf(
    'Model preset: simple-cnn is the classic two-convolution net; cnn is shaped by the cnn field; resnet (residual blocks) and mobilenet (depthwise-separable) are small nets trained from scratch; rnn reads image rows as a sequence; svm is a linear classifier with the squared hinge loss; knn votes among the nearest training images; transfer trains a new head on the transfer.base model. svm and knn work on the transfer.base model’s features when one is set, else on pixels.',
    MODEL_PRESETS,
  ),
  cnn: {
    kind: 'object',
    description: 'Options of the cnn preset (ignored by the others).',
    fields: CNN_FIELDS,
  },
  epochs: integer('Passes over the training images.', 1, 10000),
  batchSize: integer('Images per training step.', 1, 4096),
  learningRate: number('Initial learning rate of the optimizer.', 0, 10, { minExclusive: true }),
  optimizer: oneOf('Optimizer.', OPTIMIZERS),
  momentum: number('SGD momentum (the other optimizers ignore it).', 0, 1, { maxExclusive: true }),
  imageSize: integer('Images are resized to imageSize × imageSize pixels.', 8, 1024),
  channels: oneOf('1 = greyscale, 3 = RGB.', [1, 3]),
  resize: oneOf(
    'How each image is fitted into imageSize × imageSize after EXIF orientation: "stretch" scales width and height independently (the aspect ratio is lost); "crop" scales the short side to imageSize and keeps the centre square (Teachable Machine’s choice); "pad" scales the long side to imageSize and fills the rest with black (pixel value 0 before normalisation). Recorded in the model’s metadata, so evaluate, predict and export apply the same.',
    RESIZE_MODES,
  ),
  seed: integer(
    'Seed of the split, the shuffling, the augmentation, the initial weights and the dropout masks.',
    0,
    4294967295,
  ),
  validationSplit: number(
    'Fraction of each class held out for validation (class-folder layout, or split folders without a val folder).',
    0,
    0.9,
    {
      maxExclusive: true,
    },
  ),
  testSplit: number('Fraction of each class held out as a test set that training never sees.', 0, 0.9, {
    maxExclusive: true,
  }),
  augment: {
    kind: 'optionalObject',
    description:
      'On-the-fly augmentation of training images: "none" (or null), "default", or an object whose missing fields take the default values (set one to 0 to turn it off).',
    fields: AUGMENT_FIELDS,
    defaults: DEFAULT_AUGMENT,
  },
  schedule: {
    kind: 'union',
    description:
      'Learning-rate schedule: a type name ("cosine") for its defaults, or an object with a type and its parameters.',
    variants: SCHEDULE_VARIANTS,
  },
  earlyStopping: {
    kind: 'optionalObject',
    description:
      'Stop when the monitored validation metric stops improving: "none" (or null), "default", or an object.',
    fields: EARLY_STOPPING_FIELDS,
    defaults: DEFAULT_EARLY_STOPPING,
  },
  classWeight: oneOf(
    '"balanced" weighs each class’s loss by n_samples / (n_classes × class count), as Keras/scikit-learn do.',
    ['none', 'balanced'],
  ),
  labelSmoothing: number(
    'Label smoothing ε of the cross-entropy loss: the true class’s target is 1 − ε + ε/K, every other class’s ε/K (Keras’ label_smoothing; 0 = off, 0.1 is usual). The training loss includes it; the validation loss stays the plain cross-entropy.',
    0,
    1,
    { maxExclusive: true },
  ),
  backend: oneOf(
    'Compute backend; auto takes the fastest one available and records why others were not used.',
    BACKEND_CHOICES,
  ),
  threads: integer(
    'Threads that share each training batch on the WASM backend, each computing the gradients of a slice (0 = decided by timing the first steps on one thread and on every core; 1 = no worker threads). Native backends use their own thread pools.',
    0,
    64,
  ),
  rnn: {
    kind: 'object',
    description: 'Options of the rnn preset (ignored by the others).',
    fields: RNN_FIELDS,
  },
  svm: {
    kind: 'object',
    description: 'Options of the svm preset (ignored by the others).',
    fields: SVM_FIELDS,
  },
  knn: {
    kind: 'object',
    description: 'Options of the knn preset (ignored by the others).',
    fields: KNN_FIELDS,
  },
  transfer: {
    kind: 'optionalObject',
    description:
      'Base model for transfer learning (model transfer) or the feature extractor of svm and knn: null (none) or an object with at least "base".',
    fields: TRANSFER_FIELDS,
    defaults: DEFAULT_TRANSFER,
  },
};

/** Keys a config file may hold besides the fields: editors add `$schema`. */
export const CONFIG_FILE_META_KEYS = ['$schema', '$comment'] as const;

// ---- human labels ------------------------------------------------------------------------------
// The names people read beside each field (the New Training form's labels, which are also the inputs'
// accessible names). Kept beside the table, one per field, so a field added to the table without a
// label fails to compile.

type LabelsOf<T> = { readonly [K in keyof T]-?: string };

export const CNN_FIELD_LABELS: LabelsOf<CnnOptions> = {
  blocks: 'Convolution blocks',
  filters: 'Filters',
  convsPerBlock: 'Convolutions per block',
  batchNorm: 'Batch normalisation',
  dropout: 'Dropout',
  denseUnits: 'Dense units',
  activation: 'Activation',
  kernelInitializer: 'Weight initialiser',
  l2: 'L2 weight decay',
  head: 'Head',
};

export const RNN_FIELD_LABELS: LabelsOf<RnnOptions> = { cell: 'Recurrent cell', units: 'Recurrent units' };
export const SVM_FIELD_LABELS: LabelsOf<SvmOptions> = { l2: 'SVM L2 penalty' };
export const KNN_FIELD_LABELS: LabelsOf<KnnOptions> = { k: 'Neighbours (k)', metric: 'Distance' };

export const CONFIG_FIELD_LABELS: LabelsOf<TrainingConfig> = {
  task: 'Task',
  model: 'Model',
  cnn: 'CNN',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  learningRate: 'Learning rate',
  optimizer: 'Optimizer',
  momentum: 'Momentum',
  imageSize: 'Image size',
  channels: 'Channels',
  resize: 'Resize',
  seed: 'Seed',
  validationSplit: 'Validation split',
  testSplit: 'Test split',
  augment: 'Augmentation',
  schedule: 'Learning-rate schedule',
  earlyStopping: 'Early stopping',
  classWeight: 'Class weights',
  labelSmoothing: 'Label smoothing',
  backend: 'Backend',
  threads: 'Threads',
  rnn: 'RNN',
  svm: 'SVM',
  knn: 'KNN',
  transfer: 'Transfer',
};

const NESTED_FIELD_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  cnn: CNN_FIELD_LABELS,
  rnn: RNN_FIELD_LABELS,
  svm: SVM_FIELD_LABELS,
  knn: KNN_FIELD_LABELS,
};

/** The human label of a field named by its dotted path (`learningRate`, `cnn.filters`); undefined if none. */
export function fieldLabel(path: string): string | undefined {
  const [head, leaf, ...rest] = path.split('.');
  if (rest.length > 0) return undefined;
  if (leaf === undefined)
    return Object.hasOwn(CONFIG_FIELD_LABELS, head)
      ? CONFIG_FIELD_LABELS[head as keyof TrainingConfig]
      : undefined;
  const group = Object.hasOwn(NESTED_FIELD_LABELS, head) ? NESTED_FIELD_LABELS[head] : undefined;
  return group && Object.hasOwn(group, leaf) ? group[leaf] : undefined;
}
