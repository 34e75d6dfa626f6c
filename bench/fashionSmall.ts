// The trainer issue's acceptance check on real data: train on 1,000 Fashion-MNIST training images
// (100 per class) with `--image-size 28 --channels 1` and otherwise default settings for 8 epochs, then
// `evaluate` on 500 other images (50 per class of the test set). Target: accuracy ≥ 0.75.
//
//   node --import tsx bench/fashionSmall.ts [--seed N] [--epochs 8] [--keep]
//
// Runs go to a temporary folder, removed afterwards unless --keep. The last line is JSON.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFashionFolder, parseFlags } from './fashionMnist';
import { evaluateWithCli, machineDescription, mib, trainWithCli } from './trainerProcess';

const TARGET = 0.75;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const seed = flags.get('seed') ?? '42';
  const epochs = flags.get('epochs') ?? '8';
  const train = await ensureFashionFolder('train', { perClass: 100 });
  const test = await ensureFashionFolder('test', { perClass: 50 });
  console.log(`train: ${train.count} images (${train.dir}); evaluate: ${test.count} images (${test.dir})`);
  const out = await mkdtemp(join(tmpdir(), 'fashion-small-'));
  try {
    const args = ['--image-size', '28', '--channels', '1', '--epochs', epochs, '--seed', seed, '--out', out];
    console.log(`image-trainer train ${train.dir} ${args.join(' ')}`);
    const trained = await trainWithCli(train.dir, args, (p) =>
      console.log(
        `  epoch ${p.epoch}: loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} val ${p.valAccuracy?.toFixed(3) ?? '-'} ` +
          `(${p.samplesPerSecond.toFixed(0)} samples/s, ${(p.minutes * 60).toFixed(0)} s)`,
      ),
    );
    if (trained.failure || !trained.runDir)
      throw new Error(`training failed: ${trained.failure ?? 'no run directory'}`);
    const evaluation = await evaluateWithCli(trained.runDir, test.dir);
    const pass = evaluation.accuracy >= TARGET;
    console.log(
      `evaluate on ${evaluation.count} other images: accuracy ${evaluation.accuracy.toFixed(4)} ` +
        `(target ≥ ${TARGET}: ${pass ? 'met' : 'NOT met'}); training took ${(trained.wallMs / 1000).toFixed(0)} s, peak RSS ${mib(trained.peakRss)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'fashionSmall',
        seed: Number(seed),
        epochs: Number(epochs),
        trainImages: train.count,
        evalImages: evaluation.count,
        accuracy: evaluation.accuracy,
        target: TARGET,
        pass,
        lastValAccuracy: trained.epochs.at(-1)?.valAccuracy ?? null,
        trainWallS: trained.wallMs / 1000,
        peakRssMiB: Math.round(trained.peakRss / 1048576),
        machine: machineDescription(),
      }),
    );
    if (flags.has('keep')) console.log(`run kept in ${trained.runDir}`);
    process.exitCode = pass ? 0 : 1;
  } finally {
    if (!flags.has('keep')) await rm(out, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`fashionSmall: ${err.message}`);
  process.exit(1);
});
