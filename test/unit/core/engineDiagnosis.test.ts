// The one-line diagnoses of native-engine failures (pure): CUDA/cuDNN versions, load errors, npm output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCudaLibraries,
  diagnoseInstallFailure,
  diagnoseLoadFailure,
  enginePackageSpec,
  unsupportedEngineReason,
} from '../../../src/core/engineDiagnosis';

test('the CUDA check wants the CUDA 11 runtime and cuDNN 8, wherever they are', () => {
  const ok = checkCudaLibraries(
    [
      { dir: '/usr/local/cuda-11.2/lib64', files: ['libcudart.so', 'libcudart.so.11.0', 'libcublas.so.11'] },
      { dir: '/usr/lib/x86_64-linux-gnu', files: ['libcudnn.so.8', 'libc.so.6'] },
    ],
    'linux',
  );
  assert.equal(ok.ok, true);
  assert.equal(ok.runtimeDir, '/usr/local/cuda-11.2/lib64');
  assert.equal(ok.dnnDir, '/usr/lib/x86_64-linux-gnu');
  assert.equal(ok.message, '');
});

test('a newer CUDA and cuDNN are named in the mismatch, with the fix', () => {
  const check = checkCudaLibraries(
    [
      { dir: '/usr/local/cuda-12.4/lib64', files: ['libcudart.so.12', 'libcudart.so.12.4.127'] },
      { dir: '/usr/lib/x86_64-linux-gnu', files: ['libcudnn.so.9'] },
    ],
    'linux',
  );
  assert.equal(check.ok, false);
  assert.equal(check.anyFound, true);
  assert.match(check.message, /needs CUDA 11\.2 and cuDNN 8\.1/);
  assert.match(
    check.message,
    /no libcudart\.so\.11\.0 \(found libcudart\.so\.12 in \/usr\/local\/cuda-12\.4\/lib64/,
  );
  assert.match(check.message, /no libcudnn\.so\.8 \(found libcudnn\.so\.9 in \/usr\/lib\/x86_64-linux-gnu\)/);
  assert.match(check.message, /LD_LIBRARY_PATH/);
  assert.doesNotMatch(check.message, /\n/);
});

test('no CUDA at all is said as such', () => {
  const check = checkCudaLibraries([{ dir: '/usr/lib', files: ['libc.so.6'] }], 'linux');
  assert.equal(check.ok, false);
  assert.equal(check.anyFound, false);
  assert.match(
    check.message,
    /no libcudart\.so\.11\.0 anywhere searched; no libcudnn\.so\.8 anywhere searched/,
  );
});

test('on Windows the DLL names and PATH are checked', () => {
  const ok = checkCudaLibraries(
    [{ dir: 'C:\\CUDA\\v11.2\\bin', files: ['cudart64_110.dll', 'cudnn64_8.dll'] }],
    'win32',
  );
  assert.equal(ok.ok, true);
  const bad = checkCudaLibraries([{ dir: 'C:\\CUDA\\v12\\bin', files: ['cudart64_12.dll'] }], 'win32');
  assert.match(bad.message, /no cudart64_110\.dll \(found cudart64_12\.dll in C:\\CUDA\\v12\\bin\)/);
  assert.match(bad.message, /to PATH/);
});

test('the package spec pins our tfjs version', () => {
  assert.equal(enginePackageSpec('tensorflow', '4.22.0'), '@tensorflow/tfjs-node@4.22.0');
  assert.equal(enginePackageSpec('tensorflow-gpu', '4.22.0'), '@tensorflow/tfjs-node-gpu@4.22.0');
  assert.throws(() => enginePackageSpec('tensorflow', 'latest; rm -rf /'), /not a tfjs release/);
});

test('engines that cannot exist on a platform are refused before npm runs', () => {
  assert.match(unsupportedEngineReason('tensorflow-gpu', 'darwin', 'arm64') ?? '', /no CUDA build for macOS/);
  assert.match(unsupportedEngineReason('tensorflow-gpu', 'linux', 'arm64') ?? '', /x64 only/);
  assert.equal(unsupportedEngineReason('tensorflow-gpu', 'linux', 'x64'), null);
  assert.equal(unsupportedEngineReason('tensorflow', 'darwin', 'arm64'), null);
});

test('load failures: another Node ABI, a missing libtensorflow, Windows and macOS specifics', () => {
  const abi = diagnoseLoadFailure(
    'tensorflow',
    "The module '/x/tfjs_binding.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 108. This version of Node.js requires\nNODE_MODULE_VERSION 115. Please try re-compiling",
    'linux',
  );
  assert.match(abi, /built for another Node \(NODE_MODULE_VERSION 108; this runtime needs 115\)/);
  assert.match(abi, /imageTrainer\.nodePath/);
  const noLib = diagnoseLoadFailure(
    'tensorflow',
    'libtensorflow.so.2: cannot open shared object file: No such file or directory',
    'linux',
  );
  assert.match(noLib, /without libtensorflow.*engine install tensorflow/);
  const cuda = diagnoseLoadFailure(
    'tensorflow-gpu',
    'libcudart.so.11.0: cannot open shared object file',
    'linux',
  );
  assert.match(cuda, /could not load CUDA/);
  const win = diagnoseLoadFailure(
    'tensorflow',
    'The specified module could not be found.\r\n\\\\?\\C:\\x\\tfjs_binding.node',
    'win32',
  );
  assert.match(win, /Visual C\+\+ Redistributable/);
  const mac = diagnoseLoadFailure(
    'tensorflow',
    "dlopen(x.node): mach-o file, but is an incompatible architecture (have 'x86_64', need 'arm64')",
    'darwin',
  );
  assert.match(mac, /another CPU architecture/);
  const other = diagnoseLoadFailure('tensorflow', 'something odd\nstack', 'linux');
  assert.equal(
    other,
    'tensorflow: @tensorflow/tfjs-node is installed but failed to load (something odd); reinstall it with image-trainer engine install tensorflow',
  );
});

const CONTEXT = { platform: 'linux' as const, arch: 'x64', engineDir: '/home/u/.cache/image-trainer/engine' };

test('npm output: offline at the libtensorflow download (as npm 11 printed it on this machine)', () => {
  const output = [
    'npm error code 1',
    'npm error path /tmp/engdir1/node_modules/@tensorflow/tfjs-node',
    'npm error command failed',
    'npm error command sh -c node scripts/install.js',
    'npm error https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz',
    'npm error * Downloading libtensorflow',
    'npm error Error: getaddrinfo ENOTFOUND storage.googleapis.com',
  ].join('\n');
  const line = diagnoseInstallFailure('tensorflow', output, CONTEXT);
  assert.match(
    line,
    /^offline: npm got @tensorflow\/tfjs-node, but its install step downloads libtensorflow/,
  );
  assert.match(line, /\(ENOTFOUND\)/);
});

test('npm output: registry unreachable, permissions, no prebuilt binary, unknown', () => {
  assert.match(
    diagnoseInstallFailure(
      'tensorflow',
      'npm error code EAI_AGAIN\nnpm error request to https://registry.npmjs.org/x failed',
      CONTEXT,
    ),
    /^offline: npm could not reach its registry \(EAI_AGAIN\)/,
  );
  assert.match(
    diagnoseInstallFailure('tensorflow', 'npm error code EACCES\nnpm error syscall mkdir', CONTEXT),
    /cannot write to \/home\/u\/\.cache\/image-trainer\/engine: choose another folder/,
  );
  assert.match(
    diagnoseInstallFailure('tensorflow', 'gyp ERR! stack Error: not found: make', {
      ...CONTEXT,
      platform: 'win32',
    }),
    /no prebuilt @tensorflow\/tfjs-node for win32-x64.*Visual Studio Build Tools/,
  );
  assert.equal(
    diagnoseInstallFailure('tensorflow', 'npm error code E418\nnpm error I am a teapot\nnpm error', CONTEXT),
    'npm install @tensorflow/tfjs-node failed: I am a teapot; see the output above',
  );
});
