// Run records: atomic writes, unique run directories, metrics repair, and the reader's tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createRunDirectory,
  newRunId,
  truncateMetricsAfter,
  writeJsonAtomic,
} from '../../../src/trainer/runWriter';
import {
  effectiveStatus,
  listRuns,
  parseMetricsLines,
  readRunDetails,
  splitMetrics,
} from '../../../src/core/runStore';
import type { RunRecord } from '../../../src/protocol/runRecord';
import { makeRunRecord } from '../../fixtures/runRecords';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-runs-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const epochLine = (epoch: number) =>
  JSON.stringify({
    epoch,
    loss: 1 / epoch,
    accuracy: 0.5,
    valLoss: 1,
    valAccuracy: 0.4 + epoch / 100,
    learningRate: 0.001,
    durationMs: 10,
    samplesPerSecond: 5,
  });

function record(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return makeRunRecord(id, overrides);
}

test('run ids sort by start time and differ between runs started together', async () => {
  const a = newRunId(new Date('2026-01-02T03:04:05.006Z'), () => 0);
  assert.equal(a, '2026-01-02T03-04-05-006Z-0000');
  const dirs = await Promise.all(
    Array.from({ length: 20 }, () => createRunDirectory(path.join(work, 'concurrent'))),
  );
  assert.equal(new Set(dirs.map((d) => d.runDir)).size, 20);
  assert.equal(readdirSync(path.join(work, 'concurrent')).length, 20);
});

test('atomic JSON writes leave no temporary files and replace the old content whole', async () => {
  const file = path.join(work, 'atomic', 'run.json');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, { v: 1 });
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => writeJsonAtomic(file, { v: i, pad: 'x'.repeat(10_000) })),
  );
  const value = JSON.parse(await fs.readFile(file, 'utf8'));
  assert.equal(value.pad.length, 10_000);
  assert.deepEqual(readdirSync(path.dirname(file)), ['run.json']);
});

test('a torn last metrics line is ignored by readers and dropped before a resume, as are later epochs', async () => {
  const dir = path.join(work, 'torn');
  await fs.mkdir(dir, { recursive: true });
  const text =
    [
      epochLine(1),
      JSON.stringify({ kind: 'batch', epoch: 2, batch: 3, loss: 1, accuracy: 0 }),
      epochLine(2),
      epochLine(3),
    ].join('\n') +
    '\n' +
    epochLine(4).slice(0, 20);
  await fs.writeFile(path.join(dir, 'metrics.jsonl'), text);
  assert.deepEqual(
    splitMetrics(parseMetricsLines(text)).epochs.map((e) => e.epoch),
    [1, 2, 3],
  );
  await truncateMetricsAfter(dir, 2);
  const kept = parseMetricsLines(await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(
    kept.map((l) => [l.kind ?? 'epoch', l.epoch]),
    [
      ['epoch', 1],
      ['batch', 2],
      ['epoch', 2],
    ],
  );
});

test('a running run whose process is gone reads as interrupted', () => {
  const probe = (pid: number) => pid === 42;
  assert.equal(effectiveStatus({ status: 'running', pid: 42, hostname: 'h' }, probe, 'h'), 'running');
  assert.equal(effectiveStatus({ status: 'running', pid: 43, hostname: 'h' }, probe, 'h'), 'interrupted');
  assert.equal(effectiveStatus({ status: 'running' }, probe, 'h'), 'interrupted');
  assert.equal(
    effectiveStatus({ status: 'running', pid: 43, hostname: 'other' }, probe, 'h'),
    'running',
    'another machine: cannot tell',
  );
  assert.equal(effectiveStatus({ status: 'stopped', pid: 43 }, probe, 'h'), 'stopped');
});

test('listRuns: newest first, lists an unreadable run.json as damaged with the reason, derives best accuracy from metrics', async () => {
  const root = path.join(work, 'list');
  for (const [id, rec] of [
    ['2026-01-01T00-00-00-000Z-aaaa', record('2026-01-01T00-00-00-000Z-aaaa')],
    [
      '2026-01-03T00-00-00-000Z-cccc',
      record('2026-01-03T00-00-00-000Z-cccc', {
        status: 'running',
        pid: 999_999_999,
        hostname: os.hostname(),
      }),
    ],
  ] as const) {
    await fs.mkdir(path.join(root, id), { recursive: true });
    await fs.writeFile(path.join(root, id, 'run.json'), JSON.stringify(rec));
    await fs.writeFile(path.join(root, id, 'metrics.jsonl'), [epochLine(1), epochLine(2)].join('\n') + '\n');
  }
  await fs.mkdir(path.join(root, 'broken'), { recursive: true });
  await fs.writeFile(path.join(root, 'broken', 'run.json'), '{"id": "broken", "sta');
  const all = await listRuns(root);
  // Issue 13: a run.json that cannot be read is shown as damaged, with the file and the reason.
  const broken = all.find((r) => r.id === 'broken');
  assert.equal(broken?.status, 'damaged');
  assert.equal(broken?.error, `${path.join(root, 'broken', 'run.json')}: not valid JSON`);
  const runs = all.filter((r) => r.status !== 'damaged');
  assert.deepEqual(
    runs.map((r) => r.id),
    ['2026-01-03T00-00-00-000Z-cccc', '2026-01-01T00-00-00-000Z-aaaa'],
  );
  assert.equal(runs[0].status, 'interrupted');
  assert.ok(Math.abs((runs[1].bestValAccuracy ?? 0) - 0.42) < 1e-12);
  assert.equal(runs[1].epochsCompleted, 2);
  const details = await readRunDetails(path.join(root, '2026-01-01T00-00-00-000Z-aaaa'));
  assert.equal(details?.epochs.length, 2);
  assert.equal(details?.evaluation, null);
  assert.deepEqual(await listRuns(path.join(work, 'does-not-exist')), []);
});

test('re-reading a run sees every change to its files (the reader caches by file identity)', async () => {
  const dir = path.join(work, 'cache', '2026-02-01T00-00-00-000Z-dddd');
  await fs.mkdir(dir, { recursive: true });
  await writeJsonAtomic(
    path.join(dir, 'run.json'),
    record('2026-02-01T00-00-00-000Z-dddd', { status: 'running', pid: process.pid, hostname: os.hostname() }),
  );
  await fs.writeFile(path.join(dir, 'metrics.jsonl'), epochLine(1) + '\n');
  assert.equal((await readRunDetails(dir))?.epochs.length, 1);
  await fs.appendFile(path.join(dir, 'metrics.jsonl'), epochLine(2) + '\n');
  assert.equal((await readRunDetails(dir))?.epochs.length, 2);
  await writeJsonAtomic(
    path.join(dir, 'run.json'),
    record('2026-02-01T00-00-00-000Z-dddd', { status: 'stopped' }),
  );
  assert.equal((await readRunDetails(dir))?.summary.status, 'stopped');
  await fs.rm(dir, { recursive: true });
  assert.deepEqual(await listRuns(path.dirname(dir)), []);
});
