// Issue 8 §2: out of disk and read-only folders. Failures are injected into node's fs.promises (tests run
// as root, so chmod blocks nothing): from a chosen moment, writes under chosen paths fail with ENOSPC,
// EACCES or EROFS. The run must stop as `failed` with a message naming the path, and the last good
// checkpoint must stay loadable; once the disk is writable again the run resumes to completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { TrainerToHost } from '../../../src/protocol/trainerMessages';
import type { RunRecord } from '../../../src/protocol/runRecord';
import { resolveConfig } from '../../../src/core/config';
import { effectiveStatus, readRunDetails } from '../../../src/core/runStore';
import { selectBackend } from '../../../src/trainer/backend';
import { loadModelFromDir, resolveDirectory } from '../../../src/trainer/modelIO';
import { trainRun, type TrainOutcome } from '../../../src/trainer/train';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';
import { makeTempDir, removeDir } from '../../fixtures/imageFactory';

type Fsp = typeof fsp;
const WRITERS = ['open', 'writeFile', 'appendFile', 'rename', 'mkdir', 'copyFile', 'rm', 'unlink'] as const;

/** Makes fs.promises writes to matching paths fail with `code` while `armed()`; returns the restore. */
function injectWriteFailure(
  code: string,
  armed: () => boolean,
  matches: (file: string) => boolean,
): { restore(): void; failures: string[] } {
  const original = new Map<string, unknown>();
  const failures: string[] = [];
  const target = fsp as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of WRITERS) {
    const real = target[name];
    original.set(name, real);
    target[name] = function (this: Fsp, ...args: unknown[]) {
      // open() only fails when it opens for writing (string flags, or numeric ones with write access);
      // rename() when its destination matches.
      const file = String(name === 'rename' || name === 'copyFile' ? args[1] : args[0]);
      const flags = args[1] ?? 'r';
      const writes =
        name !== 'open' ||
        (typeof flags === 'number'
          ? (flags & (constants.O_WRONLY | constants.O_RDWR)) !== 0
          : /[wa+]/.test(String(flags)));
      if (armed() && writes && matches(file)) {
        failures.push(`${name} ${file}`);
        const error = Object.assign(new Error(`${code}: injected, ${name} '${file}'`), { code, path: file });
        return Promise.reject(error);
      }
      return real.apply(this, args);
    };
  }
  return {
    failures,
    restore() {
      for (const [name, real] of original) target[name] = real as (...args: unknown[]) => Promise<unknown>;
    },
  };
}

const CONFIG = resolveConfig({
  model: 'simple-cnn',
  imageSize: 12,
  channels: 1,
  epochs: 4,
  batchSize: 16,
  seed: 3,
  augment: 'none',
});

interface Scenario {
  code: 'ENOSPC' | 'EACCES' | 'EROFS';
  /** Which paths (relative to the run directory) fail. */
  scope: (rel: string) => boolean;
  expectMessage: RegExp;
  /** The epoch of the last good checkpoint when the failure strikes. */
  checkpointEpoch: number;
}

async function trainUntilFailure(
  data: string,
  runsRoot: string,
  scenario: Scenario,
): Promise<{ outcome: TrainOutcome; events: TrainerToHost[]; failures: string[] }> {
  let runDir = '';
  let armed = false;
  const events: TrainerToHost[] = [];
  // From the moment epoch 2's last checkpoint is saved, writes in scope fail.
  const emit = (event: TrainerToHost): void => {
    events.push(event);
    if (event.type === 'runStarted') runDir = event.runDir;
    if (event.type === 'checkpointSaved' && event.kind === 'last' && event.epoch === 2) armed = true;
  };
  const injection = injectWriteFailure(
    scenario.code,
    () => armed,
    (file) =>
      runDir !== '' && file.startsWith(runDir + path.sep) && scenario.scope(path.relative(runDir, file)),
  );
  try {
    const outcome = await trainRun({
      dataDir: data,
      runsRoot,
      config: CONFIG,
      emit,
      stop: { requested: false },
    });
    return { outcome, events, failures: injection.failures };
  } finally {
    injection.restore();
  }
}

/** The last good checkpoint: a loadable model and the state of `epoch`. */
async function assertCheckpointOf(runDir: string, epoch: number): Promise<void> {
  const dir = await resolveDirectory(path.join(runDir, 'checkpoints', 'last'));
  assert.ok(dir, 'a complete last checkpoint exists');
  const state = JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8')) as { epoch: number };
  assert.equal(state.epoch, epoch);
  const model = await loadModelFromDir(dir);
  assert.equal(model.outputs[0].shape[1], 4);
  model.dispose();
}

const SCENARIOS: [string, Scenario][] = [
  [
    'ENOSPC while saving a checkpoint',
    {
      code: 'ENOSPC',
      scope: (rel) => rel.startsWith('checkpoints'),
      expectMessage: /the disk is full/,
      checkpointEpoch: 2,
    },
  ],
  [
    'EACCES on metrics.jsonl',
    {
      code: 'EACCES',
      scope: (rel) => rel === 'metrics.jsonl',
      expectMessage: /permission denied/,
      checkpointEpoch: 2,
    },
  ],
  [
    'ENOSPC while writing the final model',
    {
      code: 'ENOSPC',
      scope: (rel) => rel.startsWith('model'),
      expectMessage: /the disk is full/,
      checkpointEpoch: 4,
    },
  ],
];

