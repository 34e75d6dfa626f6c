// Features of a frozen base, cached on disk by (extractor, file content): the unaugmented row of an image in
// one file, its augmented views in another keyed also by the augmentation, so a second training with other
// head settings, or other augmentation, recomputes only what changed. The cache can be deleted at any time;
// anything unreadable, short or non-finite in it is treated as missing and recomputed.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { compareCodeUnits } from '../../protocol/order';

/** Bump when the meaning of a cached row changes (pooling, layout): old entries are then never read. */
export const FEATURE_FORMAT_VERSION = 1;

/** Everything a cached feature row depends on besides the image's bytes. */
export interface ExtractorIdentity {
  /** sha256 of the base's files (model.json and weights), or of its manifest. */
  baseSha256: string;
  cutLayer: string;
  pooling: string;
  imageSize: number;
  channels: number;
  resize: string;
  scale: number;
  offset: number;
}

/** A short, stable hex key of a JSON-able value (sorted keys). */
export function stableKey(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareCodeUnits(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class FeatureCache {
  readonly dir: string;

  /** `root` is the cache's features folder; `identity` picks the sub-folder of one extractor. */
  constructor(
    root: string,
    identity: ExtractorIdentity,
    readonly dim: number,
  ) {
    this.dir = path.join(root, stableKey({ version: FEATURE_FORMAT_VERSION, ...identity }));
  }

  /** `variant` is 'plain' for the unaugmented row, else a key of the augmentation that made the views. */
  private file(contentHash: string, variant: string): string {
    if (!/^[0-9a-f]{64}$/.test(contentHash)) throw new Error(`not a sha256: ${contentHash}`);
    return path.join(this.dir, contentHash.slice(0, 2), `${contentHash}.${variant}.f32`);
  }

  /** `rows` rows of `dim` floats, or null when missing, short, damaged or non-finite. */
  async read(contentHash: string, variant: string, rows: number): Promise<Float32Array | null> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.file(contentHash, variant));
    } catch {
      return null;
    }
    if (bytes.byteLength !== rows * this.dim * 4) return null;
    // A copy: Buffer pools may not be 4-byte aligned.
    const values = new Float32Array(rows * this.dim);
    new Uint8Array(values.buffer).set(bytes);
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return null;
    return values;
  }

  /** Written through a temporary sibling and a rename: a reader sees a whole file or none. */
  async write(contentHash: string, variant: string, values: Float32Array): Promise<void> {
    const file = this.file(contentHash, variant);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fs.writeFile(temp, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  }
}
