// Issue 13, the trainer's side: crafted run directories and model folders given to `evaluate`, `predict`,
// `train --resume`, `export`, `sweep` and `train --config`, run as the CLI runs them (cli.ts `main`, the
// function the `image-trainer` process runs). Each case: the user sees one line saying why (exit 2), and
// no file outside the run, the model folder or the data set is read, written, moved or deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  assertNothingReadIn,
  assertRefused,
  assertUntouched,
  cli,
  copyTrainedRun,
  editJson,
  workspacesForThisFile,
  readJson,
  traceReads,
  treeDigest,
} from './hostileWorkspace';

const workspace = workspacesForThisFile();

/** The weight file name a trained model's manifest lists. */
async function weightPaths(modelDir: string): Promise<string[]> {
  const json = await readJson(path.join(modelDir, 'model.json'));
  return (json.weightsManifest as { paths: string[] }[]).flatMap((g) => g.paths);
}

async function setWeightPath(modelDir: string, weightPath: string): Promise<void> {
  await editJson(path.join(modelDir, 'model.json'), (json) => ({
    ...json,
    weightsManifest: (json.weightsManifest as { paths: string[]; weights: unknown[] }[]).map((g) => ({
      ...g,
      paths: [weightPath],
    })),
  }));
}

test('evaluate never writes through a symlinked evaluations/ folder (it used to overwrite the victim)', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await fsp.symlink(ws.victim, path.join(runDir, 'evaluations'));
  // The evaluation of a folder named "notes" would be saved as evaluations/notes.json = victim/notes.json.
  const notes = path.join(ws.workspace, 'notes');
  await fsp.cp(ws.data, notes, { recursive: true });
  const result = await assertUntouched(ws.victim, () => cli(['evaluate', runDir, notes], ws.workspace));
  assertRefused(result, /evaluations: is a symbolic link; files are never written through a link/);
  assert.equal(await fsp.readFile(path.join(ws.victim, 'notes.json'), 'utf8'), '{"keep": true}\n');
});

test('model.json weight paths are kept inside the model folder: /abs, ../ and links are refused unread', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const modelDir = path.join(runDir, 'model');
  const [original] = await weightPaths(modelDir);
  const image = path.join(ws.data, (await fsp.readdir(ws.data))[0]);
  const cases: [string, () => Promise<void>, RegExp][] = [
    // The reported case: an absolute path (/etc/passwd) loaded as weights, exit 0, NaN%.
    [
      'absolute',
      () => setWeightPath(modelDir, ws.secret),
      /paths\[0\] ".*secret\.txt" is refused: weight files must be inside the model folder/,
    ],
    [
      'parent',
      () => setWeightPath(modelDir, path.relative(modelDir, ws.secret)),
      /is refused: weight files must be inside the model folder/,
    ],
    [
      'link',
      async () => {
        await setWeightPath(modelDir, original);
        await fsp.rm(path.join(modelDir, original));
        await fsp.symlink(ws.secret, path.join(modelDir, original));
      },
      /weights\.bin: resolves to .*secret\.txt, outside .*model — remove the link/,
    ],
  ];
  for (const [name, tamper, message] of cases) {
    await tamper();
    for (const argv of [
      ['evaluate', runDir, ws.data],
      ['predict', runDir, image, '--json'],
    ]) {
      const { result, read } = await assertUntouched(ws.victim, () =>
        traceReads(() => cli(argv, ws.workspace)),
      );
      assertRefused(result, message);
      assert.equal(result.stdout.includes('NaN'), false, `${name}: no NaN result`);
      assertNothingReadIn(read, ws.victim);
    }
  }
});

test('a weight file of the wrong size (garbage in the folder) is refused, not loaded as NaN weights', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const modelDir = path.join(runDir, 'model');
  const [weights] = await weightPaths(modelDir);
  await fsp.writeFile(path.join(modelDir, weights), 'root:x:0:0:root:/root:/bin/bash\n');
  const result = await cli(['evaluate', runDir, ws.data], ws.workspace);
  assertRefused(
    result,
    /model\.json: its weight files hold 32 bytes where its weights need \d+ — the model is damaged/,
  );
});

test('a model/ folder that is a link out of the run is refused', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const elsewhere = path.join(ws.victim, 'model');
  await fsp.rename(path.join(runDir, 'model'), elsewhere);
  await fsp.symlink(elsewhere, path.join(runDir, 'model'));
  const { result, read } = await traceReads(() => cli(['evaluate', runDir, ws.data], ws.workspace));
  assertRefused(result, /model\.json: resolves to .*victim.*, outside .* — remove the link/);
  assertNothingReadIn(read, ws.victim);
});

test('train --resume never follows a symlinked checkpoints/ folder (it used to delete the victim)', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
  await fsp.rm(path.join(runDir, 'checkpoints'), { recursive: true });
  await fsp.symlink(ws.victim, path.join(runDir, 'checkpoints'));
  const runBefore = await treeDigest(runDir);
  const result = await assertUntouched(ws.victim, () =>
    cli(['train', '--resume', runDir, '--epochs', '3'], ws.workspace),
  );
  assertRefused(
    result,
    /checkpoints: is a symbolic link; a run's files must be inside its folder — remove the link/,
  );
  assert.deepEqual(await treeDigest(runDir), runBefore, 'the run is left as it was');
});

