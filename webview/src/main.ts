// Webview entry (bundled to dist/webview.js as an iife): wires the dashboard to the VS Code webview API.
// Registers <vscode-button>; only here, so the views also run in node/jsdom tests without it.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { isHostToWebview, type WebviewToHost } from '../../src/protocol/webviewMessages';
import { createDashboard } from './app';
import { isRecord } from '../../src/protocol/guards';
import { sanitizeUi, type UiState } from './state';
import { startHandshake } from './handshake';
import { isHostToForm, type FormToHost } from '../../src/protocol/trainFormMessages';
import { createTrainForm } from './trainForm/formApp';
import { isHostToGallery, type GalleryToHost } from '../../src/protocol/galleryMessages';
import { createGallery } from './gallery/galleryView';
import { isHostToClassify, type ClassifyToHost } from '../../src/protocol/classifyMessages';
import { createClassifyView } from './classify/classifyView';
import { isHostToDetGallery, type DetGalleryToHost } from '../../src/protocol/detectionGalleryMessages';
import { createDetectionGallery } from './gallery/detectionGalleryView';
import { isHostToInspector, type InspectorToHost } from '../../src/protocol/inspectorMessages';
import { createInspector } from './detection/inspectorView';

interface VsCodeApi<Out = WebviewToHost> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

function savedUi(api: VsCodeApi): Partial<UiState> {
  const saved = api.getState();
  return isRecord(saved) ? sanitizeUi(saved.ui) : {};
}

/** The New Training form: its own protocol (trainFormMessages.ts), the same CSP and bundle. */
function startTrainForm(api: VsCodeApi<FormToHost>, root: HTMLElement): void {
  const form = createTrainForm(root, { post: (message) => api.postMessage(message) });
  const handshake = startHandshake(
    () => api.postMessage({ type: 'ready' }),
    {
      setTimeout: (callback, ms) => window.setTimeout(callback, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    'init',
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!isHostToForm(event.data)) return;
    handshake.received(event.data);
    form.receive(event.data);
  });
}

/** The class gallery: its own protocol (galleryMessages.ts), the same CSP and bundle. */
function startGallery(api: VsCodeApi<GalleryToHost>, root: HTMLElement): void {
  const gallery = createGallery(root, {
    post: (message) => api.postMessage(message),
    frame: (callback) => window.requestAnimationFrame(callback),
  });
  const handshake = startHandshake(
    () => api.postMessage({ type: 'ready' }),
    {
      setTimeout: (callback, ms) => window.setTimeout(callback, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    'galleryInit',
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!isHostToGallery(event.data)) return;
    handshake.received(event.data);
    gallery.receive(event.data);
  });
  window.addEventListener('resize', () => gallery.layout());
}

/** The detection gallery (issue 18): its own protocol (detectionGalleryMessages.ts), the same CSP and bundle. */
function startDetectionGallery(api: VsCodeApi<DetGalleryToHost>, root: HTMLElement): void {
  const gallery = createDetectionGallery(root, { post: (message) => api.postMessage(message) });
  const handshake = startHandshake(
    () => api.postMessage({ type: 'ready' }),
    {
      setTimeout: (callback, ms) => window.setTimeout(callback, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    'detGalleryInit',
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!isHostToDetGallery(event.data)) return;
    // A notice before the set means the host answered and could not read it: asking again would only
    // repeat the error, so it ends the retries too.
    handshake.received(event.data.type === 'detGalleryNotice' ? { type: 'detGalleryInit' } : event.data);
    gallery.receive(event.data);
  });
}

/** The inspector of a detection run's predictions (issue 18): its own protocol (inspectorMessages.ts). */
function startInspector(api: VsCodeApi<InspectorToHost>, root: HTMLElement): void {
  const inspector = createInspector(root, { post: (message) => api.postMessage(message) });
  const handshake = startHandshake(
    () => api.postMessage({ type: 'ready' }),
    {
      setTimeout: (callback, ms) => window.setTimeout(callback, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    'inspectorInit',
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!isHostToInspector(event.data)) return;
    handshake.received(event.data.type === 'inspectorNotice' ? { type: 'inspectorInit' } : event.data);
    inspector.receive(event.data);
  });
}

function startClassify(api: VsCodeApi<ClassifyToHost>, root: HTMLElement): void {
  const view = createClassifyView(root, { post: (message) => api.postMessage(message) });
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isHostToClassify(event.data)) view.receive(event.data);
  });
  api.postMessage({ type: 'ready' });
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  if (root.dataset.app === 'classify') {
    startClassify(acquireVsCodeApi() as unknown as VsCodeApi<ClassifyToHost>, root);
    return;
  }
  if (root.dataset.app === 'detection-gallery') {
    startDetectionGallery(acquireVsCodeApi() as unknown as VsCodeApi<DetGalleryToHost>, root);
    return;
  }
  if (root.dataset.app === 'detection-inspector') {
    startInspector(acquireVsCodeApi() as unknown as VsCodeApi<InspectorToHost>, root);
    return;
  }
  if (root.dataset.app === 'gallery') {
    startGallery(acquireVsCodeApi() as unknown as VsCodeApi<GalleryToHost>, root);
    return;
  }
  if (root.dataset.app === 'train-form') {
    startTrainForm(acquireVsCodeApi() as unknown as VsCodeApi<FormToHost>, root);
    return;
  }
  const api = acquireVsCodeApi();
  const dashboard = createDashboard(
    root,
    { post: (message) => api.postMessage(message), saveUi: (ui) => api.setState({ ui }) },
    savedUi(api),
  );
  const handshake = startHandshake(() => api.postMessage({ type: 'ready' }), {
    setTimeout: (callback, ms) => window.setTimeout(callback, ms),
    clearTimeout: (handle) => window.clearTimeout(handle as number),
  });
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    // Anything that is not a well-formed host message is dropped, not half-applied.
    if (!isHostToWebview(event.data)) return;
    handshake.received(event.data);
    dashboard.receive(event.data);
  });
}

start();
