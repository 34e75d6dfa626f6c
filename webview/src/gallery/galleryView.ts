// The class gallery's virtualised grid: a spacer as tall as every row, and absolutely placed tiles for the
// rows in view (plus a few), reused by index while scrolling; scroll work is batched per animation frame.
// Tiles show the thumbnail (or a placeholder until it is made), the name, the doctor's finding, and
// Open / Move… as in the confusion matrix's example list.
import type { GalleryItem } from '../../../src/protocol/galleryMessages';
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
import type { GalleryToHost, HostToGallery } from '../../../src/protocol/galleryMessages';

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
      on: { scroll: () => schedule() },
    },
    spacer,
  );
  root.replaceChildren(el(doc, 'main', { class: 'gallery' }, title, status, scroller));
  /** index → its tile and the item it shows (rebuilt only when the item changes). */
  const tiles = new Map<number, { node: HTMLElement; item: GalleryItem | undefined }>();
  let scheduled = false;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    (host.frame ?? ((cb) => cb()))(() => {
      scheduled = false;
      draw();
    });
  }

  function tile(index: number, item: GalleryItem | undefined): HTMLElement {
    const init = state.init;
    const figure = el(doc, 'figure', {
      class: `tile${item?.finding ? ' has-finding' : ''}`,
      attrs: { 'data-index': index },
    });
    if (item?.thumb)
      figure.appendChild(
        el(doc, 'img', {
          attrs: {
            src: item.thumb,
            alt: item.name,
            width: 128,
            height: 128,
            loading: 'lazy',
            decoding: 'async',
          },
        }),
      );
    else figure.appendChild(el(doc, 'div', { class: 'thumb-placeholder', attrs: { 'aria-hidden': 'true' } }));
    if (!item) return figure;
    const caption = el(doc, 'figcaption', { attrs: { title: item.path } }, item.name);
    figure.appendChild(caption);
    if (item.finding)
      figure.appendChild(
        el(doc, 'p', { class: 'finding', attrs: { title: item.finding }, text: `⚠ ${item.finding}` }),
      );
    const actions = el(
      doc,
      'div',
      { class: 'tile-actions' },
      el(doc, 'button', {
        attrs: { type: 'button', 'aria-label': `Open ${item.name}` },
        text: 'Open',
        on: { click: () => dispatch({ type: 'ui/open', index }) },
      }),
    );
    if (init && !init.readOnly && init.moveTargets.length > 0 && !item.finding?.startsWith('moved to')) {
      actions.appendChild(
        el(
          doc,
          'select',
          {
            attrs: { 'aria-label': `Move ${item.name} to another class` },
            on: {
              change: (e) => {
                const select = e.target as HTMLSelectElement;
                if (select.value) dispatch({ type: 'ui/move', index, toClass: select.value });
                select.value = '';
              },
            },
          },
          el(doc, 'option', { attrs: { value: '' }, text: 'Move…' }),
          ...init.moveTargets.map((c) => el(doc, 'option', { attrs: { value: c }, text: c })),
        ),
      );
    }
    figure.appendChild(actions);
    return figure;
  }

  function draw(): void {
    const init = state.init;
    if (!init) return;
    const width = scroller.clientWidth || FALLBACK_WIDTH;
    const height = scroller.clientHeight || FALLBACK_HEIGHT;
    const win = gridWindow(init.total, width, scroller.scrollTop, height);
    setStyle(spacer, 'height', `${win.totalHeight}px`);
    for (const [index, t] of tiles) {
      if (index < win.first || index > win.last) {
        t.node.remove();
        tiles.delete(index);
      }
    }
    for (let index = win.first; index <= win.last; index++) {
      const item = state.items.get(index);
      const existing = tiles.get(index);
      if (existing && existing.item === item) continue;
      const node = tile(index, item);
      setStyle(
        node,
        'transform',
        `translate(${(index % win.columns) * TILE_WIDTH}px, ${Math.floor(index / win.columns) * TILE_HEIGHT}px)`,
      );
      if (existing) existing.node.replaceWith(node);
      else spacer.appendChild(node);
      tiles.set(index, { node, item });
    }
    apply({ type: 'ui/show', first: win.first, last: win.last }, false);
  }

  function apply(event: GalleryEvent, redraw = true): void {
    const before = state;
    const out = reduceGallery(state, event);
    state = out.state;
    for (const message of out.post) host.post(message);
    if (state === before) return;
    if (event.type === 'galleryInit') {
      title.textContent = `${state.init?.className ?? ''} — ${state.init?.total ?? 0} images`;
      for (const t of tiles.values()) t.node.remove();
      tiles.clear();
    }
    status.textContent = state.notice?.message ?? state.init?.readOnly ?? '';
    status.className = `gallery-status${state.notice ? ` notice-${state.notice.level}` : ''}`;
    if (redraw) schedule();
  }

  function dispatch(event: GalleryEvent): void {
    apply(event);
  }

  return { receive: (m) => apply(m), dispatch, getState: () => state, layout: () => schedule() };
}
