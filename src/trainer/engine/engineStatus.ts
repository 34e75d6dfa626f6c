// `image-trainer engine status`: the backend `auto` picks here, what it computes on, and why each faster
// one was passed over. Loading the ladder is the only honest test of what would train.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { EngineStatus } from '../../protocol/engine';
import { ENGINE_PACKAGES } from '../../core/engineDiagnosis';
import { selectBackend } from '../backend';
import { defaultWorkerCount } from '../parallel';
import { checkCudaHere } from './cudaLibraries';
import { installedEnginePackages } from './engineDirectory';

export async function engineStatus(engineDir: string): Promise<EngineStatus> {
  const selection = await selectBackend('auto', { engineDir });
  const cores = defaultWorkerCount() + 1;
  const packages = installedEnginePackages(engineDir);
  const gpus = nvidiaGpus();
  const cuda = checkCudaHere();
  // The CUDA line matters to a machine with an NVIDIA GPU, CUDA, or the GPU package; elsewhere it is noise.
  const cudaMatters =
    cuda !== null &&
    (gpus.length > 0 || cuda.anyFound || packages.some((p) => p.name === ENGINE_PACKAGES['tensorflow-gpu']));
  return {
    backend: selection.backend,
    engineDir,
    packages,
    devices: devicesOf(selection.backend, cores, gpus),
    passedOver: selection.notes,
    cuda: cudaMatters ? { ok: cuda.ok, message: cuda.message } : null,
    cores,
    tfjsVersion: tf.version.tfjs,
  };
}

function devicesOf(backend: EngineStatus['backend'], cores: number, gpus: string[]): string[] {
  const cpuModel = os.cpus()[0]?.model.trim() || os.arch();
  const cpu = `CPU: ${cpuModel} × ${cores} core${cores === 1 ? '' : 's'}`;
  const native = tf.backend() as unknown as { isUsingGpuDevice?: unknown };
  if (backend === 'tensorflow-gpu' && native.isUsingGpuDevice !== false) {
    return [...(gpus.length > 0 ? gpus.map((g) => `GPU: ${g}`) : ['GPU: CUDA']), cpu];
  }
  return [cpu, ...gpus.map((g) => `GPU (not used): ${g}`)];
}

/** NVIDIA GPUs by name and memory, from nvidia-smi when it is installed (empty otherwise). */
function nvidiaGpus(): string[] {
  const result = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], {
    encoding: 'utf8',
    timeout: 5000,
    windowsHide: true,
  });
  if (result.status !== 0 || typeof result.stdout !== 'string') return [];
  return result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && l.length < 200)
    .map((l) => l.replace(/,\s*/, ' ('))
    .map((l) => (l.includes('(') ? `${l})` : l));
}

/** The status as text for a terminal. */
export function formatEngineStatus(status: EngineStatus): string {
  const lines = [
    `Backend:        ${status.backend}`,
    `Devices:        ${status.devices.join('; ')}`,
    `Engine folder:  ${status.engineDir}`,
    `Native engines: ${
      status.packages.length > 0
        ? status.packages.map((p) => `${p.name} ${p.version}`).join(', ')
        : 'none installed there (image-trainer engine install tensorflow|tensorflow-gpu)'
    }`,
  ];
  if (status.cuda)
    lines.push(
      `CUDA/cuDNN:     ${status.cuda.ok ? 'CUDA 11 runtime and cuDNN 8 found' : status.cuda.message}`,
    );
  if (status.passedOver.length > 0) {
    lines.push('Passed over:');
    for (const note of status.passedOver) lines.push(`  ${note}`);
  }
  return lines.join('\n');
}
