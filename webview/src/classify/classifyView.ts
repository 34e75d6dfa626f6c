// The Classify Image panel: each image beside its top-k classes as bars, and the time it took. Images
// dropped on the panel (from the Explorer, with Shift held as VS Code asks for drops into a webview) are
// handed to the host as the drop's uri-list; the host checks them and classifies them with the same run.
import type { ClassifyToHost, HostToClassify } from '../../../src/protocol/classifyMessages';
import { MAX_DROPPED_URIS } from '../../../src/protocol/classifyMessages';
import { el, setStyle } from '../dom';

export interface ClassifyApp {
  receive(message: HostToClassify): void;
}

export interface ClassifyHost {
  post(message: ClassifyToHost): void;
}

/** Where a drop lists its files: VS Code's own list first (Explorer), then the standard one. */
const URI_LIST_TYPES = ['application/vnd.code.uri-list', 'text/uri-list'] as const;

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** The URIs a drop carries (comments and blank lines dropped), at most MAX_DROPPED_URIS. */
export function droppedUris(data: Pick<DataTransfer, 'getData'> | null): string[] {
  if (!data) return [];
  for (const type of URI_LIST_TYPES) {
    const text = data.getData(type);
    const uris = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (uris.length > 0) return uris.slice(0, MAX_DROPPED_URIS);
  }
  return [];
}

export function createClassifyView(root: HTMLElement, host?: ClassifyHost): ClassifyApp {
  const doc = root.ownerDocument;
  const notice = el(doc, 'p', { class: 'notice', attrs: { role: 'status' } });
  const hint = el(doc, 'p', {
    class: 'drop-hint',
    text: 'Drop images here (hold Shift while dragging from the Explorer) to classify them with the same run.',
  });
  const content = el(doc, 'div', {}, el(doc, 'p', { text: 'Classifying…' }));
  root.replaceChildren(el(doc, 'main', { class: 'classify' }, content, hint, notice));
  if (host) {
    // Accepting the drag is what lets the drop through; the files are read by the host, never here.
    root.addEventListener('dragover', (event) => {
      event.preventDefault();
      root.classList.add('drop-target');
    });
    root.addEventListener('dragleave', () => root.classList.remove('drop-target'));
    root.addEventListener('drop', (event) => {
      event.preventDefault();
      root.classList.remove('drop-target');
      const uris = droppedUris(event.dataTransfer);
      if (uris.length === 0) {
        notice.textContent = 'Nothing to classify: drop image files from the Explorer.';
        notice.className = 'notice notice-error';
        return;
      }
      notice.textContent = `Checking ${uris.length} dropped item${uris.length === 1 ? '' : 's'}…`;
      notice.className = 'notice notice-info';
      host.post({ type: 'classifyDropped', uris });
    });
  } else hint.hidden = true;
  return {
    receive(message) {
      if (message.type === 'classifyNotice') {
        notice.textContent = message.message;
        notice.className = `notice notice-${message.level}`;
        return;
      }
      const { results } = message;
      notice.textContent = '';
      notice.className = 'notice';
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
      content.replaceChildren(
        el(doc, 'h1', { text: `Classified by run ${results.runId}` }),
        el(doc, 'p', {
          class: 'latency',
          text: `${results.images.length} image${results.images.length === 1 ? '' : 's'} in ${seconds} s (trainer start, model load and inference)`,
        }),
        ...cards,
      );
    },
  };
}
