import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  DEFAULT_AUGMENT,
  DEFAULT_CONFIG,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_SCHEDULES,
  describeConfig,
  parseConfigFileText,
  parseStrictNumber,
  resolveConfig,
  suggestName,
} from '../../../src/core/config';

/** Runs `fn`, expects a ConfigError, checks it is one line and returns its message. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), `not one line: ${error.message}`);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('no file and no overrides give the defaults, as a copy', () => {
  const config = resolveConfig(undefined, {});
  assert.deepEqual(config, DEFAULT_CONFIG);
  config.cnn.filters = 999;
  assert.equal(DEFAULT_CONFIG.cnn.filters, 16);
  assert.equal(resolveConfig(undefined, {}).cnn.filters, 16);
});

test('the defaults are the documented Keras-like ones', () => {
  const d = DEFAULT_CONFIG;
  assert.equal(d.model, 'cnn');
  assert.equal(d.epochs, 10);
  assert.equal(d.batchSize, 32);
  assert.equal(d.learningRate, 0.001);
  assert.equal(d.optimizer, 'adam');
  assert.equal(d.validationSplit, 0.2);
  assert.equal(d.augment, null);
  assert.equal(d.earlyStopping, null);
  assert.deepEqual(d.schedule, { type: 'constant' });
  assert.equal(d.cnn.kernelInitializer, 'heNormal');
  // The small, CPU-friendly cnn (bench/RESULTS.md, Fashion-MNIST time to accuracy).
  assert.deepEqual(
    [d.cnn.blocks, d.cnn.filters, d.cnn.convsPerBlock, d.cnn.batchNorm, d.cnn.dropout, d.cnn.head],
    [3, 16, 1, true, 0, 'auto'],
  );
  assert.equal(d.threads, 0);
});

test('a file partial is merged over the defaults, nested objects too', () => {
  const config = resolveConfig(
    {
      $schema: './imagetrainer.schema.json',
      epochs: 3,
      cnn: { filters: 16, batchNorm: false },
      optimizer: 'sgd',
    },
    {},
    'exp.imagetrainer.json',
  );
  assert.equal(config.epochs, 3);
  assert.equal(config.optimizer, 'sgd');
  assert.equal(config.cnn.filters, 16);
  assert.equal(config.cnn.batchNorm, false);
  assert.equal(config.cnn.blocks, DEFAULT_CONFIG.cnn.blocks);
  assert.equal('$schema' in config, false);
});

test('command-line overrides beat the file and are parsed strictly', () => {
  const config = resolveConfig(
    { epochs: 3, learningRate: 0.1 },
    { epochs: '7', learningRate: '1e-3', channels: '1', batchSize: undefined, model: 'simple-cnn' },
    'exp.json',
  );
  assert.equal(config.epochs, 7);
  assert.equal(config.learningRate, 0.001);
  assert.equal(config.channels, 1);
  assert.equal(config.batchSize, 32);
  assert.equal(config.model, 'simple-cnn');
});

test('strict number syntax', () => {
  for (const [text, value] of [
    ['1e-3', 0.001],
    ['.5', 0.5],
    ['-2', -2],
    ['10', 10],
    ['3.', 3],
  ] as const) {
    assert.equal(parseStrictNumber(text), value, text);
  }
  for (const text of ['12abc', '0x10', '', ' ', '1e', 'Infinity', 'NaN', '1,5', '1_000', ' 3']) {
    assert.equal(parseStrictNumber(text), undefined, JSON.stringify(text));
  }
});

test('bad numbers name the flag, the value and the allowed range', () => {
  assert.equal(
    errorOf(() => resolveConfig(undefined, { epochs: 'abc' })),
    '--epochs must be a whole number from 1 to 10000, got "abc"',
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { epochs: '12abc' })),
    /^--epochs must be a whole number .* got "12abc"$/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { epochs: '2.5' })),
    /--epochs must be a whole number/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { epochs: '0' })),
    /--epochs must be a whole number from 1 to 10000, got "0"/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { batchSize: '5000' })),
    /^--batch-size must be .*4096/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { learningRate: '0' })),
    /^--learning-rate must be a number above 0/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { imageSize: '4' })),
    /^--image-size must be a whole number from 8 to 1024/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { validationSplit: '0.9' })),
    /^--validation-split must be a number from 0 to below 0.9, got "0.9"/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { testSplit: '-0.1' })),
    /^--test-split must be/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { channels: '2' })),
    /^--channels must be one of 1, 3, got "2"/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { seed: '-1' })),
    /^--seed must be a whole number from 0/,
  );
});

test('file values must have the JSON type, and errors name the file and the dotted field', () => {
  assert.equal(
    errorOf(() => resolveConfig({ learningRate: '0.001' }, {}, 'exp.json')),
    'exp.json: learningRate must be a number above 0 and at most 10, got "0.001"',
  );
  assert.equal(
    errorOf(() => resolveConfig({ cnn: { dropout: 1 } }, {}, 'exp.json')),
    'exp.json: cnn.dropout must be a number from 0 to below 1, got 1',
  );
  assert.match(
    errorOf(() => resolveConfig({ cnn: { batchNorm: 'yes' } }, {}, 'exp.json')),
    /^exp.json: cnn.batchNorm must be true or false, got "yes"$/,
  );
  assert.match(
    errorOf(() => resolveConfig({ cnn: 3 }, {}, 'exp.json')),
    /^exp.json: cnn must be an object, got 3$/,
  );
  assert.match(
    errorOf(() => resolveConfig([1, 2], {}, 'exp.json')),
    /^exp.json: a config must be a JSON object, got an array$/,
  );
  assert.match(
    errorOf(() => resolveConfig({ epochs: null }, {}, 'exp.json')),
    /^exp.json: epochs must be a whole number .* got null$/,
  );
});

test('unknown fields are errors with a suggestion', () => {
  assert.equal(
    errorOf(() => resolveConfig({ learningrate: 0.01 }, {}, 'exp.json')),
    'exp.json: unknown field "learningrate" — did you mean "learningRate"?',
  );
  assert.equal(
    errorOf(() => resolveConfig({ learning_rate: 0.01 }, {}, 'exp.json')),
    'exp.json: unknown field "learning_rate" — did you mean "learningRate"?',
  );
  assert.equal(
    errorOf(() => resolveConfig({ cnn: { filter: 8 } }, {}, 'exp.json')),
    'exp.json: unknown field "cnn.filter" — did you mean "cnn.filters"?',
  );
  assert.match(
    errorOf(() => resolveConfig({ zzzzzzzz: 1 }, {}, 'exp.json')),
    /unknown field "zzzzzzzz" — known fields: task, model, cnn, epochs/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { epoch: '3' })),
    /^unknown option "--epoch" — did you mean "--epochs"\?$/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { 'cnn.filterz': '3' })),
    /^unknown option "cnn.filterz" — did you mean "cnn.filters"\?$/,
  );
});

test('enum values suggest the intended spelling', () => {
  assert.equal(
    errorOf(() => resolveConfig(undefined, { optimizer: 'Adam' })),
    '--optimizer must be one of adam, sgd, rmsprop, got "Adam" — did you mean "adam"?',
  );
  assert.match(
    errorOf(() => resolveConfig({ backend: 'gpu' }, {}, 'e.json')),
    /^e.json: backend must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu, got "gpu"/,
  );
});

test('dotted overrides reach nested fields and keep the others', () => {
  const config = resolveConfig(
    { cnn: { filters: 8 } },
    { 'cnn.blocks': '2', 'cnn.batchNorm': 'false' },
    'e.json',
  );
  assert.equal(config.cnn.blocks, 2);
  assert.equal(config.cnn.batchNorm, false);
  assert.equal(config.cnn.filters, 8);
  // Sweeps set nested fields one at a time; an object that was off starts from its defaults.
  assert.deepEqual(resolveConfig(undefined, { 'augment.rotation': '20' }).augment, {
    ...DEFAULT_AUGMENT,
    rotation: 20,
  });
  assert.deepEqual(
    resolveConfig(undefined, { 'schedule.type': 'cosine' }).schedule,
    DEFAULT_SCHEDULES.cosine,
  );
  assert.deepEqual(resolveConfig({ schedule: 'step' }, { 'schedule.stepSize': 3 }, 'e.json').schedule, {
    type: 'step',
    stepSize: 3,
    gamma: 0.1,
  });
  const swept = resolveConfig(undefined, { learningRate: 0.01, batchSize: 64 });
  assert.equal(swept.learningRate, 0.01);
  assert.equal(swept.batchSize, 64);
});

test('augment: none, default, partial object, JSON on the command line', () => {
  assert.equal(resolveConfig({ augment: 'none' }, {}, 'e.json').augment, null);
  assert.equal(resolveConfig({ augment: null }, {}, 'e.json').augment, null);
  assert.deepEqual(resolveConfig({ augment: 'default' }, {}, 'e.json').augment, DEFAULT_AUGMENT);
  assert.deepEqual(
    resolveConfig({ augment: { rotation: 30, horizontalFlip: false } }, {}, 'e.json').augment,
    {
      ...DEFAULT_AUGMENT,
      rotation: 30,
      horizontalFlip: false,
    },
  );
  assert.deepEqual(resolveConfig(undefined, { augment: '{"zoom": 0}' }).augment, {
    ...DEFAULT_AUGMENT,
    zoom: 0,
  });
  assert.deepEqual(resolveConfig(undefined, { augment: 'default' }).augment, DEFAULT_AUGMENT);
  assert.equal(resolveConfig({ augment: 'default' }, { augment: 'none' }, 'e.json').augment, null);
  // A command-line partial lands on what the file set, not on the defaults.
  assert.equal(
    resolveConfig({ augment: { rotation: 45 } }, { augment: '{"zoom": 0.3}' }, 'e.json').augment?.rotation,
    45,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { augment: 'defualt' })),
    /^--augment must be "none", "default" or an object, got "defualt" — did you mean "default"\?$/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { augment: '{"zoom": ' })),
    /^--augment must be "none", "default" or an object; its JSON is invalid at character 10: expected a value, found end of file$/,
  );
  assert.match(
    errorOf(() => resolveConfig(undefined, { augment: '{"rotaton": 5}' })),
    /unknown option "augment.rotaton" — did you mean "augment.rotation"\?/,
  );
  assert.match(
    errorOf(() => resolveConfig({ augment: { rotation: 200 } }, {}, 'e.json')),
    /^e.json: augment.rotation must be a number from 0 to 180, got 200$/,
  );
});

test('schedule: a type name, an object, per-type parameters and their errors', () => {
  assert.deepEqual(resolveConfig({ schedule: 'cosine' }, {}, 'e.json').schedule, DEFAULT_SCHEDULES.cosine);
  assert.deepEqual(resolveConfig({ schedule: { type: 'step', gamma: 0.5 } }, {}, 'e.json').schedule, {
    type: 'step',
    stepSize: 10,
    gamma: 0.5,
  });
  assert.deepEqual(
    resolveConfig({ schedule: { type: 'step', stepSize: 4 } }, { 'schedule.gamma': '0.2' }, 'e.json')
      .schedule,
    {
      type: 'step',
      stepSize: 4,
      gamma: 0.2,
    },
  );
  assert.deepEqual(
    resolveConfig(undefined, { schedule: '{"type":"reduceOnPlateau","patience":2}' }).schedule,
    {
      ...DEFAULT_SCHEDULES.reduceOnPlateau,
      patience: 2,
    },
  );
  assert.match(
    errorOf(() => resolveConfig({ schedule: { gamma: 0.5 } }, {}, 'e.json')),
    /^e.json: schedule.type is required: one of constant, step, cosine, reduceOnPlateau$/,
  );
  assert.match(
    errorOf(() => resolveConfig({ schedule: { type: 'cosine', gamma: 0.5 } }, {}, 'e.json')),
    /^e.json: schedule.gamma applies to schedule type step, not cosine$/,
  );
  assert.match(
    errorOf(() => resolveConfig({ schedule: 'cosin' }, {}, 'e.json')),
    /did you mean "cosine"\?$/,
  );
  assert.match(
    errorOf(() => resolveConfig({ schedule: { type: 'exp' } }, {}, 'e.json')),
    /^e.json: schedule.type must be one of constant, step, cosine, reduceOnPlateau, got "exp"$/,
  );
  assert.match(
    errorOf(() => resolveConfig({ schedule: { type: 'step', gamma: 0 } }, {}, 'e.json')),
    /^e.json: schedule.gamma must be a number above 0/,
  );
});

test('early stopping: off by default, "default", partial objects', () => {
  assert.deepEqual(
    resolveConfig({ earlyStopping: 'default' }, {}, 'e.json').earlyStopping,
    DEFAULT_EARLY_STOPPING,
  );
  assert.deepEqual(resolveConfig({ earlyStopping: { monitor: 'valAccuracy' } }, {}, 'e.json').earlyStopping, {
    ...DEFAULT_EARLY_STOPPING,
    monitor: 'valAccuracy',
  });
  assert.match(
    errorOf(() => resolveConfig({ earlyStopping: { monitor: 'accuracy' } }, {}, 'e.json')),
    /^e.json: earlyStopping.monitor must be one of valLoss, valAccuracy/,
  );
  assert.match(
    errorOf(() => resolveConfig({ earlyStopping: true }, {}, 'e.json')),
    /^e.json: earlyStopping must be "none", "default" or an object, got true$/,
  );
});

test('cross-field rules: the splits leave training images, minLearningRate stays below learningRate', () => {
  assert.equal(
    errorOf(() => resolveConfig({ validationSplit: 0.5, testSplit: 0.5 }, {}, 'e.json')),
    'e.json: validationSplit + testSplit must be below 1 so that training keeps images, got 0.5 + 0.5',
  );
  // When a flag caused it, the file is not blamed.
  assert.match(
    errorOf(() => resolveConfig({ validationSplit: 0.5 }, { testSplit: '0.6' }, 'e.json')),
    /^validationSplit \+ testSplit must be below 1/,
  );
  assert.equal(resolveConfig({ validationSplit: 0.5, testSplit: 0.4 }, {}, 'e.json').testSplit, 0.4);
  assert.match(
    errorOf(() =>
      resolveConfig(
        { learningRate: 0.001, schedule: { type: 'cosine', minLearningRate: 0.01 } },
        {},
        'e.json',
      ),
    ),
    /^e.json: schedule.minLearningRate must not exceed learningRate \(0.001\), got 0.01$/,
  );
});

test('parseConfigFileText names the file, line and column of a JSON syntax error', () => {
  assert.deepEqual(parseConfigFileText('{"epochs": 3}', 'a.json'), { epochs: 3 });
  assert.deepEqual(parseConfigFileText('\ufeff{"epochs": 3}', 'a.json'), { epochs: 3 });
  assert.equal(
    errorOf(() => parseConfigFileText('{\n  "epochs": 3,\n}', 'a.json')),
    'a.json:3:1: invalid JSON — trailing comma before "}"',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('{\n  "epochs": 3\n  "seed": 1\n}', 'a.json')),
    'a.json:3:3: invalid JSON — expected "," or "}", found """',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('{\n  epochs: 3\n}', 'a.json')),
    'a.json:2:3: invalid JSON — expected a property name in double quotes, found "e"',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('{"a": [1, 2', 'a.json')),
    'a.json:1:12: invalid JSON — expected "," or "]", found end of file',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('', 'a.json')),
    'a.json:1:1: invalid JSON — expected a value, found end of file',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('{"a": "x\ny"}', 'a.json')),
    'a.json:1:9: invalid JSON — unescaped control character or line break in a string',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('{} x', 'a.json')),
    'a.json:1:4: invalid JSON — unexpected "x" after the end of the value',
  );
  assert.equal(
    errorOf(() => parseConfigFileText('{"a": tru}', 'a.json')),
    'a.json:1:7: invalid JSON — expected a value, found "t"',
  );
});

test('suggestName finds near misses and stays quiet otherwise', () => {
  assert.equal(suggestName('batchsize', ['batchSize', 'epochs']), 'batchSize');
  assert.equal(suggestName('epohcs', ['batchSize', 'epochs']), 'epochs');
  assert.equal(suggestName('colour', ['batchSize', 'epochs']), undefined);
});

test('describeConfig mentions the options that are on', () => {
  const text = describeConfig(
    resolveConfig({ augment: 'default', schedule: 'cosine', testSplit: 0.1 }, {}, 'e.json'),
  );
  assert.match(text, /model cnn/);
  assert.match(text, /augment/);
  assert.match(text, /schedule cosine/);
  assert.match(text, /test 0.1/);
  assert.doesNotMatch(describeConfig(DEFAULT_CONFIG), /augment|schedule|test/);
});
