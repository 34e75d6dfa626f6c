// What `image-trainer engine status --json` prints and the extension reads (status bar, Set Up Native
// Engine…), and the JSON lines `engine install --json` streams. Both cross a process boundary: guarded.
import { BACKEND_CHOICES, type BackendName } from './config';
import { isArrayOf, isBoolean, isFiniteNumber, isOneOf, isRecord, isString } from './guards';

export interface EnginePackage {
  /** `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu`. */
  name: string;
  version: string;
  /** Where it was found: the engine folder, or next to the trainer. */
  where: 'engine-dir' | 'bundled';
}

export interface EngineStatus {
  /** The backend `auto` picks on this machine now. */
  backend: BackendName;
  /** The folder searched for native engine packages (IMAGE_TRAINER_ENGINE_DIR). */
  engineDir: string;
  packages: EnginePackage[];
  /** What the backend computes on, one line each (`CPU: … × 16 cores`, `GPU: NVIDIA … (80 GiB)`). */
  devices: string[];
  /** Why each faster backend was passed over, with the fix. */
  passedOver: string[];
  /** tfjs-node-gpu's CUDA/cuDNN libraries: checked on Linux and Windows; null on macOS. */
  cuda: { ok: boolean; message: string } | null;
  /** Worker threads the WASM backend can spread a batch over (cores). */
  cores: number;
  tfjsVersion: string;
}

const BACKEND_NAMES = BACKEND_CHOICES.filter((c): c is BackendName => c !== 'auto');

function isEnginePackage(value: unknown): value is EnginePackage {
  return (
    isRecord(value) &&
    isString(value.name) &&
    isString(value.version) &&
    isOneOf(['engine-dir', 'bundled'] as const)(value.where)
  );
}

export function isEngineStatus(value: unknown): value is EngineStatus {
  if (!isRecord(value)) return false;
  const cuda = value.cuda;
  return (
    isOneOf(BACKEND_NAMES)(value.backend) &&
    isString(value.engineDir) &&
    isArrayOf(value.packages, isEnginePackage) &&
    isArrayOf(value.devices, isString) &&
    isArrayOf(value.passedOver, isString) &&
    (cuda === null || (isRecord(cuda) && isBoolean(cuda.ok) && isString(cuda.message))) &&
    isFiniteNumber(value.cores) &&
    isString(value.tfjsVersion)
  );
}

/** `engine install --json`: npm's output line by line, then one verdict. */
export type EngineInstallEvent =
  { type: 'output'; line: string } | { type: 'verdict'; ok: boolean; message: string };

export function isEngineInstallEvent(value: unknown): value is EngineInstallEvent {
  if (!isRecord(value)) return false;
  if (value.type === 'output') return isString(value.line);
  if (value.type === 'verdict') return isBoolean(value.ok) && isString(value.message);
  return false;
}

/** The status bar's words for a backend. */
export function backendLabel(backend: BackendName): string {
  switch (backend) {
    case 'tensorflow-gpu':
      return 'TensorFlow GPU';
    case 'tensorflow':
      return 'TensorFlow CPU';
    case 'wasm':
      return 'WASM';
    case 'cpu':
      return 'pure JS';
  }
}
