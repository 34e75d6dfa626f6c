// The webview's side of the `ready` → snapshot handshake. A snapshot can be lost: VS Code drops messages
// queued for a webview document that it replaces (it reloads the document when the panel's resource
// roots change), so the webview asks again until one arrives instead of staying blank.
import type { HostToWebview } from '../../src/protocol/webviewMessages';

export interface HandshakeTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Delays before each repeated `ready`: quick at first, then every few seconds for as long as it takes. */
export const READY_RETRY_MS = [1000, 2000, 4000] as const;

export interface Handshake {
  /** Hand every host message here; the first snapshot ends the retries. */
  received(message: { type: string } | HostToWebview): void;
  /** Stops retrying (the page is going away). */
  dispose(): void;
}

/** `answer` is the message type that ends the retries: the dashboard's snapshot, the form's init. */
export function startHandshake(
  sendReady: () => void,
  timers: HandshakeTimers,
  answer: string = 'snapshot',
): Handshake {
  let attempt = 0;
  let handle: unknown = null;
  const schedule = (): void => {
    const delay = READY_RETRY_MS[Math.min(attempt, READY_RETRY_MS.length - 1)];
    attempt++;
    handle = timers.setTimeout(() => {
      handle = null;
      sendReady();
      schedule();
    }, delay);
  };
  const stop = (): void => {
    if (handle !== null) timers.clearTimeout(handle);
    handle = null;
  };
  sendReady();
  schedule();
  return {
    received(message) {
      if (message.type === answer) stop();
    },
    dispose: stop,
  };
}
