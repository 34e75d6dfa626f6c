import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareColumns,
  configDifference,
  csvEscape,
  filterRuns,
  flattenConfig,
  recallDifference,
  RUN_PALETTE,
  runColor,
  sortRuns,
  toCsv,
  varyingConfigKeys,
} from '../../webview/src/compare';
import { makeEvaluation, makeRun } from './fixtures';

const runs = [0, 1, 2, 3].map((index) => makeRun({ index, epochs: 3 }).summary);

test('flattenConfig names nested fields with dots', () => {
  assert.deepEqual(flattenConfig({ a: 1, b: { c: 2, d: { e: 'x' } }, f: null, g: [1] }), {
    a: 1,
    'b.c': 2,
    'b.d.e': 'x',
    f: null,
    g: [1],
  });
});

test('only the hyperparameters that vary become columns', () => {
  const keys = varyingConfigKeys(runs);
  assert.ok(keys.includes('learningRate'));
  assert.ok(keys.includes('batchSize'));
  assert.ok(keys.includes('optimizer'));
  assert.ok(!keys.includes('seed'), 'every fixture run has seed 42');
  const columns = compareColumns(runs).map((c) => c.key);
  assert.ok(columns.includes('config.learningRate'));
  assert.ok(columns.includes('group'));
  assert.ok(columns.includes('bestValAccuracy'));
});

test('sorting by a number column both ways, missing values always last', () => {
  const withMissing = [...runs, { ...runs[0], id: 'no-metrics', bestValAccuracy: null }];
  const columns = compareColumns(withMissing);
  const asc = sortRuns(withMissing, columns, { key: 'bestValAccuracy', direction: 'asc' });
  const desc = sortRuns(withMissing, columns, { key: 'bestValAccuracy', direction: 'desc' });
  const values = (list: typeof asc) => list.map((r) => r.bestValAccuracy);
  assert.equal(asc[asc.length - 1].id, 'no-metrics');
  assert.equal(desc[desc.length - 1].id, 'no-metrics');
  const ascNumbers = values(asc).slice(0, -1) as number[];
  assert.deepEqual(
    ascNumbers,
    [...ascNumbers].sort((a, b) => a - b),
  );
  const descNumbers = values(desc).slice(0, -1) as number[];
  assert.deepEqual(
    descNumbers,
    [...descNumbers].sort((a, b) => b - a),
  );
});

test('filtering matches every term in any column, case-insensitively', () => {
  const columns = compareColumns(runs);
  assert.deepEqual(
    filterRuns(runs, columns, 'SGD').map((r) => r.config.optimizer),
    ['sgd'],
  );
  assert.equal(filterRuns(runs, columns, 'adam run3').length, 1);
  assert.equal(filterRuns(runs, columns, '   ').length, runs.length);
  assert.equal(filterRuns(runs, columns, 'nothing-like-this').length, 0);
});

test('CSV escapes quotes, commas, newlines and spreadsheet formulas', () => {
  assert.equal(csvEscape('a,b'), '"a,b"');
  assert.equal(csvEscape('say "hi"'), '"say ""hi"""');
  assert.equal(csvEscape('line\nbreak'), '"line\nbreak"');
  assert.equal(csvEscape('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvEscape(-0.5), '-0.5');
  assert.equal(csvEscape(null), '');
});

test('toCsv writes a header and one line per run with the raw values', () => {
  const columns = compareColumns(runs);
  const csv = toCsv(runs, columns);
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, runs.length + 1);
  assert.equal(lines[0].split(',').length, columns.length);
  const lrIndex = columns.findIndex((c) => c.key === 'config.learningRate');
  assert.equal(lines[2].split(',')[lrIndex], String(runs[1].config.learningRate));
});

test('a run keeps its colour whatever other runs exist', () => {
  const colour = runColor('run-a');
  assert.equal(runColor('run-a'), colour);
  assert.ok((RUN_PALETTE as readonly string[]).includes(colour));
  const spread = new Set(Array.from({ length: 100 }, (_, i) => runColor(`run-${i}`)));
  assert.ok(spread.size >= RUN_PALETTE.length - 2, `only ${spread.size} colours used`);
});

test('per-class Δrecall is B minus A, with null for a class one run lacks', () => {
  const a = makeEvaluation(1, ['cat', 'dog']);
  const b = makeEvaluation(2, ['cat', 'dog', 'bird']);
  const diff = recallDifference(a, b);
  assert.deepEqual(
    diff.map((d) => d.label),
    ['cat', 'dog', 'bird'],
  );
  const recall = (e: typeof a, i: number) => e.confusion[i][i] / e.confusion[i].reduce((x, y) => x + y, 0);
  assert.ok(Math.abs((diff[0].delta ?? NaN) - (recall(b, 0) - recall(a, 0))) < 1e-12);
  assert.equal(diff[2].recallA, null);
  assert.equal(diff[2].delta, null);
});

test('config diff lists only the settings that differ', () => {
  const diff = configDifference({ a: 1, n: { x: true, y: 2 } }, { a: 1, n: { x: false, y: 2 }, extra: 'z' });
  assert.deepEqual(diff, [
    { key: 'extra', a: '—', b: 'z' },
    { key: 'n.x', a: 'yes', b: 'no' },
  ]);
});
