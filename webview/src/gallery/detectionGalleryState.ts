// The detection gallery's state and its pure reducer (issue 18): which images the class and finding
// filters leave, how many tiles are drawn, which thumbnails and previews to ask for, and which image is
// open large with which finding. Tested in node without a browser.
import type { AnnotationFindingKind } from '../../../src/protocol/detection';
import type {
  DetGalleryFocus,
  DetGalleryInit,
  DetGalleryToHost,
  HostToDetGallery,
} from '../../../src/protocol/detectionGalleryMessages';

/** null: every image; 'any': images with at least one finding; a kind: images with a finding of it. */
export type FindingFilter = AnnotationFindingKind | 'any' | null;

export interface DetGalleryState {
  init: DetGalleryInit | null;
  /** image index → indices of its findings. */
  imageFindings: Map<number, number[]>;
  classFilter: number | null;
  findingFilter: FindingFilter;
  /** Tiles drawn (a page more on Show more). */
  limit: number;
  thumbs: Map<number, string>;
  requested: Set<number>;
  selected: { image: number; finding: number | null } | null;
  previews: Map<number, string>;
  previewRequested: Set<number>;
  notice: { level: 'info' | 'error'; message: string } | null;
}

export type DetGalleryUiAction =
  | { type: 'ui/classFilter'; classIndex: number | null }
  | { type: 'ui/findingFilter'; filter: FindingFilter }
  | { type: 'ui/showMore' }
  | { type: 'ui/visible'; indices: number[] }
  | { type: 'ui/select'; image: number; finding?: number | null }
  | { type: 'ui/selectFinding'; finding: number }
  | { type: 'ui/step'; delta: number }
  | { type: 'ui/close' }
  | { type: 'ui/openBoxSource'; image: number; box: number }
  | { type: 'ui/openFindingSource'; finding: number }
  | { type: 'ui/openImage'; image: number };

export type DetGalleryEvent = HostToDetGallery | DetGalleryUiAction;

export const DET_PAGE = 120;

export function initialDetGalleryState(): DetGalleryState {
  return {
    init: null,
    imageFindings: new Map(),
    classFilter: null,
    findingFilter: null,
    limit: DET_PAGE,
    thumbs: new Map(),
    requested: new Set(),
    selected: null,
    previews: new Map(),
    previewRequested: new Set(),
    notice: null,
  };
}

/** Does `image` pass the filters? Class: it has a box of the class, or a finding about the class. */
export function imagePasses(state: DetGalleryState, image: number): boolean {
  const init = state.init;
  const item = init?.images[image];
  if (!init || !item) return false;
  const findings = (state.imageFindings.get(image) ?? []).map((i) => init.findings[i]);
  if (state.classFilter !== null) {
    const cls = state.classFilter;
    if (!item.boxes.some((b) => b.classIndex === cls) && !findings.some((f) => f.classIndex === cls))
      return false;
  }
  if (state.findingFilter === 'any') return findings.length > 0;
  if (state.findingFilter !== null) return findings.some((f) => f.kind === state.findingFilter);
  return true;
}

/** Indices of the images the filters leave, in the set's order. */
export function visibleImages(state: DetGalleryState): number[] {
  const init = state.init;
  if (!init) return [];
  const out: number[] = [];
  for (let i = 0; i < init.images.length; i++) if (imagePasses(state, i)) out.push(i);
  return out;
}

/** Findings the filters leave (the list beside the grid), findings without an image included. */
export function visibleFindings(state: DetGalleryState): number[] {
  const init = state.init;
  if (!init) return [];
  return init.findings
    .filter((f) => {
      if (state.classFilter !== null && f.classIndex !== state.classFilter) {
        // A finding about an image with boxes of the class stays: the image is shown.
        if (f.image === null || !init.images[f.image]?.boxes.some((b) => b.classIndex === state.classFilter))
          return false;
      }
      if (state.findingFilter !== null && state.findingFilter !== 'any' && f.kind !== state.findingFilter)
        return false;
      return true;
    })
    .map((f) => f.index);
}

/** Finding kinds present in the set, for the filter's options. */
export function findingKinds(init: DetGalleryInit): AnnotationFindingKind[] {
  return [...new Set(init.findings.map((f) => f.kind))];
}

function indexFindings(init: DetGalleryInit): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const f of init.findings) {
    if (f.image === null) continue;
    const list = out.get(f.image) ?? [];
    list.push(f.index);
    out.set(f.image, list);
  }
  return out;
}

type Result = { state: DetGalleryState; post: DetGalleryToHost[] };

