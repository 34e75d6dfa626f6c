// The e2e workspaces' data: the product's own procedural sample data set, written by the CLI, counted
// back from disk so that the views are checked against what is really there.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { runToEnd } from './processes';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp']);

/** Class name → number of images, for a class-folder data set. */
export type ClassCounts = Map<string, number>;

/** Writes the sample data set with `image-trainer sample DIR` (the built CLI). */
export function writeSampleDataset(repo: string, dir: string, perClass: number): void {
  mkdirSync(dir, { recursive: true });
  const result = runToEnd(
    process.execPath,
    [join(repo, 'dist', 'cli.js'), 'sample', dir, '--per-class', String(perClass)],
    repo,
  );
  if (result.status !== 0) {
    throw new Error(
      `image-trainer sample ${dir} failed (${result.status}): ${(result.stderr || result.stdout).trim().split('\n')[0]}`,
    );
  }
}

function isImage(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Counts images per class folder directly under `root` (or under its split folders, summed). */
export function countClasses(root: string): ClassCounts {
  const counts: ClassCounts = new Map();
  const addClassesOf = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (!statSync(full).isDirectory() || name.startsWith('.')) continue;
      const images = readdirSync(full).filter(isImage).length;
      if (images > 0) counts.set(name, (counts.get(name) ?? 0) + images);
    }
  };
  const splits = ['train', 'validation', 'val', 'test'].filter((s) => existsSync(join(root, s)));
  if (splits.length > 0) for (const split of splits) addClassesOf(join(root, split));
  else addClassesOf(root);
  return counts;
}

/** The first image (sorted by name) of a class folder, for the classify step. */
export function firstImage(root: string, className: string): string {
  const dir = join(root, className);
  const name = readdirSync(dir).filter(isImage).sort()[0];
  if (name === undefined) throw new Error(`no image in ${dir}`);
  return join(dir, name);
}
