import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const SAMPLE_FOLDER_NAME = 'sample-shapes';

/** `base`, or `base-2`, `base-3`, …: the first that does not exist, so a user's folder is never written into. */
export function freeFolderName(
  parent: string,
  base: string,
  exists: (p: string) => boolean = existsSync,
): string {
  if (!exists(path.join(parent, base))) return base;
  for (let i = 2; ; i++) if (!exists(path.join(parent, `${base}-${i}`))) return `${base}-${i}`;
}
