// The fully resolved training configuration. The trainer validates user input into this shape
// (src/core/config.ts); run.json records it; the dashboard and the JSON schema read it.

export const MODEL_PRESETS = ['simple-cnn', 'cnn'] as const;
export type ModelPreset = (typeof MODEL_PRESETS)[number];

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const KERNEL_INITIALIZERS = ['heNormal', 'heUniform', 'glorotNormal', 'glorotUniform'] as const;
export type KernelInitializer = (typeof KERNEL_INITIALIZERS)[number];

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
  seed: number;
  validationSplit: number;
  testSplit: number;
  augment: AugmentConfig | null;
  schedule: ScheduleConfig;
  earlyStopping: EarlyStoppingConfig | null;
  classWeight: 'none' | 'balanced';
  backend: BackendChoice;
}
