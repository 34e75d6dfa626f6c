// The engine folder (IMAGE_TRAINER_ENGINE_DIR), proved with a STAND-IN package (test/fixtures/
// standInEngine.ts): a package named @tensorflow/tfjs-node(-gpu) that registers a backend called
// 'tensorflow' computing with tfjs' pure-JS kernels. libtensorflow cannot be downloaded on our machines,
// so these tests prove resolution, loading, the backend choice, its notes and the fallback — not
// TensorFlow itself, CUDA or speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/trainer/backend';
import {
  engineDirectory,
  installedEnginePackages,
  resolveInEngineDir,
} from '../../../../src/trainer/engine/engineDirectory';
import { cudaSearchFolders, checkCudaHere } from '../../../../src/trainer/engine/cudaLibraries';
import { writeStandInEngine } from '../../../fixtures/standInEngine';

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

test('the engine folder is IMAGE_TRAINER_ENGINE_DIR, else engine/ in the cache folder', () => {
  assert.equal(
    engineDirectory({ IMAGE_TRAINER_ENGINE_DIR: '/opt/engines' }, '/home/u'),
    path.resolve('/opt/engines'),
  );
  assert.equal(engineDirectory({}, '/home/u'), path.join('/home/u', '.cache', 'image-trainer', 'engine'));
  assert.equal(
    engineDirectory({ IMAGE_TRAINER_CACHE_DIR: '/c' }, '/home/u'),
    path.join(path.resolve('/c'), 'engine'),
  );
});

test('only packages inside the engine folder itself are resolved there, not a parent node_modules', () => {
  const root = tempDir('engine-parent-');
  try {
    writeStandInEngine(root, '@tensorflow/tfjs-node', { kind: 'works' });
    const child = path.join(root, 'engine');
    mkdirSync(child);
    assert.equal(resolveInEngineDir('@tensorflow/tfjs-node', child), null);
    assert.equal(
      resolveInEngineDir('@tensorflow/tfjs-node', root),
      path.join(root, 'node_modules', '@tensorflow', 'tfjs-node', 'index.js'),
    );
    assert.deepEqual(installedEnginePackages(root), [
      { name: '@tensorflow/tfjs-node', version: '4.22.0', where: 'engine-dir' },
    ]);
    assert.deepEqual(installedEnginePackages(child), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a stand-in GPU package that fails to load, then a stand-in CPU one from the engine folder: auto picks tensorflow and says why not the GPU', async () => {
  const dir = tempDir('engine-standin-');
  try {
    writeStandInEngine(dir, '@tensorflow/tfjs-node-gpu', {
      kind: 'throws',
      message: 'libtensorflow.so.2: cannot open shared object file: No such file or directory',
    });
    writeStandInEngine(dir, '@tensorflow/tfjs-node', { kind: 'works' });
    const selection = await selectBackend('auto', { engineDir: dir });
    assert.equal(selection.backend, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.equal(selection.notes.length, 1);
    assert.match(
      selection.notes[0],
      /^tensorflow-gpu: @tensorflow\/tfjs-node-gpu is installed without libtensorflow/,
    );
    // It computes: the stand-in's kernels are tfjs' pure-JS ones.
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
    assert.deepEqual(sum, [4, 6]);
    assert.equal((globalThis as { __imageTrainerStandInLoads?: number }).__imageTrainerStandInLoads, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a GPU package whose TensorFlow sees no GPU is used, and the note says it computes on the CPU', async () => {
  const dir = tempDir('engine-standin-gpu-');
  try {
    writeStandInEngine(dir, '@tensorflow/tfjs-node-gpu', {
      kind: 'works',
      gpuPackage: true,
      usingGpu: false,
    });
    const selection = await selectBackend('tensorflow-gpu', { engineDir: dir });
    assert.equal(selection.backend, 'tensorflow-gpu');
    assert.equal(selection.notes.length, 1);
    assert.match(selection.notes[0], /^tensorflow-gpu: TensorFlow sees no GPU and computes on the CPU/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty engine folder: auto falls back to WASM and names the install command for each native engine', async () => {
  const dir = tempDir('engine-empty-');
  try {
    const selection = await selectBackend('auto', { engineDir: dir });
    assert.equal(selection.backend, 'wasm');
    assert.deepEqual(
      selection.notes.map((n) => n.split(':')[0]),
      ['tensorflow-gpu', 'tensorflow'],
    );
    assert.match(
      selection.notes[1],
      /not installed \(image-trainer engine install tensorflow, or "Set Up Native Engine…"/,
    );
    await assert.rejects(selectBackend('tensorflow', { engineDir: dir }), /tfjs-node is not installed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CUDA libraries are looked for on LD_LIBRARY_PATH first; fake folders give the mismatch line', () => {
  const root = tempDir('engine-cuda-');
  try {
    const cuda12 = path.join(root, 'cuda-12.4', 'lib64');
    const cudnn9 = path.join(root, 'cudnn9');
    mkdirSync(cuda12, { recursive: true });
    mkdirSync(cudnn9, { recursive: true });
    writeFileSync(path.join(cuda12, 'libcudart.so.12'), '');
    writeFileSync(path.join(cudnn9, 'libcudnn.so.9'), '');
    const env = { LD_LIBRARY_PATH: [cuda12, cudnn9].join(path.delimiter) };
    assert.deepEqual(cudaSearchFolders(env, 'linux').slice(0, 2), [cuda12, cudnn9]);
    const check = checkCudaHere(env, 'linux');
    assert.ok(check);
    // Folders outside LD_LIBRARY_PATH (/usr/local/cuda…) may add findings on a machine with CUDA; ours are named.
    assert.match(
      check.message,
      new RegExp(`libcudart\\.so\\.12 in ${cuda12.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.match(check.message, /libcudnn\.so\.9 in /);
    if (check.runtimeDir === null) assert.match(check.message, /no libcudart\.so\.11\.0/);
    writeFileSync(path.join(cuda12, 'libcudart.so.11.0'), '');
    writeFileSync(path.join(cudnn9, 'libcudnn.so.8'), '');
    const fixed = checkCudaHere(env, 'linux');
    assert.equal(fixed?.ok, true);
    assert.equal(fixed?.runtimeDir, cuda12);
    assert.equal(fixed?.dnnDir, cudnn9);
    assert.equal(checkCudaHere(env, 'darwin'), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
