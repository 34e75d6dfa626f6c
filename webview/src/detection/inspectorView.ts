// The detection inspector (issue 18): a detection run's predictions beside its ground truth. Each image
// is drawn with truth boxes solid and predictions dashed with their confidence, overlaid or side by side;
// a confidence slider filters predictions live; "False positives" and "Misses" show only the images that
// have some at IoU 0.5, same class. Keyboard: the slider and filter buttons are in Tab order, each image
// card is focusable, and the arrow keys move between cards. The run page links here ("Inspect predictions").
import { visibleText } from '../../../src/protocol/displayText';
import type {
  HostToInspector,
  InspectorImage,
  InspectorToHost,
} from '../../../src/protocol/inspectorMessages';
import type { ImageMatch } from '../../../src/core/detection/predictionMatching';
import { el } from '../dom';
import { pictureWithBoxes, type OverlayBox } from './boxOverlay';
import {
  initialInspectorState,
  reduceInspector,
  summarize,
  type InspectorEvent,
  type InspectorFilter,
  type InspectorState,
} from './inspectorState';

export interface InspectorHost {
  post(message: InspectorToHost): void;
}

export interface InspectorApp {
  receive(message: HostToInspector): void;
  dispatch(event: InspectorEvent): void;
  getState(): InspectorState;
}

const FILTERS: { filter: InspectorFilter; label: string; testId: string }[] = [
  { filter: 'all', label: 'All images', testId: 'insp-filter-all' },
  { filter: 'false-positives', label: 'False positives', testId: 'insp-filter-fp' },
  { filter: 'misses', label: 'Misses', testId: 'insp-filter-miss' },
];

