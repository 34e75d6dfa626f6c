// `npm run demo:detect`: writes the procedural detection set (shapes on textured backgrounds, exact boxes,
// YOLO format; no download), trains the detector on it with the CLI's defaults, and prints where the run
// went, its mAP@0.5 and mAP@0.5:0.95 on the validation images, and how long it took.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { trainWithCli } from './cliTraining.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const cli = join(root, 'dist', 'cli.js');
const data = join(root, 'artifacts', 'detect-sample');
const runs = join(root, 'artifacts', 'detect-runs');
const extra = process.argv.slice(2);

if (!existsSync(join(data, 'data.yaml'))) {
  const made = spawnSync(process.execPath, [cli, 'sample', data, '--task', 'detect'], { stdio: 'inherit' });
  if (made.status !== 0) process.exit(made.status ?? 1);
}

const started = Date.now();
let runDir = null;
let epochs = 0;
const code = await trainWithCli(cli, [data, '--out', runs, '--json', ...extra], (event) => {
  if (event.type === 'runStarted') {
    runDir = event.runDir;
    console.log(
      `Training a ${event.config.task} model on ${event.dataset.classNames.join(', ')}: ${event.dataset.counts.train} train / ${event.dataset.counts.validation} val images, ${event.config.imageSize} px, backend ${event.backend}`,
    );
  } else if (event.type === 'epochEnded') {
    const m = event.metrics;
    epochs = m.epoch;
    console.log(
      `epoch ${String(m.epoch).padStart(2)}  loss ${m.loss.toFixed(3)} (class ${m.classLoss.toFixed(3)}, box ${m.boxLoss.toFixed(3)})  mAP@0.5 ${(m.map50 ?? 0).toFixed(3)}  mAP@0.5:0.95 ${(m.map50_95 ?? 0).toFixed(3)}  ${(m.durationMs / 1000).toFixed(1)}s`,
    );
  }
});
const seconds = (Date.now() - started) / 1000;
if (code !== 0 || !runDir) {
  console.error(`demo:detect failed (exit ${code})`);
  process.exit(code || 1);
}
const evaluation = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8'));
console.log(`\nRun directory: ${runDir}`);
console.log(
  `mAP@0.5 ${evaluation.map50.toFixed(3)}  mAP@0.5:0.95 ${evaluation.map50_95.toFixed(3)} on ${evaluation.images} ${evaluation.source} images`,
);
console.log(
  `${epochs} epochs in ${seconds.toFixed(0)} s (target: mAP@0.5 ≥ 0.8 in under 300 s); load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const image = join(data, 'images', 'val');
console.log(`Try: node dist/cli.js predict "${runDir}" "${image}" --json`);
