// Thumbnails for the class gallery, made once and cached by file identity (real path, size, time): the
// trainer's own decoder reads the image (EXIF orientation applied, BMP, pixel and size limits, a timeout),
// centre-cropped to a square, and sharp writes it as WebP through a temp file and a rename.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { thumbnailKey } from '../../core/galleryFindings';
import { decodeImage } from '../../trainer/imageDecode';

export const THUMBNAIL_SIZE = 128;

export class ThumbnailCache {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly size = THUMBNAIL_SIZE,
    /** `crop` (the class gallery's square) or `pad` (detection: the whole image, so every box shows). */
    private readonly fit: 'crop' | 'pad' = 'crop',
  ) {}

  /** The cached thumbnail file of `file`, made now if there is none. */
  async thumbnailFile(file: string): Promise<string> {
    const real = await fs.realpath(file);
    const stat = await fs.stat(real);
    const key = thumbnailKey(real, stat.size, stat.mtimeMs, this.size, this.fit === 'crop' ? '' : this.fit);
    const out = path.join(this.dir, key.slice(0, 2), `${key}.webp`);
    const cached = await fs.stat(out).then(
      (s) => s.isFile() && s.size > 0,
      () => false,
    );
    if (cached) return out;
    const running = this.inFlight.get(out);
    if (running) return running;
    const making = this.make(real, out).finally(() => this.inFlight.delete(out));
    this.inFlight.set(out, making);
    return making;
  }

  private async make(file: string, out: string): Promise<string> {
    const pixels = await decodeImage(file, this.size, 3, { resize: this.fit, timeoutMs: 10_000 });
    await fs.mkdir(path.dirname(out), { recursive: true });
    const temp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await sharp(pixels, { raw: { width: this.size, height: this.size, channels: 3 } })
        .webp({ quality: 72 })
        .toFile(temp);
      await fs.rename(temp, out);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    return out;
  }
}
