// Runs the dashboard app in jsdom and records what it posts to the host, so component tests drive it
// with the same messages the host sends.
import { JSDOM } from 'jsdom';
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewMessages';
import { createDashboard, type Dashboard } from '../../webview/src/app';

export interface Harness {
  dom: JSDOM;
  window: JSDOM['window'];
  document: Document;
  root: HTMLElement;
  app: Dashboard;
  posted: WebviewToHost[];
  send(message: HostToWebview): void;
  click(element: Element): void;
  key(element: Element, key: string): void;
  all(selector: string): HTMLElement[];
  one(selector: string): HTMLElement;
}

export function mountDashboard(): Harness {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>', {
    pretendToBeVisual: true,
  });
  const { window } = dom;
  const document = window.document;
  const root = document.getElementById('app') as HTMLElement;
  const posted: WebviewToHost[] = [];
  const app = createDashboard(root, { post: (m) => posted.push(m) });
  const all = (selector: string) => [...root.querySelectorAll<HTMLElement>(selector)];
  return {
    dom,
    window,
    document,
    root,
    app,
    posted,
    send: (message) => app.receive(message),
    click: (element) => element.dispatchEvent(new window.MouseEvent('click', { bubbles: true })),
    key: (element, key) =>
      element.dispatchEvent(new window.KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })),
    all,
    one: (selector) => {
      const found = all(selector);
      if (found.length === 0) throw new Error(`nothing matches ${selector}`);
      return found[0];
    },
  };
}

/** Number of points in an SVG polyline's `points` attribute. */
export function pointCount(polyline: Element): number {
  const points = polyline.getAttribute('points')?.trim() ?? '';
  return points === '' ? 0 : points.split(/\s+/).length;
}
