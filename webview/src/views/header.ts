// The top bar: page tabs, the run picker, and the host's notices.
import { DASHBOARD_PAGES } from '../../../src/protocol/webviewMessages';
import { button, el } from '../dom';
import type { DashboardState } from '../state';
import type { ViewContext } from './context';

const PAGE_LABELS = { run: 'Run', compare: 'Compare runs' } as const;

export function renderHeader(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const tabs = el(doc, 'div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Dashboard pages' } });
  for (const page of DASHBOARD_PAGES) {
    const active = state.page === page;
    tabs.appendChild(
      el(doc, 'button', {
        class: `tab${active ? ' active' : ''}`,
        attrs: {
          type: 'button',
          role: 'tab',
          'aria-selected': active ? 'true' : 'false',
          'data-key': `tab-${page}`,
        },
        text: PAGE_LABELS[page],
        on: {
          click: () => ctx.dispatch({ type: 'ui/showPage', page }),
          keydown: (e) => {
            // Arrow keys move between tabs, as the ARIA tabs pattern expects.
            if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
            const other = DASHBOARD_PAGES.find((p) => p !== page);
            if (other) ctx.dispatch({ type: 'ui/showPage', page: other });
          },
        },
      }),
    );
  }
  const picker = el(doc, 'select', {
    attrs: { id: 'run-picker', 'data-key': 'run-picker', disabled: state.runs.length === 0 },
    on: {
      change: (e) => ctx.dispatch({ type: 'ui/selectRun', runId: (e.target as HTMLSelectElement).value }),
    },
  });
  if (state.selectedRunId === null)
    picker.appendChild(el(doc, 'option', { attrs: { value: '' }, text: '(choose a run)' }));
  for (const run of state.runs) {
    const option = el(doc, 'option', {
      attrs: { value: run.id },
      text: `${run.id} · ${run.status}${run.group ? ` · ${run.group}` : ''}`,
    });
    option.selected = run.id === state.selectedRunId;
    picker.appendChild(option);
  }
  const notice = state.notice
    ? el(
        doc,
        'div',
        {
          class: `notice ${state.notice.level}`,
          attrs: { role: state.notice.level === 'error' ? 'alert' : 'status' },
        },
        el(doc, 'span', { text: state.notice.message }),
        button(doc, 'Dismiss', () => ctx.dispatch({ type: 'ui/dismissNotice' }), {
          attrs: { 'data-key': 'dismiss-notice' },
        }),
      )
    : null;
  return el(
    doc,
    'div',
    { class: 'topbar-inner' },
    el(doc, 'h1', { text: 'Image Trainer' }),
    tabs,
    el(doc, 'label', { attrs: { for: 'run-picker' }, text: 'Run' }),
    picker,
    state.loaded ? null : el(doc, 'span', { class: 'loading', text: 'Loading runs…' }),
    notice,
  );
}
