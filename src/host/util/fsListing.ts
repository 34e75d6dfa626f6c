// A directory listing the views depend on, so that tests can hand them an in-memory tree.
import { promises as fs } from 'node:fs';

export interface DirEntry {
  name: string;
  kind: 'file' | 'directory';
}

export interface DirectoryLister {
  /** Entries of `dir`; an unreadable or missing directory lists as empty. Links are not followed. */
  list(dir: string): Promise<DirEntry[]>;
}

export const nodeDirectoryLister: DirectoryLister = {
  async list(dir: string): Promise<DirEntry[]> {
    try {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      const result: DirEntry[] = [];
      for (const entry of entries) {
        // Symbolic links are skipped: a link loop or a link out of the data set must not be walked.
        if (entry.isDirectory()) result.push({ name: entry.name, kind: 'directory' });
        else if (entry.isFile()) result.push({ name: entry.name, kind: 'file' });
      }
      return result;
    } catch {
      return [];
    }
  },
};

// One collator: localeCompare with options builds a new one per call, slow on thousands of names.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Compares names the way a file manager does ("img2" before "img10"). */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b);
}

/** A lister that reads each directory once: one detection pass asks for the same folders repeatedly. */
export function memoizedLister(lister: DirectoryLister): DirectoryLister {
  const seen = new Map<string, Promise<DirEntry[]>>();
  return {
    list(dir: string): Promise<DirEntry[]> {
      let entries = seen.get(dir);
      if (!entries) {
        entries = lister.list(dir);
        seen.set(dir, entries);
      }
      return entries;
    },
  };
}
