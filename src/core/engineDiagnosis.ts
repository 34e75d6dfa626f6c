// Why a native TensorFlow engine could not be installed or used, in one line with the fix. Pure: the
// callers hand in the error text, npm's output or the listing of library folders they looked at.

export type NativeEngine = 'tensorflow' | 'tensorflow-gpu';

export const NATIVE_ENGINES: readonly NativeEngine[] = ['tensorflow', 'tensorflow-gpu'];

export const ENGINE_PACKAGES: Record<NativeEngine, string> = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
};

export function isNativeEngine(value: string): value is NativeEngine {
  return (NATIVE_ENGINES as readonly string[]).includes(value);
}

/**
 * The npm spec that matches our tfjs: tfjs-node registers its kernels on the shared tfjs engine, so a
 * different minor version would bring kernels the bundled tfjs does not expect.
 */
export function enginePackageSpec(engine: NativeEngine, tfjsVersion: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(tfjsVersion)) throw new Error(`not a tfjs release version: ${tfjsVersion}`);
  return `${ENGINE_PACKAGES[engine]}@${tfjsVersion}`;
}

/** An engine that cannot exist on this platform at all, before npm is asked; null when it may. */
export function unsupportedEngineReason(
  engine: NativeEngine,
  platform: NodeJS.Platform,
  arch: string,
): string | null {
  if (engine === 'tensorflow-gpu' && platform === 'darwin') {
    return 'tensorflow-gpu: there is no CUDA build for macOS; install tensorflow (native CPU) instead';
  }
  if (engine === 'tensorflow-gpu' && arch !== 'x64') {
    return `tensorflow-gpu: CUDA builds exist for x64 only (this machine is ${arch}); install tensorflow instead`;
  }
  return null;
}

// ---- CUDA / cuDNN: tfjs-node-gpu 4.x is built against CUDA 11.2 and cuDNN 8.1 ----

export interface LibraryFolder {
  dir: string;
  files: readonly string[];
}

interface CudaNames {
  runtime: string;
  dnn: string;
  runtimeAny: RegExp;
  dnnAny: RegExp;
}

const CUDA_NAMES: Record<'posix' | 'win32', CudaNames> = {
  posix: {
    runtime: 'libcudart.so.11.0',
    dnn: 'libcudnn.so.8',
    runtimeAny: /^libcudart\.so\.\d+(\.\d+)*$/,
    dnnAny: /^libcudnn\.so\.\d+(\.\d+)*$/,
  },
  win32: {
    runtime: 'cudart64_110.dll',
    dnn: 'cudnn64_8.dll',
    runtimeAny: /^cudart64_\d+\.dll$/i,
    dnnAny: /^cudnn64_\d+\.dll$/i,
  },
};

export interface CudaCheck {
  ok: boolean;
  /** Where the libraries tfjs-node-gpu needs were found (null: not found). */
  runtimeDir: string | null;
  dnnDir: string | null;
  /** One line: what was found and what to do; empty when ok. */
  message: string;
  /** Was any CUDA runtime or cuDNN (of any version) found? False on machines without CUDA at all. */
  anyFound: boolean;
}

/** Does one of the folders hold the CUDA runtime and cuDNN that tfjs-node-gpu 4.x loads? */
export function checkCudaLibraries(folders: readonly LibraryFolder[], platform: NodeJS.Platform): CudaCheck {
  const names = CUDA_NAMES[platform === 'win32' ? 'win32' : 'posix'];
  const find = (exact: string): string | null =>
    folders.find((f) => f.files.some((n) => n.toLowerCase() === exact.toLowerCase()))?.dir ?? null;
  const others = (pattern: RegExp, exact: string): string[] => {
    const seen = new Set<string>();
    for (const folder of folders) {
      for (const file of folder.files) {
        if (pattern.test(file) && file.toLowerCase() !== exact.toLowerCase())
          seen.add(`${file} in ${folder.dir}`);
      }
    }
    return [...seen].slice(0, 3);
  };
  const runtimeDir = find(names.runtime);
  const dnnDir = find(names.dnn);
  if (runtimeDir !== null && dnnDir !== null)
    return { ok: true, runtimeDir, dnnDir, message: '', anyFound: true };
  const otherRuntimes = others(names.runtimeAny, names.runtime);
  const otherDnns = others(names.dnnAny, names.dnn);
  const missing: string[] = [];
  if (runtimeDir === null) missing.push(describeMissing(names.runtime, otherRuntimes));
  if (dnnDir === null) missing.push(describeMissing(names.dnn, otherDnns));
  const searchPath = platform === 'win32' ? 'PATH' : 'LD_LIBRARY_PATH';
  return {
    ok: false,
    runtimeDir,
    dnnDir,
    anyFound: runtimeDir !== null || dnnDir !== null || otherRuntimes.length > 0 || otherDnns.length > 0,
    message:
      `CUDA/cuDNN mismatch: tfjs-node-gpu 4.x needs CUDA 11.2 and cuDNN 8.1; ${missing.join('; ')}. ` +
      `Install CUDA 11.2 + cuDNN 8.1 (they can sit beside newer versions) and add their library folder to ${searchPath}, ` +
      'or use tensorflow (native CPU)',
  };
}

