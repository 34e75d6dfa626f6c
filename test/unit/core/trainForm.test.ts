// The New Training form's model: every field labelled from the table, the CLI's messages, a saved config
// that the config-file validator accepts, the memory arithmetic equal to the trainer's on built models,
// and run.json's parentId.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../../src/core/config';
import {
  CONFIG_FIELDS,
  CONFIG_FIELD_LABELS,
  DEFAULT_CONFIG,
  fieldLabel,
} from '../../../src/core/configFields';
import { presetShape, trainingBytes } from '../../../src/core/memoryArithmetic';
import {
  equivalentCommand,
  formConfig,
  formGroups,
  formValues,
  PRESET_DESCRIPTIONS,
} from '../../../src/core/trainForm';
import { MODEL_PRESETS, type TrainingConfig } from '../../../src/protocol/config';
import { checkRunRecord, isRunIdReference } from '../../../src/protocol/runSchema';
import { buildModel } from '../../../src/trainer/models';
import { estimateTrainingBytes } from '../../../src/trainer/memoryEstimate';
import { parseArgs } from '../../../src/trainer/cli';

test('every field of the form has a human label, and the labels people look for are there', () => {
  assert.deepEqual(Object.keys(CONFIG_FIELD_LABELS).sort(), Object.keys(CONFIG_FIELDS).sort());
  const fields = formGroups().flatMap((g) => g.fields);
  for (const field of fields) assert.equal(field.label, fieldLabel(field.path), field.path);
  const labels = fields.map((f) => f.label);
  for (const name of ['Epochs', 'Learning rate', 'Batch size', 'Image size', 'Augmentation'])
    assert.ok(labels.includes(name), name);
  assert.equal(new Set(labels).size, labels.length, 'labels are unique, so each names one input');
  const [basics, ...advanced] = formGroups();
  assert.equal(basics.advanced, false);
  assert.ok(advanced.every((g) => g.advanced));
  for (const preset of MODEL_PRESETS) assert.ok(PRESET_DESCRIPTIONS[preset].length > 0);
});

test('the form’s config for unchanged values is the start config; a saved config passes the file validator', () => {
  const defaults = formConfig(formValues());
  assert.ok(defaults.ok);
  assert.deepEqual(defaults.config, DEFAULT_CONFIG);
  const changed = formConfig({
    ...formValues(),
    epochs: '3',
    learningRate: '0.005',
    augment: 'default',
    'cnn.filters': '8',
  });
  assert.ok(changed.ok);
  assert.equal(changed.config.epochs, 3);
  assert.equal(changed.config.learningRate, 0.005);
  assert.equal(changed.config.cnn.filters, 8);
  // What Save as Config writes is read back by `train --config` to the same config.
  const file = JSON.parse(JSON.stringify(changed.config)) as unknown;
  assert.deepEqual(resolveConfig(file, {}, 'saved.imagetrainer.json'), changed.config);
  // A re-run keeps what the form does not show (transfer settings) and the augmentation's own numbers.
  const parent: TrainingConfig = {
    ...(structuredClone(DEFAULT_CONFIG) as TrainingConfig),
    augment: { rotation: 30, widthShift: 0, heightShift: 0, horizontalFlip: false, zoom: 0, brightness: 0 },
  };
  const rerun = formConfig({ ...formValues(parent), epochs: '4' }, parent);
  assert.ok(rerun.ok);
  assert.equal(rerun.config.augment?.rotation, 30);
});

test('the equivalent command uses the CLI’s flags, and the CLI parses them', () => {
  const values = {
    ...formValues(),
    epochs: '3',
    learningRate: '0.005',
    optimizer: 'sgd',
    labelSmoothing: '0.1',
    // The preset option objects have no flags (configFlags.ts): a config file says them.
    'cnn.filters': '8',
  };
  const { command, needsConfigFile } = equivalentCommand('/data/my shapes', values, { parentId: 'run-1' });
  assert.equal(
    command,
    "image-trainer train '/data/my shapes' --epochs 3 --learning-rate 0.005 --optimizer sgd --label-smoothing 0.1 --parent run-1",
  );
  assert.deepEqual(needsConfigFile, ['cnn.filters']);
  const argv = [
    'train',
    '/data/my shapes',
    '--epochs',
    '3',
    '--learning-rate',
    '0.005',
    '--optimizer',
    'sgd',
    '--label-smoothing',
    '0.1',
    '--parent',
    'run-1',
  ];
  const parsed = parseArgs(argv);
  assert.equal(parsed.values.get('--parent'), 'run-1');
  assert.equal(parsed.values.get('--learning-rate'), '0.005');
  assert.equal(parsed.values.get('--label-smoothing'), '0.1');
});

test('the form’s memory arithmetic equals the trainer’s estimate on the models it builds', () => {
  const cases: Partial<TrainingConfig>[] = [
    { model: 'cnn' },
    {
      model: 'cnn',
      imageSize: 96,
      cnn: { ...DEFAULT_CONFIG.cnn, blocks: 4, convsPerBlock: 2, dropout: 0.25, head: 'flatten' },
    },
    {
      model: 'cnn',
      channels: 1,
      imageSize: 28,
      cnn: { ...DEFAULT_CONFIG.cnn, batchNorm: false, denseUnits: 0 },
    },
    { model: 'simple-cnn', imageSize: 32 },
  ];
  for (const change of cases) {
    const config = { ...(structuredClone(DEFAULT_CONFIG) as TrainingConfig), ...change };
    const model = buildModel(config, 5);
    try {
      const shape = presetShape(config, 5);
      assert.ok(shape, config.model);
      assert.equal(shape.parameters, model.countParams(), `parameters of ${JSON.stringify(change)}`);
      assert.equal(
        trainingBytes(shape.inputElements, shape.layers, shape.parameters, 16),
        estimateTrainingBytes(model, 16),
        `bytes of ${JSON.stringify(change)}`,
      );
    } finally {
      model.dispose();
    }
  }
  assert.equal(
    presetShape({ ...(structuredClone(DEFAULT_CONFIG) as TrainingConfig), model: 'resnet' }, 5),
    undefined,
  );
  assert.equal(tf.memory().numTensors, 0);
});

test('run.json parentId is a run id or the record is damaged', () => {
  for (const bad of ['../x', '', 'a/b', 'a\\b', '.', '..', 'x'.repeat(100_000), 7, null])
    assert.equal(isRunIdReference(bad), false, JSON.stringify(bad));
  assert.ok(isRunIdReference('20260101-120000-abc'));
  const record = {
    formatVersion: 1,
    id: 'r',
    status: 'completed',
    createdAt: 'x',
    updatedAt: 'x',
    config: {},
    dataset: {
      root: '/d',
      layout: 'class-folders',
      classNames: [],
      counts: { train: 0, validation: 0, test: 0 },
      classCounts: {},
      skipped: [],
    },
    backend: 'cpu',
    backendNotes: [],
    epochsCompleted: 0,
  };
  const ok = checkRunRecord({ ...record, parentId: 'r0' });
  assert.ok(ok.ok && ok.value.parentId === 'r0', JSON.stringify(ok));
  const bad = checkRunRecord({ ...record, parentId: '../../etc' });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.problem, /parentId/);
});
