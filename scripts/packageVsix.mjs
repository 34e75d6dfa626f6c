// `npm run package`: a production build, then a VSIX for this platform with @vscode/vsce.
// The CLI bundle keeps sharp external (native), so the VSIX carries node_modules/sharp and the
// installed @img platform packages: it is platform-specific, and is labelled with --target.
// `--verify` unpacks the VSIX into a temp folder and runs the packaged CLI from there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const arch = process.arch === 'arm' ? 'armhf' : process.arch;
const target = `${process.platform}-${arch}`;
const out = `${pkg.name}-${pkg.version}-${target}.vsix`;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`package: ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
  return result;
}

// .vscodeignore admits only the bundles and assets by name: source maps of development builds stay out.
run(process.execPath, ['esbuild.js', '--production']);
// README links stay relative, as in the repository (the VSIX carries no docs/ to point them at).
// LICENSE and CHANGELOG.md are admitted by .vscodeignore; vsce refuses to package without a licence.
// The ignore file is .vscodeignore plus this platform's ONNX Runtime binaries (all platforms: ~290 MB).
const ignoreFile = join(mkdtempSync(join(tmpdir(), 'image-trainer-vscodeignore-')), '.vscodeignore');
writeFileSync(
  ignoreFile,
  `${readFileSync('.vscodeignore', 'utf8')}\n!node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/**\n`,
);
const vsceArgs = [
  'package',
  '--ignoreFile',
  ignoreFile,
  '--target',
  target,
  '--out',
  out,
  '--no-rewrite-relative-links',
];
run(process.execPath, ['node_modules/@vscode/vsce/vsce', ...vsceArgs]);
const bytes = statSync(out).size;
console.log(`VSIX: ${out}  ${(bytes / 1048576).toFixed(2)} MiB (${bytes} bytes)`);

if (process.argv.includes('--verify')) {
  const dir = mkdtempSync(join(tmpdir(), 'image-trainer-vsix-'));
  try {
    run('unzip', ['-q', out, '-d', dir]);
    const cli = join(dir, 'extension', 'dist', 'cli.js');
    run(process.execPath, [cli, '--help'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const sample = join(dir, 'sample');
    run(process.execPath, [cli, 'sample', sample, '--per-class', '3'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const scan = spawnSync(process.execPath, [cli, 'scan', sample, '--json'], { encoding: 'utf8' });
    if (scan.status !== 0) {
      console.error(`package: the packaged CLI could not scan: ${scan.stderr.trim()}`);
      process.exit(1);
    }
    const sharp = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(dir, 'extension', 'node_modules', 'sharp'))}).versions && console.log('sharp', require(${JSON.stringify(join(dir, 'extension', 'node_modules', 'sharp'))}).versions.sharp)`,
      ],
      { encoding: 'utf8' },
    );
    if (sharp.status !== 0) {
      console.error(`package: sharp does not load from the VSIX: ${sharp.stderr.trim()}`);
      process.exit(1);
    }
    const ortPath = JSON.stringify(join(dir, 'extension', 'node_modules', 'onnxruntime-node'));
    const ort = spawnSync(
      process.execPath,
      ['-e', `console.log('onnxruntime-node', require(${ortPath}).env.versions.node)`],
      { encoding: 'utf8' },
    );
    if (ort.status !== 0) {
      console.error(`package: onnxruntime-node does not load from the VSIX: ${ort.stderr.trim()}`);
      process.exit(1);
    }
    console.log(
      `verified: the unpacked VSIX runs \`cli.js --help\`, \`sample\` and \`scan\` (${JSON.parse(scan.stdout).total} images); ${sharp.stdout.trim()} and ${ort.stdout.trim()} load`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
