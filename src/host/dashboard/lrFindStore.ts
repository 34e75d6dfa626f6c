// Reads the learning-rate range tests that `image-trainer lr-find` writes to <runsRoot>/lr-find/<id>.json.
// Tolerant like the run store: a file that is half written or of another shape is skipped, not fatal.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isRecord } from '../../protocol/guards';
import { READ_LIMITS, readTextInside } from '../../core/runFiles';
import { isLrFindCurve, type LrFindCurve } from '../../protocol/webviewMessages';

export const LR_FIND_DIR = 'lr-find';

/** The plotted part of an lr-find record, or null when the text is not one. */
export function parseLrFind(text: string): LrFindCurve | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || value.kind !== 'lrFind') return null;
  const suggestion = isRecord(value.suggestion) ? value.suggestion.suggested : null;
  const points = Array.isArray(value.points)
    ? value.points
        .filter(isRecord)
        .map((p) => ({ learningRate: p.learningRate, loss: p.loss, smoothedLoss: p.smoothedLoss }))
    : null;
  const curve = {
    id: value.id,
    createdAt: value.createdAt,
    dataset: value.dataset,
    suggested: typeof suggestion === 'number' && suggestion > 0 ? suggestion : null,
    diverged: value.diverged === true,
    points,
  };
  return isLrFindCurve(curve) ? curve : null;
}

/** Every readable lr-find record under the runs root, newest first. */
export async function listLrFinds(runsRoot: string): Promise<LrFindCurve[]> {
  const dir = path.join(runsRoot, LR_FIND_DIR);
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  // Confined like run files: a name that is a link out of the runs root, a FIFO or a huge file is skipped.
  const curves = await Promise.all(
    names.map((n) =>
      readTextInside(runsRoot, path.join(LR_FIND_DIR, n), READ_LIMITS.json).then(
        (text) => parseLrFind(text),
        () => null,
      ),
    ),
  );
  return curves
    .filter((c): c is LrFindCurve => c !== null)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