test('a link the user keeps elsewhere in a run (export/) does not block a resume, and is not written through', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
  await fsp.symlink(ws.victim, path.join(runDir, 'export'));
  const result = await assertUntouched(ws.victim, () =>
    cli(['train', '--resume', runDir, '--epochs', '3', '--json'], ws.workspace),
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal((await readJson(path.join(runDir, 'run.json'))).epochsCompleted, 3);
});

test('train --resume refuses a split.json that names files outside the data set, without decoding them', async () => {
  const ws = await workspace();
  const cases: [string, (runDir: string) => Promise<void>, RegExp][] = [
    [
      'parent path',
      (runDir) =>
        editJson(path.join(runDir, 'split.json'), (s) => {
          const train = s.train as { path: string; label: string }[];
          const rel = path.relative(ws.data, path.join(ws.victim, 'photos', 'cat', 'a.png'));
          return { ...s, train: [{ path: rel, label: train[0].label }, ...train] };
        }),
      /split\.json: train\[0\]\.path: path may not contain "\.\.", "\." or empty segments/,
    ],
    [
      'absolute path',
      (runDir) =>
        editJson(path.join(runDir, 'split.json'), (s) => {
          const train = s.train as { path: string; label: string }[];
          return {
            ...s,
            train: [{ path: path.join(ws.victim, 'photos', 'cat', 'a.png'), label: train[0].label }],
          };
        }),
      /split\.json: train\[0\]\.path: path must be relative, not absolute/,
    ],
    [
      'link inside the data set',
      async (runDir) => {
        const split = await readJson(path.join(runDir, 'split.json'));
        const first = (split.train as { path: string }[])[0].path;
        await fsp.rm(path.join(ws.data, first));
        await fsp.symlink(path.join(ws.victim, 'photos', 'cat', 'a.png'), path.join(ws.data, first));
      },
      /split\.json train\[0\] resolves to .*victim.*, outside the data set folder/,
    ],
  ];
  let n = 0;
  for (const [name, tamper, message] of cases) {
    const runDir = await copyTrainedRun(ws, `2026-01-0${++n}T00-00-00-000Z-split`);
    await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
    await tamper(runDir);
    const recordBefore = await fsp.readFile(path.join(runDir, 'run.json'), 'utf8');
    const { result, read } = await assertUntouched(ws.victim, () =>
      traceReads(() => cli(['train', '--resume', runDir, '--epochs', '3'], ws.workspace)),
    );
    assertRefused(result, message);
    assertNothingReadIn(read, ws.victim);
    assert.equal(
      await fsp.readFile(path.join(runDir, 'run.json'), 'utf8'),
      recordBefore,
      `${name}: run.json kept`,
    );
  }
});

test('a tampered checkpoint state is a one-line error (exit 2) and the run is not marked completed', async () => {
  const ws = await workspace();
  const tampered: [string, Record<string, unknown>, RegExp][] = [
    // The reported case: resumed 0 epochs, exit 0, NaN recorded.
    [
      'shell text',
      { epoch: '1; rm -rf /' },
      /state\.json: epoch must be a whole number from 1 to 10000, got "1; rm -rf \/"/,
    ],
    ['negative', { epoch: -1 }, /epoch must be a whole number from 1 to 10000, got -1/],
    ['fraction', { epoch: 1.5 }, /epoch must be a whole number/],
    ['huge', { epoch: 1e308 }, /epoch must be a whole number/],
    [
      'learning rate',
      { schedule: { learningRate: 1e999, plateauBest: null, plateauWait: 0 } },
      /schedule\.learningRate must be a number above 0 and at most 10, got null/,
    ],
    [
      'tracker',
      { tracker: { bestEpoch: 99, bestValue: 0.5, wait: 0 } },
      /tracker\.bestEpoch must be a whole number from 0 to 2, got 99/,
    ],
  ];
  let n = 0;
  for (const [name, patch, message] of tampered) {
    const runDir = await copyTrainedRun(ws, `2026-02-0${++n}T00-00-00-000Z-state`);
    await editJson(path.join(runDir, 'run.json'), (r) => ({ ...r, status: 'stopped' }));
    // JSON.stringify writes 1e999 as null: the file holds what a hostile editor could put there.
    await editJson(path.join(runDir, 'checkpoints', 'last', 'state.json'), (s) => ({ ...s, ...patch }));
    const before = await treeDigest(runDir);
    const result = await cli(['train', '--resume', runDir, '--epochs', '3'], ws.workspace);
    assertRefused(result, message);
    assert.deepEqual(await treeDigest(runDir), before, `${name}: nothing in the run changed`);
    assert.equal((await readJson(path.join(runDir, 'run.json'))).status, 'stopped', name);
  }
});

