// The New Training form's augmentation preview: asked for when what the images depend on changes (data
// set, augmentation, seed, image size, channels, resize, the splits), debounced, stale answers dropped,
// shown as images with their class; only PNG data URLs get in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import {
  isFormToHost,
  isHostToForm,
  type FormToHost,
  type HostToForm,
} from '../../src/protocol/trainFormMessages';
import { DEFAULT_AUGMENT, DEFAULT_CONFIG } from '../../src/core/configFields';
import {
  type FormEvent,
  type FormState,
  initialFormState,
  reduceForm,
} from '../../webview/src/trainForm/formState';
import { createTrainForm, type FormTimers, PREVIEW_DEBOUNCE_MS } from '../../webview/src/trainForm/formApp';
import { previewText } from '../../webview/src/trainForm/formView';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==';

const init: HostToForm = {
  type: 'init',
  init: {
    datasets: [{ dir: '/data/shapes', name: 'shapes', images: 200, classes: 4 }],
    datasetDir: '/data/shapes',
    bases: [],
    // Augmentation on, so that turning it off is a change (the defaults have none).
    start: { ...structuredClone(DEFAULT_CONFIG), augment: { ...DEFAULT_AUGMENT } } as unknown as Record<
      string,
      unknown
    >,
    parentId: null,
    base: null,
    trusted: true,
    queue: [],
    basis: null,
  },
};

function run(events: FormEvent[], state: FormState = initialFormState()) {
  const posted: FormToHost[] = [];
  for (const event of events) {
    const out = reduceForm(state, event);
    state = out.state;
    posted.push(...out.post);
  }
  return { state, posted };
}

const previews = (posted: FormToHost[]) =>
  posted.filter(
    (m): m is Extract<FormToHost, { type: 'previewAugmentation' }> => m.type === 'previewAugmentation',
  );

test('the preview is asked for on opening and when a field it depends on changes, not otherwise', () => {
  const opened = run([init]);
  const [first] = previews(opened.posted);
  assert.equal(first.requestId, 1);
  assert.equal(first.datasetDir, '/data/shapes');
  assert.equal(first.values.augment, opened.state.values.augment);
  assert.equal(opened.state.preview.loading, true);
  assert.ok(isFormToHost(first));

  const epochs = run([{ type: 'ui/setField', path: 'epochs', value: '7' }], opened.state);
  assert.equal(previews(epochs.posted).length, 0, 'epochs draw the same images');
  for (const [path, value] of [
    ['augment', 'none'],
    ['seed', '5'],
    ['imageSize', '32'],
    ['channels', '1'],
    ['resize', 'crop'],
    ['validationSplit', '0.3'],
  ]) {
    const changed = run([{ type: 'ui/setField', path, value }], opened.state);
    const [asked] = previews(changed.posted);
    assert.ok(asked, `${path} changes the images`);
    assert.equal(asked.requestId, 2);
    assert.equal(asked.values[path], value);
  }
  const invalid = run([{ type: 'ui/setField', path: 'imageSize', value: '3' }], opened.state);
  assert.equal(previews(invalid.posted).length, 0, 'nothing is drawn for an invalid field');
  assert.match(previewText(invalid.state), /Correct the fields above/);
  const back = run([{ type: 'ui/setField', path: 'imageSize', value: '64' }], invalid.state);
  assert.equal(previews(back.posted).length, 0, 'back to what was drawn: nothing new to ask');
  const other = run([{ type: 'ui/chooseDataset', datasetDir: '/data/pets' }], opened.state);
  assert.equal(previews(other.posted)[0]?.datasetDir, '/data/pets');
});

