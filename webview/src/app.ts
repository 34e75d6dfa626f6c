// The dashboard app: holds the state, runs the reducer, posts the messages an action implies, and
// rebuilds only the sections whose inputs changed. It gets its root element and the host channel from
// outside, so tests and the benchmark drive it in jsdom or Chromium exactly as the webview does.
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewMessages';
import { el } from './dom';
import {
  type Action,
  type DashboardState,
  initialState,
  isDetectionRun,
  reduce,
  type UiState,
} from './state';
import { compareSections } from './views/comparePage';
import { matrixSections } from './views/confusionMatrix';
import { patchOf, type Section, type ViewContext } from './views/context';
import { detectionSections } from './views/detectionPage';
import { renderHeader } from './views/header';
import { runSections } from './views/runPage';
import { tableRows } from './views/tableModel';

export interface DashboardHost {
  post(message: WebviewToHost): void;
  /** Called when the user's choices change, to persist them (vscode.setState). */
  saveUi?(ui: UiState): void;
}

export interface Dashboard {
  receive(message: HostToWebview): void;
  dispatch(action: Action): void;
  getState(): DashboardState;
}

/** How many runs the compare page selects by itself when the user has selected none. */
const DEFAULT_COMPARED = 5;

interface Mounted {
  section: Section<DashboardState>;
  container: HTMLElement;
  inputs: readonly unknown[] | null;
}

const header: Section<DashboardState> = {
  key: 'header',
  // The picker shows ids, statuses and groups only: a new epoch of some run does not rebuild it.
  inputs: (s) => [
    s.runs.map((r) => `${r.id}\u0000${r.status}\u0000${r.group ?? ''}`).join('\n'),
    s.selectedRunId,
    s.page,
    s.notice,
    s.loaded,
  ],
  render: renderHeader,
};

function panel(
  doc: Document,
  title: string,
  className: string,
  ...keys: string[]
): { node: HTMLElement; slots: Record<string, HTMLElement> } {
  const slots: Record<string, HTMLElement> = {};
  const node = el(
    doc,
    'section',
    { class: `panel ${className}`, attrs: { 'aria-label': title } },
    el(doc, 'h2', { text: title }),
  );
  for (const key of keys) {
    slots[key] = el(doc, 'div', { class: `slot slot-${key}` });
    node.appendChild(slots[key]);
  }
  return { node, slots };
}

/** Which layout the page uses: a detection run's page has its own panels. */
type LayoutKey = 'run' | 'run-detect' | 'compare';

function layoutKey(state: DashboardState): LayoutKey {
  if (state.page !== 'run') return 'compare';
  return isDetectionRun(state.details) ? 'run-detect' : 'run';
}

/** Run-page sections a detection run shares with a classification run. */
const SHARED_RUN_SECTIONS = new Set(['summary', 'config', 'curve-controls']);

function sectionsOf(key: LayoutKey): Section<DashboardState>[] {
  if (key === 'run') return [...runSections, ...matrixSections];
  if (key === 'run-detect')
    return [...runSections.filter((s) => SHARED_RUN_SECTIONS.has(s.key)), ...detectionSections];
  return compareSections;
}

/** The page layout: headed panels, each holding the containers of its sections. */
function layout(
  doc: Document,
  page: LayoutKey,
): { nodes: HTMLElement[]; slots: Record<string, HTMLElement> } {
  const parts =
    page === 'run-detect'
      ? [
          panel(doc, 'Run', 'half', 'summary', 'config'),
          panel(doc, 'Average precision', 'half', 'detection-headline', 'detection-class-table'),
          panel(doc, 'Curves', 'wide', 'curve-controls', 'detection-curves'),
          panel(doc, 'Precision–recall curves', 'wide', 'detection-pr'),
          panel(doc, 'Detection confusion matrix', 'wide panel-confusion', 'detection-matrix'),
        ]
      : page === 'run'
        ? [
            panel(doc, 'Run', 'half', 'summary', 'config'),
            panel(doc, 'Per-class metrics', 'half', 'class-table'),
            panel(doc, 'Curves', 'wide', 'curve-controls', 'curves'),
            panel(doc, 'Confusion matrix', 'wide panel-confusion', 'matrix', 'examples'),
          ]
        : [
            panel(doc, 'All runs', 'wide', 'compare-toolbar', 'compare-table'),
            panel(doc, 'Curves of the selected runs', 'half', 'overlay'),
            panel(doc, 'Two runs side by side', 'half', 'compare-parents', 'diff'),
            panel(doc, 'Hyperparameters against a metric', 'wide', 'parallel'),
            panel(doc, 'Learning-rate finder', 'half', 'lr-find'),
          ];
  return { nodes: parts.map((p) => p.node), slots: Object.assign({}, ...parts.map((p) => p.slots)) };
}

