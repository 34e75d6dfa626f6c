// The class gallery's virtualised grid: a spacer as tall as every row, and absolutely placed tiles for the
// rows in view (plus a few). Tiles are pooled: a tile scrolled out of view is reused for one scrolling in,
// with its image, texts and place updated, so scrolling creates no elements; clicks are handled once, on
// the grid. Scroll work is batched per animation frame. Tiles show the thumbnail (or a placeholder until
// it is made), the name, the doctor's finding, and Open / Move… as in the confusion matrix's examples.
import type { GalleryItem, GalleryToHost, HostToGallery } from '../../../src/protocol/galleryMessages';
import { visibleText } from '../../../src/protocol/displayText';
import { el, setStyle } from '../dom';
import {
  type GalleryEvent,
  type GalleryState,
  gridWindow,
  initialGalleryState,
  reduceGallery,
  TILE_HEIGHT,
  TILE_WIDTH,
} from './galleryState';

export interface GalleryHost {
  post(message: GalleryToHost): void;
  /** requestAnimationFrame in the webview; tests run the callback at once. */
  frame?(callback: () => void): void;
}

export interface GalleryApp {
  receive(message: HostToGallery): void;
  dispatch(event: GalleryEvent): void;
  getState(): GalleryState;
  /** Re-reads the scroll position and size (the browser calls it on scroll and resize). */
  layout(): void;
}

const FALLBACK_WIDTH = 900;
const FALLBACK_HEIGHT = 700;

interface Tile {
  node: HTMLElement;
  img: HTMLImageElement;
  placeholder: HTMLElement;
  caption: HTMLElement;
  finding: HTMLElement;
  open: HTMLButtonElement;
  move: HTMLButtonElement;
  index: number;
  item: GalleryItem | undefined;
}

