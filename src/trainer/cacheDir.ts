// Where the CLI keeps what outlives a run (pretrained bases, their feature caches): IMAGE_TRAINER_CACHE_DIR,
// else $XDG_CACHE_HOME/image-trainer, else ~/.cache/image-trainer. The extension passes its global storage.
import * as os from 'node:os';
import * as path from 'node:path';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IMAGE_TRAINER_CACHE_DIR) return path.resolve(env.IMAGE_TRAINER_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : null;
  return path.join(xdg ?? path.join(os.homedir(), '.cache'), 'image-trainer');
}
