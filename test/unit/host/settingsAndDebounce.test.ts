import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeFolderName } from '../../../src/host/datasets/folderNames';
import { resolveSettings } from '../../../src/host/settingsModel';
import { Debouncer } from '../../../src/host/util/debounce';
import { formatDuration, formatPercent } from '../../../src/host/treePresentation';
import { ManualClock } from './fakes';

test('settings: defaults, relative paths against the first workspace folder, ~ expansion', () => {
  const s = resolveSettings({}, ['/ws', '/other'], true, '/home/u');
  assert.deepEqual(s, {
    backend: 'auto',
    runsRoot: '/ws/.image-trainer/runs',
    runsRootWarning: null,
    defaultPreset: 'simple-cnn',
    nodePath: '',
    engineDirectory: '',
    datasetRoots: [],
    datasetExcludes: [],
    maxConcurrentRuns: 1,
  });
  const custom = resolveSettings(
    {
      backend: 'wasm',
      runsDirectory: '~/runs',
      defaultPreset: 'cnn',
      nodePath: '~/node/bin/node',
      datasetRoots: ['data', '/abs', 3],
      datasetExcludes: ['raw', ''],
    },
    ['/ws'],
    true,
    '/home/u',
  );
  assert.equal(custom.backend, 'wasm');
  assert.equal(custom.runsRoot, '/home/u/runs');
  assert.equal(custom.defaultPreset, 'cnn');
  assert.equal(custom.nodePath, '/home/u/node/bin/node');
  assert.deepEqual(custom.datasetRoots, ['/ws/data', '/abs']);
  assert.deepEqual(custom.datasetExcludes, ['raw']);
  assert.equal(
    resolveSettings({ backend: 'quantum', defaultPreset: 'resnet' }, [], true, '/home/u').runsRoot,
    '/home/u/.image-trainer/runs',
  );
  assert.equal(resolveSettings({ backend: 'quantum' }, ['/ws'], true, '/h').backend, 'auto');
});

test('settings: the Node executable and the engine folder are ignored in an untrusted workspace', () => {
  assert.equal(resolveSettings({ nodePath: '/evil/node' }, ['/ws'], false, '/h').nodePath, '');
  assert.equal(resolveSettings({ nodePath: '/opt/node' }, ['/ws'], true, '/h').nodePath, '/opt/node');
  assert.equal(
    resolveSettings({ engineDirectory: '/evil/engine' }, ['/ws'], false, '/h').engineDirectory,
    '',
  );
  assert.equal(
    resolveSettings({ engineDirectory: '~/engines' }, ['/ws'], true, '/h').engineDirectory,
    '/h/engines',
  );
  assert.equal(resolveSettings({ engineDirectory: '  ' }, ['/ws'], true, '/h').engineDirectory, '');
});

test('debouncer: a burst of triggers runs the action once, after the quiet period', () => {
  const clock = new ManualClock();
  let runs = 0;
  const d = new Debouncer(() => runs++, 300, clock);
  for (let i = 0; i < 50; i++) {
    d.trigger();
    clock.advance(100);
  }
  assert.equal(runs, 0);
  clock.advance(300);
  assert.equal(runs, 1);
  d.trigger();
  d.dispose();
  clock.advance(1000);
  assert.equal(runs, 1);
});

test('debouncer with maxWait: steady triggers still run the action about every maxWait', () => {
  const clock = new ManualClock();
  const at: number[] = [];
  const d = new Debouncer(() => at.push(clock.now()), 300, clock, 1000);
  for (let i = 0; i < 30; i++) {
    d.trigger();
    clock.advance(100);
  }
  assert.deepEqual(at, [1000, 2000, 3000]);
  clock.advance(300);
  assert.equal(at.length, 3, 'the last trigger fired at 3000 already, nothing pending after it');
});

test('sample folder names never reuse an existing folder', () => {
  const existing = new Set(['/ws/sample-shapes', '/ws/sample-shapes-2']);
  assert.equal(
    freeFolderName('/ws', 'sample-shapes', (p) => existing.has(p)),
    'sample-shapes-3',
  );
  assert.equal(
    freeFolderName('/ws', 'sample-shapes', () => false),
    'sample-shapes',
  );
});

test('formatting for the status bar and the trees', () => {
  assert.equal(formatDuration(45_400), '45s');
  assert.equal(formatDuration(185_000), '3m 05s');
  assert.equal(formatDuration(7_800_000), '2h 10m');
  assert.equal(formatPercent(0.9123), '91.2%');
  assert.equal(formatPercent(null), '—');
  assert.equal(formatDuration(850), '850ms');
});
