// A base model's identity for the feature cache and for graph bases inside a run's model: the sha256 of its
// model.json and of every weight file it names, in order. Editing or replacing any of them gives another
// identity; where the folder lies does not matter.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { confineWeightPath, ModelJsonError, readModelJson, weightPaths } from '../../core/modelJson';
import { READ_LIMITS, readFileInside } from '../../core/runFiles';
import { UsageError } from '../errors';

export async function baseContentSha256(base: string): Promise<string> {
  const dir = base.endsWith('.json') ? path.dirname(base) : base;
  // Confined like loading: model.json and every weight file inside the folder, links included.
  const text = await readFileInside(dir, 'model.json', READ_LIMITS.json);
  const hash = createHash('sha256').update(text);
  let paths: string[];
  try {
    paths = weightPaths(readModelJson(text.toString('utf8')));
  } catch (err) {
    if (err instanceof ModelJsonError)
      throw new UsageError(`${path.join(dir, 'model.json')}: ${err.message}`);
    throw err;
  }
  for (const raw of paths) {
    const confined = confineWeightPath(raw, null);
    if (!confined.ok) throw new UsageError(`${path.join(dir, 'model.json')}: ${confined.reason}`);
    hash
      .update(`\u0000${confined.path}\u0000`)
      .update(await readFileInside(dir, confined.path, READ_LIMITS.weights));
  }
  return hash.digest('hex');
}
