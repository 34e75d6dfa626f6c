// The Runs view's safety net under the file watcher (src/host/runs/runsListingPoll.ts): a run folder that
// appears, or a run record replaced, is noticed by the poll alone.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunsListingPoll, runsListingFingerprint } from '../../../src/host/runs/runsListingPoll';

const manualTimers = () => {
  const state = { cleared: false, ms: 0 };
  return {
    state,
    timers: {
      setInterval: (_fn: () => void, ms: number) => {
        state.ms = ms;
        return 1;
      },
      clearInterval: () => {
        state.cleared = true;
      },
    },
  };
};

test('a new run folder and a replaced run record change the fingerprint; nothing else does', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-poll-'));
  try {
    const runs = join(root, 'runs');
    assert.equal(await runsListingFingerprint(runs), '', 'a missing runs folder');
    mkdirSync(runs);
    const empty = await runsListingFingerprint(runs);
    assert.equal(await runsListingFingerprint(runs), empty, 'unchanged when nothing happened');
    const run = join(runs, '2026-11-30T10-10-17-096Z-m8is');
    mkdirSync(run);
    const withRun = await runsListingFingerprint(runs);
    assert.notEqual(withRun, empty);
    // A record written the trainer's way (temp file, then rename) changes the folder's modification time.
    utimesSync(run, new Date(1_000_000), new Date(1_000_000));
    const before = await runsListingFingerprint(runs);
    writeFileSync(join(run, 'run.json.tmp'), '{}');
    renameSync(join(run, 'run.json.tmp'), join(run, 'run.json'));
    assert.notEqual(await runsListingFingerprint(runs), before);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the poll calls back on a change only, never on its first look, and stops its timer', async () => {
  const { state, timers } = manualTimers();
  let value = 'a';
  let changes = 0;
  const poll = new RunsListingPoll(
    '/runs',
    () => changes++,
    4000,
    timers,
    async () => value,
  );
  assert.equal(state.ms, 4000);
  await poll.tick();
  assert.equal(changes, 0, 'the first look only records');
  await poll.tick();
  assert.equal(changes, 0);
  value = 'b';
  await poll.tick();
  assert.equal(changes, 1);
  await poll.tick();
  assert.equal(changes, 1);
  poll.dispose();
  assert.equal(state.cleared, true);
});
