// The CLI's pretrained path: `train DIR --base NAME` trains a transfer head without --model, and `train DIR`
// on photos with the default model says which base to use (and how large it is) without downloading it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RunRecord } from '../../../src/protocol/runRecord';
import { main, type CliIo } from '../../../src/trainer/cli';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';

async function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd, env };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Colour photos of two classes, 160×120: large enough to count as photos, cheap to train on. */
async function photos(root: string): Promise<void> {
  for (const [label, colour] of [
    ['red', { r: 200, g: 40, b: 40 }],
    ['blue', { r: 40, g: 40, b: 200 }],
  ] as const) {
    await fs.mkdir(path.join(root, label), { recursive: true });
    for (let i = 0; i < 6; i++)
      await sharp({
        create: { width: 160, height: 120, channels: 3, background: { ...colour, r: colour.r - i * 5 } },
      })
        .jpeg()
        .toFile(path.join(root, label, `${i}.jpg`));
  }
}

test('train DIR without --model on photos names the base to get and its size; nothing is downloaded', async () => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-base-'));
  const cacheDir = path.join(work, 'cache');
  await photos(path.join(work, 'photos'));
  const result = await run(
    ['train', 'photos', '--epochs', '1', '--image-size', '16', '--backend', 'wasm', '--out', 'runs'],
    work,
    { IMAGE_TRAINER_CACHE_DIR: cacheDir },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /note: these look like photos \(colour, about 120 px\).*get mobilenet-v2-0\.35 \(about 1\.6 MB, once\): image-trainer bases get mobilenet-v2-0\.35, then image-trainer train photos --base mobilenet-v2-0\.35/,
  );
  await assert.rejects(fs.access(path.join(cacheDir, 'bases')), 'nothing was downloaded');

  // Small grey images are not photos: no note.
  await writeSampleDataset(path.join(work, 'shapes'), { perClass: 4, size: 16, seed: 1 });
  const shapes = await run(['train', 'shapes', '--epochs', '1', '--backend', 'wasm', '--out', 'runs'], work, {
    IMAGE_TRAINER_CACHE_DIR: cacheDir,
  });
  assert.equal(shapes.code, 0, shapes.stderr);
  assert.doesNotMatch(shapes.stderr, /look like photos/);
});

test('train DIR --base PATH (no --model) trains a transfer head and records the base in run.json', async () => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-base-'));
  const env = { IMAGE_TRAINER_CACHE_DIR: path.join(work, 'cache') };
  await writeSampleDataset(path.join(work, 'shapes'), { perClass: 8, size: 16, seed: 1 });
  /** Trains on the shapes with `flags` (as JSON events) and returns the new run's record. */
  const train = async (...flags: string[]): Promise<RunRecord & { dir: string }> => {
    const result = await run(
      ['train', 'shapes', '--backend', 'wasm', '--out', 'runs', '--json', ...flags],
      work,
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const started = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; runDir?: string })
      .find((event) => event.type === 'runStarted');
    const dir = started!.runDir!;
    return { ...(JSON.parse(await fs.readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord), dir };
  };
  const base = await train('--model', 'simple-cnn', '--epochs', '1');
  const transfer = await train('--base', path.join(base.dir, 'model'), '--epochs', '2');
  assert.equal(transfer.config.model, 'transfer');
  assert.equal(transfer.base?.format, 'layers');
  assert.equal(transfer.base?.source, path.join(base.dir, 'model', 'model.json'));
  assert.match(transfer.base?.sha256 ?? '', /^[0-9a-f]{64}$/);
  // A model named explicitly wins: --base then gives svm its features.
  const svm = await train('--model', 'svm', '--base', path.join(base.dir, 'model'), '--epochs', '1');
  assert.equal(svm.config.model, 'svm');
});
