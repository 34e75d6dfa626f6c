// The sha256 of each image file's bytes: feature caches are keyed by content, so a renamed or copied photo
// reuses its features and an edited one does not. A memo keyed by (path, size, mtime, inode) skips
// re-reading files that did not change since the last run, as git's index and DVC's state do.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isRecord } from '../../protocol/guards';
import { writeFileAtomic } from '../runWriter';

const SHA256 = /^[0-9a-f]{64}$/;
/** Past this many entries the memo keeps only those of the current call (bounded memory and file). */
const MEMO_LIMIT = 200_000;

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class ContentHasher {
  private memo = new Map<string, string>();
  private readonly used = new Map<string, string>();
  private dirty = false;

  private constructor(private readonly memoFile: string | null) {}

  /** A hasher whose memo lives in `memoFile` (null: no memo). An unreadable memo is simply empty. */
  static async open(memoFile: string | null): Promise<ContentHasher> {
    const hasher = new ContentHasher(memoFile);
    if (memoFile) {
      try {
        const parsed: unknown = JSON.parse(await fs.readFile(memoFile, 'utf8'));
        if (isRecord(parsed) && isRecord(parsed.files)) {
          for (const [key, value] of Object.entries(parsed.files))
            if (typeof value === 'string' && SHA256.test(value)) hasher.memo.set(key, value);
        }
      } catch {
        // Missing or damaged: every file is hashed again, and the memo rewritten.
      }
    }
    return hasher;
  }

  async hash(file: string): Promise<string> {
    const absolute = path.resolve(file);
    const stat = await fs.stat(absolute);
    const key = `${absolute}\u0000${stat.size}\u0000${stat.mtimeMs}\u0000${stat.ino}`;
    let digest = this.memo.get(key);
    if (digest === undefined) {
      digest = await hashFile(absolute);
      this.memo.set(key, digest);
      this.dirty = true;
    }
    this.used.set(key, digest);
    return digest;
  }

  /** Writes the memo back (atomically) when it learned something. */
  async save(): Promise<void> {
    if (!this.memoFile || !this.dirty) return;
    const entries = this.memo.size > MEMO_LIMIT ? this.used : this.memo;
    await fs.mkdir(path.dirname(this.memoFile), { recursive: true });
    await writeFileAtomic(
      this.memoFile,
      JSON.stringify({ formatVersion: 1, files: Object.fromEntries(entries) }),
    );
    this.dirty = false;
  }
}