test('model metadata read back is checked with the field table before a model is used', async () => {
  const ws = await workspace();
  const cases: [string, (m: Record<string, unknown>) => Record<string, unknown>, RegExp][] = [
    [
      'image size 0',
      (m) => withPre(m, { imageSize: 0 }),
      /preprocessing\.imageSize must be a whole number of at least 1, got 0/,
    ],
    [
      'image size huge',
      (m) => withPre(m, { imageSize: 100_000 }),
      /preprocessing\.imageSize must be a whole number from 8 to 1024, got 100000/,
    ],
    [
      'image size text',
      (m) => withPre(m, { imageSize: '8' }),
      /preprocessing\.imageSize must be a whole number of at least 1, got the text "8"/,
    ],
    ['channels', (m) => withPre(m, { channels: 2 }), /preprocessing\.channels must be one of 1, 3, got 2/],
    [
      'scale',
      (m) => withPre(m, { scale: 1e300 }),
      /preprocessing\.scale must be between -1000000 and 1000000/,
    ],
    [
      'labels',
      (m) => ({ ...m, labels: ['a', 'b'] }),
      /lists 2 labels, but the model gives \[null,4\] scores/,
    ],
    ['duplicate labels', (m) => ({ ...m, labels: ['a', 'a', 'b', 'c'] }), /labels names "a" twice/],
    [
      'another size',
      (m) => withPre(m, { imageSize: 32 }),
      /describes 32×32×1 images, but the model takes \[null,16,16,1\]/,
    ],
  ];
  let n = 0;
  for (const [name, edit, message] of cases) {
    const runDir = await copyTrainedRun(ws, `2026-03-0${++n}T00-00-00-000Z-meta`);
    await editJson(path.join(runDir, 'model', 'metadata.json'), edit);
    const image = path.join(ws.data, (await fsp.readdir(ws.data))[0]);
    for (const argv of [
      ['evaluate', runDir, ws.data],
      ['predict', runDir, image],
      ['export', runDir],
    ]) {
      const result = await cli(argv, ws.workspace);
      assertRefused(result, message);
      assert.equal(result.stdout, '', `${name}: ${argv[0]} printed no result`);
    }
  }
});

function withPre(metadata: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  return { ...metadata, preprocessing: { ...(metadata.preprocessing as Record<string, unknown>), ...patch } };
}

test('run.json config read back is checked with the field table: resume and export refuse a bad value', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({
    ...r,
    status: 'stopped',
    config: { ...(r.config as Record<string, unknown>), batchSize: -1 },
  }));
  const before = await treeDigest(runDir);
  assertRefused(
    await cli(['train', '--resume', runDir, '--epochs', '3'], ws.workspace),
    /run\.json: config: batchSize must be a whole number from 1 to 4096, got -1 — the run cannot be resumed/,
  );
  assertRefused(
    await cli(['export', runDir], ws.workspace),
    /run\.json: config: batchSize must be a whole number/,
  );
  assert.deepEqual(await treeDigest(runDir), before);
});

test('export never writes through a symlinked export/ folder', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await fsp.symlink(ws.victim, path.join(runDir, 'export'));
  const result = await assertUntouched(ws.victim, () => cli(['export', runDir], ws.workspace));
  assertRefused(result, /export: is a symbolic link; files are never written through a link/);
});

test('export reads parity images only inside the data set, whatever run.json and split.json claim', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const split = await readJson(path.join(runDir, 'split.json'));
  const first = (split.validation as { path: string }[])[0].path;
  await fsp.rm(path.join(ws.data, first));
  await fsp.symlink(path.join(ws.victim, 'photos', 'cat', 'a.png'), path.join(ws.data, first));
  const out = path.join(ws.workspace, 'exported');
  const { result, read } = await assertUntouched(ws.victim, () =>
    traceReads(() => cli(['export', runDir, '--out', out, '--json'], ws.workspace)),
  );
  assert.equal(result.code, 0, result.stderr);
  assertNothingReadIn(read, ws.victim);
});

test('a sweep file cannot pollute Object.prototype through a dotted "__proto__" field', async () => {
  const ws = await workspace();
  const sweep = path.join(ws.workspace, 'evil-sweep.json');
  await fsp.writeFile(
    sweep,
    JSON.stringify({ base: { epochs: 1 }, search: { '__proto__.polluted': ['yes'] }, method: 'grid' }),
  );
  const result = await cli(['sweep', sweep, '--data', ws.workspace, '--out', ws.runsRoot], ws.workspace);
  assertRefused(result, /unknown field "__proto__"/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
});

test('a config file naming a transfer base whose weights leave its folder is refused unread', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const base = path.join(ws.workspace, 'base-model');
  await fsp.cp(path.join(runDir, 'model'), base, { recursive: true });
  await setWeightPath(base, ws.secret);
  const config = path.join(ws.workspace, 'evil.imagetrainer.json');
  await fsp.writeFile(config, JSON.stringify({ model: 'transfer', epochs: 1, transfer: { base } }));
  const { result, read } = await assertUntouched(ws.victim, () =>
    traceReads(() => cli(['train', ws.data, '--config', config, '--out', ws.runsRoot], ws.workspace)),
  );
  assertRefused(
    result,
    /weight files must be inside the model folder|refusing to read outside the model's folder/,
  );
  assertNothingReadIn(read, ws.victim);
});
