import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { GalleryInit, GalleryItem, GalleryToHost } from '../../src/protocol/galleryMessages';
import { isGalleryToHost } from '../../src/protocol/galleryMessages';
import {
  gridWindow,
  initialGalleryState,
  reduceGallery,
  TILE_HEIGHT,
} from '../../webview/src/gallery/galleryState';
import { createGallery } from '../../webview/src/gallery/galleryView';

const init = (total: number, readOnly: string | null = null): GalleryInit => ({
  datasetRoot: '/d',
  className: 'cat',
  moveTargets: ['dog'],
  total,
  pageSize: 120,
  readOnly,
});

const items = (start: number, n: number, thumb = ''): GalleryItem[] =>
  Array.from({ length: n }, (_, i) => ({
    index: start + i,
    name: `cat_${start + i}.png`,
    path: `cat/cat_${start + i}.png`,
    finding: start + i === 3 ? 'duplicate of cat/cat_0.png' : null,
    thumb,
  }));

test('the grid window: only the rows in view and a few more, whatever the total', () => {
  const w = gridWindow(10_000, 900, 0, 700);
  assert.equal(w.columns, 6);
  assert.equal(w.rows, Math.ceil(10_000 / 6));
  assert.equal(w.first, 0);
  assert.ok(w.last < 60, `draws ${w.last + 1} tiles, not 10,000`);
  const deep = gridWindow(10_000, 900, 1000 * TILE_HEIGHT, 700);
  assert.equal(deep.first, (1000 - 2) * 6);
  assert.ok(deep.last - deep.first < 60);
  assert.equal(gridWindow(10_000, 900, deep.totalHeight, 700).last, 9_999);
  assert.equal(gridWindow(0, 900, 0, 700).last, -1);
});

test('showing a range asks for each page once; moves only to offered classes and not when read-only', () => {
  let state = reduceGallery(initialGalleryState(), { type: 'galleryInit', init: init(1000) }).state;
  const first = reduceGallery(state, { type: 'ui/show', first: 100, last: 250 });
  assert.deepEqual(first.post, [
    { type: 'requestPage', start: 0 },
    { type: 'requestPage', start: 120 },
    { type: 'requestPage', start: 240 },
  ]);
  state = first.state;
  assert.deepEqual(reduceGallery(state, { type: 'ui/show', first: 0, last: 250 }).post, []);
  assert.deepEqual(reduceGallery(state, { type: 'ui/move', index: 1, toClass: 'cow' }).post, []);
  assert.deepEqual(reduceGallery(state, { type: 'ui/move', index: 1, toClass: 'dog' }).post, [
    { type: 'moveImage', index: 1, toClass: 'dog' },
  ]);
  const readOnly = reduceGallery(initialGalleryState(), {
    type: 'galleryInit',
    init: init(10, 'Restricted Mode'),
  }).state;
  assert.deepEqual(reduceGallery(readOnly, { type: 'ui/move', index: 1, toClass: 'dog' }).post, []);
  for (const m of first.post) assert.ok(isGalleryToHost(m));
});

test('scrolling reuses tiles: no new elements after the first screen', () => {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>');
  const doc = dom.window.document;
  const app = createGallery(doc.getElementById('app') as HTMLElement, { post: () => undefined });
  app.receive({ type: 'galleryInit', init: init(10_000) });
  const scroller = doc.querySelector('.gallery-scroll') as HTMLElement;
  const count = doc.querySelectorAll('.tile').length;
  for (let top = 0; top < 200 * TILE_HEIGHT; top += 3 * TILE_HEIGHT) {
    scroller.scrollTop = top;
    app.layout();
  }
  assert.ok(doc.querySelectorAll('.tile').length <= count + 6 * 3, 'the pool stays the size of a screen');
  const drawn = [...doc.querySelectorAll('.tile:not([hidden])')].map((t) =>
    Number(t.getAttribute('data-index')),
  );
  assert.ok(Math.min(...drawn) > 100, `tiles follow the scroll (${Math.min(...drawn)})`);
});

test('in the DOM: 10,000 images draw a few dozen tiles; thumbnails and marks fill in; Open posts the index', () => {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>');
  const doc = dom.window.document;
  const posted: GalleryToHost[] = [];
  const app = createGallery(doc.getElementById('app') as HTMLElement, { post: (m) => posted.push(m) });
  app.receive({ type: 'galleryInit', init: init(10_000) });
  const tiles = () => doc.querySelectorAll('.tile:not([hidden])');
  assert.ok(tiles().length > 0 && tiles().length < 80, `${tiles().length} tiles`);
  assert.deepEqual(posted, [{ type: 'requestPage', start: 0 }]);
  app.receive({ type: 'galleryPage', start: 0, items: items(0, 120) });
  assert.equal(
    doc.querySelectorAll('.tile img:not([hidden])').length,
    0,
    'placeholders until thumbnails are made',
  );
  app.receive({ type: 'galleryThumbs', thumbs: [{ index: 0, thumb: 'https://thumbs/0.webp' }] });
  assert.equal(doc.querySelector('.tile[data-index="0"] img')?.getAttribute('src'), 'https://thumbs/0.webp');
  assert.match(doc.querySelector('.tile[data-index="3"] .finding')?.textContent ?? '', /duplicate/);
  (doc.querySelector('.tile[data-index="2"] button') as HTMLButtonElement).click();
  assert.deepEqual(posted.at(-1), { type: 'openImage', index: 2 });
  app.receive({ type: 'galleryMoved', index: 2, toClass: 'dog' });
  assert.match(doc.querySelector('.tile[data-index="2"] .finding')?.textContent ?? '', /moved to dog/);
  assert.equal(
    doc.querySelector('.tile[data-index="2"] select'),
    null,
    'a moved image offers no second move',
  );
});
