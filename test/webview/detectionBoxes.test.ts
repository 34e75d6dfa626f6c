// The detection gallery and the predictions inspector in the webview (issue 18): reducers without a
// browser, and the views rendered in jsdom (boxes scaled onto thumbnails, filters, the finding's box
// highlighted, the label file asked for, the confidence slider, false positives and misses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { DetGalleryInit, DetGalleryToHost } from '../../src/protocol/detectionGalleryMessages';
import { isDetGalleryToHost, isHostToDetGallery } from '../../src/protocol/detectionGalleryMessages';
import type { InspectorInit, InspectorToHost } from '../../src/protocol/inspectorMessages';
import { isHostToInspector, isInspectorToHost } from '../../src/protocol/inspectorMessages';
import {
  initialDetGalleryState,
  reduceDetGallery,
  visibleFindings,
  visibleImages,
  type DetGalleryState,
} from '../../webview/src/gallery/detectionGalleryState';
import { createDetectionGallery } from '../../webview/src/gallery/detectionGalleryView';
import {
  initialInspectorState,
  reduceInspector,
  summarize,
} from '../../webview/src/detection/inspectorState';
import { createInspector } from '../../webview/src/detection/inspectorView';
import { makeDetectionRun, makeRun, makeSnapshot } from './fixtures';
import { mountDashboard } from './domHarness';

function galleryInit(focus: DetGalleryInit['focus'] = { className: null, finding: null }): DetGalleryInit {
  return {
    datasetName: 'shapes',
    format: 'yolo',
    classNames: ['circle', 'square'],
    images: [
      {
        index: 0,
        path: 'images/a.png',
        width: 320,
        height: 160,
        split: 'train',
        boxes: [{ classIndex: 0, box: [0, 0, 160, 80], line: 1 }],
      },
      {
        index: 1,
        path: 'images/b.png',
        width: 100,
        height: 100,
        split: 'train',
        boxes: [
          { classIndex: 1, box: [10, 10, 50, 50], line: 1 },
          { classIndex: 0, box: [60, 60, 90, 90], line: 2 },
        ],
      },
      { index: 2, path: 'images/c.png', width: 100, height: 100, split: 'val', boxes: [] },
    ],
    findings: [
      {
        index: 0,
        kind: 'box-outside-image',
        severity: 'error',
        message: 'Box reaches past the right edge',
        location: 'labels/b.txt:3',
        image: 1,
        box: [80, 20, 130, 40],
        classIndex: 1,
      },
      {
        index: 1,
        kind: 'class-imbalance',
        severity: 'warning',
        message: 'square has few boxes',
        location: 'data.yaml',
        image: null,
        box: null,
        classIndex: 1,
      },
    ],
    thumbSize: 160,
    previewSize: 640,
    focus,
  };
}

function run(state: DetGalleryState, ...events: Parameters<typeof reduceDetGallery>[1][]) {
  const posts: DetGalleryToHost[] = [];
  for (const e of events) {
    const out = reduceDetGallery(state, e);
    state = out.state;
    posts.push(...out.post);
  }
  return { state, posts };
}

test('gallery filters: by class (a box of it), by finding kind, or any finding; findings list follows', () => {
  const init = galleryInit();
  assert.ok(isHostToDetGallery({ type: 'detGalleryInit', init }));
  const { state } = run(initialDetGalleryState(), { type: 'detGalleryInit', init });
  assert.deepEqual(visibleImages(state), [0, 1, 2]);
  assert.deepEqual(visibleImages(run(state, { type: 'ui/classFilter', classIndex: 1 }).state), [1]);
  assert.deepEqual(visibleImages(run(state, { type: 'ui/classFilter', classIndex: 0 }).state), [0, 1]);
  assert.deepEqual(visibleImages(run(state, { type: 'ui/findingFilter', filter: 'any' }).state), [1]);
  const imbalance = run(state, { type: 'ui/findingFilter', filter: 'class-imbalance' }).state;
  assert.deepEqual(visibleImages(imbalance), [], 'the finding has no image');
  assert.deepEqual(visibleFindings(imbalance), [1]);
  assert.deepEqual(visibleFindings(run(state, { type: 'ui/classFilter', classIndex: 0 }).state), [0]);
  assert.equal(run(state, { type: 'ui/classFilter', classIndex: 7 }).state.classFilter, null);
});

