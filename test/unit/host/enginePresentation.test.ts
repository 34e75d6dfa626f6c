// The engine's status bar and Set Up Native Engine…'s choices, from an EngineStatus (no vscode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  engineChoices,
  engineStatusBarLook,
  verdictLogLine,
} from '../../../src/host/engine/enginePresentation';
import type { EngineStatus } from '../../../src/protocol/engine';

const WASM: EngineStatus = {
  backend: 'wasm',
  engineDir: '/g/engine',
  packages: [],
  devices: ['CPU: AMD EPYC × 2 cores'],
  passedOver: ['tensorflow-gpu: not installed', 'tensorflow: not installed'],
  cuda: null,
  cores: 2,
  tfjsVersion: '4.22.0',
};

test('WASM: the status bar names it with its cores; the tooltip lists devices and what was passed over', () => {
  const look = engineStatusBarLook(WASM);
  assert.equal(look.text, '$(chip) WASM ×2');
  assert.deepEqual(look.tooltip, [
    'Image Trainer trains with WASM (backend wasm)',
    'CPU: AMD EPYC × 2 cores',
    'Passed over:',
    '• tensorflow-gpu: not installed',
    '• tensorflow: not installed',
    'Click for details or to set up native TensorFlow',
  ]);
});

test('CUDA: a GPU icon, the GPU first, and a CUDA problem is shown', () => {
  const look = engineStatusBarLook({
    ...WASM,
    backend: 'tensorflow-gpu',
    devices: ['GPU: NVIDIA H200 (143771 MiB)', 'CPU: x × 16 cores'],
    passedOver: [],
    cuda: { ok: false, message: 'CUDA/cuDNN mismatch: …' },
  });
  assert.equal(look.text, '$(zap) TensorFlow GPU');
  assert.deepEqual(look.tooltip, [
    'Image Trainer trains with TensorFlow GPU (backend tensorflow-gpu)',
    'GPU: NVIDIA H200 (143771 MiB)',
    'CPU: x × 16 cores',
    'CUDA/cuDNN mismatch: …',
    'Click for details',
  ]);
});

test('engine choices: GPU first where CUDA exists, CPU first and GPU marked unavailable on macOS', () => {
  assert.deepEqual(
    engineChoices('linux').map((c) => c.engine),
    ['tensorflow-gpu', 'tensorflow'],
  );
  const mac = engineChoices('darwin');
  assert.deepEqual(
    mac.map((c) => c.engine),
    ['tensorflow', 'tensorflow-gpu'],
  );
  assert.match(mac[1].detail, /Not available on macOS/);
  assert.equal(
    verdictLogLine('tensorflow', false, 'offline: x'),
    'Native engine setup (tensorflow) failed: offline: x',
  );
});
