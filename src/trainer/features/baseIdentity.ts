// A base model's identity for the feature cache: the sha256 of its model.json and of every weight file it
// names, in order. Editing or replacing any of them gives new features; the path does not matter.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isRecord } from '../../protocol/guards';
import { UsageError } from '../errors';

export async function baseContentSha256(base: string): Promise<string> {
  const dir = base.endsWith('.json') ? path.dirname(base) : base;
  const modelJson = path.join(dir, 'model.json');
  const text = await fs.readFile(modelJson);
  const hash = createHash('sha256').update(text);
  for (const weightPath of weightPaths(JSON.parse(text.toString('utf8')) as unknown)) {
    const file = path.resolve(dir, weightPath);
    const relative = path.relative(dir, file);
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw new UsageError(`${modelJson}: weight path ${JSON.stringify(weightPath)} leaves the model folder`);
    hash.update(`\u0000${weightPath}\u0000`).update(await fs.readFile(file));
  }
  return hash.digest('hex');
}

function weightPaths(modelJson: unknown): string[] {
  if (!isRecord(modelJson) || !Array.isArray(modelJson.weightsManifest)) return [];
  return modelJson.weightsManifest.flatMap((group: unknown) =>
    isRecord(group) && Array.isArray(group.paths)
      ? group.paths.filter((p): p is string => typeof p === 'string')
      : [],
  );
}
