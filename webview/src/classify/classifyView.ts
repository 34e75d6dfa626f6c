// The Classify Image panel: each image beside its top-k classes as bars, and the time it took.
import type { HostToClassify } from '../../../src/protocol/classifyMessages';
import { el, setStyle } from '../dom';

export interface ClassifyApp {
  receive(message: HostToClassify): void;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

export function createClassifyView(root: HTMLElement): ClassifyApp {
  const doc = root.ownerDocument;
  root.replaceChildren(el(doc, 'p', { text: 'Classifying…' }));
  return {
    receive(message) {
      const { results } = message;
      const seconds = (results.latencyMs / 1000).toFixed(2);
      const cards = results.images.map((image) =>
        el(
          doc,
          'article',
          {
            class: 'classified',
            attrs: { 'aria-label': `${image.name}: ${image.label} ${percent(image.confidence)}` },
          },
          image.image
            ? el(doc, 'img', { attrs: { src: image.image, alt: image.name } })
            : el(doc, 'div', { class: 'thumb-placeholder', attrs: { 'aria-hidden': 'true' } }),
          el(
            doc,
            'div',
            { class: 'classified-body' },
            el(doc, 'h2', { text: `${image.name}: ${image.label} (${percent(image.confidence)})` }),
            el(
              doc,
              'ol',
              { class: 'topk' },
              ...image.top.map((t, i) => {
                const bar = el(doc, 'span', { class: `bar${i === 0 ? ' top' : ''}` });
                setStyle(bar, 'width', `${Math.max(0.5, t.confidence * 100)}%`);
                return el(
                  doc,
                  'li',
                  {},
                  el(doc, 'span', { class: 'topk-label', text: t.label }),
                  el(doc, 'span', { class: 'bar-track' }, bar),
                  el(doc, 'span', { class: 'topk-value', text: percent(t.confidence) }),
                );
              }),
            ),
          ),
        ),
      );
      root.replaceChildren(
        el(
          doc,
          'main',
          { class: 'classify' },
          el(doc, 'h1', { text: `Classified by run ${results.runId}` }),
          el(doc, 'p', {
            class: 'latency',
            text: `${results.images.length} image${results.images.length === 1 ? '' : 's'} in ${seconds} s (trainer start, model load and inference)`,
          }),
          ...cards,
        ),
      );
    },
  };
}
