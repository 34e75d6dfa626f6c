import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetails } from '../../../../src/protocol/runRecord';
import { isHostToWebview } from '../../../../src/protocol/webviewMessages';
import { detailsDelta, Throttle } from '../../../../src/host/dashboard/deltas';
import {
  contentSecurityPolicy,
  createNonce,
  dashboardHtml,
} from '../../../../src/host/dashboard/dashboardHtml';
import { datasetResourceRoots, isAllowedDatasetRoot } from '../../../../src/host/dashboard/resourceRoots';
import { ManualClock } from '../fakes';
import { makeEpochs, makeEvaluation, makeRun } from '../../../webview/fixtures';

function running(epochs: number): RunDetails {
  const run = makeRun({
    index: 3,
    epochs,
    totalEpochs: 10,
    status: 'running',
    withEvaluation: false,
    batchesPerEpoch: 2,
  });
  return run;
}

test('new epochs become a small epochsAppended carrying only the new lines', () => {
  const before = running(3);
  const after = running(5);
  const delta = detailsDelta(before, after);
  assert.ok(delta && delta.type === 'epochsAppended');
  assert.deepEqual(
    delta.epochs.map((e) => e.epoch),
    [4, 5],
  );
  assert.equal(delta.batches.length, 4);
  assert.ok(isHostToWebview(delta), 'the delta passes the webview guard');
  assert.equal(detailsDelta(after, structuredClone(after)), null, 'nothing changed, nothing sent');
});

test('a rewritten history, a new evaluation, a status change or another run send full details', () => {
  const base = running(4);
  const rewritten = structuredClone(base);
  rewritten.epochs[3] = { ...rewritten.epochs[3], loss: 99 };
  rewritten.epochs.push(makeEpochs(3, 5)[4]);
  assert.equal(detailsDelta(base, rewritten)?.type, 'runDetailsChanged');
  assert.equal(
    detailsDelta(base, { ...base, evaluation: makeEvaluation(3, ['cat', 'dog', 'bird']) })?.type,
    'runDetailsChanged',
  );
  assert.equal(
    detailsDelta(base, { ...base, record: { ...base.record, status: 'completed' } })?.type,
    'runDetailsChanged',
  );
  assert.equal(detailsDelta(base, makeRun({ index: 4, epochs: 4 }))?.type, 'runDetailsChanged');
  assert.deepEqual(detailsDelta(base, null), { type: 'runDetailsChanged', details: null });
  assert.equal(detailsDelta(null, null), null);
});

/** Moves the clock in 1 ms steps, letting the throttle's promises settle, so timers fire at their time. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
  }
}

test('the throttle runs at most once per interval and always once after the last trigger', async () => {
  const clock = new ManualClock();
  const starts: number[] = [];
  const throttle = new Throttle(
    async () => {
      starts.push(clock.now());
    },
    200,
    clock,
  );
  // 100 triggers over one second, every 10 ms.
  for (let i = 0; i < 100; i++) {
    throttle.trigger();
    await new Promise((r) => setImmediate(r));
    await advance(clock, 10);
  }
  await advance(clock, 1000);
  for (let i = 1; i < starts.length; i++)
    assert.ok(starts[i] - starts[i - 1] >= 200, `runs ${starts[i - 1]} and ${starts[i]} too close`);
  assert.ok(starts.length >= 5 && starts.length <= 7, `${starts.length} runs for 1 s of triggers`);
  assert.ok(starts[starts.length - 1] >= 990, 'a trailing run follows the last trigger');
  throttle.dispose();
});

test('a trigger while the action runs queues exactly one more run', async () => {
  const clock = new ManualClock();
  let release: () => void = () => undefined;
  let runs = 0;
  const throttle = new Throttle(
    () =>
      new Promise<void>((resolve) => {
        runs++;
        release = resolve;
      }),
    200,
    clock,
  );
  throttle.trigger();
  throttle.trigger();
  throttle.trigger();
  assert.equal(runs, 1, 'no second run while the first is in flight');
  release();
  await new Promise((r) => setImmediate(r));
  await advance(clock, 200);
  assert.equal(runs, 2);
  release();
  await advance(clock, 1000);
  assert.equal(runs, 2);
});

test('the webview HTML has a strict CSP: nonce scripts only, no inline or eval', () => {
  const nonce = createNonce();
  assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
  assert.notEqual(createNonce(), nonce);
  const csp = contentSecurityPolicy('https://cdn.example', nonce);
  assert.match(csp, /^default-src 'none'; /);
  assert.ok(csp.includes(`script-src 'nonce-${nonce}'`));
  assert.ok(!csp.includes('unsafe-eval') && !csp.includes('unsafe-inline'));
  const html = dashboardHtml({
    cspSource: 'https://cdn.example',
    nonce,
    scriptUri: 'https://cdn.example/dist/webview.js',
    styleUri: 'https://cdn.example/media/dashboard.css',
  });
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.ok(
    scripts[0].includes(`nonce="${nonce}"`) &&
      scripts[0].includes('src="https://cdn.example/dist/webview.js"'),
  );
  assert.ok(!/<script[^>]*>[^<]+<\/script>/.test(html), 'no inline script body');
  assert.ok(!/ style=/.test(html), 'no inline style');
});

test('data set roots that would expose a disk or the home folder are not resource roots', () => {
  const home = '/home/ada';
  assert.equal(isAllowedDatasetRoot('/', home), false);
  assert.equal(isAllowedDatasetRoot('/home', home), false);
  assert.equal(isAllowedDatasetRoot('/home/ada', home), false);
  assert.equal(isAllowedDatasetRoot('relative/data', home), false);
  assert.equal(isAllowedDatasetRoot('/home/ada/pets', home), true);
  assert.equal(isAllowedDatasetRoot('/data/pets', home), true);
  assert.deepEqual(datasetResourceRoots(['/data/pets', '/data/pets/', '/', '/home/ada/x'], home), [
    '/data/pets',
    '/home/ada/x',
  ]);
});
