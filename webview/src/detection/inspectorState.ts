// The detection inspector's state and pure reducer (issue 18): the confidence threshold the slider sets,
// the filter (every image, images with false positives, images with misses), overlaid or side-by-side
// pictures, the page of images drawn, and the pictures asked of the host. Which prediction is a false
// positive and which truth box is missed is core/detection/predictionMatching.ts (IoU 0.5, same class).
import { matchPredictions, type ImageMatch } from '../../../src/core/detection/predictionMatching';
import type {
  HostToInspector,
  InspectorImage,
  InspectorInit,
  InspectorToHost,
} from '../../../src/protocol/inspectorMessages';

export type InspectorFilter = 'all' | 'false-positives' | 'misses';
export type InspectorLayout = 'overlay' | 'side-by-side';

export interface InspectorState {
  init: InspectorInit | null;
  problem: string | null;
  confidence: number;
  filter: InspectorFilter;
  layout: InspectorLayout;
  limit: number;
  pictures: Map<number, string>;
  requested: Set<number>;
  notice: string | null;
}

export type InspectorUiAction =
  | { type: 'ui/confidence'; value: number }
  | { type: 'ui/filter'; filter: InspectorFilter }
  | { type: 'ui/layout'; layout: InspectorLayout }
  | { type: 'ui/showMore' }
  | { type: 'ui/visible'; indices: number[] }
  | { type: 'ui/openImage'; image: number };

export type InspectorEvent = HostToInspector | InspectorUiAction;

export const INSPECTOR_PAGE = 24;

export function initialInspectorState(): InspectorState {
  return {
    init: null,
    problem: null,
    confidence: 0.25,
    filter: 'all',
    layout: 'overlay',
    limit: INSPECTOR_PAGE,
    pictures: new Map(),
    requested: new Set(),
    notice: null,
  };
}

export function matchImage(init: InspectorInit, image: InspectorImage, confidence: number): ImageMatch {
  const label = (i: number): string => init.labels[i] ?? `class ${i}`;
  return matchPredictions(
    image.truth.map((t) => ({ label: label(t.classIndex), box: t.box })),
    image.predicted.map((p) => ({ label: label(p.classIndex), box: p.box, confidence: p.confidence })),
    confidence,
    init.iouThreshold,
  );
}

export interface InspectorSummary {
  /** Images the filter leaves, in file order. */
  images: number[];
  matches: Map<number, ImageMatch>;
  falsePositives: number;
  misses: number;
  truePositives: number;
}

/** Matches every image at the current threshold, totals them, and applies the filter. */
export function summarize(state: InspectorState): InspectorSummary {
  const init = state.init;
  const out: InspectorSummary = {
    images: [],
    matches: new Map(),
    falsePositives: 0,
    misses: 0,
    truePositives: 0,
  };
  if (!init) return out;
  for (const image of init.images) {
    const match = matchImage(init, image, state.confidence);
    out.matches.set(image.index, match);
    out.falsePositives += match.falsePositives.length;
    out.misses += match.misses.length;
    out.truePositives += match.matched.size;
    if (
      state.filter === 'all' ||
      (state.filter === 'false-positives' && match.falsePositives.length > 0) ||
      (state.filter === 'misses' && match.misses.length > 0)
    )
      out.images.push(image.index);
  }
  return out;
}

/** A threshold from the slider, kept between the file's floor and 1 and rounded to the slider's step. */
export function clampConfidence(value: number, floor: number): number {
  if (!Number.isFinite(value)) return Math.max(floor, 0.25);
  return Math.min(1, Math.max(floor, Math.round(value * 100) / 100));
}

export function reduceInspector(
  state: InspectorState,
  event: InspectorEvent,
): { state: InspectorState; post: InspectorToHost[] } {
  const none = (next: InspectorState) => ({ state: next, post: [] as InspectorToHost[] });
  switch (event.type) {
    case 'inspectorInit':
      return none({
        ...initialInspectorState(),
        init: event.init,
        problem: event.problem,
        confidence: event.init ? clampConfidence(event.init.confidence, event.init.confidenceFloor) : 0.25,
      });
    case 'inspectorPictures': {
      const pictures = new Map(state.pictures);
      for (const { index, uri } of event.pictures) pictures.set(index, uri);
      return none({ ...state, pictures });
    }
    case 'inspectorNotice':
      return none({ ...state, notice: event.message });
    case 'ui/confidence': {
      if (!state.init) return none(state);
      const confidence = clampConfidence(event.value, state.init.confidenceFloor);
      return none(confidence === state.confidence ? state : { ...state, confidence });
    }
    case 'ui/filter':
      return none(
        event.filter === state.filter ? state : { ...state, filter: event.filter, limit: INSPECTOR_PAGE },
      );
    case 'ui/layout':
      return none(event.layout === state.layout ? state : { ...state, layout: event.layout });
    case 'ui/showMore':
      return none({ ...state, limit: state.limit + INSPECTOR_PAGE });
    case 'ui/visible': {
      const wanted = event.indices.filter(
        (i) => !state.requested.has(i) && !state.pictures.has(i) && Boolean(state.init?.images[i]),
      );
      if (wanted.length === 0) return none(state);
      const requested = new Set(state.requested);
      for (const i of wanted) requested.add(i);
      return {
        state: { ...state, requested },
        post: [{ type: 'requestPictures', indices: wanted.slice(0, 500) }],
      };
    }
    case 'ui/openImage':
      return {
        state,
        post: state.init?.images[event.image] ? [{ type: 'openImage', index: event.image }] : [],
      };
    default:
      return none(state);
  }
}
