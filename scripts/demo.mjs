// `npm run demo`: writes the procedural sample data set (no download), trains on it with the CLI,
// and prints where the run went and its validation accuracy.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { trainWithCli } from './cliTraining.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const cli = join(root, 'dist', 'cli.js');
const data = join(root, '.image-trainer', 'sample-data');
const runs = join(root, '.image-trainer', 'runs');
const config = join(root, 'scripts', 'demo.imagetrainer.json');
const started = Date.now();

if (!existsSync(join(data, 'circle'))) {
  const made = spawnSync(process.execPath, [cli, 'sample', data, '--per-class', '300', '--size', '32'], {
    stdio: 'inherit',
  });
  if (made.status !== 0) process.exit(made.status ?? 1);
}

let runDir = null;
const code = await trainWithCli(cli, [data, '--config', config, '--out', runs, '--json'], (event) => {
  if (event.type === 'runStarted') {
    runDir = event.runDir;
    console.log(
      `Training ${event.config.model} on ${event.dataset.classNames.join(', ')} (backend ${event.backend})`,
    );
  } else if (event.type === 'epochEnded') {
    const m = event.metrics;
    console.log(
      `epoch ${String(m.epoch).padStart(2)}  loss ${m.loss.toFixed(3)}  val_acc ${(m.valAccuracy * 100).toFixed(1)}%  ${(m.durationMs / 1000).toFixed(1)}s`,
    );
  }
});
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (code !== 0 || !runDir) {
  console.error(`demo failed (exit ${code})`);
  process.exit(code || 1);
}
const evaluation = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8'));
const accuracy = (evaluation.accuracy * 100).toFixed(1);
console.log(`\nRun directory: ${runDir}`);
console.log(`Validation accuracy: ${accuracy}% in ${seconds}s (target: ≥ 95% in under 120 s)`);
console.log(`Try: node dist/cli.js predict "${runDir}" "${join(data, 'circle', 'circle_0000.png')}"`);
