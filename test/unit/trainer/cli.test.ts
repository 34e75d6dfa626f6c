// The CLI's contract: exit statuses, one-line errors without stack traces, --json shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandFlags, main, parseArgs, type CliIo } from '../../../src/trainer/cli';
import { writeSampleDataset } from '../../../src/trainer/sampleWriter';

const work = mkdtempSync(path.join(os.tmpdir(), 'it-cli-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, cwd: work };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function assertUsageError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line, got: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

test('usage errors exit 2 with one line naming the problem', async () => {
  assertUsageError(await run(['frobnicate']), /unknown command "frobnicate"/);
  assertUsageError(await run(['train', path.join(work, 'missing')]), /missing: no such folder/);
  assertUsageError(await run(['train', work, '--epohcs', '3']), /unknown flag --epohcs/);
  assertUsageError(await run(['train', work, '--epochs', 'abc']), /epochs.*"abc"/);
  assertUsageError(await run(['train', work, '--channels', '2']), /channels/);
  assertUsageError(await run(['train', work, '--epochs']), /--epochs needs a value/);
  assertUsageError(await run(['scan']), /usage: image-trainer scan DIR/);
  assertUsageError(await run(['predict', work]), /usage: image-trainer predict/);
  assertUsageError(await run(['train', '--resume', work]), /not a run directory/);
});

test('a data set with fewer than two classes is refused before any run is created', async () => {
  const one = path.join(work, 'one-class');
  mkdirSync(path.join(one, 'cats'), { recursive: true });
  await writeSampleDataset(path.join(work, 'tmp-sample'), { perClass: 2, size: 8, seed: 1 });
  // Reuse one generated PNG as the only class.
  const { copyFileSync, readdirSync } = await import('node:fs');
  const png = readdirSync(path.join(work, 'tmp-sample', 'circle'))[0];
  copyFileSync(path.join(work, 'tmp-sample', 'circle', png), path.join(one, 'cats', 'a.png'));
  const result = await run(['train', one, '--out', path.join(work, 'runs-one')]);
  assertUsageError(result, /found 1 class folder\(s\) with images; training needs at least two/);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(path.join(work, 'runs-one')), false, 'no run directory for a refused data set');
});

test('an invalid config file is a usage error that names the file and the position', async () => {
  const file = path.join(work, 'bad.imagetrainer.json');
  writeFileSync(file, '{\n  "epochs": 3,\n}\n');
  assertUsageError(await run(['train', work, '--config', file]), /bad\.imagetrainer\.json:3:1/);
  writeFileSync(file, '{ "learningrate": 0.1 }');
  assertUsageError(await run(['train', work, '--config', file]), /did you mean "learningRate"/);
});

test('scan --json prints the pinned report fields', async () => {
  const data = path.join(work, 'scan-data');
  await writeSampleDataset(data, { perClass: 3, size: 8, seed: 2 });
  writeFileSync(path.join(data, 'circle', 'notes.txt'), 'not an image');
  const result = await run(['scan', data, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  for (const key of ['root', 'layout', 'classes', 'skipped', 'duplicates', 'warnings'])
    assert.ok(key in report, key);
  assert.equal(report.layout, 'class-folders');
  assert.deepEqual(
    report.classes.map((c: { name: string; count: number }) => [c.name, c.count]),
    [
      ['circle', 3],
      ['cross', 3],
      ['square', 3],
      ['triangle', 3],
    ],
  );
  assert.ok(report.skipped.some((s: { path: string }) => s.path === 'circle/notes.txt'));
});

test('flags parse with = and a separate value; switches take none', () => {
  const parsed = parseArgs(['train', 'DIR', '--epochs=4', '--batch-size', '8', '--json']);
  assert.equal(parsed.values.get('--epochs'), '4');
  assert.equal(parsed.values.get('--batch-size'), '8');
  assert.ok(parsed.switches.has('--json'));
  assert.deepEqual(parsed.positionals, ['DIR']);
  assert.throws(() => parseArgs(['scan', 'DIR', '--json=yes']), /--json takes no value/);
});

test('--help lists every command and exits 0; no arguments exits 2', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const command of ['scan', 'train', 'evaluate', 'predict'])
    assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
  assert.equal((await run([])).code, 2);
});

test('every command --help exits 0 and lists each of its flags with its default', async () => {
  const squash = (text: string): string => text.replace(/\s+/g, ' ');
  for (const [command, flags] of commandFlags()) {
    for (const argv of [
      [command, '--help'],
      [command, 'ANY', '-h'],
      ['help', command],
    ]) {
      const help = await run(argv);
      assert.equal(help.code, 0, `${argv.join(' ')}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^image-trainer ${command} — `), argv.join(' '));
      assert.match(help.stdout, /\nUsage: image-trainer /);
    }
    const text = squash((await run([command, '--help'])).stdout);
    for (const flag of flags) {
      assert.ok(
        text.includes(` ${flag.flag}${flag.value ? ` ${flag.value}` : ''} `),
        `${command}: ${flag.flag}`,
      );
      if (flag.default !== undefined)
        assert.ok(
          text.includes(`(default ${flag.default})`),
          `${command} ${flag.flag}: default ${flag.default}`,
        );
    }
  }
  const train = squash((await run(['train', '--help'])).stdout);
  for (const expected of [
    '--epochs N Passes over the training images (default 10)',
    '--label-smoothing X',
    '--schedule constant|step|cosine|reduceOnPlateau|JSON',
    '--class-weight none|balanced',
  ])
    assert.ok(train.includes(expected), expected);
});

test('--version prints the version of package.json', async () => {
  const { version } = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  const result = await run(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, `${version}\n`);
});

test('unknown flags say which known flag was meant', async () => {
  assertUsageError(
    await run(['train', 'DIR', '--epocs', '3']),
    /unknown flag --epocs for train — did you mean --epochs\?/,
  );
  assertUsageError(
    await run(['train', 'DIR', '--labelSmoothing', '0.1']),
    /did you mean --label-smoothing\?/,
  );
  assertUsageError(
    await run(['scan', 'DIR', '--epochs', '3']),
    /^image-trainer: unknown flag --epochs for scan\n$/,
  );
});
