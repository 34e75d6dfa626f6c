// The class gallery's host-side logic without vscode: lists the class's images once (sorted), answers
// page requests, has thumbnails made for the pages the grid shows (newest request first), and opens or
// moves an image named by its index, after the same path checks as the dashboard (datasetPaths.ts).
// Moving needs a trusted workspace, never overwrites, and goes to a sibling class folder.
import * as path from 'node:path';
import { assertNever } from '../../protocol/guards';
import { visibleText } from '../../protocol/displayText';
import {
  type GalleryItem,
  type GalleryToHost,
  type HostToGallery,
  isGalleryToHost,
} from '../../protocol/galleryMessages';
import {
  type DashboardFs,
  exists,
  isInside,
  isSafeClassName,
  resolveInsideRoot,
} from '../dashboard/datasetPaths';
import { messageOf } from '../util/errors';
import { PictureQueue } from './pictureQueue';

export const GALLERY_PAGE_SIZE = 120;
/** Thumbnails sent together: fewer messages, and the grid still fills in steadily. */
const THUMB_BATCH = 12;

export interface GalleryTarget {
  /** The data set root, as the user chose it (checked again by the panel before it opens). */
  datasetRoot: string;
  classDir: string;
  className: string;
  /** Other classes of the data set (Move… targets). */
  moveTargets: string[];
}

export interface GalleryEffects {
  post(message: HostToGallery): void;
  /** The class's images, absolute paths. */
  listImages(): Promise<string[]>;
  /** Relative path → the doctor's finding. */
  findings(): Map<string, string>;
  /** Makes (or finds cached) the thumbnail of an image: its webview URI, or '' when it cannot be made. */
  thumbnail(absolutePath: string): Promise<string>;
  openFile(absolutePath: string): Promise<void>;
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  mayModify(): boolean;
  fs: DashboardFs;
  log(line: string): void;
}

export class GalleryController {
  private files: string[] | null = null;
  private readonly moved = new Map<number, string>();
  private readonly thumbs: PictureQueue;

  constructor(
    private readonly target: GalleryTarget,
    private readonly effects: GalleryEffects,
  ) {
    this.thumbs = new PictureQueue({
      batchSize: THUMB_BATCH,
      make: (index) => this.thumbnail(index),
      post: (batch) =>
        this.effects.post({
          type: 'galleryThumbs',
          thumbs: batch.map(({ index, uri }) => ({ index, thumb: uri })),
        }),
    });
  }

  dispose(): void {
    this.thumbs.dispose();
  }

  async handle(raw: unknown): Promise<void> {
    if (!isGalleryToHost(raw)) {
      this.effects.log('[gallery] ignored a malformed message from the gallery');
      return;
    }
    try {
      await this.dispatch(raw);
    } catch (error) {
      this.notice('error', `Gallery: ${messageOf(error)}`);
    }
  }

  private notice(level: 'info' | 'error', message: string): void {
    const shown = visibleText(message);
    this.effects.log(`[gallery] ${shown}`);
    this.effects.post({ type: 'galleryNotice', level, message: shown });
  }

  private async list(): Promise<string[]> {
    if (!this.files) this.files = [...(await this.effects.listImages())].sort();
    return this.files;
  }

  private relative(file: string): string {
    return path.relative(this.target.datasetRoot, file).split(path.sep).join('/');
  }

