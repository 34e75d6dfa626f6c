import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READY_RETRY_MS, startHandshake, type HandshakeTimers } from '../../webview/src/handshake';
import { makeSnapshot } from './fixtures';

/** Timers run by hand: `advance` fires whatever is due, in order. */
function manualTimers(): HandshakeTimers & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 1;
  const due = new Map<number, { at: number; callback: () => void }>();
  return {
    setTimeout(callback, ms) {
      const id = nextId++;
      due.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].callback();
      }
      now = end;
    },
    pending: () => due.size,
  };
}

test('ready is sent at once and repeated until a snapshot arrives, then never again', () => {
  const timers = manualTimers();
  let readies = 0;
  const handshake = startHandshake(() => readies++, timers);
  assert.equal(readies, 1, 'the first ready goes out immediately');
  timers.advance(READY_RETRY_MS[0] - 1);
  assert.equal(readies, 1, 'no repeat before the first delay');
  timers.advance(1);
  assert.equal(readies, 2);
  timers.advance(READY_RETRY_MS[1]);
  assert.equal(readies, 3);
  // After the schedule runs out it keeps asking at the last interval: a lost snapshot is never final.
  const last = READY_RETRY_MS[READY_RETRY_MS.length - 1];
  timers.advance(READY_RETRY_MS[2] + 3 * last);
  assert.equal(readies, 7);
  // Deltas do not end the handshake; only a snapshot does.
  handshake.received({ type: 'notice', level: 'info', message: 'hello' });
  timers.advance(last);
  assert.equal(readies, 8);
  handshake.received({ type: 'snapshot', snapshot: makeSnapshot(1, 1).snapshot });
  assert.equal(timers.pending(), 0);
  timers.advance(10 * last);
  assert.equal(readies, 8);
});

test('dispose stops the retries', () => {
  const timers = manualTimers();
  let readies = 0;
  const handshake = startHandshake(() => readies++, timers);
  handshake.dispose();
  timers.advance(60_000);
  assert.equal(readies, 1);
});
