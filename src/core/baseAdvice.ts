// What to tell a user who trains photos from scratch: which pretrained base to use, whether it is in the
// cache already, and how large it is to get. Shared by the CLI's `train` and the editor's Train Model.
import type { PhotoProfile } from './photoProfile';
import { formatBytes } from '../protocol/format';

/** What the advice needs of a base listing (`bases list`). */
export interface BaseOption {
  name: string;
  installed: boolean;
  sizeBytes: number;
}

/** Teachable Machine's base: small, fast on a CPU, and good on photos. Preferred when present. */
export const RECOMMENDED_BASE = 'mobilenet-v2-0.35';

/** An installed base first (the recommended one if installed), else the recommended one to get. */
export function recommendedBase(options: readonly BaseOption[]): BaseOption | null {
  const installed = options.filter((o) => o.installed);
  return (
    installed.find((o) => o.name === RECOMMENDED_BASE) ??
    installed[0] ??
    options.find((o) => o.name === RECOMMENDED_BASE) ??
    options[0] ??
    null
  );
}

/** One line for `train DIR` without --model on photos; null when the images are not photos. */
export function photoAdviceLine(
  profile: PhotoProfile,
  options: readonly BaseOption[],
  dataDir: string,
): string | null {
  if (!profile.photos) return null;
  const base = recommendedBase(options);
  const why = `these look like photos (colour, about ${profile.medianShortSide} px): a model trained from scratch on a few of them stays near chance, a pretrained base gets far better in seconds`;
  if (!base) return `${why} — add one with: image-trainer bases add URL_OR_PATH --name NAME`;
  const train = `image-trainer train ${quoteArg(dataDir)} --base ${base.name}`;
  return base.installed
    ? `${why} — ${base.name} is downloaded: ${train}`
    : `${why} — get ${base.name} (about ${formatBytes(base.sizeBytes)}, once): image-trainer bases get ${base.name}, then ${train}`;
}

function quoteArg(text: string): string {
  return /^[\w./@:+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