export function createGallery(root: HTMLElement, host: GalleryHost): GalleryApp {
  const doc = root.ownerDocument;
  let state = initialGalleryState();
  const title = el(doc, 'h1', { text: 'Gallery' });
  const status = el(doc, 'p', { class: 'gallery-status', attrs: { role: 'status' } });
  const spacer = el(doc, 'div', { class: 'gallery-spacer' });
  const scroller = el(
    doc,
    'div',
    {
      class: 'gallery-scroll',
      attrs: { tabindex: 0, 'aria-label': 'Thumbnails' },
      on: { scroll: () => schedule(), click: (e) => clicked(e), change: (e) => changed(e) },
    },
    spacer,
  );
  root.replaceChildren(el(doc, 'main', { class: 'gallery' }, title, status, scroller));
  const shown = new Map<number, Tile>();
  const pool: Tile[] = [];
  let scheduled = false;
  /** Thumbnails fetched and decoded ahead of the scroll (URL → its image), oldest first, bounded. */
  const prefetched = new Map<string, HTMLImageElement>();
  const PREFETCH_ROWS = 6;
  const PREFETCH_LIMIT = 400;

  /**
   * Fetches and decodes the thumbnails of the rows just beyond the view, so a tile scrolled in shows an
   * image that is ready: loading one at the moment it appears is what costs frames while scrolling.
   */
  function prefetch(from: number, to: number): void {
    const View = doc.defaultView;
    if (!View || typeof View.Image !== 'function') return;
    for (let index = from; index <= to; index++) {
      const thumb = state.items.get(index)?.thumb;
      if (!thumb || prefetched.has(thumb)) continue;
      const img = new View.Image();
      img.decoding = 'async';
      img.src = thumb;
      void img.decode?.().catch(() => undefined);
      prefetched.set(thumb, img);
      if (prefetched.size > PREFETCH_LIMIT) prefetched.delete(prefetched.keys().next().value as string);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    (host.frame ?? ((cb) => cb()))(() => {
      scheduled = false;
      draw();
    });
  }

  function indexOf(target: EventTarget | null): number | null {
    const node = (target as Element | null)?.closest?.('.tile');
    const index = Number(node?.getAttribute('data-index'));
    return node && Number.isInteger(index) ? index : null;
  }

  function clicked(event: Event): void {
    const button = (event.target as Element | null)?.closest?.('button[data-action]');
    const index = indexOf(event.target);
    if (!button || index === null) return;
    if (button.getAttribute('data-action') === 'open') dispatch({ type: 'ui/open', index });
    else if (button.getAttribute('data-action') === 'move')
      showMoveChoice(button as HTMLButtonElement, index);
  }

  /** Move… becomes the list of classes only when asked for: a select in every tile would cost each scroll. */
  function showMoveChoice(button: HTMLButtonElement, index: number): void {
    const init = state.init;
    if (!init) return;
    const item = state.items.get(index);
    const select = el(
      doc,
      'select',
      { class: 'move-choice', attrs: { 'aria-label': `Move ${item?.name ?? 'image'} to another class` } },
      el(doc, 'option', { attrs: { value: '' }, text: 'Move to…' }),
      ...init.moveTargets.map((c) => el(doc, 'option', { attrs: { value: c }, text: c })),
    );
    button.hidden = true;
    button.after(select);
    select.focus();
  }

  function changed(event: Event): void {
    const select = event.target as HTMLSelectElement;
    if (!select.classList?.contains('move-choice')) return;
    const index = indexOf(select);
    const toClass = select.value;
    select.remove();
    const tile = index === null ? undefined : shown.get(index);
    if (tile) tile.move.hidden = false;
    if (index !== null && toClass) dispatch({ type: 'ui/move', index, toClass });
  }

  function newTile(): Tile {
    const img = el(doc, 'img', { attrs: { width: 128, height: 128, decoding: 'async', alt: '' } });
    const placeholder = el(doc, 'div', { class: 'thumb-placeholder', attrs: { 'aria-hidden': 'true' } });
    const caption = el(doc, 'figcaption');
    const finding = el(doc, 'p', { class: 'finding' });
    const open = el(doc, 'button', { attrs: { type: 'button', 'data-action': 'open' }, text: 'Open' });
    const move = el(doc, 'button', { attrs: { type: 'button', 'data-action': 'move' }, text: 'Move…' });
    const node = el(
      doc,
      'figure',
      { class: 'tile' },
      img,
      placeholder,
      caption,
      finding,
      el(doc, 'div', { class: 'tile-actions' }, open, move),
    );
    return { node, img, placeholder, caption, finding, open, move, index: -1, item: undefined };
  }

  function fill(tile: Tile, index: number, item: GalleryItem | undefined, columns: number): void {
    if (tile.index !== index) {
      tile.node.setAttribute('data-index', String(index));
      setStyle(
        tile.node,
        'transform',
        `translate(${(index % columns) * TILE_WIDTH}px, ${Math.floor(index / columns) * TILE_HEIGHT}px)`,
      );
      tile.node.querySelector('.move-choice')?.remove();
    }
    if (tile.index === index && tile.item === item) return;
    tile.index = index;
    tile.item = item;
    const thumb = item?.thumb ?? '';
    if (thumb) {
      if (tile.img.getAttribute('src') !== thumb) tile.img.setAttribute('src', thumb);
      tile.img.alt = visibleText(item?.name ?? '');
    } else tile.img.removeAttribute('src');
    tile.img.hidden = !thumb;
    tile.placeholder.hidden = Boolean(thumb);
    tile.caption.textContent = visibleText(item?.name ?? '');
    tile.caption.title = visibleText(item?.path ?? '');
    tile.finding.textContent = item?.finding ? `⚠ ${visibleText(item.finding)}` : '';
    tile.finding.title = visibleText(item?.finding ?? '');
    tile.finding.hidden = !item?.finding;
    tile.node.classList.toggle('has-finding', Boolean(item?.finding));
    const name = visibleText(item?.name ?? 'image');
    tile.open.setAttribute('aria-label', `Open ${name}`);
    tile.open.hidden = !item;
    const init = state.init;
    tile.move.hidden =
      !item ||
      !init ||
      Boolean(init.readOnly) ||
      init.moveTargets.length === 0 ||
      Boolean(item.finding?.startsWith('moved to'));
    tile.move.setAttribute('aria-label', `Move ${name} to another class`);
  }

  function draw(): void {
    const init = state.init;
    if (!init) return;
    const width = scroller.clientWidth || FALLBACK_WIDTH;
    const height = scroller.clientHeight || FALLBACK_HEIGHT;
    const win = gridWindow(init.total, width, scroller.scrollTop, height);
    setStyle(spacer, 'height', `${win.totalHeight}px`);
    for (const [index, tile] of shown) {
      if (index >= win.first && index <= win.last) continue;
      shown.delete(index);
      pool.push(tile);
    }
    for (let index = win.first; index <= win.last; index++) {
      let tile = shown.get(index);
      if (!tile) {
        tile = pool.pop() ?? newTile();
        if (!tile.node.parentNode) spacer.appendChild(tile.node);
        tile.index = -1;
        shown.set(index, tile);
      }
      fill(tile, index, state.items.get(index), win.columns);
    }
    // Pooled tiles out of view stay in the page, hidden, ready for the next rows.
    for (const tile of pool) {
      if (tile.index !== -2) {
        tile.node.hidden = true;
        tile.index = -2;
        tile.item = undefined;
      }
    }
    for (const tile of shown.values()) tile.node.hidden = false;
    const ahead = PREFETCH_ROWS * win.columns;
    prefetch(win.last + 1, Math.min(init.total - 1, win.last + ahead));
    prefetch(Math.max(0, win.first - ahead), win.first - 1);
    apply({ type: 'ui/show', first: win.first, last: Math.min(init.total - 1, win.last + ahead) }, false);
  }

  function apply(event: GalleryEvent, redraw = true): void {
    const before = state;
    const out = reduceGallery(state, event);
    state = out.state;
    for (const message of out.post) host.post(message);
    if (state === before) return;
    if (event.type === 'galleryInit') {
      title.textContent = visibleText(`${state.init?.className ?? ''} — ${state.init?.total ?? 0} images`);
      for (const [, tile] of shown) pool.push(tile);
      shown.clear();
    }
    status.textContent = visibleText(state.notice?.message ?? state.init?.readOnly ?? '');
    status.className = `gallery-status${state.notice ? ` notice-${state.notice.level}` : ''}`;
    if (redraw) schedule();
  }

  function dispatch(event: GalleryEvent): void {
    apply(event);
  }

  return { receive: (m) => apply(m), dispatch, getState: () => state, layout: () => schedule() };
}
