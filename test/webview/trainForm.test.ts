import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import {
  isFormToHost,
  isHostToForm,
  type FormInit,
  type FormToHost,
  type HostToForm,
} from '../../src/protocol/trainFormMessages';
import { DEFAULT_CONFIG } from '../../src/core/configFields';
import { fieldError } from '../../src/core/trainForm';
import {
  blockedReason,
  commandLine,
  estimate,
  type FormEvent,
  type FormState,
  initialFormState,
  reduceForm,
} from '../../webview/src/trainForm/formState';
import { createTrainForm } from '../../webview/src/trainForm/formApp';
import { estimateText } from '../../webview/src/trainForm/formView';

const GIB = 1024 ** 3;

function init(overrides: Partial<FormInit> = {}): Extract<HostToForm, { type: 'init' }> {
  return {
    type: 'init',
    init: {
      datasets: [{ dir: '/data/shapes', name: 'shapes', images: 200, classes: 4 }],
      datasetDir: '/data/shapes',
      bases: [],
      start: structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>,
      parentId: null,
      base: null,
      trusted: true,
      queue: [],
      basis: null,
      ...overrides,
    },
  };
}

function run(
  events: FormEvent[],
  state: FormState = initialFormState(),
): { state: FormState; posted: FormToHost[] } {
  const posted: FormToHost[] = [];
  for (const event of events) {
    const out = reduceForm(state, event);
    state = out.state;
    posted.push(...out.post);
  }
  return { state, posted };
}

test('each field gets the CLI’s own message while typing, and loses it once valid', () => {
  const { state } = run([init(), { type: 'ui/setField', path: 'learningRate', value: '0' }]);
  assert.equal(state.errors.learningRate, '--learning-rate must be a number above 0 and at most 10, got "0"');
  assert.equal(state.errors.learningRate, fieldError('learningRate', '0'));
  const typed = run([{ type: 'ui/setField', path: 'learningRate', value: '0.005' }], state).state;
  assert.equal(typed.errors.learningRate, undefined);
  const epochs = run([{ type: 'ui/setField', path: 'epochs', value: '2.5' }], typed).state;
  assert.equal(epochs.errors.epochs, '--epochs must be a whole number from 1 to 10000, got "2.5"');
  const nested = run([{ type: 'ui/setField', path: 'cnn.filters', value: '0' }], typed).state;
  assert.match(nested.errors['cnn.filters'] ?? '', /^cnn\.filters must be a whole number from 1 to 1024/);
});

test('a rule between fields blocks the buttons with its message; a field error names how many to fix', () => {
  const split = run([
    init(),
    { type: 'ui/setField', path: 'validationSplit', value: '0.5' },
    { type: 'ui/setField', path: 'testSplit', value: '0.5' },
  ]).state;
  assert.deepEqual(split.errors, {});
  assert.match(split.formError ?? '', /validationSplit \+ testSplit must be below 1/);
  assert.equal(blockedReason(split, 'train'), split.formError);
  const bad = run([init(), { type: 'ui/setField', path: 'epochs', value: 'x' }]).state;
  assert.equal(blockedReason(bad, 'queue'), '1 field to correct');
  const { posted } = run([{ type: 'ui/submit', action: 'train' }], bad);
  assert.deepEqual(posted, [], 'an invalid form sends nothing');
});

test('Train sends the typed values once; a second press while pending sends nothing', () => {
  const { state, posted } = run([
    init(),
    { type: 'ui/setField', path: 'epochs', value: '3' },
    { type: 'ui/setField', path: 'learningRate', value: '0.005' },
    { type: 'ui/submit', action: 'train' },
    { type: 'ui/submit', action: 'train' },
  ]);
  const submits = posted.filter((m) => m.type === 'submit');
  assert.equal(submits.length, 1);
  const sent = submits[0];
  assert.ok(sent.type === 'submit' && isFormToHost(sent));
  assert.equal(sent.values.epochs, '3');
  assert.equal(sent.values.learningRate, '0.005');
  assert.equal(sent.datasetDir, '/data/shapes');
  assert.equal(state.pending, 'train');
  const answered = run([{ type: 'submitted', action: 'train', message: 'Training started.' }], state).state;
  assert.equal(answered.pending, null);
  assert.equal(answered.notice?.message, 'Training started.');
});

