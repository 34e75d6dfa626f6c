// The New Training form's host side: what it sends the form, how it validates submissions again, the
// estimate's basis, and what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../../src/core/configFields';
import { formValues } from '../../../src/core/trainForm';
import type { TrainingConfig } from '../../../src/protocol/config';
import type { RunDetails, RunSummary } from '../../../src/protocol/runRecord';
import { isHostToForm, type HostToForm } from '../../../src/protocol/trainFormMessages';
import {
  type FormRunRequest,
  TrainFormController,
  type TrainFormEffects,
  type TrainFormTarget,
} from '../../../src/host/dashboard/trainFormController';

const GIB = 1024 ** 3;

function setup(
  target: TrainFormTarget = { datasetDir: '/ws/shapes' },
  overrides: Partial<TrainFormEffects> = {},
) {
  const posted: HostToForm[] = [];
  const runs: FormRunRequest[] = [];
  const saved: TrainingConfig[] = [];
  const effects: TrainFormEffects = {
    post: (m) => {
      assert.ok(isHostToForm(m), `the form accepts ${JSON.stringify(m).slice(0, 200)}`);
      posted.push(m);
    },
    datasets: async () => [{ dir: '/ws/shapes', name: 'shapes', images: 100, classes: 4 }],
    bases: async () => [],
    trusted: () => true,
    backendSetting: () => 'wasm',
    listRuns: async () => [],
    readRunDetails: async () => null,
    totalMemory: () => 16 * GIB,
    checkDataset: async (dir) => (dir.startsWith('/ws/') ? null : 'outside the folders you chose'),
    queue: () => [],
    run: async (r) => {
      runs.push(r);
      return 'Training started.';
    },
    saveConfig: async (config) => {
      saved.push(config);
      return '/ws/shapes.imagetrainer.json';
    },
    copy: async () => undefined,
    previewAugmentation: async () => {
      throw new Error('no preview in this test');
    },
    moveQueued: () => undefined,
    cancelQueued: () => undefined,
    log: () => undefined,
    ...overrides,
  };
  return { controller: new TrainFormController(effects, target), posted, runs, saved };
}

const values = (
  changes: Record<string, string>,
  start: TrainingConfig = DEFAULT_CONFIG as TrainingConfig,
) => ({
  ...formValues(start),
  ...changes,
});

test('ready is answered with init: the data set, the defaults with the backend setting, trust, no parent', async () => {
  const { controller, posted } = setup();
  await controller.handle({ type: 'ready' });
  const init = posted[0];
  assert.ok(init.type === 'init');
  assert.equal(init.init.datasetDir, '/ws/shapes');
  assert.equal(init.init.start.backend, 'wasm');
  assert.equal(init.init.parentId, null);
  assert.equal(init.init.basis?.secondsPerImage, null);
  assert.equal(init.init.basis?.budgetBytes, 3 * GIB, 'the WASM heap bound of the trainer');
});

test('Train: values are validated again, and the run carries exactly the typed values and the parent', async () => {
  const parent = { ...(structuredClone(DEFAULT_CONFIG) as TrainingConfig), epochs: 3, learningRate: 0.005 };
  const { controller, runs, posted } = setup({
    parent: { id: 'run-1', config: parent, base: null, datasetDir: '/ws/shapes' },
  });
  await controller.handle({ type: 'ready' });
  await controller.handle({
    type: 'submit',
    action: 'queue',
    datasetDir: '/ws/shapes',
    values: values({ epochs: '4' }, parent),
    base: null,
  });
  assert.equal(runs.length, 1);
  assert.equal(runs[0].config.epochs, 4);
  assert.equal(runs[0].config.learningRate, 0.005, 'unchanged fields keep the parent’s values');
  assert.equal(runs[0].parentId, 'run-1');
  assert.equal(runs[0].action, 'queue');
  assert.match(runs[0].label, /from run-1: epochs 4/);
  assert.ok(posted.some((m) => m.type === 'submitted' && m.message === 'Training started.'));
});

