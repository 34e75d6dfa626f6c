// What the editor shows about the engine: the status bar's text and tooltip, and the choices of Set Up
// Native Engine…. Plain data (no vscode import), unit-tested.
import type { NativeEngine } from '../../core/engineDiagnosis';
import { backendLabel, type EngineStatus } from '../../protocol/engine';

export interface StatusBarLook {
  text: string;
  /** Markdown-free lines; the status bar joins them. */
  tooltip: string[];
}

export function engineStatusBarLook(status: EngineStatus): StatusBarLook {
  const native = status.backend === 'tensorflow' || status.backend === 'tensorflow-gpu';
  const icon = status.backend === 'tensorflow-gpu' ? '$(zap)' : '$(chip)';
  const cores = status.backend === 'wasm' ? ` ×${status.cores}` : '';
  const tooltip = [
    `Image Trainer trains with ${backendLabel(status.backend)} (backend ${status.backend})`,
    ...status.devices,
    ...(status.passedOver.length > 0 ? ['Passed over:', ...status.passedOver.map((n) => `• ${n}`)] : []),
    ...(status.cuda && !status.cuda.ok ? [status.cuda.message] : []),
    native ? 'Click for details' : 'Click for details or to set up native TensorFlow',
  ];
  return { text: `${icon} ${backendLabel(status.backend)}${cores}`, tooltip };
}

export interface EngineChoice {
  engine: NativeEngine;
  label: string;
  description: string;
  detail: string;
}

export function engineChoices(platform: NodeJS.Platform): EngineChoice[] {
  const gpu: EngineChoice = {
    engine: 'tensorflow-gpu',
    label: 'TensorFlow with CUDA (NVIDIA GPU)',
    description: '@tensorflow/tfjs-node-gpu',
    detail:
      platform === 'darwin'
        ? 'Not available on macOS (no CUDA build); choose TensorFlow CPU'
        : 'Needs an NVIDIA driver, CUDA 11.2 and cuDNN 8.1; downloads libtensorflow (about 400 MB)',
  };
  const cpu: EngineChoice = {
    engine: 'tensorflow',
    label: 'TensorFlow CPU (native)',
    description: '@tensorflow/tfjs-node',
    detail: 'Uses every core through native TensorFlow; downloads libtensorflow (about 100 MB)',
  };
  return platform === 'darwin' ? [cpu, gpu] : [gpu, cpu];
}

/** The line logged for every engine verdict (the e2e suite waits for it in the extension's log). */
export function verdictLogLine(engine: NativeEngine, ok: boolean, message: string): string {
  return `Native engine setup (${engine}) ${ok ? 'succeeded' : 'failed'}: ${message}`;
}
