// The one place besides its own where the trainer looks for native engine packages: the folder named by
// IMAGE_TRAINER_ENGINE_DIR (a `node_modules` parent). The extension sets it for every trainer it starts
// (setting imageTrainer.engineDirectory, default: a folder in its global storage); `image-trainer engine
// install` installs into it. The bundle (dist/cli.js) cannot see packages anywhere else: esbuild leaves
// the native packages as run-time requires resolved next to dist/.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as os from 'node:os';
import { ENGINE_PACKAGES, type NativeEngine } from '../../core/engineDiagnosis';
import type { EnginePackage } from '../../protocol/engine';
import { defaultCacheDir } from '../bases/cache';

export const ENGINE_DIR_ENV = 'IMAGE_TRAINER_ENGINE_DIR';

/** `$IMAGE_TRAINER_ENGINE_DIR`, else `engine/` in the cache folder (`~/.cache/image-trainer/engine`). */
export function engineDirectory(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const explicit = env[ENGINE_DIR_ENV]?.trim();
  if (explicit) return path.resolve(explicit);
  return path.join(defaultCacheDir(env, home), 'engine');
}

/** The package's entry point when it is installed in the engine folder itself; null otherwise. */
export function resolveInEngineDir(packageName: string, engineDir: string): string | null {
  let resolved: string;
  try {
    resolved = createRequire(path.join(engineDir, 'package.json')).resolve(packageName);
  } catch {
    return null;
  }
  // Node also walks up to parent folders' node_modules; only the engine folder's own count.
  const own = path.join(engineDir, 'node_modules') + path.sep;
  return resolved.startsWith(own) ? resolved : null;
}

/**
 * Loads a native engine package (registering its 'tensorflow' backend as a side effect): from the
 * engine folder when it is there, else next to the trainer. Throws what `require` throws.
 */
export function requireEnginePackage(engine: NativeEngine, engineDir: string): EnginePackage['where'] {
  const packageName = ENGINE_PACKAGES[engine];
  const inEngineDir = resolveInEngineDir(packageName, engineDir);
  if (inEngineDir !== null) {
    createRequire(path.join(engineDir, 'package.json'))(inEngineDir);
    return 'engine-dir';
  }
  requireBundled(engine);
  return 'bundled';
}

/** Literal specifiers, so that esbuild leaves them as run-time requires of packages it marks external. */
function requireBundled(engine: NativeEngine): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- optional packages, loaded only when present */
  if (engine === 'tensorflow-gpu') require('@tensorflow/tfjs-node-gpu');
  else require('@tensorflow/tfjs-node');
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The engine packages installed in the engine folder, with their versions (unreadable ones skipped). */
export function installedEnginePackages(engineDir: string): EnginePackage[] {
  const found: EnginePackage[] = [];
  for (const name of Object.values(ENGINE_PACKAGES)) {
    const manifest = path.join(engineDir, 'node_modules', ...name.split('/'), 'package.json');
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      const version = (parsed as { version?: unknown }).version;
      if (typeof version === 'string' && version.length <= 64)
        found.push({ name, version, where: 'engine-dir' });
    } catch {
      // not installed there
    }
  }
  return found;
}
