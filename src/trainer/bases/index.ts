// Pretrained bases without TF.js: the cache (get, add, remove, list, verify) and resolveBase for training.
// Loading a base into TF.js is in ./tfjsBases (loadGraphBase, loadLayersBase, graphFeatures).
export { BaseError, DownloadStoppedError } from './errors';
export {
  addBase,
  baseDigest,
  basesRoot,
  CACHE_DIR_ENV,
  CATALOGUE_ENV,
  loadCatalogue,
  defaultCacheDir,
  getBase,
  listBases,
  readInstalledBase,
  removeBase,
  verifyInstalledBase,
  type AddBaseOptions,
  type BaseListing,
  type GetBaseOptions,
  type InstalledBase,
} from './cache';
export { resolveBase, type ResolvedBase, type ResolveBaseOptions } from './resolve';
export type { NetworkOptions } from './http';
