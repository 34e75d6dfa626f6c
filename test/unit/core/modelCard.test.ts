// MODEL_CARD.md: every section the issue lists, from the run's records; text from files cannot break it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelCardMarkdown } from '../../../src/core/modelCard';
import type { ModelMetadata } from '../../../src/protocol/runRecord';
import { makeRun } from '../../webview/fixtures';

const metadata: ModelMetadata = {
  formatVersion: 1,
  labels: ['cat', 'dog', 'bird'],
  preprocessing: { imageSize: 64, channels: 3, resize: 'crop', scale: 1 / 127.5, offset: -1 },
  model: 'transfer',
  createdAt: '2026-11-30T00:00:00Z',
};

test('model card: data, preprocessing, metrics, config, base licence, parity, fields left to the owner', () => {
  const details = makeRun({ index: 0, epochs: 3 });
  const record = {
    ...details.record,
    config: {
      ...details.record.config,
      transfer: { base: 'evil ```\n# injected' },
    } as typeof details.record.config,
    base: {
      name: 'mobilenet-v2-0.35',
      format: 'layers' as const,
      source: 'https://example.test/m.json',
      sha256: 'ab'.repeat(32),
    },
  };
  const parity = {
    images: 12,
    sameTop1: 12,
    maxProbabilityDifference: 3e-8,
    passed: true,
    runtime: 'onnxruntime-node 1.30.0',
  };
  const card = modelCardMarkdown({
    record,
    metadata,
    evaluation: details.evaluation,
    parity,
    format: 'ONNX',
    modelFile: 'model.onnx',
    confusionPicture: 'confusion-matrix.svg',
    opset: 17,
    operators: ['Conv', 'Gemm'],
    baseLicence: 'Apache-2.0',
    now: new Date('2026-11-30T12:00:00Z'),
  });
  for (const heading of [
    'Intended use',
    'Limitations',
    'Data set',
    'Preprocessing',
    'Metrics',
    'Training',
    'Base model',
    'Export parity',
  ])
    assert.match(card, new RegExp(`^## ${heading}`, 'm'), heading);
  const c = record.dataset.counts;
  assert.ok(card.includes(`${c.train} training, ${c.validation} validation, ${c.test} test images`));
  assert.ok(card.includes('resize `crop` to 64×64'));
  assert.ok(card.includes(`v × ${1 / 127.5} + -1`));
  assert.equal(
    card.split('\n').filter((l) => /^\| (?!class|-)/.test(l)).length,
    details.evaluation!.perClass.length,
  );
  assert.ok(card.includes('Licence: Apache-2.0'));
  assert.match(card, /same top-1 on 12, largest probability difference 3\.00e-8 — \*\*passed\*\*/);
  // The config block's fence is longer than the backticks inside it: the injected heading stays inside.
  assert.equal((card.match(/^# /gm) ?? []).length, 1, 'only the title is a top-level heading');
  const fence = /^(`{4,})json$/m.exec(card);
  assert.ok(fence, 'a fence of four or more backticks');
  assert.ok(card.includes('"base": "evil ```\\n# injected"'));
  const failed = modelCardMarkdown({
    record,
    metadata,
    evaluation: null,
    parity: { ...parity, sameTop1: 11, passed: false },
    format: 'ONNX',
    modelFile: 'model.onnx',
    confusionPicture: null,
    baseLicence: null,
    now: new Date(),
  });
  assert.match(failed, /\*\*FAILED\*\*/);
  assert.match(failed, /No evaluation\.json/);
  assert.match(failed, /Licence: _unknown/);
});
