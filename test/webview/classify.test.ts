import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { isHostToClassify, type HostToClassify } from '../../src/protocol/classifyMessages';
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
