// The detection gallery's host-side logic without vscode (issue 18): reads the detection set once (images,
// boxes, findings), sends it to the webview by index, makes letterboxed thumbnails and previews for the
// images the gallery shows, and opens a box's or a finding's label file at its line. Every file it opens
// is named by index, looked up in the set it read, and checked to resolve inside the data set root.
import * as path from 'node:path';
import type { AnnotationFinding, DetectionSet } from '../../protocol/detection';
import { assertNever } from '../../protocol/guards';
import { visibleText } from '../../protocol/displayText';
import {
  isDetGalleryToHost,
  MAX_GALLERY_FINDINGS,
  MAX_GALLERY_IMAGES,
  type DetGalleryFinding,
  type DetGalleryFocus,
  type DetGalleryImage,
  type DetGalleryInit,
  type DetGalleryToHost,
  type HostToDetGallery,
} from '../../protocol/detectionGalleryMessages';
import { type DashboardFs, resolveInsideRoot } from '../dashboard/datasetPaths';
import { PictureQueue } from '../gallery/pictureQueue';
import { messageOf } from '../util/errors';

export const DET_THUMB_SIZE = 160;
export const DET_PREVIEW_SIZE = 640;
const THUMB_BATCH = 12;

export interface DetectionGalleryEffects {
  post(message: HostToDetGallery): void;
  /** The data set as the trainer reads it (trainer/detect/detectionSet.ts readDetectionSet). */
  readSet(): Promise<DetectionSet>;
  /** A letterboxed (`pad`) square picture of the image, `size` pixels: its webview URI. */
  picture(absolutePath: string, size: number): Promise<string>;
  /** Opens a text file with its 1-based `line` selected. */
  openTextAt(absolutePath: string, line: number): Promise<void>;
  openFile(absolutePath: string): Promise<void>;
  fs: DashboardFs;
  log(line: string): void;
}

/** `file:line`, or the file alone. */
export function findingLocation(finding: Pick<AnnotationFinding, 'file' | 'line'>): string {
  return finding.line !== undefined ? `${finding.file}:${finding.line}` : finding.file;
}

/** The webview's view of a set: images and findings by index, findings tied to their image. */
export function galleryInit(
  set: DetectionSet,
  focus: DetGalleryFocus,
  datasetName = path.basename(set.root),
): DetGalleryInit {
  const byPath = new Map<string, number>();
  // The webview's guard refuses a larger init outright (and the page would wait forever): the first
  // images and findings are shown, and the controller says how many were left out.
  const images: DetGalleryImage[] = set.images.slice(0, MAX_GALLERY_IMAGES).map((image, index) => {
    byPath.set(image.path, index);
    return {
      index,
      path: image.path,
      width: image.width,
      height: image.height,
      split: image.split ?? null,
      boxes: image.boxes.map((b) => ({ classIndex: b.classIndex, box: b.box, line: b.source.line ?? null })),
    };
  });
  const classIndex = (name: string | undefined): number | null => {
    const i = name === undefined ? -1 : set.classNames.indexOf(name);
    return i >= 0 ? i : null;
  };
  const findings: DetGalleryFinding[] = set.findings.slice(0, MAX_GALLERY_FINDINGS).map((f, index) => ({
    index,
    kind: f.kind,
    severity: f.severity,
    message: f.message,
    location: findingLocation(f),
    image: f.image !== undefined ? (byPath.get(f.image) ?? null) : null,
    box: f.box ?? null,
    classIndex: classIndex(f.className),
  }));
  return {
    datasetName,
    format: set.format,
    classNames: set.classNames,
    images,
    findings,
    thumbSize: DET_THUMB_SIZE,
    previewSize: DET_PREVIEW_SIZE,
    focus,
  };
}

/** What galleryInit leaves out of a very large set, as a sentence, or null. */
export function leftOut(set: DetectionSet): string | null {
  const parts: string[] = [];
  if (set.images.length > MAX_GALLERY_IMAGES)
    parts.push(
      `the first ${MAX_GALLERY_IMAGES.toLocaleString('en-US')} of ${set.images.length.toLocaleString('en-US')} images`,
    );
  if (set.findings.length > MAX_GALLERY_FINDINGS)
    parts.push(
      `the first ${MAX_GALLERY_FINDINGS.toLocaleString('en-US')} of ${set.findings.length.toLocaleString('en-US')} findings`,
    );
  return parts.length > 0
    ? `Showing ${parts.join(' and ')}; image-trainer scan --json lists them all.`
    : null;
}

export class DetectionGalleryController {
  private set: DetectionSet | null = null;
  private reading: Promise<DetectionSet> | null = null;
  private readonly thumbs: PictureQueue;
  private readyOnce = false;

