// A base model's identity for the feature cache and for graph bases inside a run's model: the sha256 of its
// model.json and of every weight file it names, in order. Editing or replacing any of them gives another
// identity; where the folder lies does not matter.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { confineWeightPath, ModelJsonError, readModelJson, weightPaths } from '../../core/modelJson';
import { UsageError } from '../errors';

export async function baseContentSha256(base: string): Promise<string> {
  const dir = base.endsWith('.json') ? path.dirname(base) : base;
  const modelJson = path.join(dir, 'model.json');
  const text = await fs.readFile(modelJson);
  const hash = createHash('sha256').update(text);
  let paths: string[];
  try {
    paths = weightPaths(readModelJson(text.toString('utf8')));
  } catch (err) {
    if (err instanceof ModelJsonError) throw new UsageError(`${modelJson}: ${err.message}`);
    throw err;
  }
  for (const raw of paths) {
    const confined = confineWeightPath(raw, null);
    if (!confined.ok) throw new UsageError(`${modelJson}: ${confined.reason}`);
    hash.update(`\u0000${confined.path}\u0000`).update(await fs.readFile(path.join(dir, confined.path)));
  }
  return hash.digest('hex');
}
