// The class gallery's state, its pure reducer, and the grid arithmetic of the virtualised view: which
// rows the viewport shows, and which pages the host must send. Tested in node without a browser.
import type {
  GalleryInit,
  GalleryItem,
  GalleryToHost,
  HostToGallery,
} from '../../../src/protocol/galleryMessages';

export interface GalleryState {
  init: GalleryInit | null;
  /** index → item, for the pages received. */
  items: Map<number, GalleryItem>;
  /** Page starts asked for (not asked again). */
  requested: Set<number>;
  notice: { level: 'info' | 'error'; message: string } | null;
}

export type GalleryUiAction =
  | { type: 'ui/show'; first: number; last: number }
  | { type: 'ui/open'; index: number }
  | { type: 'ui/move'; index: number; toClass: string };

export type GalleryEvent = HostToGallery | GalleryUiAction;

export function initialGalleryState(): GalleryState {
  return { init: null, items: new Map(), requested: new Set(), notice: null };
}

/** Tile geometry (CSS pixels): a 128 px thumbnail, its caption and actions. */
export const TILE_WIDTH = 148;
export const TILE_HEIGHT = 196;
/** Rows drawn above and below the viewport, so a fast scroll finds tiles ready. */
export const OVERSCAN_ROWS = 2;

export interface GridWindow {
  columns: number;
  rows: number;
  totalHeight: number;
  /** First and last index drawn (inclusive); last < first when nothing is. */
  first: number;
  last: number;
}

export function gridWindow(
  total: number,
  width: number,
  scrollTop: number,
  viewportHeight: number,
): GridWindow {
  const columns = Math.max(1, Math.floor(width / TILE_WIDTH));
  const rows = Math.ceil(total / columns);
  const firstRow = Math.max(0, Math.floor(scrollTop / TILE_HEIGHT) - OVERSCAN_ROWS);
  const lastRow = Math.min(rows - 1, Math.ceil((scrollTop + viewportHeight) / TILE_HEIGHT) + OVERSCAN_ROWS);
  return {
    columns,
    rows,
    totalHeight: rows * TILE_HEIGHT,
    first: firstRow * columns,
    last: Math.min(total - 1, (lastRow + 1) * columns - 1),
  };
}

export function reduceGallery(
  state: GalleryState,
  event: GalleryEvent,
): { state: GalleryState; post: GalleryToHost[] } {
  const none = (next: GalleryState) => ({ state: next, post: [] as GalleryToHost[] });
  switch (event.type) {
    case 'galleryInit':
      return none({ init: event.init, items: new Map(), requested: new Set(), notice: null });
    case 'galleryPage': {
      const items = new Map(state.items);
      for (const item of event.items) items.set(item.index, item);
      return none({ ...state, items });
    }
    case 'galleryThumbs': {
      const items = new Map(state.items);
      for (const { index, thumb } of event.thumbs) {
        const item = items.get(index);
        if (item) items.set(index, { ...item, thumb });
      }
      return none({ ...state, items });
    }
    case 'galleryMoved': {
      const item = state.items.get(event.index);
      if (!item) return none(state);
      const items = new Map(state.items);
      items.set(event.index, { ...item, finding: `moved to ${event.toClass}` });
      return none({
        ...state,
        items,
        notice: { level: 'info', message: `Moved ${item.name} to ${event.toClass}.` },
      });
    }
    case 'galleryNotice':
      return none({ ...state, notice: { level: event.level, message: event.message } });
    case 'ui/show': {
      const init = state.init;
      if (!init || event.last < event.first) return none(state);
      const post: GalleryToHost[] = [];
      const requested = new Set(state.requested);
      const firstPage = Math.floor(event.first / init.pageSize);
      const lastPage = Math.floor(Math.min(event.last, init.total - 1) / init.pageSize);
      for (let page = firstPage; page <= lastPage; page++) {
        const start = page * init.pageSize;
        if (requested.has(start)) continue;
        requested.add(start);
        post.push({ type: 'requestPage', start });
      }
      return { state: post.length > 0 ? { ...state, requested } : state, post };
    }
    case 'ui/open':
      return { state, post: [{ type: 'openImage', index: event.index }] };
    case 'ui/move':
      if (!state.init || state.init.readOnly || !state.init.moveTargets.includes(event.toClass))
        return none(state);
      return { state, post: [{ type: 'moveImage', index: event.index, toClass: event.toClass }] };
    default:
      return none(state);
  }
}
