// The detection gallery (issue 18): thumbnails of a detection set with their ground-truth boxes (class
// colours, class labels), filters by class and by finding kind, the annotation doctor's findings beside
// the grid, and an image opened large with the offending box highlighted and a button that opens the
// label file at the line. Tiles are drawn a page at a time (Show more), so a large set costs one page.
// Keyboard: the filters, tiles and findings are buttons or selects in Tab order; in the large view the
// arrow keys go to the previous and next image and Escape closes it.
import type { AnnotationFindingKind } from '../../../src/protocol/detection';
import type {
  DetGalleryImage,
  DetGalleryToHost,
  HostToDetGallery,
} from '../../../src/protocol/detectionGalleryMessages';
import { visibleText } from '../../../src/protocol/displayText';
import { el } from '../dom';
import { pictureWithBoxes, type OverlayBox } from '../detection/boxOverlay';
import {
  findingKinds,
  initialDetGalleryState,
  reduceDetGallery,
  visibleFindings,
  visibleImages,
  type DetGalleryEvent,
  type DetGalleryState,
  type FindingFilter,
} from './detectionGalleryState';

export interface DetGalleryHost {
  post(message: DetGalleryToHost): void;
}

export interface DetGalleryApp {
  receive(message: HostToDetGallery): void;
  dispatch(event: DetGalleryEvent): void;
  getState(): DetGalleryState;
}

const KIND_TITLES: Record<AnnotationFindingKind, string> = {
  'box-outside-image': 'Box outside the image',
  'zero-area-box': 'Zero-area box',
  'unknown-class': 'Unknown class',
  'malformed-line': 'Malformed line',
  'label-without-image': 'Label without image',
  'image-without-label': 'Image without label',
  'duplicate-box': 'Duplicate box',
  'tiny-box': 'Tiny box',
  'extreme-aspect-ratio': 'Extreme aspect ratio',
  'class-imbalance': 'Class imbalance',
};

/** Findings listed beside the grid at most; the filters narrow a longer list. */
const MAX_FINDINGS_LISTED = 500;

