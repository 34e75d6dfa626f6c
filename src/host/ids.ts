// Every command, view and container id, declared once. package.json contributes the same ids;
// test/unit/host/contributions.test.ts keeps the two in step in both directions.

export const VIEW_CONTAINER_ID = 'imageTrainer';

export const VIEWS = {
  datasets: 'imageTrainer.datasets',
  runs: 'imageTrainer.runs',
} as const;

export const COMMANDS = {
  train: 'imageTrainer.train',
  stop: 'imageTrainer.stop',
  resume: 'imageTrainer.resume',
  openDashboard: 'imageTrainer.openDashboard',
  compareRuns: 'imageTrainer.compareRuns',
  evaluateRun: 'imageTrainer.evaluateRun',
  runSweep: 'imageTrainer.runSweep',
  classifyImage: 'imageTrainer.classifyImage',
  scanDataset: 'imageTrainer.scanDataset',
  createSampleDataset: 'imageTrainer.createSampleDataset',
  showLogs: 'imageTrainer.showLogs',
  refreshDatasets: 'imageTrainer.refreshDatasets',
  refreshRuns: 'imageTrainer.refreshRuns',
  revealInExplorer: 'imageTrainer.revealInExplorer',
  deleteRun: 'imageTrainer.deleteRun',
  loadMore: 'imageTrainer.loadMore',
  getPretrainedModel: 'imageTrainer.getPretrainedModel',
  setUpNativeEngine: 'imageTrainer.setUpNativeEngine',
  showEngineStatus: 'imageTrainer.showEngineStatus',
  exportModel: 'imageTrainer.exportModel',
  newTraining: 'imageTrainer.newTraining',
  rerunWithChanges: 'imageTrainer.rerunWithChanges',
  cancelQueuedRun: 'imageTrainer.cancelQueuedRun',
  moveQueuedRunUp: 'imageTrainer.moveQueuedRunUp',
  moveQueuedRunDown: 'imageTrainer.moveQueuedRunDown',
  openClassGallery: 'imageTrainer.openClassGallery',
  openDetectionGallery: 'imageTrainer.openDetectionGallery',
  openAnnotation: 'imageTrainer.openAnnotation',
  showFindingInGallery: 'imageTrainer.showFindingInGallery',
  inspectDetections: 'imageTrainer.inspectDetections',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Set while a run started from this window is training: Stop Training shows only then. */
export const CONTEXT_TRAINING = 'imageTrainer.training';

export const SETTINGS_SECTION = 'imageTrainer';

export const SETTINGS = {
  backend: 'backend',
  runsDirectory: 'runsDirectory',
  defaultPreset: 'defaultPreset',
  nodePath: 'nodePath',
  engineDirectory: 'engineDirectory',
  datasetRoots: 'datasetRoots',
  datasetExcludes: 'datasetExcludes',
  maxConcurrentRuns: 'maxConcurrentRuns',
} as const;

export const OUTPUT_CHANNEL_NAME = 'Image Trainer';

/** Suffix of experiment config files that get the JSON schema and can be picked in Train. */
export const CONFIG_FILE_SUFFIX = '.imagetrainer.json';