test('a submission the form should have refused is refused here too, with the CLI’s message', async () => {
  const { controller, runs, posted } = setup();
  await controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/ws/shapes',
    values: values({ learningRate: '0' }),
    base: null,
  });
  await controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/ws/shapes',
    values: { ...values({}), bogus: '1' },
    base: null,
  });
  assert.equal(runs.length, 0);
  const notices = posted
    .filter((m) => m.type === 'notice')
    .map((m) => (m.type === 'notice' ? m.message : ''));
  assert.match(notices[0], /--learning-rate must be a number above 0 and at most 10, got "0"/);
  assert.match(notices[1], /unknown option "bogus"/);
  await controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/ws/shapes',
    values: { ...values({}), 'transfer.base': '/etc' },
    base: null,
  });
  assert.equal(runs.length, 0, 'a field the form does not show is never applied');
});

test('Restricted Mode, a foreign data set folder and an unknown base start nothing; Save as Config still works', async () => {
  const untrusted = setup(undefined, { trusted: () => false });
  await untrusted.controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/ws/shapes',
    values: values({}),
    base: null,
  });
  assert.equal(untrusted.runs.length, 0);
  assert.ok(untrusted.posted.some((m) => m.type === 'notice' && /Restricted Mode/.test(m.message)));
  await untrusted.controller.handle({
    type: 'submit',
    action: 'saveConfig',
    datasetDir: '/ws/shapes',
    values: values({ epochs: '7' }),
    base: null,
  });
  assert.equal(untrusted.saved[0]?.epochs, 7);
  const foreign = setup();
  await foreign.controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/etc',
    values: values({}),
    base: null,
  });
  assert.equal(foreign.runs.length, 0);
  assert.ok(
    foreign.posted.some((m) => m.type === 'notice' && /outside the folders you chose/.test(m.message)),
  );
  await foreign.controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/ws/shapes',
    values: values({ model: 'transfer' }),
    base: 'nope',
  });
  assert.equal(foreign.runs.length, 0);
  // Malformed messages are dropped before anything else.
  await foreign.controller.handle({
    type: 'submit',
    action: 'train',
    datasetDir: '/ws/shapes',
    values: 'x',
    base: null,
  });
  assert.equal(foreign.runs.length, 0);
});

test('the estimate’s basis is the newest completed run on the data set: its median pace per training image', async () => {
  const summary = (id: string, status: RunSummary['status'], root = '/ws/shapes') =>
    ({ id, status, runDir: `/ws/runs/${id}`, datasetRoot: root, model: 'cnn' }) as RunSummary;
  const details = (durations: number[]) =>
    ({
      record: {
        dataset: { counts: { train: 80 } },
        config: { imageSize: 64, batchSize: 32 },
        backend: 'cpu',
      },
      epochs: durations.map((durationMs) => ({ durationMs })),
    }) as unknown as RunDetails;
  const { controller } = setup(undefined, {
    listRuns: async () => [
      summary('running-1', 'running'),
      summary('other-data', 'completed', '/ws/other'),
      summary('done-2', 'completed'),
      summary('done-1', 'completed'),
    ],
    readRunDetails: async (dir) => (dir.endsWith('done-2') ? details([900, 800, 4000]) : details([1])),
  });
  const basis = await controller.basis('/ws/shapes');
  assert.equal(basis?.runId, 'done-2');
  assert.ok(Math.abs((basis?.secondsPerImage ?? 0) - 0.9 / 80) < 1e-12);
  assert.equal(basis?.budgetBytes, 8 * GIB, 'half the memory on the CPU backend, as the trainer computes it');
  assert.equal(basis?.images, 100);
});

test('Copy builds the command on the host from validated values, never from webview text', async () => {
  const copied: string[] = [];
  const { controller } = setup(undefined, { copy: async (text) => void copied.push(text) });
  await controller.handle({
    type: 'copyCommand',
    datasetDir: '/ws/shapes',
    values: values(
      { epochs: '3' },
      { ...(structuredClone(DEFAULT_CONFIG) as TrainingConfig), backend: 'wasm' },
    ),
    base: null,
  });
  await controller.handle({
    type: 'copyCommand',
    datasetDir: '/ws/shapes',
    values: values({ epochs: '0' }),
    base: null,
  });
  await controller.handle({ type: 'copyCommand', command: 'rm -rf ~' });
  // The backend setting the form started from differs from the defaults, so the command names it.
  assert.deepEqual(copied, ['image-trainer train /ws/shapes --epochs 3 --backend wasm']);
});

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

