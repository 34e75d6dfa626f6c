import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import {
  isClassifyToHost,
  isHostToClassify,
  type ClassifyToHost,
  type HostToClassify,
} from '../../src/protocol/classifyMessages';
import { createClassifyView } from '../../webview/src/classify/classifyView';

const message: HostToClassify = {
  type: 'classifyResults',
  results: {
    runId: 'run-7',
    latencyMs: 1234,
    images: [
      {
        name: 'a.png',
        image: 'https://file/a.png',
        label: 'cat',
        confidence: 0.9,
        top: [
          { label: 'cat', confidence: 0.9 },
          { label: 'dog', confidence: 0.1 },
        ],
      },
      { name: 'b.png', image: '', label: 'dog', confidence: 0.6, top: [{ label: 'dog', confidence: 0.6 }] },
    ],
  },
};

test('each image with its top-k bars, widths from the confidences, and the time taken', () => {
  assert.ok(isHostToClassify(message));
  const dom = new JSDOM('<!DOCTYPE html><div id="app"></div>');
  const root = dom.window.document.getElementById('app') as HTMLElement;
  createClassifyView(root).receive(message);
  const cards = root.querySelectorAll('article.classified');
  assert.equal(cards.length, 2);
  assert.equal(cards[0].querySelector('img')?.getAttribute('src'), 'https://file/a.png');
  assert.equal(cards[1].querySelector('img'), null, 'no image URI, a placeholder');
  const bars = [...cards[0].querySelectorAll<HTMLElement>('.bar')].map((b) => b.style.width);
  assert.deepEqual(bars, ['90%', '10%']);
  assert.match(root.querySelector('.latency')?.textContent ?? '', /2 images in 1\.23 s/);
  assert.equal(cards[0].getAttribute('aria-label'), 'a.png: cat 90.0%');
});

test('results the panel cannot trust are refused', () => {
  const bad = structuredClone(message);
  bad.results.images[0].confidence = 7;
  assert.equal(isHostToClassify(bad), false);
  assert.equal(
    isHostToClassify({ type: 'classifyResults', results: { ...message.results, latencyMs: NaN } }),
    false,
  );
  assert.equal(isHostToClassify({ type: 'other' }), false);
});

function dropEvent(window: JSDOM['window'], data: Record<string, string>): Event {
  const event = new window.Event('drop', { bubbles: true, cancelable: true });
  Object.defineProperty(event, 'dataTransfer', { value: { getData: (type: string) => data[type] ?? '' } });
  return event;
}

test('images dropped on the panel go to the host as the drop’s URIs; the host’s notice is shown', () => {
  const dom = new JSDOM('<!DOCTYPE html><div id="app"></div>');
  const root = dom.window.document.getElementById('app') as HTMLElement;
  const posted: ClassifyToHost[] = [];
  const view = createClassifyView(root, { post: (m) => posted.push(m) });
  view.receive(message);
  const over = new dom.window.Event('dragover', { bubbles: true, cancelable: true });
  root.dispatchEvent(over);
  assert.equal(over.defaultPrevented, true, 'the panel accepts the drag');
  const drop = dropEvent(dom.window, {
    'application/vnd.code.uri-list':
      '# from the Explorer\r\nfile:///ws/cats/a.png\r\nfile:///ws/dogs/b.png\r\n',
    'text/uri-list': 'file:///ignored.png',
  });
  root.dispatchEvent(drop);
  assert.equal(drop.defaultPrevented, true);
  assert.deepEqual(posted, [
    { type: 'classifyDropped', uris: ['file:///ws/cats/a.png', 'file:///ws/dogs/b.png'] },
  ]);
  assert.ok(isClassifyToHost(posted[0]));
  root.dispatchEvent(dropEvent(dom.window, { 'text/uri-list': 'file:///ws/c.png' }));
  assert.deepEqual(
    posted[1],
    { type: 'classifyDropped', uris: ['file:///ws/c.png'] },
    'the standard list too',
  );
  root.dispatchEvent(dropEvent(dom.window, { 'text/plain': 'hello' }));
  assert.equal(posted.length, 2, 'a drop without files sends nothing');
  assert.match(root.querySelector('.notice')?.textContent ?? '', /Nothing to classify/);
  const notice: HostToClassify = {
    type: 'classifyNotice',
    level: 'error',
    message: 'Nothing to classify. Left out /etc/passwd: not an image file',
  };
  assert.ok(isHostToClassify(notice));
  view.receive(notice);
  assert.equal(root.querySelector('.notice')?.textContent, notice.message);
  assert.equal(root.querySelectorAll('article.classified').length, 2, 'the results stay');
});

test('drop messages the host cannot trust are refused', () => {
  assert.equal(isClassifyToHost({ type: 'classifyDropped', uris: [] }), false);
  assert.equal(isClassifyToHost({ type: 'classifyDropped', uris: [42] }), false);
  assert.equal(isClassifyToHost({ type: 'classifyDropped', uris: ['x'.repeat(5000)] }), false);
  assert.equal(
    isClassifyToHost({ type: 'classifyDropped', uris: Array.from({ length: 1001 }, () => 'file:///a.png') }),
    false,
  );
  assert.equal(isHostToClassify({ type: 'classifyNotice', level: 'warn', message: 'x' }), false);
});