test('gallery: a focused finding opens its image large (preview asked once), arrows step, Escape closes', () => {
  let { state, posts } = run(initialDetGalleryState(), {
    type: 'detGalleryInit',
    init: galleryInit({ className: null, finding: 0 }),
  });
  assert.deepEqual(state.selected, { image: 1, finding: 0 });
  assert.equal(state.findingFilter, 'box-outside-image');
  assert.deepEqual(posts, [{ type: 'requestPreview', index: 1 }]);
  ({ state, posts } = run(state, { type: 'ui/findingFilter', filter: null }, { type: 'ui/step', delta: 1 }));
  assert.deepEqual(state.selected, { image: 2, finding: null });
  ({ state, posts } = run(state, { type: 'ui/step', delta: -1 }));
  assert.deepEqual(posts, [], 'image 1’s preview was asked already');
  ({ state, posts } = run(state, { type: 'ui/selectFinding', finding: 1 }));
  assert.deepEqual(posts, [{ type: 'openFindingSource', finding: 1 }], 'no image: the file is what to see');
  assert.equal(run(state, { type: 'ui/close' }).state.selected, null);
  for (const p of [...posts, { type: 'openBoxSource', image: 1, box: 0 }]) assert.ok(isDetGalleryToHost(p));
});

function dom() {
  const window = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>').window;
  return { doc: window.document, window };
}

test('gallery DOM: boxes scaled onto letterboxed thumbnails, class colour slots, thumbnails asked for', () => {
  const { doc } = dom();
  const posted: DetGalleryToHost[] = [];
  const app = createDetectionGallery(doc.getElementById('app') as HTMLElement, {
    post: (m) => posted.push(m),
  });
  app.receive({ type: 'detGalleryInit', init: galleryInit() });
  const tiles = doc.querySelectorAll('[data-testid="det-tile"]');
  assert.equal(tiles.length, 3);
  assert.deepEqual(posted, [{ type: 'requestThumbs', indices: [0, 1, 2] }]);
  // a.png is 320×160 in a 160 square: scale 0.5, 40 px band on top. Its box [0,0,160,80] → 0,40 80×40.
  const box = tiles[0].querySelector('[data-testid="det-box"]') as HTMLElement;
  assert.deepEqual(
    [box.style.left, box.style.top, box.style.width, box.style.height],
    ['0px', '40px', '80px', '40px'],
  );
  assert.ok(box.classList.contains('c0') && box.classList.contains('det-truth'));
  assert.equal(box.textContent, 'circle');
  assert.ok(tiles[1].querySelectorAll('[data-testid="det-box"]')[0].classList.contains('c1'));
  app.receive({ type: 'detGalleryThumbs', thumbs: [{ index: 0, thumb: 'https://t/0.webp' }] });
  assert.equal(doc.querySelector('[data-image="0"] img')?.getAttribute('src'), 'https://t/0.webp');
  assert.equal(posted.length, 1, 'no second request for the same thumbnails');
  // Filters are selects in Tab order, with stable ids.
  const classFilter = doc.querySelector('[data-testid="det-class-filter"]') as HTMLSelectElement;
  classFilter.value = '1';
  classFilter.dispatchEvent(new doc.defaultView!.Event('change'));
  assert.equal(doc.querySelectorAll('[data-testid="det-tile"]').length, 1);
  assert.match(doc.querySelector('[data-testid="det-count"]')?.textContent ?? '', /1 of 3 images/);
});

test('gallery DOM: arrow keys move between tiles, and a tile keeps the focus when thumbnails arrive', () => {
  const { doc, window } = dom();
  const app = createDetectionGallery(doc.getElementById('app') as HTMLElement, { post: () => undefined });
  app.receive({ type: 'detGalleryInit', init: galleryInit() });
  const tile = (i: number) => doc.querySelector(`[data-testid="det-tile"][data-image="${i}"]`) as HTMLElement;
  tile(0).focus();
  tile(0).dispatchEvent(new window.KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  assert.equal(doc.activeElement, tile(1));
  tile(1).dispatchEvent(new window.KeyboardEvent('keydown', { key: 'End', bubbles: true }));
  assert.equal(doc.activeElement, tile(2));
  app.receive({ type: 'detGalleryThumbs', thumbs: [{ index: 2, thumb: 'https://t/2.webp' }] });
  assert.equal(doc.activeElement?.getAttribute('data-image'), '2', 'focus survives the redraw');
  (doc.activeElement as HTMLElement).dispatchEvent(
    new window.KeyboardEvent('keydown', { key: 'Home', bubbles: true }),
  );
  assert.equal(doc.activeElement, tile(0));
});

test('gallery DOM: clicking a finding shows the image large with the offending box highlighted and a link to the line', () => {
  const { doc, window } = dom();
  const posted: DetGalleryToHost[] = [];
  const app = createDetectionGallery(doc.getElementById('app') as HTMLElement, {
    post: (m) => posted.push(m),
  });
  app.receive({ type: 'detGalleryInit', init: galleryInit() });
  const findings = doc.querySelectorAll('[data-testid="det-findings"] [data-testid="det-finding"]');
  assert.equal(findings.length, 2);
  assert.match(findings[0].textContent ?? '', /labels\/b\.txt:3/);
  (findings[0] as HTMLButtonElement).click();
  assert.deepEqual(posted.at(-1), { type: 'requestPreview', index: 1 });
  const preview = doc.querySelector('[data-testid="det-preview"]') as HTMLElement;
  assert.equal(preview.hidden, false);
  // b.png 100×100 in 640: scale 6.4. The finding's box [80,20,130,40] is clipped at the right edge.
  const highlight = preview.querySelector('[data-testid="det-highlight"]') as HTMLElement;
  assert.ok(highlight.classList.contains('highlight'));
  assert.deepEqual(
    [highlight.style.left, highlight.style.top, highlight.style.width],
    ['512px', '128px', '128px'],
  );
  assert.ok(highlight.classList.contains('clipped'));
  assert.equal(preview.querySelectorAll('[data-testid="det-box"]').length, 2);
  app.receive({ type: 'detGalleryPreview', index: 1, uri: 'https://t/b-640.webp' });
  assert.equal(preview.querySelector('img')?.getAttribute('src'), 'https://t/b-640.webp');
  (preview.querySelector('[data-testid="det-open-label"]') as HTMLButtonElement).click();
  assert.deepEqual(posted.at(-1), { type: 'openFindingSource', finding: 0 });
  (preview.querySelector('[data-action="open-box"][data-box="1"]') as HTMLButtonElement).click();
  assert.deepEqual(posted.at(-1), { type: 'openBoxSource', image: 1, box: 1 });
  preview.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'ArrowRight' }));
  assert.deepEqual(app.getState().selected, { image: 2, finding: null });
  preview.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Escape' }));
  assert.equal(preview.hidden, true);
});