  private async dispatch(message: GalleryToHost): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const files = await this.list();
        this.effects.post({
          type: 'galleryInit',
          init: {
            datasetRoot: this.target.datasetRoot,
            className: this.target.className,
            moveTargets: this.target.moveTargets.filter((c) => c !== this.target.className),
            total: files.length,
            pageSize: GALLERY_PAGE_SIZE,
            readOnly: this.effects.mayModify()
              ? null
              : 'Moving images is disabled in Restricted Mode; trust the workspace to move images.',
          },
        });
        return;
      }
      case 'requestPage':
        await this.sendPage(message.start);
        return;
      case 'openImage':
        await this.open(message.index);
        return;
      case 'moveImage':
        await this.move(message.index, message.toClass);
        return;
      default:
        assertNever(message);
    }
  }

  async sendPage(start: number): Promise<void> {
    const files = await this.list();
    const first = Math.min(Math.floor(start / GALLERY_PAGE_SIZE) * GALLERY_PAGE_SIZE, files.length);
    const findings = this.effects.findings();
    const items: GalleryItem[] = files.slice(first, first + GALLERY_PAGE_SIZE).map((file, i) => {
      const rel = this.relative(file);
      const moved = this.moved.get(first + i);
      return {
        index: first + i,
        name: path.basename(file),
        path: rel,
        finding: moved ? `moved to ${moved}` : (findings.get(rel) ?? null),
        thumb: this.thumbs.get(first + i) ?? '',
      };
    });
    this.effects.post({ type: 'galleryPage', start: first, items });
    // The page just asked for is what the user looks at: its thumbnails go first.
    this.thumbs.putFirst(items.map((item) => item.index));
    void this.thumbs.run();
  }

  /** The thumbnail of the image at `index` ('' when it cannot be made), or null past the end of the list. */
  private async thumbnail(index: number): Promise<string | null> {
    if (!this.files || index >= this.files.length) return null;
    return this.effects.thumbnail(this.files[index]).catch((error: unknown) => {
      this.effects.log(`[gallery] no thumbnail for ${this.files?.[index]}: ${messageOf(error)}`);
      return '';
    });
  }

  /** The image at `index`, checked to be a file inside the data set root; or the reason it is refused. */
  private async checked(index: number): Promise<{ absolute: string; realRoot: string } | string> {
    const files = await this.list();
    if (index >= files.length) return `there is no image ${index + 1} in this class`;
    if (this.moved.has(index)) return `${path.basename(files[index])} was moved to ${this.moved.get(index)}`;
    const check = await resolveInsideRoot(
      this.effects.fs,
      this.target.datasetRoot,
      this.relative(files[index]),
    );
    return check.ok ? check : check.reason;
  }

  private async open(index: number): Promise<void> {
    const file = await this.checked(index);
    if (typeof file === 'string') return this.notice('error', `Cannot open the image: ${file}.`);
    await this.effects.openFile(file.absolute);
  }

  private async move(index: number, toClass: string): Promise<void> {
    if (!this.effects.mayModify())
      return this.notice(
        'error',
        'Cannot move the image: moving files is disabled in Restricted Mode; trust the workspace to move images.',
      );
    if (
      !isSafeClassName(toClass) ||
      toClass === this.target.className ||
      !this.target.moveTargets.includes(toClass)
    )
      return this.notice(
        'error',
        `Cannot move the image: "${toClass}" is not another class of the data set.`,
      );
    const file = await this.checked(index);
    if (typeof file === 'string') return this.notice('error', `Cannot move the image: ${file}.`);
    const fs = this.effects.fs;
    // The sibling folder of this class, resolved, inside the root.
    const targetDir = path.join(path.dirname(this.target.classDir), toClass);
    const realTarget = await fs.realpath(targetDir).catch(() => null);
    const stat = realTarget ? await fs.stat(realTarget).catch(() => null) : null;
    if (!realTarget || !stat?.isDirectory() || !isInside(file.realRoot, realTarget))
      return this.notice(
        'error',
        `Cannot move the image: the class folder ${targetDir} is missing or outside the data set.`,
      );
    const destination = path.join(realTarget, path.basename(file.absolute));
    if (await exists(fs, destination))
      return this.notice(
        'error',
        `Cannot move the image: ${destination} already exists; rename one of the two files first.`,
      );
    const accepted = await this.effects.confirm(
      `Move ${visibleText(path.basename(file.absolute))} to class "${visibleText(toClass)}"?`,
      `From ${visibleText(file.absolute)}\nTo ${visibleText(destination)}\nRuns already trained keep their records; retrain to use the new label.`,
      'Move',
    );
    if (!accepted) return;
    await fs.rename(file.absolute, destination);
    this.moved.set(index, toClass);
    this.effects.log(`[gallery] moved ${file.absolute} → ${destination}`);
    this.effects.post({ type: 'galleryMoved', index, toClass });
  }
}
