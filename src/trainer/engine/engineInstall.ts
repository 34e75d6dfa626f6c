// `image-trainer engine install tensorflow|tensorflow-gpu`: the user's own npm installs the tfjs-node
// package that matches our tfjs into the engine folder; its output is passed on line by line; a stop
// request kills npm; the result is one line (a verdict), after loading the engine to prove it works.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  diagnoseInstallFailure,
  enginePackageSpec,
  unsupportedEngineReason,
  type NativeEngine,
} from '../../core/engineDiagnosis';
import { selectBackend } from '../backend';
import { installedEnginePackages } from './engineDirectory';

export interface EngineInstallOptions {
  engine: NativeEngine;
  engineDir: string;
  tfjsVersion: string;
  /** Each line npm prints (stdout and stderr), as it prints it. */
  onLine: (line: string) => void;
  stop: { requested: boolean };
  /** The npm command; default `npm` from PATH. */
  npm?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Proves the installed engine loads; default: activates it in this process. */
  verify?: (engine: NativeEngine, engineDir: string) => Promise<string[]>;
}

export interface EngineVerdict {
  ok: boolean;
  message: string;
}

const ENGINE_MANIFEST = {
  name: 'image-trainer-engine',
  private: true,
  description: 'Native TensorFlow engines for Image Trainer (image-trainer engine install)',
};

/** Keeps the tail of npm's output for the diagnosis; a libtensorflow download prints a lot. */
const KEPT_OUTPUT_CHARS = 256 * 1024;

export async function installEngine(options: EngineInstallOptions): Promise<EngineVerdict> {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const { engine, engineDir } = options;
  const unsupported = unsupportedEngineReason(engine, platform, arch);
  if (unsupported !== null) return { ok: false, message: unsupported };
  const spec = enginePackageSpec(engine, options.tfjsVersion);
  try {
    await fs.mkdir(engineDir, { recursive: true });
    const manifest = path.join(engineDir, 'package.json');
    await fs
      .writeFile(manifest, JSON.stringify(ENGINE_MANIFEST, null, 2) + '\n', { flag: 'wx' })
      .catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
  } catch (error) {
    return {
      ok: false,
      message: `cannot create ${engineDir} (${(error as Error).message.split('\n')[0]}): choose another folder in imageTrainer.engineDirectory or IMAGE_TRAINER_ENGINE_DIR`,
    };
  }
  const args = ['install', spec, '--prefix', engineDir, '--no-audit', '--no-fund', '--foreground-scripts'];
  options.onLine(`$ npm ${args.join(' ')}`);
  const run = await runNpm(options.npm ?? 'npm', args, options, platform);
  if (run.kind === 'not-found') {
    return {
      ok: false,
      message: 'npm was not found on PATH: install Node.js (it includes npm) and try again',
    };
  }
  if (run.kind === 'stopped') {
    return { ok: false, message: `cancelled: ${spec} was not installed; run the setup again to install it` };
  }
  if (run.code !== 0) {
    return { ok: false, message: diagnoseInstallFailure(engine, run.output, { platform, arch, engineDir }) };
  }
  const verify = options.verify ?? activate;
  try {
    const notes = await verify(engine, engineDir);
    const version = installedEnginePackages(engineDir).find((p) => spec.startsWith(p.name + '@'))?.version;
    const ready = `Native engine ready: ${engine}${version ? ` ${version}` : ''} in ${engineDir}; new training runs use it`;
    return { ok: true, message: notes.length > 0 ? `${ready}, but ${notes.join('; ')}` : ready };
  } catch (error) {
    return { ok: false, message: `installed, but ${(error as Error).message.split('\n')[0]}` };
  }
}

async function activate(engine: NativeEngine, engineDir: string): Promise<string[]> {
  const selection = await selectBackend(engine, { engineDir });
  return selection.notes;
}

type NpmRun = { kind: 'exited'; code: number; output: string } | { kind: 'not-found' } | { kind: 'stopped' };

function runNpm(
  npm: string,
  args: string[],
  options: EngineInstallOptions,
  platform: NodeJS.Platform,
): Promise<NpmRun> {
  return new Promise((resolve) => {
    // npm is a .cmd on Windows, which Node only starts through a shell.
    const child = spawn(npm, args, {
      cwd: options.engineDir,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: platform === 'win32',
      // Same process group as the trainer: the extension's Cancel kills the group, npm included.
      windowsHide: true,
    });
    let output = '';
    let stopped = false;
    const partial = { stdout: '', stderr: '' };
    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-KEPT_OUTPUT_CHARS);
      const lines = (partial[stream] + text).split(/\r?\n|\r/);
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onLine(line);
    };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    const poll = setInterval(() => {
      if (!options.stop.requested || stopped) return;
      stopped = true;
      stopNpm(child, platform);
    }, 100);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearInterval(poll);
      resolve(
        error.code === 'ENOENT' ? { kind: 'not-found' } : { kind: 'exited', code: 1, output: error.message },
      );
    });
    child.on('close', (code) => {
      clearInterval(poll);
      for (const rest of [partial.stdout, partial.stderr]) if (rest.trim() !== '') options.onLine(rest);
      if (stopped) resolve({ kind: 'stopped' });
      else resolve({ kind: 'exited', code: code ?? 1, output });
    });
  });
}

/** npm passes SIGTERM on to the install script it runs; whatever is left after 2 s is killed. */
function stopNpm(child: ChildProcess, platform: NodeJS.Platform): void {
  if (platform === 'win32' && child.pid !== undefined) {
    spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true, stdio: 'ignore' }).on(
      'error',
      () => child.kill(),
    );
    return;
  }
  child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 2000).unref();
}
