// Training flags come from the config field table: every field has one, and each sets its field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { CONFIG_FLAGS, configOverrides, firstClause, flagOf } from '../../../src/core/configFlags';
import { CONFIG_FIELDS, DEFAULT_CONFIG } from '../../../src/core/configFields';
import { parseArgs } from '../../../src/trainer/cli';

test('every top-level field but the preset option objects has a --kebab-case flag', () => {
  const flags = new Map(CONFIG_FLAGS.map((f) => [f.field, f.flag]));
  for (const [field, spec] of Object.entries(CONFIG_FIELDS)) {
    if (spec.kind === 'object' || field === 'transfer') continue;
    assert.equal(flags.get(field), flagOf(field), field);
  }
  assert.equal(flagOf('labelSmoothing'), '--label-smoothing');
  assert.equal(flags.get('transfer.fineTuneEpochs'), '--fine-tune-epochs');
  assert.equal(new Set(CONFIG_FLAGS.map((f) => f.flag)).size, CONFIG_FLAGS.length, 'no flag twice');
});

test('defaults shown by help are the defaults the config takes', () => {
  const byField = new Map(CONFIG_FLAGS.map((f) => [f.field, f.default]));
  assert.equal(byField.get('epochs'), String(DEFAULT_CONFIG.epochs));
  assert.equal(byField.get('augment'), 'none');
  assert.equal(byField.get('schedule'), DEFAULT_CONFIG.schedule.type);
  assert.equal(byField.get('classWeight'), DEFAULT_CONFIG.classWeight);
});

test('labelSmoothing, schedule, classWeight and earlyStopping are set from flags', () => {
  const parsed = parseArgs([
    'train',
    'DIR',
    '--label-smoothing',
    '0.1',
    '--schedule',
    'cosine',
    '--class-weight=balanced',
    '--early-stopping',
    '{"patience": 2}',
    '--fine-tune-layers',
    '3',
  ]);
  const overrides = configOverrides(parsed.values);
  assert.deepEqual(Object.keys(overrides).sort(), [
    'classWeight',
    'earlyStopping',
    'labelSmoothing',
    'schedule',
    'transfer.fineTuneLayers',
  ]);
  const config = resolveConfig(undefined, { ...overrides, 'transfer.base': 'x' });
  assert.equal(config.labelSmoothing, 0.1);
  assert.equal(config.schedule.type, 'cosine');
  assert.equal(config.classWeight, 'balanced');
  assert.equal(config.earlyStopping?.patience, 2);
  assert.equal(config.transfer?.fineTuneLayers, 3);
  assert.throws(
    () => resolveConfig(undefined, configOverrides(parseArgs(['train', 'D', '--schedule', 'cosin']).values)),
    /schedule/,
  );
});

test('help keeps the first clause of a description, not a clause inside parentheses', () => {
  assert.equal(
    firstClause('Threads that share (0 = one; 1 = none). More.'),
    'Threads that share (0 = one; 1 = none)',
  );
  assert.equal(firstClause('Model preset: simple-cnn is …'), 'Model preset');
  assert.equal(firstClause('Optimizer.'), 'Optimizer');
});