function inspectorInit(): InspectorInit {
  return {
    runId: 'run-1',
    source: 'val',
    labels: ['circle', 'square'],
    confidenceFloor: 0.05,
    confidence: 0.25,
    iouThreshold: 0.5,
    pictureSize: 200,
    images: [
      {
        index: 0,
        path: 'images/val/c.png',
        width: 100,
        height: 100,
        truth: [{ classIndex: 0, box: [0, 0, 50, 50] }],
        predicted: [
          { classIndex: 0, confidence: 0.9, box: [1, 1, 50, 50] },
          { classIndex: 1, confidence: 0.3, box: [60, 60, 90, 90] },
          { classIndex: 1, confidence: 0.1, box: [0, 60, 20, 90] },
        ],
      },
      {
        index: 1,
        path: 'images/val/d.png',
        width: 100,
        height: 50,
        truth: [{ classIndex: 1, box: [10, 10, 30, 30] }],
        predicted: [{ classIndex: 1, confidence: 0.2, box: [10, 10, 30, 30] }],
      },
    ],
  };
}

test('inspector reducer: the threshold moves predictions between shown and hidden; FP and miss filters follow', () => {
  const init = inspectorInit();
  assert.ok(isHostToInspector({ type: 'inspectorInit', init, problem: null }));
  assert.equal(isHostToInspector({ type: 'inspectorInit', init, problem: 'both' }), false);
  let state = reduceInspector(initialInspectorState(), { type: 'inspectorInit', init, problem: null }).state;
  let s = summarize(state);
  assert.deepEqual([s.truePositives, s.falsePositives, s.misses], [1, 1, 1]);
  state = reduceInspector(state, { type: 'ui/confidence', value: 0.15 }).state;
  s = summarize(state);
  assert.deepEqual([s.truePositives, s.falsePositives, s.misses], [2, 1, 0], 'the 0.2 square now matches');
  state = reduceInspector(state, { type: 'ui/confidence', value: 0.01 }).state;
  assert.equal(state.confidence, 0.05, 'not below the file’s floor');
  state = reduceInspector(state, { type: 'ui/confidence', value: 0.25 }).state;
  state = reduceInspector(state, { type: 'ui/filter', filter: 'misses' }).state;
  assert.deepEqual(summarize(state).images, [1]);
  state = reduceInspector(state, { type: 'ui/filter', filter: 'false-positives' }).state;
  assert.deepEqual(summarize(state).images, [0]);
  const asked = reduceInspector(state, { type: 'ui/visible', indices: [0, 1] });
  assert.deepEqual(asked.post, [{ type: 'requestPictures', indices: [0, 1] }]);
  assert.deepEqual(reduceInspector(asked.state, { type: 'ui/visible', indices: [0, 1] }).post, []);
  assert.ok(isInspectorToHost(asked.post[0]));
});