test('only the answer to the newest request is shown; its caption names the seed', () => {
  const { state } = run([init, { type: 'ui/setField', path: 'seed', value: '5' }]);
  assert.equal(state.preview.requestId, 2);
  const images = Array.from({ length: 8 }, (_, i) => ({
    path: `circle/${i}.png`,
    label: 'circle',
    src: PNG,
  }));
  const stale = run([{ type: 'augmentPreview', requestId: 1, images, error: null }], state);
  assert.equal(stale.state.preview.images.length, 0, 'an older answer is dropped');
  assert.equal(stale.state.preview.loading, true);
  const fresh = run([{ type: 'augmentPreview', requestId: 2, images, error: null }], state);
  assert.equal(fresh.state.preview.images.length, 8);
  assert.equal(fresh.state.preview.loading, false);
  assert.match(
    previewText(fresh.state),
    /The first 8 training images of epoch 1 as the trainer will see them, through the augmentation with seed 5\./,
  );
  const failed = run(
    [
      {
        type: 'augmentPreview',
        requestId: 2,
        images: [],
        error: '/data/shapes: no training images to preview',
      },
    ],
    state,
  );
  assert.equal(previewText(failed.state), 'No preview: /data/shapes: no training images to preview');
});

test('the preview message is checked: only PNG data URLs, a bounded count', () => {
  const ok = {
    type: 'augmentPreview',
    requestId: 1,
    images: [{ path: 'a/1.png', label: 'a', src: PNG }],
    error: null,
  };
  assert.ok(isHostToForm(ok));
  for (const src of [
    'https://evil.example/x.png',
    'data:image/svg+xml;base64,PHN2Zz4=',
    'data:image/png,<svg>',
    `${PNG}"`,
  ])
    assert.equal(isHostToForm({ ...ok, images: [{ path: 'a/1.png', label: 'a', src }] }), false, src);
  assert.equal(isHostToForm({ ...ok, images: Array.from({ length: 65 }, () => ok.images[0]) }), false);
  assert.equal(isHostToForm({ ...ok, requestId: -1 }), false);
  assert.equal(
    isFormToHost({ type: 'previewAugmentation', requestId: 1, datasetDir: '', values: {} }),
    false,
  );
});

test('typing is debounced: one request for the value the field settles on, then the images are shown', () => {
  const dom = new JSDOM('<!DOCTYPE html><div id="app"></div>');
  const doc = dom.window.document;
  const posted: FormToHost[] = [];
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let nextHandle = 1;
  const timers: FormTimers = {
    setTimeout: (callback, ms) => {
      pending.set(nextHandle, { callback, ms });
      return nextHandle++;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  };
  const flush = () => {
    for (const [handle, timer] of [...pending]) {
      pending.delete(handle);
      assert.equal(timer.ms, PREVIEW_DEBOUNCE_MS);
      timer.callback();
    }
  };
  const app = createTrainForm(
    doc.getElementById('app') as HTMLElement,
    { post: (m) => posted.push(m) },
    timers,
  );
  app.receive(init);
  flush();
  assert.equal(previews(posted).length, 1);
  const seed = doc.getElementById('field-seed') as HTMLInputElement;
  for (const text of ['1', '12', '123']) {
    seed.value = text;
    seed.dispatchEvent(new dom.window.Event('input'));
  }
  assert.equal(previews(posted).length, 1, 'nothing sent while typing');
  flush();
  const sent = previews(posted);
  assert.equal(sent.length, 2, 'one request for three keystrokes');
  assert.equal(sent[1].values.seed, '123');
  assert.equal(sent[1].requestId, app.getState().preview.requestId);

  const grid = doc.querySelector('.group-preview .preview-grid') as HTMLElement;
  assert.equal(grid.getAttribute('aria-busy'), 'true');
  app.receive({
    type: 'augmentPreview',
    requestId: sent[1].requestId,
    images: [
      { path: 'circle/1.png', label: 'circle', src: PNG },
      { path: 'square/2.png', label: 'square', src: PNG },
    ],
    error: null,
  });
  const shown = [...grid.querySelectorAll('img')];
  assert.deepEqual(
    shown.map((img) => [img.getAttribute('src'), img.getAttribute('alt')]),
    [
      [PNG, 'circle: circle/1.png'],
      [PNG, 'square: square/2.png'],
    ],
  );
  assert.deepEqual(
    [...grid.querySelectorAll('figcaption')].map((c) => c.textContent),
    ['circle', 'square'],
  );
  assert.equal(grid.getAttribute('aria-busy'), 'false');
  assert.match(doc.querySelector('.preview-caption')?.textContent ?? '', /seed 123/);
});
