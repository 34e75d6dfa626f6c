// `image-trainer engine …` and training with a native engine, through the real CLI bundled afresh
// (test/fixtures/trainerHarness.ts). The engine is a STAND-IN (test/fixtures/standInEngine.ts): a package
// named @tensorflow/tfjs-node that registers a backend called 'tensorflow' with tfjs' pure-JS kernels,
// because libtensorflow cannot be downloaded on our machines; npm is a STAND-IN script first on PATH for
// the install outcomes. Proved: the hand-off through IMAGE_TRAINER_ENGINE_DIR, what run.json records, the
// status report, npm's output passed on line by line, the one-line verdicts, cancelling. Not proved:
// TensorFlow, CUDA, or a real npm download (the e2e suite runs the real npm).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildCli, killStrays, runCli, spawnCli, type BuiltCli } from '../../../fixtures/trainerHarness';
import { STAND_IN_MARKER, writeStandInEngine } from '../../../fixtures/standInEngine';
import {
  isEngineInstallEvent,
  isEngineStatus,
  type EngineInstallEvent,
} from '../../../../src/protocol/engine';
import { checkRunRecord } from '../../../../src/protocol/runSchema';

let built: BuiltCli;
let work: string;

before(async () => {
  built = await buildCli();
  work = mkdtempSync(path.join(tmpdir(), 'engine-cli-'));
});
after(async () => {
  await killStrays();
  await built.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('training with IMAGE_TRAINER_ENGINE_DIR uses the engine found there and run.json records it', async () => {
  const engineDir = path.join(work, 'engine-train');
  writeStandInEngine(engineDir, '@tensorflow/tfjs-node', { kind: 'works' });
  const data = path.join(work, 'shapes');
  const sample = await runCli(built.cli, ['sample', data, '--per-class', '6', '--size', '16']);
  assert.equal(sample.code, 0, sample.stderr);
  const runs = path.join(work, 'runs');
  const env = { IMAGE_TRAINER_ENGINE_DIR: engineDir };
  const train = await runCli(
    built.cli,
    [
      'train',
      data,
      '--out',
      runs,
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--image-size',
      '16',
      '--channels',
      '1',
      '--model',
      'simple-cnn',
      '--json',
    ],
    work,
    env,
  );
  assert.equal(train.code, 0, train.stderr);
  const [runDir] = readdirSync(runs).map((n) => path.join(runs, n));
  const record = checkRunRecord(JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')));
  assert.ok(record.ok, record.ok ? '' : record.problem);
  assert.equal(record.value.backend, 'tensorflow');
  assert.equal(record.value.status, 'completed');
  assert.equal(record.value.backendNotes.length, 1);
  assert.match(record.value.backendNotes[0], /^tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed/);

  // Without the variable the same CLI cannot see it: WASM, and both native engines named as missing.
  const plain = await runCli(built.cli, ['engine', 'status', '--json'], work, {
    IMAGE_TRAINER_ENGINE_DIR: path.join(work, 'nothing-here'),
  });
  assert.equal(plain.code, 0, plain.stderr);
  const plainStatus: unknown = JSON.parse(plain.stdout);
  assert.ok(isEngineStatus(plainStatus));
  assert.equal(plainStatus.backend, 'wasm');
  assert.equal(plainStatus.passedOver.length, 2);
});

test('engine status --json names the backend, the package and its folder, and the devices', async () => {
  const engineDir = path.join(work, 'engine-status');
  writeStandInEngine(engineDir, '@tensorflow/tfjs-node', { kind: 'works' }, '4.22.0');
  const run = await runCli(built.cli, ['engine', 'status', '--json', '--engine-dir', engineDir], work);
  assert.equal(run.code, 0, run.stderr);
  const status: unknown = JSON.parse(run.stdout);
  assert.ok(isEngineStatus(status), run.stdout);
  assert.equal(status.backend, 'tensorflow');
  assert.equal(status.engineDir, engineDir);
  assert.deepEqual(status.packages, [
    { name: '@tensorflow/tfjs-node', version: '4.22.0', where: 'engine-dir' },
  ]);
  assert.match(status.devices[0], /^CPU: .+ × \d+ cores?$/);
  assert.equal(status.tfjsVersion, '4.22.0');
  const text = await runCli(built.cli, ['engine', 'status', '--engine-dir', engineDir], work);
  assert.match(text.stdout, /Backend: +tensorflow/);
  assert.match(text.stdout, /Native engines: @tensorflow\/tfjs-node 4\.22\.0/);
});

/** A stand-in `npm` first on PATH: runs `script` (JS) with npm's arguments. */
function fakeNpm(name: string, script: string): NodeJS.ProcessEnv {
  const bin = path.join(work, `npm-${name}`);
  mkdirSync(bin, { recursive: true });
  const file = path.join(bin, 'npm');
  writeFileSync(file, `#!${process.execPath}\n// Stand-in npm for Image Trainer's tests.\n${script}\n`);
  chmodSync(file, 0o755);
  return { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
}

function installEvents(stdout: string): EngineInstallEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown)
    .filter(isEngineInstallEvent);
}

test('engine install: npm installs into the folder, its output streams, the engine loads, one verdict', async () => {
  const engineDir = path.join(work, 'engine-install');
  const standIn = path.resolve(__dirname, '../../../fixtures/standInEngine.ts');
  assert.ok(existsSync(standIn));
  const env = fakeNpm(
    'ok',
    `const args = process.argv.slice(2);
const prefix = args[args.indexOf('--prefix') + 1];
console.log('npm args: ' + args.join(' '));
console.error('npm http fetch GET 200 https://registry.npmjs.org/@tensorflow%2ftfjs-node 12ms');
const fs = require('fs'), path = require('path');
const dir = path.join(prefix, 'node_modules', '@tensorflow', 'tfjs-node');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', description: ${JSON.stringify(STAND_IN_MARKER)} }));
fs.writeFileSync(path.join(dir, 'index.js'), ${JSON.stringify(standInIndex())});
console.log('added 1 package in 1s');`,
  );
  const run = await runCli(
    built.cli,
    ['engine', 'install', 'tensorflow', '--engine-dir', engineDir, '--json'],
    work,
    env,
  );
  const events = installEvents(run.stdout);
  const lines = events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
  assert.ok(
    lines.includes(
      `$ npm install @tensorflow/tfjs-node@4.22.0 --prefix ${engineDir} --no-audit --no-fund --foreground-scripts`,
    ),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => l.startsWith('npm args: install @tensorflow/tfjs-node@4.22.0 --prefix')));
  assert.ok(lines.includes('npm http fetch GET 200 https://registry.npmjs.org/@tensorflow%2ftfjs-node 12ms'));
  assert.ok(lines.includes('added 1 package in 1s'));
  const verdicts = events.filter((e) => e.type === 'verdict');
  assert.equal(verdicts.length, 1);
  assert.deepEqual(verdicts[0], {
    type: 'verdict',
    ok: true,
    message: `Native engine ready: tensorflow 4.22.0 in ${engineDir}; new training runs use it`,
  });
  assert.equal(events[events.length - 1].type, 'verdict');
  assert.equal(run.code, 0, run.stderr);
  assert.ok(existsSync(path.join(engineDir, 'package.json')), 'the folder gets its own package.json');
});

function standInIndex(): string {
  // The same stand-in the fixture writes, read back from a written copy.
  const dir = mkdtempSync(path.join(tmpdir(), 'standin-src-'));
  try {
    const pkg = writeStandInEngine(dir, '@tensorflow/tfjs-node', { kind: 'works' });
    return readFileSync(path.join(pkg, 'index.js'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('engine install offline: npm fails at the libtensorflow download, the verdict says offline, exit 1', async () => {
  const env = fakeNpm(
    'offline',
    `console.error('npm error command sh -c node scripts/install.js');
console.error('npm error * Downloading libtensorflow');
console.error('npm error Error: getaddrinfo ENOTFOUND storage.googleapis.com');
process.exit(1);`,
  );
  const run = await runCli(
    built.cli,
    ['engine', 'install', 'tensorflow', '--engine-dir', path.join(work, 'engine-offline')],
    work,
    env,
  );
  assert.equal(run.code, 1);
  assert.match(run.stderr, /npm error \* Downloading libtensorflow/);
  assert.match(
    run.stdout,
    /^offline: npm got @tensorflow\/tfjs-node, but its install step downloads libtensorflow/,
  );
  assert.equal(run.stdout.trim().split('\n').length, 1, 'one verdict line on stdout');
});

test('engine install is cancelled by Ctrl-C: npm is stopped and the verdict says nothing was installed', async () => {
  const env = fakeNpm('slow', `console.log('npm started'); setInterval(() => {}, 1000);`);
  const child = spawnCli(
    built.cli,
    ['engine', 'install', 'tensorflow', '--engine-dir', path.join(work, 'engine-cancel'), '--json'],
    { cwd: work, env },
  );
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (child.stdout.some((l) => l.includes('npm started'))) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  child.child.kill('SIGINT');
  const { code } = await child.exit;
  assert.equal(code, 130);
  const verdict = installEvents(child.stdout.join('\n')).find((e) => e.type === 'verdict');
  assert.deepEqual(verdict, {
    type: 'verdict',
    ok: false,
    message: 'cancelled: @tensorflow/tfjs-node@4.22.0 was not installed; run the setup again to install it',
  });
});

test('engine usage errors exit 2 with one line', async () => {
  for (const args of [
    ['engine'],
    ['engine', 'install'],
    ['engine', 'install', 'pytorch'],
    ['engine', 'status', 'x'],
  ]) {
    const run = await runCli(built.cli, args, work);
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^image-trainer: (engine|usage: image-trainer engine)/);
  }
});