test('inspector DOM: truth solid, predictions dashed with confidence; the slider filters live; side by side', () => {
  const { doc, window } = dom();
  const posted: InspectorToHost[] = [];
  const app = createInspector(doc.getElementById('app') as HTMLElement, { post: (m) => posted.push(m) });
  app.receive({ type: 'inspectorInit', init: inspectorInit(), problem: null });
  assert.deepEqual(posted, [{ type: 'requestPictures', indices: [0, 1] }]);
  const first = doc.querySelector('[data-testid="insp-image"][data-image="0"]') as HTMLElement;
  assert.equal(first.querySelectorAll('[data-testid="insp-truth"]').length, 1);
  assert.equal(first.querySelectorAll('.det-truth').length, 1);
  assert.equal(first.querySelectorAll('.det-predicted').length, 2, 'the 0.1 prediction is hidden at 0.25');
  const fp = first.querySelector('[data-testid="insp-false-positive"]') as HTMLElement;
  assert.equal(fp.textContent, 'square 0.30');
  assert.ok(fp.classList.contains('false-positive'));
  assert.equal(doc.querySelectorAll('[data-testid="insp-miss"]').length, 1, 'd.png’s square is missed');
  first.focus();
  first.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
  assert.equal(doc.activeElement?.getAttribute('data-image'), '1', 'arrow keys move between images');
  const slider = doc.querySelector('[data-testid="insp-confidence"]') as HTMLInputElement;
  assert.equal(slider.value, '0.25');
  slider.value = '0.05';
  slider.dispatchEvent(new window.Event('input'));
  assert.equal(doc.querySelector('[data-testid="insp-confidence-value"]')?.textContent, '0.05');
  assert.equal(doc.querySelectorAll('[data-testid="insp-miss"]').length, 0);
  assert.equal(doc.querySelectorAll('[data-testid="insp-false-positive"]').length, 2);
  assert.match(
    doc.querySelector('[data-testid="insp-summary"]')?.textContent ?? '',
    /2 false positives · 0 misses/,
  );
  (doc.querySelector('[data-testid="insp-filter-miss"]') as HTMLButtonElement).click();
  assert.equal(doc.querySelectorAll('[data-testid="insp-image"]').length, 0);
  assert.equal(doc.querySelector('[data-testid="insp-filter-miss"]')?.getAttribute('aria-pressed'), 'true');
  (doc.querySelector('[data-testid="insp-filter-fp"]') as HTMLButtonElement).click();
  assert.equal(doc.querySelectorAll('[data-testid="insp-image"]').length, 1);
  (doc.querySelector('[data-testid="insp-layout"]') as HTMLButtonElement).click();
  const card = doc.querySelector('[data-testid="insp-image"]') as HTMLElement;
  assert.equal(card.querySelectorAll('.det-picture').length, 2, 'truth and predictions side by side');
  assert.equal(card.querySelectorAll('.det-picture')[0].querySelectorAll('.det-predicted').length, 0);
  // Predicted boxes are scaled like truth: [1,1,50,50] in 100×100 at 200 px.
  const pred = card.querySelectorAll('.det-picture')[1].querySelector('.det-predicted') as HTMLElement;
  assert.deepEqual([pred.style.left, pred.style.width], ['2px', '98px']);
  app.receive({ type: 'inspectorPictures', pictures: [{ index: 0, uri: 'https://p/0.webp' }] });
  assert.equal(card.isConnected ? 1 : 0, 0, 'cards are redrawn');
  assert.equal(doc.querySelector('[data-testid="insp-image"] img')?.getAttribute('src'), 'https://p/0.webp');
});

test('inspector DOM: a damaged detections.json shows its reason and no controls', () => {
  const { doc } = dom();
  const app = createInspector(doc.getElementById('app') as HTMLElement, { post: () => undefined });
  app.receive({
    type: 'inspectorInit',
    init: null,
    problem: '/runs/r/detections.json: images[0].path must be a path relative to root',
  });
  assert.match(doc.querySelector('[data-testid="insp-status"]')?.textContent ?? '', /images\[0\]\.path/);
  assert.equal((doc.querySelector('.insp-controls') as HTMLElement).hidden, true);
  assert.equal(doc.querySelectorAll('[data-testid="insp-image"]').length, 0);
});

test('the run page of an evaluated detection run links to the inspector; a classification run does not', () => {
  for (const [details, offered] of [
    [makeDetectionRun(0, 3), true],
    [makeDetectionRun(1, 3, false), false],
    [makeRun({ index: 2, epochs: 3 }), false],
  ] as const) {
    const h = mountDashboard();
    const { snapshot } = makeSnapshot(0, 0, {
      runs: [details.summary],
      selectedRunId: details.summary.id,
      details,
      thumbnailBases: {},
    });
    h.send({ type: 'snapshot', snapshot });
    const button = h.all('[data-testid="inspect-predictions"]')[0];
    assert.equal(Boolean(button), offered, details.summary.id);
    if (!button) continue;
    h.click(button);
    assert.deepEqual(h.posted.at(-1), { type: 'inspectPredictions', runId: details.summary.id });
  }
});
