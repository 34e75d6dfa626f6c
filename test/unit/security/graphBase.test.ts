// Hostile run folders around a graph base: model/graph-base/ (the copy of a graph base a transfer run
// carries) is read confined like every model file. A graph-base folder that links out of the model folder,
// or a graph weight file that links to a victim, is refused in one line, and nothing outside is read.
import { before, test } from 'node:test';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { selectBackend } from '../../../src/trainer/backend';
import { addBase } from '../../../src/trainer/bases/cache';
import { trainAny } from '../../../src/trainer/experiments/trainAny';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';
import { writeGraphModelFixture } from '../../fixtures/baseModels';
import {
  assertNothingReadIn,
  assertRefused,
  assertUntouched,
  cli,
  traceReads,
  workspacesForThisFile,
} from './hostileWorkspace';

const workspace = workspacesForThisFile();

before(async () => {
  await selectBackend('wasm');
});

/** A completed transfer run on a small graph base, inside the workspace's runs folder. */
async function graphRun(ws: Awaited<ReturnType<typeof workspace>>): Promise<string> {
  const cacheDir = path.join(ws.base, 'cache');
  await writeGraphModelFixture(path.join(ws.base, 'graph'), {
    inputSize: 16,
    filters: 4,
    pooled: true,
    shards: 2,
  });
  await addBase(path.join(ws.base, 'graph'), { cacheDir, name: 'g', env: {} });
  await writeSampleDataset(ws.data, { perClass: 4, size: 16, seed: 2 });
  const run = await trainAny({
    dataDir: ws.data,
    runsRoot: ws.runsRoot,
    cacheDir,
    config: resolveConfig({ model: 'transfer', epochs: 1, backend: 'wasm', transfer: { base: 'g' } }),
    emit: () => undefined,
    stop: { requested: false },
  });
  if (run.status !== 'completed' || !run.runDir) throw new Error(`graph run ${run.status}: ${run.message}`);
  return run.runDir;
}

test('a graph-base folder linking out of the model folder is refused unread by predict', async () => {
  const ws = await workspace();
  const runDir = await graphRun(ws);
  const graphBase = path.join(runDir, 'model', 'graph-base');
  // The victim holds a graph model of its own: following the link would load it.
  await fsp.cp(graphBase, path.join(ws.victim, 'graph'), { recursive: true });
  await fsp.rm(graphBase, { recursive: true });
  await fsp.symlink(path.join(ws.victim, 'graph'), graphBase);
  const image = path.join(ws.data, (await fsp.readdir(ws.data))[0]);
  const first = path.join(image, (await fsp.readdir(image))[0]);
  const { result, read } = await assertUntouched(ws.victim, () =>
    traceReads(() => cli(['predict', runDir, first, '--json'], ws.workspace)),
  );
  assertRefused(result, /graph-base: resolves to .*outside .* — remove the link/);
  assertNothingReadIn(read, ws.victim);
});

test('a graph weight file linking to a victim file is refused unread by predict', async () => {
  const ws = await workspace();
  const runDir = await graphRun(ws);
  const graphBase = path.join(runDir, 'model', 'graph-base');
  const shard = (await fsp.readdir(graphBase)).find((n) => n.endsWith('.bin'))!;
  await fsp.rm(path.join(graphBase, shard));
  await fsp.symlink(ws.secret, path.join(graphBase, shard));
  const image = path.join(ws.data, (await fsp.readdir(ws.data))[0]);
  const first = path.join(image, (await fsp.readdir(image))[0]);
  const { result, read } = await assertUntouched(ws.victim, () =>
    traceReads(() => cli(['predict', runDir, first, '--json'], ws.workspace)),
  );
  assertRefused(result, new RegExp(`${shard.replace(/\./g, '\\.')}: resolves to .*outside`));
  assertNothingReadIn(read, ws.victim);
});
