// `image-trainer engine status|install`: which backend trains here and why, and getting native
// TensorFlow (CPU or CUDA) into the engine folder. With --json, `status` prints an EngineStatus and
// `install` prints EngineInstallEvents, one JSON object a line (the extension shows them live).
import * as tf from '@tensorflow/tfjs';
import { isNativeEngine, NATIVE_ENGINES } from '../../core/engineDiagnosis';
import type { EngineInstallEvent } from '../../protocol/engine';
import { UsageError } from '../errors';
import { engineDirectory } from './engineDirectory';
import { ENGINE_USAGE } from './usage';
import { installEngine } from './engineInstall';
import { engineStatus, formatEngineStatus } from './engineStatus';
import * as path from 'node:path';

export interface EngineArgs {
  positionals: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

export interface EngineIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs `engine …`; 0 when the status was printed or the engine installed and loads, 1 when it did not. */
export async function runEngineCommand(
  args: EngineArgs,
  io: EngineIo,
  stop: { requested: boolean },
): Promise<number> {
  const [sub, target, ...extra] = args.positionals;
  const json = args.switches.has('--json');
  const env = io.env ?? process.env;
  const dirFlag = args.values.get('--engine-dir');
  const engineDir = dirFlag !== undefined ? path.resolve(io.cwd, dirFlag) : engineDirectory(env);
  if (sub === 'status') {
    if (target !== undefined)
      throw new UsageError(`engine status takes no argument (usage: ${ENGINE_USAGE})`);
    const status = await engineStatus(engineDir);
    io.stdout(json ? JSON.stringify(status) + '\n' : formatEngineStatus(status) + '\n');
    return 0;
  }
  if (sub !== 'install') throw new UsageError(`engine needs status or install — usage: ${ENGINE_USAGE}`);
  if (target === undefined || !isNativeEngine(target) || extra.length > 0) {
    throw new UsageError(
      `engine install needs one of ${NATIVE_ENGINES.join(', ')}${target && !isNativeEngine(target) ? `, got "${target}"` : ''} (usage: ${ENGINE_USAGE})`,
    );
  }
  const print = (event: EngineInstallEvent): void => {
    if (json) io.stdout(JSON.stringify(event) + '\n');
    else if (event.type === 'output') io.stderr(event.line + '\n');
    else io.stdout(event.message + '\n');
  };
  const verdict = await installEngine({
    engine: target,
    engineDir,
    tfjsVersion: tf.version.tfjs,
    onLine: (line) => print({ type: 'output', line }),
    stop,
    env,
  });
  print({ type: 'verdict', ok: verdict.ok, message: verdict.message });
  return verdict.ok ? 0 : stop.requested ? 130 : 1;
}