test('a failed write stops the run as failed, names the path, keeps the last good checkpoint; resume completes', async () => {
  await selectBackend('wasm');
  const work = await makeTempDir('it-wfail-');
  try {
    const data = path.join(work, 'data');
    await writeSampleDataset(data, { perClass: 12, size: 12, seed: 4 });
    for (const [name, scenario] of SCENARIOS) {
      const runsRoot = path.join(work, name.replace(/\W+/g, '-'));
      const { outcome, events, failures } = await trainUntilFailure(data, runsRoot, scenario);
      assert.ok(failures.length > 0, `${name}: the failure was injected`);
      assert.equal(outcome.status, 'failed', name);
      const runDir = outcome.runDir!;
      const failed = events.at(-1);
      assert.ok(failed?.type === 'runFailed', `${name}: the last event is runFailed`);
      assert.ok(
        failed.path &&
          failed.path.startsWith(runDir) &&
          scenario.scope(path.relative(runDir, failed.path).replace(/\.tmp-\d+/, '')),
        `${name}: path ${failed.path}`,
      );
      assert.ok(
        failed.message.includes(failed.path!),
        `${name}: the message names the path: ${failed.message}`,
      );
      assert.match(failed.message, scenario.expectMessage);
      const record = JSON.parse(await fsp.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
      assert.equal(record.status, 'failed', name);
      assert.equal(record.error?.path, failed.path);
      assert.equal(record.pid, undefined);
      await assertCheckpointOf(runDir, scenario.checkpointEpoch);
      if (scenario.scope('model/model.json')) {
        // The model was being replaced: no half-written model/ is left where readers look.
        assert.equal(await resolveDirectory(path.join(runDir, 'model')), null);
      }

      // Disk freed: resume goes on from the checkpoint and completes every epoch exactly once.
      const resumed = await trainRun({
        resumeRunDir: runDir,
        runsRoot,
        config: CONFIG,
        emit: () => undefined,
        stop: { requested: false },
      });
      assert.equal(resumed.status, 'completed', `${name}: resume after the failure: ${resumed.message}`);
      const details = await readRunDetails(runDir);
      assert.deepEqual(
        details!.epochs.map((e) => e.epoch),
        [1, 2, 3, 4],
        name,
      );
      assert.equal(details!.summary.status, 'completed');
      assert.deepEqual(
        (await fsp.readdir(path.join(runDir, 'checkpoints'))).sort(),
        ['best', 'last'],
        `${name}: no temporary folders left`,
      );
    }
  } finally {
    await removeDir(work);
  }
});

test('EROFS on the whole run directory: runFailed names the path, records stay valid, the run reads as interrupted', async () => {
  await selectBackend('wasm');
  const work = await makeTempDir('it-erofs-');
  try {
    const data = path.join(work, 'data');
    await writeSampleDataset(data, { perClass: 12, size: 12, seed: 4 });
    const runsRoot = path.join(work, 'runs');
    const { outcome, events } = await trainUntilFailure(data, runsRoot, {
      code: 'EROFS',
      scope: () => true,
      expectMessage: /read-only/,
      checkpointEpoch: 2,
    });
    assert.equal(outcome.status, 'failed');
    const failed = events.at(-1);
    assert.ok(failed?.type === 'runFailed');
    assert.match(failed.message, /read-only/);
    assert.ok(failed.path?.startsWith(outcome.runDir!) && failed.message.includes(failed.path));
    // run.json could not be updated on a read-only disk: the old record is still whole, and once the
    // trainer is gone it reads as interrupted rather than running forever.
    const record = JSON.parse(
      await fsp.readFile(path.join(outcome.runDir!, 'run.json'), 'utf8'),
    ) as RunRecord;
    assert.equal(record.status, 'running');
    assert.equal(
      effectiveStatus(record, () => false, record.hostname ?? ''),
      'interrupted',
    );
    await assertCheckpointOf(outcome.runDir!, 2);
  } finally {
    await removeDir(work);
  }
});

test('an unwritable runs root fails before training with the folder named', async () => {
  const work = await makeTempDir('it-rofolder-');
  try {
    const data = path.join(work, 'data');
    await writeSampleDataset(data, { perClass: 6, size: 12, seed: 4 });
    const runsRoot = path.join(work, 'read-only', 'runs');
    const events: TrainerToHost[] = [];
    const injection = injectWriteFailure(
      'EROFS',
      () => true,
      (file) => file.startsWith(path.join(work, 'read-only')),
    );
    let outcome: TrainOutcome;
    try {
      outcome = await trainRun({
        dataDir: data,
        runsRoot,
        config: CONFIG,
        emit: (e) => events.push(e),
        stop: { requested: false },
      });
    } finally {
      injection.restore();
    }
    assert.equal(outcome.status, 'failed');
    const failed = events.at(-1);
    assert.ok(failed?.type === 'runFailed');
    assert.equal(failed.runDir, null);
    assert.match(
      failed.message,
      new RegExp(`cannot write ${runsRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*read-only`),
    );
  } finally {
    await removeDir(work);
  }
});
