// Host ↔ class gallery channel. The gallery says `ready`; the host answers with `galleryInit` (how many
// images, the classes to move to), then pages of items as the grid asks for them and thumbnails as they
// are made. Images are named by their index in the class's sorted list: the host looks the file up
// itself, so no path from the webview is ever used. Everything is `unknown` until a guard accepts it.
import { isBoundedArrayOf, isIndexedText, isNonNegativeInteger, isRecord, isString } from './guards';

export interface GalleryItem {
  index: number;
  /** File name, for the caption. */
  name: string;
  /** Relative to the data set root, forward slashes (shown, never sent back). */
  path: string;
  /** What the doctor found about this image, or null. */
  finding: string | null;
  /** Webview URI of the cached thumbnail; '' until it is made (or when it cannot be). */
  thumb: string;
}

export interface GalleryInit {
  datasetRoot: string;
  className: string;
  /** The other classes of the data set: targets of Move…. */
  moveTargets: string[];
  total: number;
  pageSize: number;
  /** Why images cannot be moved here (Restricted Mode), or null. */
  readOnly: string | null;
}

export type HostToGallery =
  | { type: 'galleryInit'; init: GalleryInit }
  | { type: 'galleryPage'; start: number; items: GalleryItem[] }
  | { type: 'galleryThumbs'; thumbs: { index: number; thumb: string }[] }
  | { type: 'galleryMoved'; index: number; toClass: string }
  | { type: 'galleryNotice'; level: 'info' | 'error'; message: string };

export type GalleryToHost =
  | { type: 'ready' }
  | { type: 'requestPage'; start: number }
  | { type: 'openImage'; index: number }
  | { type: 'moveImage'; index: number; toClass: string };

const MAX_TEXT = 4096;
const MAX_PAGE = 1000;
const isText = (v: unknown): v is string => isString(v) && v.length <= MAX_TEXT;
const isName = (v: unknown): v is string => isText(v) && v.length > 0;

function isGalleryItem(v: unknown): v is GalleryItem {
  return (
    isRecord(v) &&
    isNonNegativeInteger(v.index) &&
    isText(v.name) &&
    isText(v.path) &&
    (v.finding === null || isText(v.finding)) &&
    isText(v.thumb)
  );
}

function isGalleryInit(v: unknown): v is GalleryInit {
  return (
    isRecord(v) &&
    isName(v.datasetRoot) &&
    isName(v.className) &&
    isBoundedArrayOf(v.moveTargets, MAX_PAGE, isName) &&
    isNonNegativeInteger(v.total) &&
    isNonNegativeInteger(v.pageSize) &&
    v.pageSize > 0 &&
    v.pageSize <= MAX_PAGE &&
    (v.readOnly === null || isText(v.readOnly))
  );
}

export function isHostToGallery(value: unknown): value is HostToGallery {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'galleryInit':
      return isGalleryInit(v.init);
    case 'galleryPage':
      return isNonNegativeInteger(v.start) && isBoundedArrayOf(v.items, MAX_PAGE, isGalleryItem);
    case 'galleryThumbs':
      return isBoundedArrayOf(v.thumbs, MAX_PAGE, isIndexedText('thumb', isText));
    case 'galleryMoved':
      return isNonNegativeInteger(v.index) && isName(v.toClass);
    case 'galleryNotice':
      return (v.level === 'info' || v.level === 'error') && isText(v.message);
    default:
      return false;
  }
}

export function isGalleryToHost(value: unknown): value is GalleryToHost {
  if (!isRecord(value)) return false;
  const v = value;
  switch (v.type) {
    case 'ready':
      return true;
    case 'requestPage':
      return isNonNegativeInteger(v.start);
    case 'openImage':
      return isNonNegativeInteger(v.index);
    case 'moveImage':
      return isNonNegativeInteger(v.index) && isName(v.toClass);
    default:
      return false;
  }
}
