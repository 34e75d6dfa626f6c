// Runs the integration suite inside a real VS Code build with @vscode/test-electron.
// The build comes from VSCODE_EXECUTABLE or test-electron's cache (.vscode-test/); it is downloaded
// only with IMAGE_TRAINER_DOWNLOAD_VSCODE=1. Without one the suite is skipped, clearly and at once.
//   node --import tsx test/integration/runTest.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const cacheDir = path.join(root, '.vscode-test');

/** An executable from test-electron's cache folder, newest version first. */
function cachedExecutable(): string | undefined {
  if (!existsSync(cacheDir)) return undefined;
  const candidates = readdirSync(cacheDir)
    .filter((name) => name.startsWith('vscode-'))
    .sort()
    .reverse()
    .flatMap((name) => [
      path.join(cacheDir, name, 'code'),
      path.join(cacheDir, name, 'VSCode-linux-x64', 'code'),
      path.join(cacheDir, name, 'Code.exe'),
      path.join(cacheDir, name, 'Visual Studio Code.app', 'Contents', 'MacOS', 'Electron'),
    ]);
  return candidates.find((file) => existsSync(file));
}

async function vscodeExecutable(): Promise<string | undefined> {
  const given = process.env.VSCODE_EXECUTABLE;
  if (given) {
    if (!existsSync(given)) throw new Error(`VSCODE_EXECUTABLE=${given} does not exist`);
    return given;
  }
  const cached = cachedExecutable();
  if (cached) return cached;
  if (process.env.IMAGE_TRAINER_DOWNLOAD_VSCODE === '1') {
    const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
    return downloadAndUnzipVSCode({ cachePath: cacheDir });
  }
  return undefined;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

/** A workspace with a tiny sample data set and a one-epoch config, so that training takes seconds. */
function makeFixtureWorkspace(): string {
  const workspace = mkdtempSync(path.join(tmpdir(), 'image-trainer-it-'));
  run(process.execPath, [
    path.join(root, 'dist', 'cli.js'),
    'sample',
    path.join(workspace, 'shapes'),
    '--per-class',
    '12',
    '--size',
    '16',
  ]);
  writeFileSync(
    path.join(workspace, 'tiny.imagetrainer.json'),
    JSON.stringify(
      {
        model: 'simple-cnn',
        epochs: 1,
        batchSize: 8,
        imageSize: 16,
        channels: 1,
        validationSplit: 0.25,
        augment: null,
        backend: 'cpu',
      },
      null,
      2,
    ),
  );
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  return workspace;
}

async function main(): Promise<number> {
  const executable = await vscodeExecutable();
  if (!executable) {
    console.log('integration tests skipped: no VS Code build (set VSCODE_EXECUTABLE)');
    return 0;
  }
  run(process.execPath, ['esbuild.js']);
  const outDir = path.join(root, 'out', 'integration');
  mkdirSync(outDir, { recursive: true });
  // The suite runs inside the editor's extension host: bundle it as CommonJS with vscode external.
  run(process.execPath, [
    path.join(root, 'node_modules', 'esbuild', 'bin', 'esbuild'),
    path.join(root, 'test', 'integration', 'suite', 'index.ts'),
    '--bundle',
    '--platform=node',
    '--format=cjs',
    '--target=node18',
    '--external:vscode',
    `--outfile=${path.join(outDir, 'suite.js')}`,
  ]);
  const workspace = makeFixtureWorkspace();
  const userData = mkdtempSync(path.join(tmpdir(), 'image-trainer-it-user-'));
  try {
    const { runTests } = await import('@vscode/test-electron');
    return await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(outDir, 'suite.js'),
      extensionTestsEnv: { IMAGE_TRAINER_IT_WORKSPACE: workspace },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--user-data-dir',
        userData,
        '--skip-welcome',
        '--skip-release-notes',
      ],
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
    rmSync(userData, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`integration tests failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
