import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { markRunEnded } from '../../../src/host/training/runRecordRepair';

function runDirWith(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'it-repair-'));
  writeFileSync(path.join(dir, 'run.json'), content);
  return dir;
}

test('a running record becomes failed with the reason; every other field is kept', async () => {
  const record = {
    formatVersion: 1,
    id: 'r1',
    status: 'running',
    pid: 99,
    epochsCompleted: 4,
    unknownFutureField: { a: [1] },
    updatedAt: 'x',
  };
  const dir = runDirWith(JSON.stringify(record));
  try {
    const now = new Date('2026-01-02T03:04:05.000Z');
    assert.equal(
      await markRunEnded(dir, 'failed', 'trainer exited unexpectedly (code 1, signal none)', now),
      true,
    );
    const after = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    assert.deepEqual(after, {
      ...record,
      status: 'failed',
      error: { message: 'trainer exited unexpectedly (code 1, signal none)' },
      updatedAt: now.toISOString(),
      endedAt: now.toISOString(),
    });
    assert.deepEqual(readdirSync(dir), ['run.json'], 'no temp file is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record that is not running, or not readable, is never touched', async () => {
  for (const content of [
    JSON.stringify({ id: 'r', status: 'completed' }),
    '{"id": "r", "status": "runn',
    '[1,2]',
  ]) {
    const dir = runDirWith(content);
    try {
      assert.equal(await markRunEnded(dir, 'failed', 'x'), false);
      assert.equal(readFileSync(path.join(dir, 'run.json'), 'utf8'), content);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.equal(await markRunEnded(path.join(tmpdir(), 'it-does-not-exist'), 'failed', 'x'), false);
});
