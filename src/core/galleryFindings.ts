// What the class gallery marks on an image: the doctor's findings (a cached scan report) by relative path.
// Pure, so the marks and their wording are tested directly.
import type { ScanReport } from '../protocol/scan';
import { createHash } from 'node:crypto';

/** Relative path (forward slashes) → one line saying what the doctor found about that image. */
export function findingsByPath(report: ScanReport | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!report) return out;
  const add = (file: string, text: string): void => {
    const key = file.replace(/\\/g, '/');
    const before = out.get(key);
    out.set(key, before ? `${before}; ${text}` : text);
  };
  for (const skipped of report.skipped) add(skipped.path, `skipped: ${skipped.reason}`);
  for (const group of report.duplicates) {
    const [kept, ...copies] = group.paths;
    if (group.conflict) {
      const labels = [...new Set(group.labels)].join(', ');
      for (const file of group.paths) add(file, `label conflict: the same image is in ${labels}`);
    }
    for (const copy of copies) add(copy, `duplicate of ${kept} (skipped in training)`);
  }
  return out;
}

/** Bump when the way thumbnails are made changes, so old cached files are not used. */
export const THUMBNAIL_VERSION = 1;

/** The cache name of an image's thumbnail: changes when the file, its size, its time or the size asked does. */
export function thumbnailKey(
  realPath: string,
  bytes: number,
  mtimeMs: number,
  size: number,
  /** How the picture is fitted when it is not the class gallery's centre crop (`pad` for detection). */
  variant = '',
): string {
  return createHash('sha256')
    .update(
      `${THUMBNAIL_VERSION}\0${realPath}\0${bytes}\0${Math.round(mtimeMs)}\0${size}${variant ? `\0${variant}` : ''}`,
    )
    .digest('hex')
    .slice(0, 40);
}