export function createInspector(root: HTMLElement, host: InspectorHost): InspectorApp {
  const doc = root.ownerDocument;
  let state = initialInspectorState();
  const title = el(doc, 'h1', { text: 'Inspect predictions' });
  const status = el(doc, 'p', {
    class: 'gallery-status',
    attrs: { role: 'status', 'data-testid': 'insp-status' },
  });
  const slider = el(doc, 'input', {
    attrs: {
      id: 'insp-confidence',
      type: 'range',
      min: 0,
      max: 1,
      step: 0.01,
      value: 0.25,
      'data-testid': 'insp-confidence',
      'aria-label': 'Confidence threshold',
    },
    on: { input: () => dispatch({ type: 'ui/confidence', value: Number(slider.value) }) },
  });
  const sliderValue = el(doc, 'output', {
    attrs: { for: 'insp-confidence', 'data-testid': 'insp-confidence-value' },
  });
  const filterButtons = FILTERS.map((f) =>
    el(doc, 'button', {
      attrs: { type: 'button', 'data-testid': f.testId, 'aria-pressed': 'false' },
      text: f.label,
      on: { click: () => dispatch({ type: 'ui/filter', filter: f.filter }) },
    }),
  );
  const layoutButton = el(doc, 'button', {
    attrs: { type: 'button', 'data-testid': 'insp-layout' },
    on: {
      click: () =>
        dispatch({ type: 'ui/layout', layout: state.layout === 'overlay' ? 'side-by-side' : 'overlay' }),
    },
  });
  const summaryLine = el(doc, 'p', { class: 'insp-summary', attrs: { 'data-testid': 'insp-summary' } });
  const legend = el(
    doc,
    'p',
    { class: 'insp-legend' },
    el(doc, 'span', { class: 'legend-truth', text: 'ground truth (solid)' }),
    el(doc, 'span', { class: 'legend-predicted', text: 'prediction (dashed, confidence)' }),
    el(doc, 'span', { class: 'legend-fp', text: 'false positive' }),
    el(doc, 'span', { class: 'legend-miss', text: 'missed' }),
  );
  const list = el(doc, 'div', {
    class: 'insp-list',
    attrs: { 'data-testid': 'insp-images', 'aria-label': 'Images' },
    on: { keydown: (e) => listKey(e), click: (e) => listClick(e) },
  });
  const more = el(doc, 'button', {
    attrs: { type: 'button', 'data-testid': 'insp-show-more' },
    text: 'Show more',
    on: { click: () => dispatch({ type: 'ui/showMore' }) },
  });
  const controls = el(
    doc,
    'div',
    { class: 'insp-controls' },
    el(doc, 'label', { attrs: { for: 'insp-confidence' }, text: 'Confidence ≥ ' }),
    slider,
    sliderValue,
    el(
      doc,
      'div',
      { class: 'insp-filters', attrs: { role: 'group', 'aria-label': 'Show' } },
      ...filterButtons,
    ),
    layoutButton,
  );
  root.replaceChildren(
    el(doc, 'main', { class: 'det-inspector' }, title, status, controls, summaryLine, legend, list, more),
  );

  function cards(): HTMLElement[] {
    return [...list.querySelectorAll<HTMLElement>('[data-testid="insp-image"]')];
  }

  function listKey(event: KeyboardEvent): void {
    const delta =
      event.key === 'ArrowDown' || event.key === 'ArrowRight'
        ? 1
        : event.key === 'ArrowUp' || event.key === 'ArrowLeft'
          ? -1
          : 0;
    if (delta === 0) return;
    const all = cards();
    const at = all.findIndex((c) => c === doc.activeElement || c.contains(doc.activeElement));
    const next = all[Math.max(0, Math.min(all.length - 1, at + delta))];
    if (next) {
      next.focus();
      event.preventDefault();
    }
  }

  function listClick(event: Event): void {
    const button = (event.target as Element | null)?.closest?.('[data-action="open-image"]');
    const index = Number(button?.getAttribute('data-image'));
    if (button && Number.isInteger(index)) dispatch({ type: 'ui/openImage', image: index });
  }

  function boxes(
    image: InspectorImage,
    match: ImageMatch,
    show: 'truth' | 'predicted' | 'both',
  ): OverlayBox[] {
    const init = state.init;
    const name = (i: number): string => init?.labels[i] ?? `class ${i}`;
    const out: OverlayBox[] = [];
    if (show !== 'predicted') {
      const missed = new Set(match.misses);
      image.truth.forEach((t, i) =>
        out.push({
          box: t.box,
          classIndex: t.classIndex,
          label: name(t.classIndex),
          kind: 'truth',
          marks: missed.has(i) ? ['miss'] : [],
          testId: missed.has(i) ? 'insp-miss' : 'insp-truth',
        }),
      );
    }
    if (show !== 'truth') {
      const fp = new Set(match.falsePositives);
      for (const i of match.shown) {
        const p = image.predicted[i];
        out.push({
          box: p.box,
          classIndex: p.classIndex,
          label: `${name(p.classIndex)} ${p.confidence.toFixed(2)}`,
          kind: 'predicted',
          marks: fp.has(i) ? ['false-positive'] : [],
          testId: fp.has(i) ? 'insp-false-positive' : 'insp-prediction',
        });
      }
    }
    return out;
  }

  function render(): void {
    const init = state.init;
    status.textContent = visibleText(state.problem ?? state.notice ?? '');
    status.className = `gallery-status${state.problem || state.notice ? ' notice-error' : ''}`;
    controls.hidden = !init;
    legend.hidden = !init;
    if (!init) {
      list.replaceChildren();
      summaryLine.textContent = '';
      more.hidden = true;
      return;
    }
    title.textContent = visibleText(`Inspect predictions — run ${init.runId} (${init.source})`);
    slider.min = String(init.confidenceFloor);
    slider.value = String(state.confidence);
    sliderValue.textContent = state.confidence.toFixed(2);
    filterButtons.forEach((b, i) =>
      b.setAttribute('aria-pressed', String(FILTERS[i].filter === state.filter)),
    );
    layoutButton.textContent = state.layout === 'overlay' ? 'Side by side' : 'Overlay';
    const summary = summarize(state);
    summaryLine.textContent =
      `${summary.images.length.toLocaleString('en-US')} of ${init.images.length.toLocaleString('en-US')} images · ` +
      `${summary.truePositives} correct · ${summary.falsePositives} false positives · ${summary.misses} misses ` +
      `at confidence ≥ ${state.confidence.toFixed(2)}, IoU ${init.iouThreshold}`;
    const drawn = summary.images.slice(0, state.limit);
    const focusedIndex = Number(
      (doc.activeElement as Element | null)?.closest?.('[data-image]')?.getAttribute('data-image'),
    );
    list.replaceChildren(
      ...drawn.map((index) => {
        const image = init.images[index];
        const match = summary.matches.get(index) as ImageMatch;
        const src = state.pictures.get(index) ?? '';
        const picture = (show: 'truth' | 'predicted' | 'both') =>
          pictureWithBoxes(doc, {
            src,
            alt: image.path,
            size: init.pictureSize,
            width: image.width,
            height: image.height,
            boxes: boxes(image, match, show),
          });
        const pictures =
          state.layout === 'overlay'
            ? [picture('both')]
            : [
                el(doc, 'figure', {}, el(doc, 'figcaption', { text: 'Ground truth' }), picture('truth')),
                el(doc, 'figure', {}, el(doc, 'figcaption', { text: 'Predictions' }), picture('predicted')),
              ];
        return el(
          doc,
          'article',
          {
            class: `insp-card ${state.layout}`,
            attrs: {
              tabindex: 0,
              'data-testid': 'insp-image',
              'data-image': index,
              'aria-label': `${image.path}: ${match.falsePositives.length} false positives, ${match.misses.length} misses`,
            },
          },
          el(
            doc,
            'header',
            {},
            el(doc, 'h2', { text: image.path }),
            el(doc, 'span', {
              class: 'insp-counts',
              text: `${match.matched.size} correct · ${match.falsePositives.length} FP · ${match.misses.length} missed`,
            }),
            el(doc, 'button', {
              class: 'link',
              attrs: { type: 'button', 'data-action': 'open-image', 'data-image': index },
              text: 'Open image',
            }),
          ),
          el(doc, 'div', { class: 'insp-pictures' }, ...pictures),
        );
      }),
    );
    if (Number.isInteger(focusedIndex))
      list.querySelector<HTMLElement>(`[data-testid="insp-image"][data-image="${focusedIndex}"]`)?.focus();
    more.hidden = summary.images.length <= state.limit;
    const out = reduceInspector(state, { type: 'ui/visible', indices: drawn });
    state = out.state;
    for (const m of out.post) host.post(m);
  }

  function apply(event: InspectorEvent): void {
    const before = state;
    const out = reduceInspector(state, event);
    state = out.state;
    for (const message of out.post) host.post(message);
    if (state !== before) render();
  }

  function dispatch(event: InspectorEvent): void {
    apply(event);
  }

  return { receive: (m) => apply(m), dispatch, getState: () => state };
}