function sameInputs(a: readonly unknown[] | null, b: readonly unknown[]): boolean {
  return a !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Patch or rebuild a section, keeping keyboard focus and scroll positions where they were. */
function rebuild(mounted: Mounted, state: DashboardState, ctx: ViewContext): void {
  const { container } = mounted;
  const active = ctx.doc.activeElement;
  // Only while the dashboard has the keyboard: moving focus inside a webview that is not focused pulls
  // the window's focus into it, which closes an open quick pick or steals it from the editor.
  const focusKey =
    active && container.contains(active) && ctx.doc.hasFocus() ? active.getAttribute('data-key') : null;
  const patch = patchOf(container.firstChild);
  if (!patch || !patch(state)) {
    const scrolls = [...container.querySelectorAll<HTMLElement>('.table-scroll, .matrix-scroll')].map(
      (e) => e.scrollTop,
    );
    container.replaceChildren(mounted.section.render(state, ctx));
    container.querySelectorAll<HTMLElement>('.table-scroll, .matrix-scroll').forEach((e, i) => {
      if (scrolls[i]) e.scrollTop = scrolls[i];
    });
  }
  if (focusKey && ctx.doc.activeElement !== active) {
    for (const candidate of container.querySelectorAll<HTMLElement>('[data-key]')) {
      if (candidate.getAttribute('data-key') === focusKey) {
        candidate.focus();
        break;
      }
    }
  }
}

/** The host messages an action implies (selection and navigation live on the host too). */
function effects(
  before: DashboardState,
  after: DashboardState,
  action: Action,
  autoSelected: boolean,
): WebviewToHost[] {
  const out: WebviewToHost[] = [];
  const byUser = action.type.startsWith('ui/');
  if (
    action.type === 'ui/selectRun' &&
    after.selectedRunId &&
    after.selectedRunId !== before.details?.summary.id
  ) {
    out.push({ type: 'selectRun', runId: after.selectedRunId });
  }
  if (after.page !== before.page && byUser) out.push({ type: 'showPage', page: after.page });
  if (after.compareRunIds !== before.compareRunIds && (byUser || autoSelected)) {
    out.push({ type: 'requestCompare', runIds: after.compareRunIds });
  }
  return out;
}

export function createDashboard(
  root: HTMLElement,
  host: DashboardHost,
  savedUi: Partial<UiState> = {},
): Dashboard {
  const doc = root.ownerDocument;
  let state = initialState(savedUi);
  let mountedPage: LayoutKey | null = null;
  let mounted: Mounted[] = [];
  const headerSlot = el(doc, 'header', { class: 'topbar' });
  const main = el(doc, 'main', { class: 'page' });
  root.replaceChildren(headerSlot, main);
  const headerMount: Mounted = { section: header, container: headerSlot, inputs: null };

  const ctx: ViewContext = {
    doc,
    getState: () => state,
    dispatch: (action) => dispatch(action),
    post: (message) => host.post(message),
  };

  function render(): void {
    const key = layoutKey(state);
    if (mountedPage !== key) {
      const { nodes, slots } = layout(doc, key);
      main.replaceChildren(...nodes);
      mounted = sectionsOf(key).map((section) => ({ section, container: slots[section.key], inputs: null }));
      mountedPage = key;
    }
    for (const m of [headerMount, ...mounted]) {
      const inputs = m.section.inputs(state);
      if (sameInputs(m.inputs, inputs)) continue;
      m.inputs = inputs;
      rebuild(m, state, ctx);
    }
  }

  function apply(action: Action): void {
    const before = state;
    state = reduce(state, action);
    if (state === before) return;
    // Entering the compare page with nothing selected selects the table's first runs (newest, by
    // default) rather than show nothing.
    const autoSelected =
      state.page === 'compare' &&
      before.page !== 'compare' &&
      state.compareRunIds.length === 0 &&
      state.runs.length > 0;
    if (autoSelected) {
      state = reduce(state, {
        type: 'ui/setCompareRuns',
        runIds: tableRows(state)
          .slice(0, DEFAULT_COMPARED)
          .map((r) => r.id),
      });
    }
    for (const message of effects(before, state, action, autoSelected)) host.post(message);
    if (state.ui !== before.ui) host.saveUi?.(state.ui);
    render();
  }

  function dispatch(action: Action): void {
    apply(action);
  }

  render();
  return { receive: (message) => apply(message), dispatch, getState: () => state };
}