function select(state: DetGalleryState, image: number, finding: number | null): Result {
  if (!state.init?.images[image]) return { state, post: [] };
  const post: DetGalleryToHost[] = [];
  let previewRequested = state.previewRequested;
  if (!state.previews.has(image) && !previewRequested.has(image)) {
    previewRequested = new Set(previewRequested);
    previewRequested.add(image);
    post.push({ type: 'requestPreview', index: image });
  }
  return { state: { ...state, selected: { image, finding }, previewRequested }, post };
}

function applyFocus(state: DetGalleryState, focus: DetGalleryFocus): Result {
  const init = state.init;
  if (!init) return { state, post: [] };
  const classIndex = focus.className === null ? null : init.classNames.indexOf(focus.className);
  let next: DetGalleryState = {
    ...state,
    classFilter: classIndex !== null && classIndex >= 0 ? classIndex : null,
    findingFilter: null,
    selected: null,
    limit: DET_PAGE,
  };
  const finding = focus.finding === null ? undefined : init.findings[focus.finding];
  if (!finding) return { state: next, post: [] };
  next = { ...next, findingFilter: finding.kind };
  if (finding.image === null) return { state: next, post: [] };
  return select(next, finding.image, finding.index);
}

export function reduceDetGallery(state: DetGalleryState, event: DetGalleryEvent): Result {
  const none = (next: DetGalleryState): Result => ({ state: next, post: [] });
  switch (event.type) {
    case 'detGalleryInit': {
      const fresh: DetGalleryState = {
        ...initialDetGalleryState(),
        init: event.init,
        imageFindings: indexFindings(event.init),
      };
      return applyFocus(fresh, event.init.focus);
    }
    case 'detGalleryFocus':
      return applyFocus(state, event.focus);
    case 'detGalleryThumbs': {
      const thumbs = new Map(state.thumbs);
      for (const { index, thumb } of event.thumbs) thumbs.set(index, thumb);
      return none({ ...state, thumbs });
    }
    case 'detGalleryPreview': {
      const previews = new Map(state.previews);
      previews.set(event.index, event.uri);
      return none({ ...state, previews });
    }
    case 'detGalleryNotice':
      return none({ ...state, notice: { level: event.level, message: event.message } });
    case 'ui/classFilter':
      if (
        event.classIndex !== null &&
        !(state.init && event.classIndex >= 0 && event.classIndex < state.init.classNames.length)
      )
        return none(state);
      return none({ ...state, classFilter: event.classIndex, limit: DET_PAGE });
    case 'ui/findingFilter':
      return none({ ...state, findingFilter: event.filter, limit: DET_PAGE });
    case 'ui/showMore':
      return none({ ...state, limit: state.limit + DET_PAGE });
    case 'ui/visible': {
      const wanted = event.indices.filter(
        (i) => !state.requested.has(i) && !state.thumbs.has(i) && Boolean(state.init?.images[i]),
      );
      if (wanted.length === 0) return none(state);
      const requested = new Set(state.requested);
      for (const i of wanted) requested.add(i);
      const post: DetGalleryToHost[] = [];
      for (let i = 0; i < wanted.length; i += 500)
        post.push({ type: 'requestThumbs', indices: wanted.slice(i, i + 500) });
      return { state: { ...state, requested }, post };
    }
    case 'ui/select':
      return select(state, event.image, event.finding ?? null);
    case 'ui/selectFinding': {
      const finding = state.init?.findings[event.finding];
      if (!finding) return none(state);
      // A finding with no image (class imbalance, a label file without its image): its file is what to see.
      if (finding.image === null)
        return { state, post: [{ type: 'openFindingSource', finding: finding.index }] };
      return select(state, finding.image, finding.index);
    }
    case 'ui/step': {
      if (!state.selected) return none(state);
      const list = visibleImages(state);
      const at = list.indexOf(state.selected.image);
      const next = list[at === -1 ? 0 : Math.max(0, Math.min(list.length - 1, at + event.delta))];
      if (next === undefined || next === state.selected.image) return none(state);
      return select(state, next, null);
    }
    case 'ui/close':
      return none({ ...state, selected: null });
    case 'ui/openBoxSource':
      return { state, post: [{ type: 'openBoxSource', image: event.image, box: event.box }] };
    case 'ui/openFindingSource':
      return { state, post: [{ type: 'openFindingSource', finding: event.finding }] };
    case 'ui/openImage':
      return { state, post: [{ type: 'openImage', index: event.image }] };
    default:
      return none(state);
  }
}
