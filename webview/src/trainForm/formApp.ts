// The New Training form app: holds the state, runs the reducer, posts what it says to post, and brings
// the DOM up to date. Gets its root and host channel from outside, so tests drive it in jsdom.
import type { FormToHost, HostToForm } from '../../../src/protocol/trainFormMessages';
import { buildForm, type FormView } from './formView';
import { type FormEvent, type FormState, initialFormState, reduceForm } from './formState';

export interface FormHost {
  post(message: FormToHost): void;
}

export interface TrainFormApp {
  receive(message: HostToForm): void;
  dispatch(event: FormEvent): void;
  getState(): FormState;
}

export function createTrainForm(root: HTMLElement, host: FormHost): TrainFormApp {
  let state = initialFormState();
  let view: FormView | null = null;
  const loading = root.ownerDocument.createElement('p');
  loading.textContent = 'Loading…';
  root.replaceChildren(loading);

  function apply(event: FormEvent): void {
    const before = state;
    const { state: next, post } = reduceForm(state, event);
    state = next;
    for (const message of post) host.post(message);
    if (event.type === 'init' || !view) view = buildForm(root, state, (a) => apply(a));
    else if (state !== before) view.update(state);
  }

  return { receive: (m) => apply(m), dispatch: (e) => apply(e), getState: () => state };
}
