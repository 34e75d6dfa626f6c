// The host's session against the real bundled trainer (dist/cli.js, built by `npm test`): a tiny run is
// stopped over IPC, shows as stopped in the run store, and Resume completes it. Skipped without a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listRuns } from '../../../src/core/runStore';
import { markRunEnded } from '../../../src/host/training/runRecordRepair';
import { killProcessTree, resolveRuntime, spawnTrainer } from '../../../src/host/training/trainerProcess';
import { TrainingSession, type SessionDeps } from '../../../src/host/training/trainingSession';

const cli = path.resolve(__dirname, '../../../dist/cli.js');

test(
  'stop over IPC, then resume, with the real trainer',
  { skip: existsSync(cli) ? false : 'dist/cli.js not built' },
  async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'it-real-trainer-'));
    try {
      const sample = spawnSync(
        process.execPath,
        [cli, 'sample', path.join(ws, 'shapes'), '--per-class', '6', '--size', '16'],
        { encoding: 'utf8' },
      );
      assert.equal(sample.status, 0, sample.stderr);
      const config = path.join(ws, 'tiny.imagetrainer.json');
      writeFileSync(
        config,
        JSON.stringify({
          model: 'simple-cnn',
          epochs: 3,
          batchSize: 8,
          imageSize: 16,
          channels: 1,
          backend: 'wasm',
        }),
      );
      const location = { runtime: resolveRuntime(undefined), cliPath: cli, cwd: ws };
      const deps: SessionDeps = {
        spawn: (args) => spawnTrainer(location, args),
        killTree: killProcessTree,
        markRunEnded,
      };
      const runsRoot = path.join(ws, 'runs');

      const first: TrainingSession = new TrainingSession(
        { datasetDir: path.join(ws, 'shapes'), runsRoot, configFile: config },
        deps,
        {
          onEvent: (event) => {
            if (event.type === 'epochEnded' && event.metrics.epoch === 1) first.requestStop();
          },
        },
      );
      first.start();
      const stopped = await first.done;
      assert.equal(stopped.kind, 'stopped', JSON.stringify(stopped));
      const [run] = await listRuns(runsRoot);
      assert.equal(run.status, 'stopped');
      assert.ok(
        run.epochsCompleted >= 1 && run.epochsCompleted < 3,
        `stopped after ${run.epochsCompleted} epochs`,
      );

      const resumed = new TrainingSession(
        { datasetDir: run.datasetRoot, runsRoot, resumeRunDir: run.runDir },
        deps,
      );
      resumed.start();
      assert.equal(resumed.snapshot.startEpoch, 1, 'before runStarted');
      const outcome = await resumed.done;
      assert.equal(outcome.kind, 'completed', JSON.stringify(outcome));
      assert.equal(
        resumed.snapshot.startEpoch,
        run.epochsCompleted + 1,
        'the trainer resumed after the last completed epoch',
      );
      const [after] = await listRuns(runsRoot);
      assert.equal(after.id, run.id);
      assert.equal(after.status, 'completed');
      assert.equal(after.epochsCompleted, 3);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
