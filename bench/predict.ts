// Inference: `predict` latency per image (p50/p95) for `simple-cnn` and `cnn`, and throughput over a
// folder of 1,000 images, on both engines side by side: TF.js (WASM backend) and ONNX Runtime (the run's
// model converted in memory, src/trainer/export/onnxPredict.ts). Per model and engine:
//   warm    — one image per call in a process that has the model loaded (the editor's Classify Image
//             once its trainer is running);
//   cold    — `image-trainer predict RUN_DIR IMAGE [--engine tfjs]` as a fresh process each time (startup,
//             backend, model load and, for ONNX Runtime, the conversion included);
//   folder  — `image-trainer predict RUN_DIR FOLDER [--engine tfjs]` on 1,000 Fashion-MNIST test images, images/s.
//
//   node --import tsx bench/predict.ts [--image-size 64] [--channels 3] [--warm 200] [--cold 10]
//
// The models are trained for one epoch on 200 Fashion-MNIST images (accuracy does not matter here)
// into a temporary folder that is removed afterwards. The last line is JSON.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../src/trainer/backend';
import { onnxClassifierFor, predictWithClassifier } from '../src/trainer/export/onnxPredict';
import { loadRunModel, predictFiles, type PredictOptions, type RunModel } from '../src/trainer/runModel';
import { ensureFashionFolder, FASHION_CLASSES, parseFlags } from './fashionMnist';
import { machineDescription, runCli, trainWithCli } from './trainerProcess';

const PRESETS = ['simple-cnn', 'cnn'] as const;

/** Nearest-rank percentile of `values` (0 < p ≤ 100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function listImages(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const name of FASHION_CLASSES)
    for (const file of (await readdir(join(dir, name))).sort()) files.push(join(dir, name, file));
  return files;
}

const ENGINES = ['tfjs', 'onnxruntime'] as const;
type Engine = (typeof ENGINES)[number];

interface PresetFigures {
  model: string;
  engine: Engine;
  params: number;
  warmP50Ms: number;
  warmP95Ms: number;
  coldP50Ms: number;
  coldP95Ms: number;
  folderImages: number;
  folderSeconds: number;
  folderImagesPerSecond: number;
  inProcessBatchImagesPerSecond: number;
}

const round = (ms: number) => Number(ms.toFixed(1));

/** Predicts files in-process with one engine; the ONNX Runtime session is made once, as a long-lived process would. */
async function inProcessPredictor(
  engine: Engine,
  runModel: RunModel,
): Promise<{
  predict: (files: string[], options: PredictOptions) => Promise<number>;
  close: () => Promise<void>;
}> {
  if (engine === 'tfjs')
    return {
      predict: (files, options) => predictFiles(runModel, files, options),
      close: async () => undefined,
    };
  const made = await onnxClassifierFor(runModel);
  if (!made.ok) throw new Error(`ONNX Runtime cannot run this model: ${made.reason}`);
  return {
    predict: (files, options) => predictWithClassifier(runModel, made.classifier, files, options),
    close: () => made.classifier.dispose(),
  };
}

async function measurePreset(
  preset: (typeof PRESETS)[number],
  engine: Engine,
  runDir: string,
  images: string[],
  counts: { warm: number; cold: number },
): Promise<PresetFigures> {
  const runModel = await loadRunModel(runDir);
  const predictor = await inProcessPredictor(engine, runModel);
  const silent = {
    top: 3,
    onPredictions: () => undefined,
    onError: (file: string, message: string) => console.error(`${file}: ${message}`),
  };
  const warm: number[] = [];
  for (let i = 0; i < counts.warm + 5; i++) {
    const started = performance.now();
    await predictor.predict([images[i % images.length]], silent);
    if (i >= 5) warm.push(performance.now() - started); // the first calls compile kernels
  }
  const batchStarted = performance.now();
  const predicted = await predictor.predict(images, silent);
  const inProcess = predicted / ((performance.now() - batchStarted) / 1000);
  const params = runModel.model.countParams();
  await predictor.close();
  runModel.model.dispose();

  const engineFlag = engine === 'tfjs' ? ['--engine', 'tfjs'] : [];
  const cold: number[] = [];
  for (let i = 0; i < counts.cold; i++) {
    const result = await runCli([
      'predict',
      runDir,
      images[(i * 97) % images.length],
      '--json',
      ...engineFlag,
    ]);
    if (result.code !== 0) throw new Error(`predict failed (exit ${result.code}): ${result.stderr.trim()}`);
    cold.push(result.wallMs);
  }
  const folder = await runCli(['predict', runDir, join(images[0], '..', '..'), '--json', ...engineFlag]);
  if (folder.code !== 0)
    throw new Error(`predict on the folder failed (exit ${folder.code}): ${folder.stderr.trim()}`);
  const folderCount = (JSON.parse(folder.stdout) as unknown[]).length;
  return {
    model: preset,
    engine,
    params,
    warmP50Ms: round(percentile(warm, 50)),
    warmP95Ms: round(percentile(warm, 95)),
    coldP50Ms: round(percentile(cold, 50)),
    coldP95Ms: round(percentile(cold, 95)),
    folderImages: folderCount,
    folderSeconds: Number((folder.wallMs / 1000).toFixed(2)),
    folderImagesPerSecond: Math.round(folderCount / (folder.wallMs / 1000)),
    inProcessBatchImagesPerSecond: Math.round(inProcess),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const imageSize = flags.get('image-size') ?? '64';
  const channels = flags.get('channels') ?? '3';
  const counts = { warm: Number(flags.get('warm') ?? '200'), cold: Number(flags.get('cold') ?? '10') };
  const train = await ensureFashionFolder('train', { perClass: 20 });
  const test = await ensureFashionFolder('test', { perClass: 100 });
  const images = await listImages(test.dir);
  await selectBackend('auto');
  const out = await mkdtemp(join(tmpdir(), 'predict-bench-'));
  const results: PresetFigures[] = [];
  try {
    for (const preset of PRESETS) {
      const args = [
        '--model',
        preset,
        '--image-size',
        imageSize,
        '--channels',
        channels,
        '--epochs',
        '1',
        '--validation-split',
        '0.1',
        '--out',
        out,
      ];
      const trained = await trainWithCli(train.dir, args);
      if (trained.failure || !trained.runDir)
        throw new Error(`training ${preset} failed: ${trained.failure ?? 'no run directory'}`);
      // Engines alternate within a preset so that the machine's swings hit both alike.
      for (const engine of ENGINES) {
        const figures = await measurePreset(preset, engine, trained.runDir, images, counts);
        results.push(figures);
        console.log(
          `${preset} on ${engine} (${figures.params} parameters, ${imageSize}×${imageSize}×${channels}): warm p50 ${figures.warmP50Ms} ms, p95 ${figures.warmP95Ms} ms per image; ` +
            `cold CLI p50 ${figures.coldP50Ms} ms, p95 ${figures.coldP95Ms} ms; folder of ${figures.folderImages}: ${figures.folderSeconds} s ` +
            `= ${figures.folderImagesPerSecond} images/s (in-process batches of 64: ${figures.inProcessBatchImagesPerSecond} images/s)`,
        );
      }
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify({
      bench: 'predict',
      imageSize: Number(imageSize),
      channels: Number(channels),
      counts,
      results,
      machine: machineDescription(),
    }),
  );
}

main().catch((err: Error) => {
  console.error(`predict: ${err.message}`);
  process.exit(1);
});
