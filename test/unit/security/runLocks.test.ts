// Issue 13 §4: one writer per run directory. Two resumes, a resume and a delete, or a resume and the
// host's record repair cannot interleave; a lock left by a dead process is taken over; a lock file planted
// as a link is never written through.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireRunLock, LOCK_FILE, RunLockedError, type RunLock } from '../../../src/core/runLock';
import { lockRunForDeletion } from '../../../src/host/runs/runDeletion';
import { markRunEnded } from '../../../src/host/training/runRecordRepair';
import {
  assertRefused,
  assertUntouched,
  cli,
  copyTrainedRun,
  editJson,
  workspacesForThisFile,
  readJson,
  treeDigest,
} from './hostileWorkspace';

const workspace = workspacesForThisFile();
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A live process that is not this one (another trainer, as far as the lock can tell). */
async function liveProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function writeLock(runDir: string, pid: number, purpose = 'resume'): Promise<void> {
  await fsp.writeFile(
    path.join(runDir, LOCK_FILE),
    JSON.stringify({
      pid,
      hostname: os.hostname(),
      purpose,
      createdAt: new Date().toISOString(),
      token: 'other',
    }),
  );
}

test('a second resume of a run another live process writes is refused with one line; nothing changes', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
  const other = await liveProcess();
  await writeLock(runDir, other.pid!);
  const before = await treeDigest(runDir);
  const result = await cli(['train', '--resume', runDir, '--epochs', '3'], ws.workspace);
  assertRefused(
    result,
    new RegExp(`resume by process ${other.pid} on .* is writing this run .*; wait for it or stop it`),
  );
  assert.deepEqual(await treeDigest(runDir), before, 'metrics.jsonl, run.json and checkpoints untouched');
  other.kill('SIGKILL');
});

test('a lock left by a dead process is taken over: the resume runs and releases the lock', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
  await writeLock(runDir, await deadPid());
  const result = await cli(['train', '--resume', runDir, '--epochs', '3', '--json'], ws.workspace);
  assert.equal(result.code, 0, result.stderr);
  assert.equal((await readJson(path.join(runDir, 'run.json'))).status, 'completed');
  await assert.rejects(fsp.access(path.join(runDir, LOCK_FILE)), 'the lock is released');
});

test('many writers racing for one run (and for one stale lock): exactly one wins each time', async () => {
  const ws = await workspace();
  const runDir = path.join(ws.runsRoot, 'race');
  await fsp.mkdir(runDir);
  // Pids above Linux's largest: no such process exists, so "alive" is only what the probe says.
  const fakePid = (i: number) => 4_194_304 + 1000 + i;
  for (const stalePid of [null, fakePid(999)]) {
    if (stalePid !== null) await writeLock(runDir, stalePid);
    const probe = (pid: number) => pid !== stalePid;
    const attempts = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        acquireRunLock(runDir, { purpose: 'resume', pid: fakePid(i), probe }),
      ),
    );
    const won = attempts.filter((a): a is PromiseFulfilledResult<RunLock> => a.status === 'fulfilled');
    assert.equal(won.length, 1, `one writer (stale lock: ${stalePid})`);
    for (const a of attempts)
      if (a.status === 'rejected') assert.ok(a.reason instanceof RunLockedError, String(a.reason));
    await won[0].value.release();
  }
});

test('a delete and a resume cannot interleave; deleting a linked run folder writes no lock through it', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const other = await liveProcess();
  await writeLock(runDir, other.pid!);
  await assert.rejects(lockRunForDeletion(runDir), /resume by process \d+ .* is writing this run/);
  other.kill('SIGKILL');
  await fsp.rm(path.join(runDir, LOCK_FILE));
  const deletion = await lockRunForDeletion(runDir);
  assert.ok(deletion);
  const resume = await cli(['train', '--resume', runDir, '--epochs', '3'], ws.workspace);
  assertRefused(resume, /deleting by process \d+ .* is writing this run/);
  await deletion.release();
  const linked = path.join(ws.runsRoot, 'linked');
  await fsp.symlink(ws.victim, linked);
  await assertUntouched(ws.victim, async () => assert.equal(await lockRunForDeletion(linked), null));
});

test('a lock file planted as a link is never written through, and is taken over once stale', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const lock = path.join(runDir, LOCK_FILE);
  await fsp.symlink(ws.secret, lock);
  await assertUntouched(ws.victim, async () => {
    // A fresh unreadable lock may be a writer starting up: refused for now.
    await assert.rejects(
      acquireRunLock(runDir, { purpose: 'resume' }),
      /another process is starting to write this run/,
    );
    const old = new Date(Date.now() - 3600_000);
    await fsp.lutimes(lock, old, old);
    const held = await acquireRunLock(runDir, { purpose: 'resume' });
    assert.equal((await fsp.lstat(lock)).isFile(), true, 'the link was replaced by a lock of our own');
    await held.release();
  });
});

test('the host repairs a run record only when no live writer holds the run', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'running', pid: 1 }));
  const other = await liveProcess();
  await writeLock(runDir, other.pid!);
  assert.equal(await markRunEnded(runDir, 'failed', 'trainer exited'), false);
  assert.equal((await readJson(path.join(runDir, 'run.json'))).status, 'running');
  other.kill('SIGKILL');
  await new Promise((resolve) => other.once('exit', resolve));
  assert.equal(await markRunEnded(runDir, 'failed', 'trainer exited'), true);
  assert.equal((await readJson(path.join(runDir, 'run.json'))).status, 'failed');
});