function describeMissing(name: string, found: string[]): string {
  return found.length > 0 ? `no ${name} (found ${found.join(', ')})` : `no ${name} anywhere searched`;
}

// ---- Loading an installed package ----

/** One line saying why an installed engine package failed to load, with the fix. */
export function diagnoseLoadFailure(
  engine: NativeEngine,
  errorMessage: string,
  platform: NodeJS.Platform,
): string {
  const packageName = ENGINE_PACKAGES[engine];
  const first = errorMessage.split('\n')[0].trim();
  const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(errorMessage);
  if (abi) {
    return (
      `${engine}: ${packageName} was built for another Node (NODE_MODULE_VERSION ${abi[1]}; this runtime needs ${abi[2]}): ` +
      `set imageTrainer.nodePath to the Node that installed it, or reinstall it with image-trainer engine install ${engine}`
    );
  }
  if (/(libcudart|libcudnn|libcublas|cudart64|cudnn64)/i.test(errorMessage)) {
    return `${engine}: ${packageName} could not load CUDA (${first}); run image-trainer engine status for what is installed`;
  }
  if (
    /(libtensorflow|tfjs_binding\.node)/i.test(errorMessage) &&
    /(No such file|cannot open shared object|Library not loaded|not found|Cannot find module)/i.test(
      errorMessage,
    )
  ) {
    return `${engine}: ${packageName} is installed without libtensorflow (its install step did not finish); reinstall with image-trainer engine install ${engine}`;
  }
  if (
    platform === 'win32' &&
    /(specified module could not be found|tensorflow\.dll|\.node)/i.test(errorMessage)
  ) {
    return `${engine}: ${packageName} could not load tensorflow.dll (${first}); install the Microsoft Visual C++ Redistributable (x64) and reinstall`;
  }
  if (platform === 'darwin' && /(incompatible architecture|wrong architecture|mach-o)/i.test(errorMessage)) {
    return `${engine}: ${packageName} was built for another CPU architecture (${first}); run the trainer with a Node for this Mac's architecture (imageTrainer.nodePath) and reinstall`;
  }
  return `${engine}: ${packageName} is installed but failed to load (${first}); reinstall it with image-trainer engine install ${engine}`;
}

// ---- Installing with npm ----

const NETWORK_ERROR =
  /(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up|network request .* failed)/i;

/** One line saying why `npm install` of an engine package failed, with the fix. */
export function diagnoseInstallFailure(
  engine: NativeEngine,
  npmOutput: string,
  context: { platform: NodeJS.Platform; arch: string; engineDir: string },
): string {
  const packageName = ENGINE_PACKAGES[engine];
  const network = NETWORK_ERROR.exec(npmOutput);
  if (
    network &&
    /(storage\.googleapis\.com|libtensorflow|scripts\/install\.js|pre-built-binary)/i.test(npmOutput)
  ) {
    return (
      `offline: npm got ${packageName}, but its install step downloads libtensorflow from storage.googleapis.com and could not reach it (${network[1]}); ` +
      'connect to the internet (or set http.proxy / HTTPS_PROXY) then run the setup again'
    );
  }
  if (network) {
    return `offline: npm could not reach its registry (${network[1]}); connect to the internet or configure npm's registry/proxy, then try again`;
  }
  if (/\b(EACCES|EPERM)\b/.test(npmOutput)) {
    return `cannot write to ${context.engineDir}: choose another folder in the setting imageTrainer.engineDirectory (or IMAGE_TRAINER_ENGINE_DIR)`;
  }
  if (/\bENOSPC\b/.test(npmOutput)) {
    return `the disk holding ${context.engineDir} is full: libtensorflow needs about 1 GB (GPU) or 300 MB (CPU)`;
  }
  if (/(gyp ERR|build-from-source|node-pre-gyp ERR|No prebuilt binaries)/i.test(npmOutput)) {
    return (
      `no prebuilt ${packageName} for ${context.platform}-${context.arch} with this Node: building it needs Python and a C++ toolchain` +
      (context.platform === 'win32' ? ' (Visual Studio Build Tools)' : '') +
      '; the WASM backend keeps working meanwhile'
    );
  }
  if (/\bETARGET\b|No matching version/i.test(npmOutput)) {
    return `npm has no ${packageName} matching this tfjs version; update Image Trainer`;
  }
  const lastError = npmOutput
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^npm (ERR!|error)/.test(l) && l.replace(/^npm (ERR!|error)/, '').trim().length > 0)
    .pop();
  return `npm install ${packageName} failed${lastError ? `: ${lastError.replace(/^npm (ERR!|error)\s*/, '')}` : ''}; see the output above`;
}
