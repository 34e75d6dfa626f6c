import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readCachedReports,
  writeCachedReport,
  type StateStore,
} from '../../../src/host/datasets/doctorCache';
import type { ScanReport } from '../../../src/protocol';
import { detectionScanReport } from '../../fixtures/detectionReports';

class MemoryStore implements StateStore {
  readonly values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  async update(key: string, value: unknown): Promise<void> {
    // Mementos store JSON: a round trip catches anything that would not survive.
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const report: ScanReport = {
  root: '/d',
  layout: 'class-folders',
  classes: [{ name: 'a', count: 1 }],
  skipped: [],
  duplicates: [],
  warnings: [],
  total: 1,
};

test('scan reports round-trip through the workspace state, per data set', async () => {
  const store = new MemoryStore();
  const at = new Date('2026-01-01T10:00:00.000Z');
  await writeCachedReport(store, '/d', { report, scannedAt: at });
  await writeCachedReport(store, '/e', { report: { ...report, root: '/e', total: 7 }, scannedAt: at });
  const read = readCachedReports(store);
  assert.deepEqual([...read.keys()], ['/d', '/e']);
  assert.deepEqual(read.get('/d'), { report, scannedAt: at });
  assert.deepEqual(read.get('/e')?.report, { ...report, root: '/e', total: 7 });
});

test('a corrupt or foreign state entry is ignored, not trusted', async () => {
  const store = new MemoryStore();
  await store.update('imageTrainer.doctorReports', {
    '/bad': { report: { root: 1 }, scannedAt: '2026-01-01' },
    '/date': { report, scannedAt: 'yesterday' },
    '/ok': { report, scannedAt: '2026-01-01T00:00:00.000Z' },
  });
  assert.deepEqual([...readCachedReports(store).keys()], ['/ok']);
  await store.update('imageTrainer.doctorReports', 'garbage');
  assert.equal(readCachedReports(store).size, 0);
});

test('a detection set’s report is kept as well, and a damaged one is dropped', async () => {
  const store = new MemoryStore();
  const at = new Date('2026-01-01T10:00:00.000Z');
  const detection = detectionScanReport('/det');
  await writeCachedReport(store, '/det', { report: detection, scannedAt: at });
  assert.deepEqual(readCachedReports(store).get('/det'), { report: detection, scannedAt: at });
  await writeCachedReport(store, '/det', {
    report: { ...detection, findings: [{ ...detection.findings[0], line: -3 }] },
    scannedAt: at,
  });
  assert.equal(readCachedReports(store).has('/det'), false);
});
