// The photo profile of a data set folder from a handful of its files: lists class folders (and split
// folders) breadth-first until it has enough image paths, then reads only the first bytes of a spread
// sample. Cheap enough to run before every Train Model pick; never decodes, never follows links.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isHiddenName, isImageCandidate } from './dataset';
import { PEEK_BYTES, peekImageShape, photoProfile, spreadSample, type PhotoProfile } from './photoProfile';

const LISTED_FILES = 400;
const SAMPLED_FILES = 12;
const MAX_DEPTH = 3;

export async function samplePhotoProfile(root: string): Promise<PhotoProfile> {
  const files: string[] = [];
  let level = [root];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0 && files.length < LISTED_FILES; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (isHiddenName(entry.name)) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) next.push(full);
        else if (entry.isFile() && isImageCandidate(entry.name) && files.length < LISTED_FILES)
          files.push(full);
      }
    }
    level = next;
  }
  const shapes = await Promise.all(
    spreadSample(files, SAMPLED_FILES).map(async (file) => {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(file, 'r');
        const buffer = Buffer.alloc(PEEK_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, PEEK_BYTES, 0);
        return peekImageShape(buffer.subarray(0, bytesRead));
      } catch {
        return null;
      } finally {
        await handle?.close();
      }
    }),
  );
  return photoProfile(shapes);
}