  constructor(
    private readonly root: string,
    private focusOnOpen: DetGalleryFocus,
    private readonly effects: DetectionGalleryEffects,
  ) {
    this.thumbs = new PictureQueue({
      batchSize: THUMB_BATCH,
      make: (index) => this.thumbnail(index),
      post: (batch) =>
        this.effects.post({
          type: 'detGalleryThumbs',
          thumbs: batch.map(({ index, uri }) => ({ index, thumb: uri })),
        }),
    });
  }

  dispose(): void {
    this.thumbs.dispose();
  }

  async handle(raw: unknown): Promise<void> {
    if (!isDetGalleryToHost(raw)) {
      this.effects.log('[detection gallery] ignored a malformed message from the gallery');
      return;
    }
    try {
      await this.dispatch(raw);
    } catch (error) {
      this.notice('error', `Detection gallery: ${messageOf(error)}`);
    }
  }

  /** Shows a class or a finding in the open gallery (the Datasets view asked again). */
  focus(focus: DetGalleryFocus): void {
    this.focusOnOpen = focus;
    if (this.readyOnce) this.effects.post({ type: 'detGalleryFocus', focus });
  }

  private notice(level: 'info' | 'error', message: string): void {
    const shown = visibleText(message);
    this.effects.log(`[detection gallery] ${shown}`);
    this.effects.post({ type: 'detGalleryNotice', level, message: shown });
  }

  private async readSet(): Promise<DetectionSet> {
    if (this.set) return this.set;
    this.reading ??= this.effects.readSet();
    try {
      this.set = await this.reading;
    } catch (error) {
      // Read again on the next request: the user may fix the folder and reopen the page.
      this.reading = null;
      throw error;
    }
    return this.set;
  }

  private async dispatch(message: DetGalleryToHost): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const set = await this.readSet();
        this.readyOnce = true;
        this.effects.post({ type: 'detGalleryInit', init: galleryInit(set, this.focusOnOpen) });
        const left = leftOut(set);
        if (left) this.notice('info', left);
        return;
      }
      case 'requestThumbs': {
        this.thumbs.putFirst(message.indices);
        const known = message.indices.filter((i) => this.thumbs.has(i));
        if (known.length > 0)
          this.effects.post({
            type: 'detGalleryThumbs',
            thumbs: known.map((index) => ({ index, thumb: this.thumbs.get(index) ?? '' })),
          });
        await this.thumbs.run();
        return;
      }
      case 'requestPreview': {
        const file = await this.imageFile(message.index);
        if (typeof file === 'string') return this.notice('error', `Cannot show the image: ${file}.`);
        const uri = await this.effects.picture(file.absolute, DET_PREVIEW_SIZE);
        this.effects.post({ type: 'detGalleryPreview', index: message.index, uri });
        return;
      }
      case 'openImage': {
        const file = await this.imageFile(message.index);
        if (typeof file === 'string') return this.notice('error', `Cannot open the image: ${file}.`);
        await this.effects.openFile(file.absolute);
        return;
      }
      case 'openBoxSource': {
        const set = await this.readSet();
        const source = set.images[message.image]?.boxes[message.box]?.source;
        if (!source) return this.notice('error', 'Cannot open the label file: there is no such box.');
        return this.openSource(source.file, source.line);
      }
      case 'openFindingSource': {
        const set = await this.readSet();
        const finding = set.findings[message.finding];
        if (!finding) return this.notice('error', 'Cannot open the label file: there is no such finding.');
        return this.openSource(finding.file, finding.line);
      }
      default:
        assertNever(message);
    }
  }

  private async openSource(file: string, line: number | undefined): Promise<void> {
    const check = await resolveInsideRoot(this.effects.fs, this.root, file);
    if (!check.ok) return this.notice('error', `Cannot open ${file}: ${check.reason}.`);
    await this.effects.openTextAt(check.absolute, line ?? 1);
  }

  private async imageFile(index: number): Promise<{ absolute: string } | string> {
    const set = await this.readSet();
    const image = set.images[index];
    if (!image) return `there is no image ${index + 1} in this data set`;
    const check = await resolveInsideRoot(this.effects.fs, this.root, image.path);
    return check.ok ? check : check.reason;
  }

  /** The thumbnail of the image at `index`, '' when it cannot be made. */
  private async thumbnail(index: number): Promise<string> {
    const file = await this.imageFile(index);
    if (typeof file === 'string') {
      this.effects.log(`[detection gallery] no thumbnail: ${file}`);
      return '';
    }
    return this.effects.picture(file.absolute, DET_THUMB_SIZE).catch((error: unknown) => {
      this.effects.log(`[detection gallery] no thumbnail for ${file.absolute}: ${messageOf(error)}`);
      return '';
    });
  }
}
