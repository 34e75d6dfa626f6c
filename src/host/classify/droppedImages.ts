// Images dropped on the Classify Image panel: the webview hands over the drop's uri-list as text, and
// this decides, without vscode, which entries are images the trainer may read. Only `file:` URIs, only
// image extensions, only regular files whose real path (links resolved) lies inside a workspace folder
// or a configured data set root that is not forbidden; duplicates once; at most MAX_DROPPED_IMAGES.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isImageCandidate } from '../../core/dataset';
import { isInside } from '../../core/runFiles';
import { datasetResourceRoots, type RootPolicy } from '../dashboard/resourceRoots';

/** One predict call for the whole drop; more than this is refused rather than run for minutes. */
export const MAX_DROPPED_IMAGES = 200;

export interface DropFs {
  realpath(p: string): Promise<string>;
  stat(p: string): Promise<{ isFile(): boolean }>;
}

export interface DroppedImages {
  /** Real paths of the images to classify, in drop order. */
  accepted: string[];
  /** What was left out and why (one line each, for the log and the panel). */
  refused: { item: string; reason: string }[];
}

/**
 * The entries of a drop's uri-list (`text/uri-list` or VS Code's `application/vnd.code.uri-list`): one
 * URI a line, `#` lines are comments (RFC 2483).
 */
export function uriListEntries(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The local path a `file:` URI names, or the reason it names none. */
export function localPathOf(uri: string): { path: string } | { reason: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { reason: 'not a URI' };
  }
  if (url.protocol !== 'file:')
    return { reason: `a ${url.protocol.replace(/:$/, '')} URI, not a local file` };
  if (url.hostname !== '' && url.hostname !== 'localhost') return { reason: 'a file on another machine' };
  try {
    return { path: path.resolve(fileURLToPath(url)) };
  } catch {
    return { reason: 'not a local file path' };
  }
}

/** Checks a drop's URIs against the folders the user chose; see the file comment for the rules. */
export async function checkDroppedImages(
  uris: readonly string[],
  policy: RootPolicy,
  fs: DropFs = fsp,
): Promise<DroppedImages> {
  const roots = await Promise.all(
    datasetResourceRoots([...policy.workspaceFolders, ...policy.configuredRoots], policy.homeDir).map((r) =>
      fs.realpath(r).catch(() => r),
    ),
  );
  const accepted: string[] = [];
  const refused: DroppedImages['refused'] = [];
  const seen = new Set<string>();
  for (const uri of uris) {
    const local = localPathOf(uri);
    if ('reason' in local) {
      refused.push({ item: uri.slice(0, 200), reason: local.reason });
      continue;
    }
    const file = local.path;
    if (!isImageCandidate(file)) {
      refused.push({ item: file, reason: 'not an image file (png, jpeg, webp, gif, bmp, tiff)' });
      continue;
    }
    const real = await fs.realpath(file).catch(() => null);
    if (real === null) {
      refused.push({ item: file, reason: 'no such file' });
      continue;
    }
    if (!roots.some((root) => isInside(root, real))) {
      refused.push({
        item: file,
        reason: 'outside the workspace and imageTrainer.datasetRoots (add its folder there to classify it)',
      });
      continue;
    }
    const isFile = await fs.stat(real).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!isFile) {
      refused.push({ item: file, reason: 'not a regular file' });
      continue;
    }
    if (seen.has(real)) continue;
    if (accepted.length >= MAX_DROPPED_IMAGES) {
      refused.push({ item: file, reason: `more than ${MAX_DROPPED_IMAGES} images in one drop` });
      continue;
    }
    seen.add(real);
    accepted.push(real);
  }
  return { accepted, refused };
}
