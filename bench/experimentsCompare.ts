// Issue 7's comparison: test accuracy of svm, knn, simple-cnn, cnn, resnet and a transfer model trained
// on the same 1,000 Fashion-MNIST training images (100 per class), evaluated on 500 test images (50 per
// class). The transfer base is a simple-cnn pre-trained on 5,000 other training images (500 per class,
// disjoint from the 1,000 and from the test set); svm and knn on that base's features are listed too.
//
//   node --import tsx bench/experimentsCompare.ts [--epochs 8] [--base-epochs 4] [--only svm,knn] [--keep]
//
// Every model goes through the CLI (dist/cli.js: run `node esbuild.js` first). The last line is JSON.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFashionFolder, parseFlags } from './fashionMnist';
import { evaluateWithCli, machineDescription, trainWithCli } from './trainerProcess';

interface Row {
  name: string;
  testAccuracy: number;
  trainSeconds: number;
  epochs: number;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const epochs = flags.get('epochs') ?? '8';
  const baseEpochs = flags.get('base-epochs') ?? '4';
  const only = flags.get('only')?.split(',');
  const train = await ensureFashionFolder('train', { perClass: 100 });
  const pretrain = await ensureFashionFolder('train', { perClass: 500, skipPerClass: 100 });
  const test = await ensureFashionFolder('test', { perClass: 50 });
  const out = await mkdtemp(join(tmpdir(), 'experiments-compare-'));
  const common = ['--image-size', '28', '--channels', '1', '--seed', '42', '--out', out];
  const rows: Row[] = [];
  const run = async (name: string, dataDir: string, args: string[]): Promise<string> => {
    const started = Date.now();
    const trained = await trainWithCli(dataDir, [...common, ...args]);
    if (!trained.runDir) throw new Error(`${name}: no run directory`);
    if (dataDir === train.dir) {
      const evaluation = await evaluateWithCli(trained.runDir, test.dir);
      const row = {
        name,
        testAccuracy: evaluation.accuracy,
        trainSeconds: (Date.now() - started) / 1000,
        epochs: trained.epochs.length,
      };
      rows.push(row);
      console.log(
        `${name.padEnd(28)} test accuracy ${(row.testAccuracy * 100).toFixed(1)}%  (${row.epochs} epochs, ${row.trainSeconds.toFixed(0)} s)`,
      );
    }
    return trained.runDir;
  };
  const wanted = (name: string) => !only || only.includes(name);
  try {
    if (wanted('svm'))
      await run('svm (pixels)', train.dir, [
        '--model',
        'svm',
        '--epochs',
        epochs,
        '--learning-rate',
        '0.001',
      ]);
    if (wanted('knn')) await run('knn k=5 (pixels)', train.dir, ['--model', 'knn']);
    if (wanted('simple-cnn'))
      await run('simple-cnn', train.dir, ['--model', 'simple-cnn', '--epochs', epochs]);
    if (wanted('cnn')) await run('cnn', train.dir, ['--model', 'cnn', '--epochs', epochs]);
    if (wanted('resnet')) await run('resnet', train.dir, ['--model', 'resnet', '--epochs', epochs]);
    if (wanted('transfer')) {
      const base = await run('base', pretrain.dir, ['--model', 'simple-cnn', '--epochs', baseEpochs]);
      const baseModel = join(base, 'model');
      await run('transfer (head only)', train.dir, [
        '--model',
        'transfer',
        '--base',
        baseModel,
        '--epochs',
        epochs,
        '--learning-rate',
        '0.003',
      ]);
      await run('transfer + fine-tune 2', train.dir, [
        '--model',
        'transfer',
        '--base',
        baseModel,
        '--epochs',
        epochs,
        '--learning-rate',
        '0.003',
        '--fine-tune-layers',
        '2',
        '--fine-tune-epochs',
        '3',
        '--fine-tune-learning-rate',
        '0.0003',
      ]);
      await run('svm (base features)', train.dir, [
        '--model',
        'svm',
        '--base',
        baseModel,
        '--epochs',
        epochs,
        '--learning-rate',
        '0.001',
      ]);
      await run('knn k=5 (base features)', train.dir, ['--model', 'knn', '--base', baseModel]);
    }
  } finally {
    if (!flags.has('keep')) await rm(out, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify({
      machine: machineDescription(),
      train: train.count,
      test: test.count,
      pretrain: pretrain.count,
      rows,
    }),
  );
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
