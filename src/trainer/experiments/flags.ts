// Command-line flags of the experiments (light: no TF.js), mapped onto dotted config fields.
export const EXPERIMENT_CONFIG_FLAGS: Readonly<Record<string, string>> = {
  '--base': 'transfer.base',
  '--cut-layer': 'transfer.cutLayer',
  '--fine-tune-layers': 'transfer.fineTuneLayers',
  '--fine-tune-learning-rate': 'transfer.fineTuneLearningRate',
  '--fine-tune-epochs': 'transfer.fineTuneEpochs',
};

export const EXPERIMENT_HELP = [
  '  --model resnet|mobilenet|rnn|svm|knn|transfer   (see docs/experiments.md)',
  '  --base NAME|PATH         a pretrained base (image-trainer bases list) or a model folder: trains a transfer\n' +
    '                           head on it (without --model), or gives svm/knn their features',
  '  --cut-layer NAME         base layer the head reads (default: the last pooling or flatten layer)',
  '  --fine-tune-layers N  --fine-tune-learning-rate X  --fine-tune-epochs N   (the last N of --epochs)',
  '  --k-folds K              K runs on stratified folds, one group; summary in <out>/groups/',
];
