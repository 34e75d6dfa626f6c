// Export: the reloaded export predicts as the trained model (parity), and a mismatched preprocessing is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelMetadata } from '../../../../src/protocol/runRecord';
import { resolveConfig } from '../../../../src/core/config';
import { readRunRecord } from '../../../../src/core/runStore';
import { trainAny } from '../../../../src/trainer/experiments/trainAny';
import { checkParity, exportRun } from '../../../../src/trainer/experiments/exportModel';
import { loadRunModel } from '../../../../src/trainer/runModel';
import { UsageError } from '../../../../src/trainer/errors';
import { main, type CliIo } from '../../../../src/trainer/cli';
import { writeSampleDataset } from '../../../../src/trainer/sampleWriter';

test('export: tfjs-layers passes the parity check; a tampered preprocessing fails it; other formats say why not', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'export-'));
  await writeSampleDataset(path.join(root, 'data'), { perClass: 8, size: 12, seed: 4 });
  const config = resolveConfig({
    model: 'simple-cnn',
    imageSize: 12,
    channels: 1,
    epochs: 2,
    backend: 'wasm',
    learningRate: 0.01,
  });
  const run = await trainAny({
    dataDir: path.join(root, 'data'),
    runsRoot: path.join(root, 'runs'),
    config,
    emit: () => undefined,
    stop: { requested: false },
  });
  const runDir = run.runDir!;
  const out = path.join(root, 'exported');
  const result = await exportRun(runDir, 'tfjs-layers', out);
  assert.deepEqual(result.files, ['metadata.json', 'model.json', 'predict.mjs', 'weights.bin']);
  assert.equal(result.parity.images, 8, 'every validation image of split.json is compared');
  assert.equal(result.parity.sameTop1, 8);
  assert.ok(result.parity.maxProbabilityDifference <= 1e-4);
  assert.equal(result.parity.passed, true);
  const snippet = await fs.readFile(path.join(out, 'predict.mjs'), 'utf8');
  assert.match(snippet, /"imageSize":12,"channels":1,"scale":0\.00392156862745098,"offset":0/);

  // The export's metadata says pixels are not scaled to [0, 1]: what a snippet with that mistake would predict.
  const metadataFile = path.join(out, 'metadata.json');
  const metadata = JSON.parse(await fs.readFile(metadataFile, 'utf8')) as ModelMetadata;
  await fs.writeFile(
    metadataFile,
    JSON.stringify({ ...metadata, preprocessing: { ...metadata.preprocessing, scale: 1 } }),
  );
  const reference = await loadRunModel(runDir);
  const tampered = await checkParity(runDir, (await readRunRecord(runDir))!, reference, out);
  reference.model.dispose();
  assert.equal(tampered.passed, false);
  assert.ok(tampered.maxProbabilityDifference > 1e-3, `difference ${tampered.maxProbabilityDifference}`);

  await assert.rejects(
    exportRun(runDir, 'tfjs-graph'),
    (e: Error) => e instanceof UsageError && /tensorflowjs_converter/.test(e.message),
  );
  await assert.rejects(
    exportRun(runDir, 'savedmodel'),
    (e: Error) => e instanceof UsageError && /tfjs-node/.test(e.message),
  );

  // Through the CLI: exit 0 with the parity line; exit 2 with one line for what cannot be done.
  const cli = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd: root };
    return { code: await main(argv, io), stdout, stderr };
  };
  const ok = await cli(['export', runDir, '--out', path.join(root, 'again')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Parity on 8 validation images: same top-1 on 8, .* passed/);
  for (const argv of [
    ['export', runDir, '--format', 'tfjs-graph'],
    ['export', runDir, '--format', 'tflite'],
    ['train', path.join(root, 'data'), '--model', 'transfer'],
    [
      'train',
      path.join(root, 'data'),
      '--model',
      'transfer',
      '--base',
      path.join(runDir, 'model'),
      '--cut-layer',
      'nope',
    ],
    ['train', path.join(root, 'data'), '--k-folds', '1'],
    ['sweep', path.join(root, 'missing.json')],
  ]) {
    const failed = await cli(argv);
    assert.equal(failed.code, 2, `${argv.join(' ')}: ${failed.stderr}`);
    assert.equal(failed.stderr.trim().split('\n').length, 1, `one line: ${failed.stderr}`);
  }
  await fs.rm(root, { recursive: true, force: true });
});
