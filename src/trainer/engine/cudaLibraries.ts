// Where tfjs-node-gpu's CUDA runtime and cuDNN would be found: the dynamic loader's search path and the
// usual install folders. Only file names are read; the decision is core/engineDiagnosis.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkCudaLibraries, type CudaCheck, type LibraryFolder } from '../../core/engineDiagnosis';

const POSIX_FOLDERS = [
  '/usr/local/cuda/lib64',
  '/usr/local/cuda/targets/x86_64-linux/lib',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/lib/wsl/lib',
  '/opt/cuda/lib64',
];

/** Folders to search, in the loader's order: LD_LIBRARY_PATH (PATH on Windows) first, then the usual places. */
export function cudaSearchFolders(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const listed = (platform === 'win32' ? (env.PATH ?? env.Path) : env.LD_LIBRARY_PATH) ?? '';
  const fromEnv = listed.split(path.delimiter).filter((d) => d.trim().length > 0);
  if (platform === 'win32') {
    const cudaPath = env.CUDA_PATH ? [path.join(env.CUDA_PATH, 'bin')] : [];
    return unique([...fromEnv, ...cudaPath]);
  }
  return unique([...fromEnv, ...versionedCudaFolders(), ...POSIX_FOLDERS]);
}

function versionedCudaFolders(): string[] {
  try {
    return fs
      .readdirSync('/usr/local')
      .filter((n) => /^cuda-\d+(\.\d+)*$/.test(n))
      .sort()
      .map((n) => path.join('/usr/local', n, 'lib64'));
  } catch {
    return [];
  }
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Lists each folder's file names (missing or unreadable folders are skipped). */
export function listLibraryFolders(folders: readonly string[]): LibraryFolder[] {
  const listed: LibraryFolder[] = [];
  const seen = new Set<string>();
  for (const dir of folders) {
    try {
      // /usr/local/cuda is usually a link to /usr/local/cuda-X.Y: one folder, said once.
      const real = fs.realpathSync(dir);
      if (seen.has(real)) continue;
      seen.add(real);
      listed.push({ dir, files: fs.readdirSync(real) });
    } catch {
      // not there
    }
  }
  return listed;
}

/** The CUDA check for this machine; null on macOS, where tfjs-node-gpu does not exist. */
export function checkCudaHere(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): CudaCheck | null {
  if (platform === 'darwin') return null;
  return checkCudaLibraries(listLibraryFolders(cudaSearchFolders(env, platform)), platform);
}
