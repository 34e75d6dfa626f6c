import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listLrFinds, parseLrFind } from '../../../../src/host/dashboard/lrFindStore';

function record(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'lrFind',
    id: 'lr-1',
    createdAt: '2026-11-26T09:00:00.000Z',
    dataset: '/data/pets',
    config: {},
    options: { min: 1e-6, max: 1, steps: 3 },
    diverged: false,
    suggestion: { steepest: 1e-3, minLossOver10: 1e-2, suggested: 1e-3 },
    points: [
      { step: 0, learningRate: 1e-6, loss: 1.1, smoothedLoss: 1.1 },
      { step: 1, learningRate: 1e-3, loss: 0.7, smoothedLoss: 0.8 },
      { step: 2, learningRate: 1, loss: 5, smoothedLoss: 2 },
    ],
    ...overrides,
  });
}

test('an lr-find record becomes the curve the dashboard plots', () => {
  const curve = parseLrFind(record());
  assert.ok(curve);
  assert.equal(curve.suggested, 1e-3);
  assert.deepEqual(curve.points[1], { learningRate: 1e-3, loss: 0.7, smoothedLoss: 0.8 });
});

test('half-written, foreign or malformed records are skipped', () => {
  assert.equal(parseLrFind(record().slice(0, 40)), null);
  assert.equal(parseLrFind(record({ kind: 'run' })), null);
  assert.equal(parseLrFind(record({ points: [{ learningRate: -1, loss: 1, smoothedLoss: 1 }] })), null);
  assert.equal(parseLrFind(record({ suggestion: { suggested: null } }))?.suggested, null);
});

test('listLrFinds reads <runsRoot>/lr-find newest first and tolerates a missing folder', async () => {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lrfind-'));
  try {
    assert.deepEqual(await listLrFinds(root), []);
    await fsp.mkdir(path.join(root, 'lr-find'));
    await fsp.writeFile(
      path.join(root, 'lr-find', 'a.json'),
      record({ id: 'old', createdAt: '2026-01-01T00:00:00Z' }),
    );
    await fsp.writeFile(
      path.join(root, 'lr-find', 'b.json'),
      record({ id: 'new', createdAt: '2026-02-01T00:00:00Z' }),
    );
    await fsp.writeFile(path.join(root, 'lr-find', 'c.json'), '{"kind":"lrFind", "id":');
    assert.deepEqual(
      (await listLrFinds(root)).map((c) => c.id),
      ['new', 'old'],
    );
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
