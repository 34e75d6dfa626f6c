// The backend ladder: CUDA TensorFlow → native TensorFlow → WASM (SIMD) → pure JS. 'auto' takes the
// first that loads and says why each faster one was passed over; a forced choice that cannot load is
// an error with the fix in one line.
//
// All trainer code imports '@tensorflow/tfjs'. The native packages register their 'tensorflow'
// backend on that same engine: tfjs-core keeps its engine and kernel registry on the global object
// (`_tfengine`, `kernelRegistry`), so even the copy of tfjs-core that an external
// @tensorflow/tfjs-node brings next to our bundled one (dist/cli.js) shares them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendName } from '../protocol/config';
import { registerWasmKernels } from './kernels';

export { registerWasmKernels };

export interface BackendSelection {
  backend: BackendName;
  /** Why faster backends were not used, and how to get them; empty when the first choice loaded. */
  notes: string[];
}

type NativeBackend = 'tensorflow-gpu' | 'tensorflow';

const NATIVE_PACKAGES: Record<NativeBackend, { packageName: string; gives: string }> = {
  'tensorflow-gpu': { packageName: '@tensorflow/tfjs-node-gpu', gives: 'CUDA' },
  tensorflow: { packageName: '@tensorflow/tfjs-node', gives: 'native TensorFlow' },
};

/** Backend names as registered with tfjs (both native packages register 'tensorflow'). */
const TFJS_BACKEND: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const WASM_SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

/** Selects, initialises and activates a backend. Throws a one-line Error when a forced choice fails. */
export async function selectBackend(choice: BackendChoice): Promise<BackendSelection> {
  if (choice !== 'auto') {
    const failure = await tryBackend(choice);
    if (failure !== null) throw new Error(failure);
    return { backend: choice, notes: [] };
  }
  const notes: string[] = [];
  for (const candidate of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    const failure = await tryBackend(candidate);
    if (failure === null) return { backend: candidate, notes };
    notes.push(failure);
  }
  throw new Error(`No TensorFlow.js backend could start: ${notes.join('; ')}`);
}

/** Activates one backend; returns null on success or a one-line reason it could not. */
async function tryBackend(backend: BackendName): Promise<string | null> {
  if (backend === 'tensorflow-gpu' || backend === 'tensorflow') {
    const failure = loadNativePackage(backend);
    if (failure !== null) return failure;
  }
  let ok: boolean;
  try {
    if (backend === 'wasm') pointWasmAtBinaries();
    ok = await tf.setBackend(TFJS_BACKEND[backend]);
  } catch (error) {
    return `${backend}: the backend failed to start (${firstLine(error)})`;
  }
  if (!ok) return `${backend}: the backend failed to start`;
  await tf.ready();
  if (backend === 'wasm') registerWasmKernels();
  return null;
}

function loadNativePackage(backend: NativeBackend): string | null {
  const { packageName, gives } = NATIVE_PACKAGES[backend];
  try {
    requireNative(backend);
    return null;
  } catch (error) {
    if (isModuleMissing(error, packageName)) {
      return `${backend}: ${packageName} is not installed (npm install ${packageName} to use ${gives})`;
    }
    return `${backend}: ${packageName} is installed but failed to load (${firstLine(error)}); reinstall it with npm install ${packageName}`;
  }
}

/**
 * Literal specifiers, so that esbuild leaves them as run-time requires of packages it marks external.
 * Loading the package registers its 'tensorflow' backend as a side effect.
 */
function requireNative(backend: NativeBackend): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- optional packages, loaded only when present */
  if (backend === 'tensorflow-gpu') require('@tensorflow/tfjs-node-gpu');
  else require('@tensorflow/tfjs-node');
  /* eslint-enable @typescript-eslint/no-require-imports */
}

function isModuleMissing(error: unknown, packageName: string): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${packageName}'`);
}

let wasmPathsSet = false;

/**
 * The .wasm binaries sit next to the bundle (esbuild.js copies them into dist/), or, when running from
 * sources (tsx, tests), in the package's own dist/. setWasmPaths must run before the backend starts.
 */
function pointWasmAtBinaries(): void {
  if (wasmPathsSet) return;
  // tfjs already picks the single-threaded SIMD build under Node; say so, because its threaded build
  // cannot start here (its pthread workers are loaded from blob: URLs, which Node's Worker refuses).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(wasmDirectory());
  wasmPathsSet = true;
}

export function wasmDirectory(): string {
  if (fs.existsSync(path.join(__dirname, WASM_SIMD_BINARY))) return __dirname + path.sep;
  // A variable, so that esbuild leaves this resolution to run time instead of warning about it.
  const manifest = '@tensorflow/tfjs-backend-wasm/package.json';
  try {
    return path.join(path.dirname(require.resolve(manifest)), 'dist') + path.sep;
  } catch {
    throw new Error(
      `wasm: ${WASM_SIMD_BINARY} is missing next to ${__dirname}; rebuild with node esbuild.js`,
    );
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
