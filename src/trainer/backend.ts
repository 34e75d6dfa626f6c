// The backend ladder: CUDA TensorFlow → native TensorFlow → WASM (SIMD) → pure JS. 'auto' takes the
// first that loads and says why each faster one was passed over; a forced choice that cannot load is
// an error with the fix in one line.
//
// Native packages are looked for in the engine folder (IMAGE_TRAINER_ENGINE_DIR, engine/engineDirectory.ts)
// and next to the trainer. All trainer code imports '@tensorflow/tfjs'. The native packages register their 'tensorflow'
// backend on that same engine: tfjs-core keeps its engine and kernel registry on the global object
// (`_tfengine`, `kernelRegistry`), so even the copy of tfjs-core that an external
// @tensorflow/tfjs-node brings next to our bundled one (dist/cli.js) shares them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendName } from '../protocol/config';
import { registerWasmKernels } from './kernels';
import {
  diagnoseLoadFailure,
  ENGINE_PACKAGES,
  unsupportedEngineReason,
  type NativeEngine,
} from '../core/engineDiagnosis';
import { engineDirectory, requireEnginePackage } from './engine/engineDirectory';
import { checkCudaHere } from './engine/cudaLibraries';

export { registerWasmKernels };

export interface BackendSelection {
  backend: BackendName;
  /** Why faster backends were not used, and how to get them; empty when the first choice loaded. */
  notes: string[];
}

type NativeBackend = NativeEngine;

/** Backend names as registered with tfjs (both native packages register 'tensorflow'). */
const TFJS_BACKEND: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const WASM_SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

export interface BackendOptions {
  /** Where native engine packages are looked for besides the trainer's own folder. */
  engineDir?: string;
}

/** Selects, initialises and activates a backend. Throws a one-line Error when a forced choice fails. */
export async function selectBackend(
  choice: BackendChoice,
  options: BackendOptions = {},
): Promise<BackendSelection> {
  const engineDir = options.engineDir ?? engineDirectory();
  if (choice !== 'auto') {
    const attempt = await tryBackend(choice, engineDir);
    if (attempt.failure !== null) throw new Error(attempt.failure);
    return { backend: choice, notes: attempt.notes };
  }
  const notes: string[] = [];
  for (const candidate of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    const attempt = await tryBackend(candidate, engineDir);
    notes.push(...attempt.notes);
    if (attempt.failure === null) return { backend: candidate, notes };
    notes.push(attempt.failure);
  }
  throw new Error(`No TensorFlow.js backend could start: ${notes.join('; ')}`);
}

interface Attempt {
  /** Null when the backend is active. */
  failure: string | null;
  /** Said even when it started (a GPU package that sees no GPU). */
  notes: string[];
}

/** Activates one backend; `failure` is null on success or a one-line reason it could not. */
async function tryBackend(backend: BackendName, engineDir: string): Promise<Attempt> {
  if (backend === 'tensorflow-gpu' || backend === 'tensorflow') {
    const failure = loadNativePackage(backend, engineDir);
    if (failure !== null) return { failure, notes: [] };
  }
  let ok: boolean;
  try {
    if (backend === 'wasm') pointWasmAtBinaries();
    ok = await tf.setBackend(TFJS_BACKEND[backend]);
  } catch (error) {
    return { failure: `${backend}: the backend failed to start (${firstLine(error)})`, notes: [] };
  }
  if (!ok) return { failure: `${backend}: the backend failed to start`, notes: [] };
  await tf.ready();
  if (backend === 'wasm') registerWasmKernels();
  return { failure: null, notes: backend === 'tensorflow-gpu' ? gpuNotes() : [] };
}

/**
 * tfjs-node-gpu starts even when TensorFlow finds no usable GPU (libtensorflow falls back to the CPU);
 * its backend says so in `isUsingGpuDevice`. The user is told why, with the CUDA check.
 */
function gpuNotes(): string[] {
  const native = tf.backend() as unknown as { isGPUPackage?: unknown; isUsingGpuDevice?: unknown };
  if (native.isUsingGpuDevice !== false) return [];
  const cuda = checkCudaHere();
  return [
    `tensorflow-gpu: TensorFlow sees no GPU and computes on the CPU${cuda && !cuda.ok ? ` (${cuda.message})` : ''}`,
  ];
}

function loadNativePackage(backend: NativeBackend, engineDir: string): string | null {
  const packageName = ENGINE_PACKAGES[backend];
  try {
    requireEnginePackage(backend, engineDir);
    return null;
  } catch (error) {
    if (isModuleMissing(error, packageName)) {
      const unsupported = unsupportedEngineReason(backend, process.platform, process.arch);
      if (unsupported !== null) return unsupported;
      return `${backend}: ${packageName} is not installed (image-trainer engine install ${backend}, or "Set Up Native Engine…" in the editor)`;
    }
    const message = error instanceof Error ? error.message : String(error);
    const diagnosis = diagnoseLoadFailure(backend, message, process.platform);
    if (backend === 'tensorflow-gpu' && /CUDA/.test(diagnosis)) {
      const cuda = checkCudaHere();
      if (cuda && !cuda.ok) return `tensorflow-gpu: ${cuda.message}`;
    }
    return diagnosis;
  }
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
