// The New Training form app: holds the state, runs the reducer, posts what it says to post, and brings
// the DOM up to date. Gets its root and host channel from outside, so tests drive it in jsdom.
import type { FormToHost, HostToForm } from '../../../src/protocol/trainFormMessages';
import { buildForm, type FormView } from './formView';
import { type FormEvent, type FormState, initialFormState, reduceForm } from './formState';

export interface FormHost {
  post(message: FormToHost): void;
}

/** Timers for the preview's debounce (the window's in the webview; tests pass their own). */
export interface FormTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TrainFormApp {
  receive(message: HostToForm): void;
  dispatch(event: FormEvent): void;
  getState(): FormState;
}

/** A preview request waits this long for the next keystroke: typing "0.25" draws once, not four times. */
export const PREVIEW_DEBOUNCE_MS = 350;

const defaultTimers: FormTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createTrainForm(
  root: HTMLElement,
  host: FormHost,
  timers: FormTimers = defaultTimers,
): TrainFormApp {
  let state = initialFormState();
  let view: FormView | null = null;
  let previewTimer: unknown = null;
  const loading = root.ownerDocument.createElement('p');
  loading.textContent = 'Loading…';
  root.replaceChildren(loading);

  function send(message: FormToHost): void {
    if (message.type !== 'previewAugmentation') {
      host.post(message);
      return;
    }
    // Only the newest request goes out, once the settings rest.
    if (previewTimer !== null) timers.clearTimeout(previewTimer);
    previewTimer = timers.setTimeout(() => {
      previewTimer = null;
      host.post(message);
    }, PREVIEW_DEBOUNCE_MS);
  }

  function apply(event: FormEvent): void {
    const before = state;
    const { state: next, post } = reduceForm(state, event);
    state = next;
    for (const message of post) send(message);
    if (event.type === 'init' || !view) view = buildForm(root, state, (a) => apply(a));
    else if (state !== before) view.update(state);
  }

  return { receive: (m) => apply(m), dispatch: (e) => apply(e), getState: () => state };
}
