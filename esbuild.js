// Builds the three bundles: the extension host, the trainer/CLI child process, and the webview.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Native or optional packages stay outside the bundle: sharp and onnxruntime-node ship prebuilt binaries
// in node_modules (ONNX Runtime is loaded lazily, and predict falls back to TF.js without it), and the
// native TensorFlow packages are detected at run time and may be absent.
const nodeExternals = [
  'vscode',
  'sharp',
  'onnxruntime-node',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: ['src/trainer/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // Data-parallel training worker thread, started by src/trainer/parallel next to dist/cli.js.
    ...common,
    entryPoints: ['src/trainer/parallel/worker.ts'],
    outfile: 'dist/parallelWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: ['webview/src/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

function copyWasmBinaries() {
  const wasmDir = path.join(
    path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist',
  );
  fs.mkdirSync('dist', { recursive: true });
  for (const name of fs.readdirSync(wasmDir)) {
    if (name.endsWith('.wasm')) fs.copyFileSync(path.join(wasmDir, name), path.join('dist', name));
  }
}

async function main() {
  copyWasmBinaries();
  const entries = builds.filter((b) => fs.existsSync(b.entryPoints[0]));
  if (watch) {
    for (const b of entries) await (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(entries.map((b) => esbuild.build(b)));
  fs.chmodSync('dist/cli.js', 0o755);
}

main().catch((err) => {
  console.error(err.message ?? err);
  process.exit(1);
});