test('the augmentation preview: values validated again, drawn by the trainer, only the newest answered', async () => {
  const asked: { dir: string; config: TrainingConfig; signal: AbortSignal }[] = [];
  const release: (() => void)[] = [];
  const { controller, posted } = setup(undefined, {
    previewAugmentation: (dir, config, signal) => {
      asked.push({ dir, config, signal });
      return new Promise((resolve) =>
        release.push(() =>
          resolve({
            root: dir,
            seed: config.seed,
            epoch: 1,
            imageSize: config.imageSize,
            channels: config.channels,
            augmented: config.augment !== null,
            images: [{ path: 'circle/1.png', label: 'circle', png: PNG }],
          }),
        ),
      );
    },
  });
  const first = controller.handle({
    type: 'previewAugmentation',
    requestId: 1,
    datasetDir: '/ws/shapes',
    values: values({ augment: 'default', seed: '9' }),
  });
  await new Promise((r) => setImmediate(r));
  const second = controller.handle({
    type: 'previewAugmentation',
    requestId: 2,
    datasetDir: '/ws/shapes',
    values: values({ augment: 'default', seed: '10' }),
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(asked.length, 2);
  assert.equal(asked[0].signal.aborted, true, 'the older drawing is stopped');
  assert.equal(asked[1].config.seed, 10);
  assert.ok(asked[1].config.augment !== null);
  release.forEach((go) => go());
  await Promise.all([first, second]);
  const answers = posted.filter((m) => m.type === 'augmentPreview');
  assert.deepEqual(answers, [
    {
      type: 'augmentPreview',
      requestId: 2,
      images: [{ path: 'circle/1.png', label: 'circle', src: PNG }],
      error: null,
    },
  ]);
});

test('the preview refuses invalid values, a folder the user did not choose, and Restricted Mode', async () => {
  let calls = 0;
  const previewAugmentation = async (): Promise<never> => {
    calls++;
    throw new Error('not reached');
  };
  const { controller, posted } = setup(undefined, { previewAugmentation });
  await controller.handle({
    type: 'previewAugmentation',
    requestId: 1,
    datasetDir: '/ws/shapes',
    values: values({ imageSize: '3' }),
  });
  await controller.handle({
    type: 'previewAugmentation',
    requestId: 2,
    datasetDir: '/etc/secrets',
    values: values({}),
  });
  const untrusted = setup(undefined, { previewAugmentation, trusted: () => false });
  await untrusted.controller.handle({
    type: 'previewAugmentation',
    requestId: 3,
    datasetDir: '/ws/shapes',
    values: values({}),
  });
  assert.equal(calls, 0, 'the trainer is never started');
  const errors = [...posted, ...untrusted.posted].flatMap((m) =>
    m.type === 'augmentPreview' ? [m.error ?? ''] : [],
  );
  assert.equal(errors.length, 3);
  assert.match(errors[0], /--image-size must be/);
  assert.match(errors[1], /cannot use \/etc\/secrets: outside the folders you chose/);
  assert.match(errors[2], /trust the workspace/);
});

test('a preview the trainer cannot draw is answered with its one-line reason', async () => {
  const { controller, posted } = setup(undefined, {
    previewAugmentation: async () => {
      throw new Error('/ws/shapes: no training images to preview');
    },
  });
  await controller.handle({
    type: 'previewAugmentation',
    requestId: 4,
    datasetDir: '/ws/shapes',
    values: values({}),
  });
  assert.deepEqual(posted.at(-1), {
    type: 'augmentPreview',
    requestId: 4,
    images: [],
    error: '/ws/shapes: no training images to preview',
  });
});
