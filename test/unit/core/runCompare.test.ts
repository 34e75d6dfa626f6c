import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunSummary } from '../../../src/protocol/runRecord';
import { resolveConfig, DEFAULT_CONFIG } from '../../../src/core/config';
import {
  compareColumns,
  configDiff,
  csvField,
  differingKeys,
  DEFAULT_RUN_COLUMNS,
  flattenConfig,
  runColumnValue,
  runsToCsv,
} from '../../../src/core/runCompare';

function summary(id: string, overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    runDir: `/runs/${id}`,
    status: 'completed',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:10:00.000Z',
    model: 'cnn',
    epochsCompleted: 10,
    totalEpochs: 10,
    bestEpoch: 7,
    bestValAccuracy: 0.9,
    lastValAccuracy: 0.88,
    lastValLoss: 0.31,
    testAccuracy: null,
    datasetRoot: '/data/shapes',
    classNames: ['circle', 'square'],
    backend: 'wasm',
    group: null,
    config: resolveConfig(undefined, {}),
    error: null,
    ...overrides,
  };
}

test('flattenConfig gives dotted keys for nested fields and keeps null objects as one key', () => {
  const flat = flattenConfig(DEFAULT_CONFIG);
  assert.equal(flat['cnn.filters'], 16);
  assert.equal(flat['cnn.batchNorm'], true);
  assert.equal(flat['schedule.type'], 'constant');
  assert.equal(flat.augment, null);
  assert.equal(flat.epochs, 10);
  assert.equal('cnn' in flat, false);
  const withAugment = flattenConfig(resolveConfig({ augment: 'default', schedule: 'step' }, {}, 'e.json'));
  assert.equal(withAugment['augment.rotation'], 10);
  assert.equal(withAugment['schedule.gamma'], 0.1);
  assert.equal('augment' in withAugment, false);
  assert.equal(flattenConfig({ list: [1, 2], nested: { deep: { x: 'y' } } })['nested.deep.x'], 'y');
  assert.equal(flattenConfig({ list: [1, 2] }).list, '[1,2]');
});

test('configDiff lists exactly the differing keys, a missing key counting as null', () => {
  const a = resolveConfig(undefined, {});
  const b = resolveConfig(
    { learningRate: 0.01, cnn: { filters: 64 }, augment: { rotation: 5 } },
    {},
    'e.json',
  );
  const diff = configDiff(a, b);
  const byKey = new Map(diff.map((d) => [d.key, d]));
  assert.deepEqual(byKey.get('learningRate'), { key: 'learningRate', a: 0.001, b: 0.01 });
  assert.deepEqual(byKey.get('cnn.filters'), { key: 'cnn.filters', a: 16, b: 64 });
  assert.deepEqual(byKey.get('augment.rotation'), { key: 'augment.rotation', a: null, b: 5 });
  assert.deepEqual(byKey.get('augment.horizontalFlip'), { key: 'augment.horizontalFlip', a: null, b: true });
  assert.equal(byKey.has('epochs'), false);
  assert.equal(byKey.has('augment'), false);
  assert.equal(diff.length, 2 + 6); // learningRate, cnn.filters, six augment fields
  assert.deepEqual(configDiff(a, a), []);
});

test('differingKeys names the hyperparameters that vary across runs', () => {
  const configs = [
    resolveConfig(undefined, { learningRate: '0.01' }),
    resolveConfig(undefined, { learningRate: '0.001' }),
    resolveConfig(undefined, { learningRate: '0.01', batchSize: '64' }),
  ];
  assert.deepEqual(differingKeys(configs), ['batchSize', 'learningRate']);
  assert.deepEqual(differingKeys([configs[0]]), []);
  assert.deepEqual(differingKeys([]), []);
});

test('compareColumns adds the differing config keys after the run columns', () => {
  const rows = [summary('a'), summary('b', { config: resolveConfig(undefined, { epochs: '20' }) })];
  assert.deepEqual(compareColumns(rows), [...DEFAULT_RUN_COLUMNS, 'config.epochs']);
  assert.equal(runColumnValue(rows[1], 'config.epochs'), 20);
  assert.equal(runColumnValue(rows[0], 'classNames'), 'circle;square');
  assert.equal(runColumnValue(rows[0], 'testAccuracy'), null);
  assert.equal(runColumnValue(rows[0], 'config.nothing'), null);
});

test('CSV fields are quoted only when needed, quotes doubled', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\rhere'), '"cr\rhere"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(Number.NaN), '');
  assert.equal(csvField(0.5), '0.5');
  assert.equal(csvField(false), 'false');
  assert.equal(csvField('ünïcödé 猫'), 'ünïcödé 猫');
});

test('runsToCsv writes a header and one CRLF-terminated row per run', () => {
  const rows = [
    summary('run-1'),
    summary('run,2', {
      status: 'failed',
      error: 'out of memory, "oops"',
      datasetRoot: '/data/my "set"',
      bestValAccuracy: null,
    }),
  ];
  const csv = runsToCsv(rows, [
    'id',
    'status',
    'bestValAccuracy',
    'datasetRoot',
    'error',
    'config.cnn.filters',
  ]);
  assert.equal(
    csv,
    'id,status,bestValAccuracy,datasetRoot,error,config.cnn.filters\r\n' +
      'run-1,completed,0.9,/data/shapes,,16\r\n' +
      '"run,2",failed,,"/data/my ""set""","out of memory, ""oops""",16\r\n',
  );
  const defaultCsv = runsToCsv(rows);
  assert.equal(defaultCsv.split('\r\n')[0], DEFAULT_RUN_COLUMNS.join(','));
  assert.equal(defaultCsv.split('\r\n').length, 4); // header, two rows, and the empty string after the last CRLF
});
