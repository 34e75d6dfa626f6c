// The fully resolved training configuration. The trainer validates user input into this shape
// (src/core/config.ts); run.json records it; the dashboard and the JSON schema read it.

export const MODEL_PRESETS = [
  'simple-cnn',
  'cnn',
  'resnet',
  'mobilenet',
  'rnn',
  'svm',
  'knn',
  'transfer',
] as const;
export type ModelPreset = (typeof MODEL_PRESETS)[number];

/** What a run learns: `classify` (one label an image) or `detect` (boxes with labels, issue 18). */
export const TASKS = ['classify', 'detect'] as const;
export type Task = (typeof TASKS)[number];

export const RNN_CELLS = ['lstm', 'gru'] as const;
export type RnnCell = (typeof RNN_CELLS)[number];

export const KNN_METRICS = ['euclidean', 'cosine'] as const;
export type KnnMetric = (typeof KNN_METRICS)[number];

export const TRANSFER_NORMALISATIONS = ['auto', 'zeroOne', 'minusOneOne'] as const;
export type TransferNormalisation = (typeof TRANSFER_NORMALISATIONS)[number];

/** How a cut layer's feature map becomes the head's feature vector: `auto` flattens maps of at most 4×4
 * positions and averages larger ones (global average pooling, as Teachable Machine and Keras apps do). */
export const TRANSFER_POOLINGS = ['auto', 'flatten', 'average'] as const;
export type TransferPooling = (typeof TRANSFER_POOLINGS)[number];

/** Options of the `rnn` preset: image rows as a sequence through one recurrent layer. */
export interface RnnOptions {
  cell: RnnCell;
  units: number;
}

/** Options of the `svm` preset: a linear classifier trained with the squared hinge loss. */
export interface SvmOptions {
  l2: number;
}

/** Options of the `knn` preset: no training; the k nearest training images vote. */
export interface KnnOptions {
  k: number;
  metric: KnnMetric;
}

/** A local TF.js layers model cut at a layer: the base of `transfer`, and the feature extractor of `svm`/`knn`. */
export interface TransferOptions {
  /** Path of the base model's model.json, or of the folder holding it. */
  base: string;
  /** Layer the base is cut after; empty = the last pooling or flatten layer. */
  cutLayer: string;
  /** Units of the hidden dense layer of the new head; 0 = a linear classifier on the features. */
  headUnits: number;
  dropout: number;
  /** Pixel scaling: auto = from the base's metadata.json, else [0, 1]. */
  normalisation: TransferNormalisation;
  /** Top layers of the base unfrozen after the head epochs (0 = no fine-tuning). */
  fineTuneLayers: number;
  fineTuneLearningRate: number;
  fineTuneEpochs: number;
  /** Feature map → feature vector (resolved to flatten or average before training). */
  pooling: TransferPooling;
  /** Augmented views of each training image whose features are cached besides the original (used when
   * `augment` is set and the base stays frozen). */
  augmentedViews: number;
}

/**
 * How an image becomes imageSize × imageSize: `stretch` scales each axis on its own (the aspect ratio is
 * lost; the default, and the only mode before resize modes existed), `crop` scales the short side to the
 * size and keeps the centre square (Teachable Machine's), `pad` scales the long side to the size and fills
 * the bands above and below (or left and right) with black, the colour transparent pixels get.
 */
export const RESIZE_MODES = ['stretch', 'crop', 'pad'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

/**
 * The resize mode a record read from disk names: absent, or `fill` (what model metadata said before
 * resize modes existed), is `stretch`; a name we do not know is undefined, for the caller to refuse
 * rather than predict with the wrong geometry.
 */
export function recordedResizeMode(value: unknown): ResizeMode | undefined {
  if (value === undefined || value === 'fill') return 'stretch';
  return typeof value === 'string' && (RESIZE_MODES as readonly string[]).includes(value)
    ? (value as ResizeMode)
    : undefined;
}

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const KERNEL_INITIALIZERS = ['heNormal', 'heUniform', 'glorotNormal', 'glorotUniform'] as const;
export type KernelInitializer = (typeof KERNEL_INITIALIZERS)[number];
/** How the cnn preset turns its last feature map into features: `auto` flattens a map of at most
 * 4×4 positions (small images: keeps where things are, and learns faster) and averages larger ones. */
export const CNN_HEADS = ['auto', 'flatten', 'globalAverage'] as const;
export type CnnHead = (typeof CNN_HEADS)[number];

/** Options of the configurable `cnn` preset: `blocks` conv blocks, each doubling the filters. */
export interface CnnOptions {
  blocks: number;
  filters: number;
  convsPerBlock: number;
  batchNorm: boolean;
  dropout: number;
  denseUnits: number;
  activation: Activation;
  kernelInitializer: KernelInitializer;
  l2: number;
  head: CnnHead;
}

/** Seeded on-the-fly augmentation. Ranges are fractions except rotation (degrees). 0 disables one. */
export interface AugmentConfig {
  rotation: number;
  widthShift: number;
  heightShift: number;
  horizontalFlip: boolean;
  zoom: number;
  brightness: number;
}

export type ScheduleConfig =
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma: number }
  | { type: 'cosine'; minLearningRate: number }
  | { type: 'reduceOnPlateau'; factor: number; patience: number; minLearningRate: number };

export type MonitoredMetric = 'valLoss' | 'valAccuracy';

export interface EarlyStoppingConfig {
  monitor: MonitoredMetric;
  patience: number;
  restoreBest: boolean;
}

export interface TrainingConfig {
  /** Absent in runs recorded before detection existed (= classify). */
  task: Task;
  model: ModelPreset;
  cnn: CnnOptions;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** SGD momentum (ignored by the other optimizers). */
  momentum: number;
  imageSize: number;
  channels: 1 | 3;
  /** How images are fitted into imageSize × imageSize; absent in runs recorded before it existed (= stretch). */
  resize: ResizeMode;
  seed: number;
  validationSplit: number;
  testSplit: number;
  augment: AugmentConfig | null;
  schedule: ScheduleConfig;
  earlyStopping: EarlyStoppingConfig | null;
  classWeight: 'none' | 'balanced';
  /** Cross-entropy targets 1 − ε + ε/K for the true class and ε/K for the others (Keras' label_smoothing). */
  labelSmoothing: number;
  backend: BackendChoice;
  /** Threads that share each training batch (data parallelism on WASM); 0 = one per core. */
  threads: number;
  rnn: RnnOptions;
  svm: SvmOptions;
  knn: KnnOptions;
  /** The base model of `transfer` (and of `svm`/`knn` on embeddings); null = none. */
  transfer: TransferOptions | null;
}