test('Restricted Mode: Save as Config works, Train and Add to Queue do not', () => {
  const state = run([init({ trusted: false })]).state;
  assert.match(blockedReason(state, 'train') ?? '', /Restricted Mode/);
  assert.match(blockedReason(state, 'queue') ?? '', /Restricted Mode/);
  assert.equal(blockedReason(state, 'saveConfig'), null);
  assert.equal(run([{ type: 'ui/submit', action: 'train' }], state).posted.length, 0);
  assert.equal(run([{ type: 'ui/submit', action: 'saveConfig' }], state).posted.length, 1);
});

test('a re-run is filled from the parent’s config; a broken one falls back to the defaults', () => {
  const parent = { ...structuredClone(DEFAULT_CONFIG), epochs: 3, learningRate: 0.005 };
  const state = run([init({ start: parent as unknown as Record<string, unknown>, parentId: 'run-1' })]).state;
  assert.equal(state.values.epochs, '3');
  assert.equal(state.values.learningRate, '0.005');
  assert.equal(state.parentId, 'run-1');
  const broken = run([init({ start: { epochs: -4 } })]).state;
  assert.equal(broken.values.epochs, String(DEFAULT_CONFIG.epochs));
});

test('the estimate: time per epoch from the basis run, peak memory from the trainer’s arithmetic, a warning over budget', () => {
  const basis = {
    datasetDir: '/data/shapes',
    images: 200,
    classes: 4,
    secondsPerImage: 0.01,
    runId: 'run-0',
    matched: 'same data set, cnn, 64 px',
    budgetBytes: 8 * GIB,
  };
  const state = run([init({ basis })]).state;
  const e = estimate(state);
  // 200 images × 0.8 training share × 10 ms.
  assert.ok(Math.abs((e.secondsPerEpoch ?? 0) - 1.6) < 1e-9);
  assert.ok(e.peakBytes !== null && e.peakBytes > 0 && !e.peakIsFloor);
  assert.equal(e.fits, true);
  assert.match(estimateText(state), /per epoch \(measured by run run-0/);
  const bigger = run([{ type: 'ui/setField', path: 'batchSize', value: '64' }], state).state;
  assert.ok((estimate(bigger).peakBytes ?? 0) > (e.peakBytes ?? 0), 'a bigger batch needs more memory');
  const huge = run(
    [
      { type: 'ui/setField', path: 'imageSize', value: '1024' },
      { type: 'ui/setField', path: 'batchSize', value: '4096' },
    ],
    state,
  ).state;
  assert.equal(estimate(huge).fits, false);
  assert.match(estimateText(huge), /would not fit/);
  const none = run([init()]).state;
  assert.equal(estimate(none).secondsPerEpoch, null);
  assert.match(estimateText(none), /no comparable run yet/);
  const invalid = run([{ type: 'ui/setField', path: 'imageSize', value: 'big' }], state).state;
  assert.equal(estimate(invalid).peakBytes, null);
});

test('queue actions move and cancel at once and tell the host; moves past either end do nothing', () => {
  const queue = ['a', 'b', 'c'].map((id, i) => ({ id, position: i + 1, label: `run ${id}`, parentId: null }));
  const start = run([init({ queue })]).state;
  const moved = run([{ type: 'ui/moveQueued', id: 'c', delta: -1 }], start);
  assert.deepEqual(
    moved.state.queue.map((q) => [q.id, q.position]),
    [
      ['a', 1],
      ['c', 2],
      ['b', 3],
    ],
  );
  assert.deepEqual(moved.posted, [{ type: 'moveQueued', id: 'c', delta: -1 }]);
  assert.deepEqual(run([{ type: 'ui/moveQueued', id: 'a', delta: -1 }], start).posted, []);
  const cancelled = run([{ type: 'ui/cancelQueued', id: 'a' }], start);
  assert.deepEqual(
    cancelled.state.queue.map((q) => [q.id, q.position]),
    [
      ['b', 1],
      ['c', 2],
    ],
  );
  assert.deepEqual(cancelled.posted, [{ type: 'cancelQueued', id: 'a' }]);
  // The host's answer is the truth.
  const host = run([{ type: 'queueChanged', queue: queue.slice(0, 1) }], cancelled.state).state;
  assert.deepEqual(
    host.queue.map((q) => q.id),
    ['a'],
  );
});

test('the copied command is the CLI’s, with --parent for a re-run', () => {
  const state = run([
    init({ parentId: 'run-1' }),
    { type: 'ui/setField', path: 'epochs', value: '4' },
    { type: 'ui/setField', path: 'cnn.filters', value: '8' },
    { type: 'ui/copyCommand' },
  ]);
  const copy = state.posted.find((m) => m.type === 'copyCommand');
  assert.ok(copy && copy.type === 'copyCommand' && isFormToHost(copy));
  assert.equal(copy.values.epochs, '4');
  // What the form shows is what the host will copy (both build it with equivalentCommand).
  assert.equal(
    commandLine(state.state).command,
    'image-trainer train /data/shapes --epochs 4 --parent run-1',
  );
});

test('guards: hostile messages are refused both ways', () => {
  assert.ok(isHostToForm(init()));
  assert.equal(isHostToForm({ type: 'init', init: { ...init().init, parentId: '../x' } } as unknown), false);
  assert.equal(
    isHostToForm({ type: 'queueChanged', queue: [{ id: 'a', position: -1, label: '', parentId: null }] }),
    false,
  );
  assert.equal(
    isFormToHost({ type: 'submit', action: 'train', datasetDir: '/d', values: { 'a.b.c': '1' }, base: null }),
    false,
  );
  assert.equal(
    isFormToHost({ type: 'submit', action: 'rm', datasetDir: '/d', values: {}, base: null }),
    false,
  );
  assert.equal(isFormToHost({ type: 'moveQueued', id: 'a', delta: 2 }), false);
  assert.equal(
    isFormToHost({
      type: 'submit',
      action: 'train',
      datasetDir: '/d',
      values: { epochs: 'x'.repeat(5000) },
      base: null,
    }),
    false,
  );
});

test('in the DOM: labels name the inputs, a message appears beside the field while typing, Train posts', () => {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>');
  const doc = dom.window.document;
  const root = doc.getElementById('app') as HTMLElement;
  const posted: FormToHost[] = [];
  const app = createTrainForm(root, { post: (m) => posted.push(m) });
  app.receive(init());
  const byLabel = (text: string): HTMLInputElement => {
    const label = [...doc.querySelectorAll('label')].find((l) => l.textContent === text);
    assert.ok(label, `a label "${text}"`);
    return doc.getElementById(label.htmlFor) as HTMLInputElement;
  };
  for (const name of ['Epochs', 'Learning rate', 'Batch size', 'Image size', 'Augmentation', 'Model'])
    assert.ok(byLabel(name), name);
  const lr = byLabel('Learning rate');
  lr.value = '-1';
  lr.dispatchEvent(new dom.window.Event('input'));
  const error = doc.getElementById(`${lr.id}-error`);
  assert.equal(error?.textContent, '--learning-rate must be a number above 0 and at most 10, got "-1"');
  assert.equal(lr.getAttribute('aria-invalid'), 'true');
  const train = doc.querySelector<HTMLButtonElement>('[data-key="form-train"]');
  assert.equal(train?.disabled, true);
  lr.value = '0.005';
  lr.dispatchEvent(new dom.window.Event('input'));
  assert.equal(error?.textContent, '');
  assert.equal(doc.activeElement === lr || doc.activeElement === doc.body, true, 'the input was not rebuilt');
  assert.equal(doc.getElementById(lr.id), lr, 'the same input element stays');
  train?.click();
  assert.equal(posted.at(-1)?.type, 'submit');
  // Advanced groups are folded.
  assert.ok(doc.querySelector('details.group-training:not([open])'));
});

test('in the DOM: the base choice shows only for presets that use a base, and Train sends the chosen base', () => {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>');
  const doc = dom.window.document;
  const posted: FormToHost[] = [];
  const app = createTrainForm(doc.getElementById('app') as HTMLElement, { post: (m) => posted.push(m) });
  app.receive(init({ bases: [{ name: 'mobilenet-v2', description: 'downloaded', installed: true }] }));
  const baseRow = doc.getElementById('field-base')?.parentElement as HTMLElement;
  assert.equal(baseRow.hidden, true, 'hidden for cnn');
  const model = doc.getElementById('field-model') as HTMLSelectElement;
  model.value = 'transfer';
  model.dispatchEvent(new dom.window.Event('change'));
  assert.equal(baseRow.hidden, false);
  assert.match(doc.getElementById('preset-description')?.textContent ?? '', /pretrained base/);
  const base = doc.getElementById('field-base') as HTMLSelectElement;
  base.value = 'mobilenet-v2';
  base.dispatchEvent(new dom.window.Event('change'));
  doc.querySelector<HTMLButtonElement>('[data-key="form-queue"]')?.click();
  const sent = posted.at(-1);
  assert.ok(
    sent?.type === 'submit' &&
      sent.action === 'queue' &&
      sent.base === 'mobilenet-v2' &&
      sent.values.model === 'transfer',
  );
});

test('a detection set: listed as one, it sets task detect and the detector defaults; a classification set sets them back', () => {
  const detection = {
    dir: '/data/boxes',
    name: 'boxes',
    images: 120,
    classes: 3,
    detection: { format: 'coco' as const, scanned: { classes: 3, boxes: 410 } },
  };
  const datasets = [{ dir: '/data/shapes', name: 'shapes', images: 200, classes: 4 }, detection];
  // Opened on the classification set, then the detection set chosen.
  let { state, posted } = run([init({ datasets }), { type: 'ui/chooseDataset', datasetDir: '/data/boxes' }]);
  assert.equal(state.values.task, 'detect');
  assert.equal(state.values.imageSize, '128');
  assert.deepEqual(state.errors, {});
  assert.equal(blockedReason(state, 'train'), null);
  assert.match(commandLine(state).command, /^image-trainer train \/data\/boxes --task detect$/);
  assert.deepEqual(
    posted.filter((m) => m.type === 'chooseDataset'),
    [{ type: 'chooseDataset', datasetDir: '/data/boxes' }],
  );
  // Class weight and label smoothing do not apply to a detector; they still validate and do not block it.
  ({ state } = run(
    [
      { type: 'ui/setField', path: 'classWeight', value: 'balanced' },
      { type: 'ui/setField', path: 'labelSmoothing', value: '0.1' },
    ],
    state,
  ));
  assert.equal(blockedReason(state, 'train'), null);
  ({ state, posted } = run([{ type: 'ui/submit', action: 'train' }], state));
  const submitted = posted.find((m) => m.type === 'submit');
  assert.equal(submitted?.type === 'submit' ? submitted.values.task : null, 'detect');
  // Back to the classification set: the classifier's defaults return.
  ({ state } = run(
    [
      { type: 'notice', level: 'info', message: 'ok' },
      { type: 'ui/chooseDataset', datasetDir: '/data/shapes' },
    ],
    state,
  ));
  assert.equal(state.values.task, 'classify');
  assert.equal(state.values.imageSize, '64');
  // Opened directly on a detection set: detect from the start.
  ({ state } = run([init({ datasets, datasetDir: '/data/boxes' })]));
  assert.equal(state.values.task, 'detect');
  assert.equal(state.values.epochs, '20');
});

test('in the DOM: a detection set is not "0 classes", and a note says what it trains', () => {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>');
  const doc = dom.window.document;
  const root = doc.getElementById('app') as HTMLElement;
  const app = createTrainForm(root, { post: () => undefined });
  const unscanned = {
    dir: '/data/boxes',
    name: 'boxes',
    images: 120,
    classes: 0,
    detection: { format: 'yolo' as const, scanned: null },
  };
  const message = init({
    datasets: [{ dir: '/data/shapes', name: 'shapes', images: 200, classes: 4 }, unscanned],
    datasetDir: '/data/boxes',
  });
  assert.ok(isHostToForm(message), 'the guard accepts a detection set');
  app.receive(message);
  const options = [...doc.querySelectorAll('#field-dataset option')].map((o) => o.textContent);
  assert.deepEqual(options, [
    'shapes — 200 images, 4 classes',
    'boxes — detection set · YOLO · 120 images · classes after a scan',
  ]);
  const note = doc.querySelector<HTMLElement>('[data-key="task-note"]');
  assert.equal(note?.hidden, false);
  assert.match(note?.textContent ?? '', /object detector \(task detect\)/);
  const select = doc.getElementById('field-dataset') as HTMLSelectElement;
  select.value = '/data/shapes';
  select.dispatchEvent(new dom.window.Event('change'));
  assert.equal(note?.hidden, true);
  assert.ok(
    !isHostToForm(
      init({ datasets: [{ ...unscanned, detection: { format: 'darknet', scanned: null } as never }] }),
    ),
    'an unknown format is refused',
  );
});
