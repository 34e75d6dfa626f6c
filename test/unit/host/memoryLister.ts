// An in-memory directory tree for the host's tests: paths of files (folders are implied) and empty folders.
import * as path from 'node:path';
import type { DirEntry, DirectoryLister } from '../../../src/host/util/fsListing';

export class MemoryLister implements DirectoryLister {
  private readonly dirs = new Map<string, Map<string, DirEntry['kind']>>();
  listed = 0;

  constructor(files: string[], emptyDirs: string[] = []) {
    for (const file of files) this.add(path.resolve(file), 'file');
    for (const dir of emptyDirs) this.add(path.resolve(dir), 'directory');
  }

  add(full: string, kind: DirEntry['kind']): void {
    let child = full;
    let childKind = kind;
    while (true) {
      const parent = path.dirname(child);
      if (parent === child) return;
      const entries = this.dirs.get(parent) ?? new Map<string, DirEntry['kind']>();
      entries.set(path.basename(child), childKind);
      this.dirs.set(parent, entries);
      child = parent;
      childKind = 'directory';
    }
  }

  async list(dir: string): Promise<DirEntry[]> {
    this.listed++;
    return [...(this.dirs.get(path.resolve(dir)) ?? new Map()).entries()].map(([name, kind]) => ({
      name,
      kind,
    }));
  }
}

/** `count` image files `prefix/000.png …`. */
export function images(prefix: string, count: number, ext = '.png'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}/${String(i).padStart(3, '0')}${ext}`);
}