export function createDetectionGallery(root: HTMLElement, host: DetGalleryHost): DetGalleryApp {
  const doc = root.ownerDocument;
  let state = initialDetGalleryState();
  const title = el(doc, 'h1', { text: 'Detection gallery' });
  const status = el(doc, 'p', { class: 'gallery-status', attrs: { role: 'status' } });
  const classSelect = el(doc, 'select', {
    attrs: { id: 'det-class-filter', 'data-testid': 'det-class-filter', 'aria-label': 'Filter by class' },
    on: {
      change: () =>
        dispatch({
          type: 'ui/classFilter',
          classIndex: classSelect.value === '' ? null : Number(classSelect.value),
        }),
    },
  });
  const findingSelect = el(doc, 'select', {
    attrs: {
      id: 'det-finding-filter',
      'data-testid': 'det-finding-filter',
      'aria-label': 'Filter by finding',
    },
    on: {
      change: () =>
        dispatch({
          type: 'ui/findingFilter',
          filter: findingSelect.value === '' ? null : (findingSelect.value as FindingFilter),
        }),
    },
  });
  const filters = el(
    doc,
    'div',
    { class: 'det-filters' },
    el(doc, 'label', { attrs: { for: 'det-class-filter' }, text: 'Class ' }),
    classSelect,
    el(doc, 'label', { attrs: { for: 'det-finding-filter' }, text: 'Finding ' }),
    findingSelect,
  );
  const count = el(doc, 'p', { class: 'det-count', attrs: { 'data-testid': 'det-count' } });
  const grid = el(doc, 'div', {
    class: 'det-grid',
    attrs: { 'data-testid': 'det-grid', role: 'list', 'aria-label': 'Images' },
    on: { click: (e) => gridClicked(e), keydown: (e) => gridKey(e) },
  });
  const more = el(doc, 'button', {
    attrs: { type: 'button', 'data-testid': 'det-show-more' },
    text: 'Show more',
    on: { click: () => dispatch({ type: 'ui/showMore' }) },
  });
  const findingsList = el(doc, 'ul', {
    class: 'det-findings',
    attrs: { 'data-testid': 'det-findings', 'aria-label': 'Findings' },
    on: { click: (e) => findingClicked(e) },
  });
  const findingsTitle = el(doc, 'h2', { text: 'Findings' });
  const preview = el(doc, 'section', {
    class: 'det-preview',
    attrs: { 'data-testid': 'det-preview', role: 'dialog', 'aria-label': 'Image', tabindex: -1 },
    on: { keydown: (e) => previewKey(e), click: (e) => previewClicked(e) },
  });
  preview.hidden = true;
  root.replaceChildren(
    el(
      doc,
      'main',
      { class: 'det-gallery' },
      title,
      status,
      filters,
      el(
        doc,
        'div',
        { class: 'det-layout' },
        el(doc, 'div', { class: 'det-main' }, count, grid, more),
        el(doc, 'aside', { class: 'det-side' }, findingsTitle, findingsList),
      ),
      preview,
    ),
  );
  let shownPreviewKey = '';

  function gridClicked(event: Event): void {
    const tile = (event.target as Element | null)?.closest?.('[data-image]');
    const index = Number(tile?.getAttribute('data-image'));
    if (tile && Number.isInteger(index)) dispatch({ type: 'ui/select', image: index });
  }

  /** ← → step one tile, ↑ ↓ one row (tiles in the same column above or below), Home and End. */
  function gridKey(event: KeyboardEvent): void {
    const tiles = [...grid.querySelectorAll<HTMLElement>('[data-testid="det-tile"]')];
    const at = tiles.findIndex((t) => t === doc.activeElement);
    if (at === -1) return;
    const top = (t: HTMLElement | undefined) => t?.getBoundingClientRect().top ?? 0;
    const perRow = Math.max(1, tiles.filter((t) => top(t) === top(tiles[0])).length);
    const delta: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -perRow,
      ArrowDown: perRow,
      Home: -at,
      End: tiles.length - 1 - at,
    };
    if (!(event.key in delta)) return;
    tiles[Math.max(0, Math.min(tiles.length - 1, at + delta[event.key]))]?.focus();
    event.preventDefault();
  }

  function findingClicked(event: Event): void {
    const button = (event.target as Element | null)?.closest?.('[data-finding]');
    const index = Number(button?.getAttribute('data-finding'));
    if (button && Number.isInteger(index)) dispatch({ type: 'ui/selectFinding', finding: index });
  }

  function previewClicked(event: Event): void {
    const target = (event.target as Element | null)?.closest?.('[data-action]');
    if (!target || !state.selected) return;
    const action = target.getAttribute('data-action');
    if (action === 'close') dispatch({ type: 'ui/close' });
    else if (action === 'prev') dispatch({ type: 'ui/step', delta: -1 });
    else if (action === 'next') dispatch({ type: 'ui/step', delta: 1 });
    else if (action === 'open-image') dispatch({ type: 'ui/openImage', image: state.selected.image });
    else if (action === 'open-finding' && state.selected.finding !== null)
      dispatch({ type: 'ui/openFindingSource', finding: state.selected.finding });
    else if (action === 'open-box') {
      const box = Number(target.getAttribute('data-box'));
      if (Number.isInteger(box)) dispatch({ type: 'ui/openBoxSource', image: state.selected.image, box });
    }
  }

  function previewKey(event: KeyboardEvent): void {
    if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') dispatch({ type: 'ui/step', delta: -1 });
    else if (event.key === 'ArrowRight' || event.key === 'ArrowDown') dispatch({ type: 'ui/step', delta: 1 });
    else if (event.key === 'Escape') dispatch({ type: 'ui/close' });
    else return;
    event.preventDefault();
  }

  function boxesOf(image: DetGalleryImage, highlight: number | null): OverlayBox[] {
    const init = state.init;
    const names = init?.classNames ?? [];
    const out: OverlayBox[] = image.boxes.map((b, i) => ({
      box: b.box,
      classIndex: b.classIndex,
      label: names[b.classIndex] ?? `class ${b.classIndex}`,
      kind: 'truth',
      testId: 'det-box',
      data: { box: String(i) },
    }));
    const finding = highlight === null ? undefined : init?.findings[highlight];
    if (finding?.box)
      out.push({
        box: finding.box,
        classIndex: finding.classIndex ?? 0,
        label: KIND_TITLES[finding.kind],
        kind: 'truth',
        marks: ['highlight'],
        testId: 'det-highlight',
      });
    return out;
  }

  function renderOptions(): void {
    const init = state.init;
    if (!init) return;
    classSelect.replaceChildren(
      el(doc, 'option', { attrs: { value: '' }, text: 'All classes' }),
      ...init.classNames.map((name, i) => el(doc, 'option', { attrs: { value: String(i) }, text: name })),
    );
    findingSelect.replaceChildren(
      el(doc, 'option', { attrs: { value: '' }, text: 'All images' }),
      el(doc, 'option', { attrs: { value: 'any' }, text: 'Any finding' }),
      ...findingKinds(init).map((kind) =>
        el(doc, 'option', { attrs: { value: kind }, text: KIND_TITLES[kind] }),
      ),
    );
  }

  function renderGrid(): void {
    const init = state.init;
    if (!init) return;
    classSelect.value = state.classFilter === null ? '' : String(state.classFilter);
    findingSelect.value = state.findingFilter ?? '';
    const visible = visibleImages(state);
    const drawn = visible.slice(0, state.limit);
    // Redrawing replaces the tiles: the one with the keyboard focus gets it back.
    const focused = (doc.activeElement as Element | null)?.getAttribute?.('data-image') ?? null;
    count.textContent = `${visible.length.toLocaleString('en-US')} of ${init.images.length.toLocaleString('en-US')} images`;
    grid.replaceChildren(
      ...drawn.map((index) => {
        const image = init.images[index];
        const findings = state.imageFindings.get(index) ?? [];
        const name = image.path.split('/').pop() ?? image.path;
        return el(
          doc,
          'figure',
          { class: `det-tile${findings.length > 0 ? ' has-finding' : ''}`, attrs: { role: 'listitem' } },
          el(
            doc,
            'button',
            {
              class: 'det-tile-button',
              attrs: {
                type: 'button',
                'data-image': index,
                'data-testid': 'det-tile',
                'aria-label': `${name}: ${image.boxes.length} boxes${findings.length > 0 ? `, ${findings.length} findings` : ''}`,
              },
            },
            pictureWithBoxes(doc, {
              src: state.thumbs.get(index) ?? '',
              alt: name,
              size: init.thumbSize,
              width: image.width,
              height: image.height,
              boxes: boxesOf(image, null),
              labels: image.boxes.length <= 6,
            }),
          ),
          el(doc, 'figcaption', { text: name, attrs: { title: image.path } }),
          findings.length > 0
            ? el(doc, 'p', { class: 'finding', text: `⚠ ${init.findings[findings[0]].message}` })
            : null,
        );
      }),
    );
    if (focused !== null)
      grid.querySelector<HTMLElement>(`[data-testid="det-tile"][data-image="${focused}"]`)?.focus();
    more.hidden = visible.length <= state.limit;
    const list = visibleFindings(state);
    findingsTitle.textContent = `Findings (${list.length.toLocaleString('en-US')})`;
    findingsList.replaceChildren(
      ...list.slice(0, MAX_FINDINGS_LISTED).map((i) => {
        const f = init.findings[i];
        return el(
          doc,
          'li',
          { class: `severity-${f.severity}` },
          el(
            doc,
            'button',
            { attrs: { type: 'button', 'data-finding': i, 'data-testid': 'det-finding' } },
            el(doc, 'span', { class: 'det-finding-message', text: f.message }),
            el(doc, 'span', { class: 'det-finding-location', text: f.location }),
          ),
        );
      }),
    );
    const post = reduceDetGallery(state, { type: 'ui/visible', indices: drawn });
    state = post.state;
    for (const m of post.post) host.post(m);
  }

  function renderPreview(): void {
    const init = state.init;
    const selected = state.selected;
    if (!init || !selected) {
      preview.hidden = true;
      shownPreviewKey = '';
      return;
    }
    const image = init.images[selected.image];
    const src = state.previews.get(selected.image) ?? '';
    const key = `${selected.image}:${selected.finding}:${src}`;
    const wasHidden = preview.hidden;
    preview.hidden = false;
    if (key === shownPreviewKey) return;
    shownPreviewKey = key;
    const finding = selected.finding === null ? undefined : init.findings[selected.finding];
    const names = init.classNames;
    const parts: (HTMLElement | null)[] = [
      el(
        doc,
        'header',
        { class: 'det-preview-head' },
        el(doc, 'h2', { text: image.path }),
        el(doc, 'button', {
          attrs: { type: 'button', 'data-action': 'prev', 'aria-label': 'Previous image' },
          text: '←',
        }),
        el(doc, 'button', {
          attrs: { type: 'button', 'data-action': 'next', 'aria-label': 'Next image' },
          text: '→',
        }),
        el(doc, 'button', { attrs: { type: 'button', 'data-action': 'open-image' }, text: 'Open image' }),
        el(doc, 'button', {
          attrs: { type: 'button', 'data-action': 'close', 'data-testid': 'det-preview-close' },
          text: 'Close',
        }),
      ),
      finding
        ? el(
            doc,
            'p',
            {
              class: `det-preview-finding severity-${finding.severity}`,
              attrs: { 'data-testid': 'det-preview-finding' },
            },
            `${finding.message} `,
            el(
              doc,
              'button',
              {
                class: 'link',
                attrs: { type: 'button', 'data-action': 'open-finding', 'data-testid': 'det-open-label' },
              },
              `Open ${finding.location}`,
            ),
          )
        : null,
      pictureWithBoxes(doc, {
        src,
        alt: image.path,
        size: init.previewSize,
        width: image.width,
        height: image.height,
        boxes: boxesOf(image, selected.finding),
      }),
      el(
        doc,
        'ul',
        { class: 'det-box-list', attrs: { 'aria-label': 'Boxes' } },
        ...image.boxes.map((b, i) =>
          el(
            doc,
            'li',
            {},
            `${names[b.classIndex] ?? `class ${b.classIndex}`} [${b.box.map((v) => Math.round(v)).join(', ')}] `,
            el(
              doc,
              'button',
              { class: 'link', attrs: { type: 'button', 'data-action': 'open-box', 'data-box': i } },
              b.line !== null ? `line ${b.line}` : 'label file',
            ),
          ),
        ),
      ),
    ];
    preview.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
    if (wasHidden) preview.focus();
  }

  function apply(event: DetGalleryEvent): void {
    const before = state;
    const out = reduceDetGallery(state, event);
    state = out.state;
    for (const message of out.post) host.post(message);
    if (state === before) return;
    if (event.type === 'detGalleryInit') {
      title.textContent = visibleText(
        `${state.init?.datasetName ?? ''} — ${state.init?.format.toUpperCase() ?? ''} detection set`,
      );
      renderOptions();
    }
    status.textContent = visibleText(state.notice?.message ?? '');
    status.className = `gallery-status${state.notice ? ` notice-${state.notice.level}` : ''}`;
    if (
      event.type !== 'detGalleryPreview' &&
      event.type !== 'ui/close' &&
      event.type !== 'ui/select' &&
      event.type !== 'ui/step'
    )
      renderGrid();
    renderPreview();
  }

  function dispatch(event: DetGalleryEvent): void {
    apply(event);
  }

  return { receive: (m) => apply(m), dispatch, getState: () => state };
}
