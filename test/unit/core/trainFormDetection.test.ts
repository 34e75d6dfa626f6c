// The New Training form and detection sets (issue 18): listed as detection sets (never "0 classes"),
// choosing one sets task detect with the detector's defaults, and the config and command that result are
// the ones `train DIR --task detect` takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../../src/core/configFields';
import { DETECTION_AUGMENT, DETECTION_DEFAULTS } from '../../../src/core/detection/detectionDefaults';
import {
  describeFormDataset,
  equivalentCommand,
  formConfig,
  formErrors,
  formValues,
  valuesForTask,
} from '../../../src/core/trainForm';
import type { FormDataset } from '../../../src/protocol/trainFormMessages';

const yolo: FormDataset = {
  dir: '/data/boxes',
  name: 'boxes',
  images: 1200,
  classes: 0,
  detection: { format: 'yolo', scanned: null },
};

test('a detection set is described as one: format, images, classes and boxes once scanned', () => {
  assert.equal(
    describeFormDataset(yolo),
    'boxes — detection set · YOLO · 1,200 images · classes after a scan',
  );
  assert.equal(
    describeFormDataset({
      ...yolo,
      classes: 3,
      detection: { format: 'coco', scanned: { classes: 3, boxes: 4100 } },
    }),
    'boxes — detection set · COCO · 1,200 images · 3 classes · 4,100 boxes',
  );
  assert.doesNotMatch(describeFormDataset(yolo), /0 classes/);
  assert.equal(
    describeFormDataset({ dir: '/data/pets', name: 'pets', images: 1, classes: 2 }),
    'pets — 1 image, 2 classes',
  );
});

test('detect values: the task and the detector defaults for fields left at the classifier defaults', () => {
  const untouched = valuesForTask(formValues(), 'detect');
  assert.equal(untouched.task, 'detect');
  assert.equal(untouched.imageSize, String(DETECTION_DEFAULTS.imageSize));
  assert.equal(untouched.epochs, String(DETECTION_DEFAULTS.epochs));
  assert.equal(untouched.batchSize, String(DETECTION_DEFAULTS.batchSize));
  assert.equal(untouched.learningRate, String(DETECTION_DEFAULTS.learningRate));
  assert.equal(untouched.schedule, 'cosine');
  assert.equal(untouched.augment, 'default');
  // A field the user changed is kept; switching back restores the classifier's defaults of the rest.
  const changed = valuesForTask({ ...formValues(), epochs: '7' }, 'detect');
  assert.equal(changed.epochs, '7');
  const back = valuesForTask(changed, 'classify');
  assert.deepEqual(back, { ...formValues(), epochs: '7' });
});

test('the config of detect values is the detector defaults, and classifier-only fields do not break it', () => {
  const values = { ...valuesForTask(formValues(), 'detect'), classWeight: 'balanced', labelSmoothing: '0.1' };
  assert.deepEqual(formErrors(values), {});
  const result = formConfig(values, DEFAULT_CONFIG);
  assert.ok(result.ok, result.ok ? '' : result.error);
  assert.equal(result.config.task, 'detect');
  assert.equal(result.config.imageSize, DETECTION_DEFAULTS.imageSize);
  // The augmentation's numbers and the schedule's minimum rate are the detector's, which the form cannot show.
  assert.deepEqual(result.config.augment, DETECTION_AUGMENT);
  assert.deepEqual(result.config.schedule, DETECTION_DEFAULTS.schedule);
  assert.equal(result.config.labelSmoothing, 0.1);
});

test('the equivalent command of detect values says --task detect and only what differs from its defaults', () => {
  const values = { ...valuesForTask(formValues(), 'detect'), epochs: '30' };
  const { command, needsConfigFile } = equivalentCommand('/data/boxes', values);
  assert.equal(command, 'image-trainer train /data/boxes --task detect --epochs 30');
  assert.deepEqual(needsConfigFile, []);
  // A classification form is unchanged by any of this.
  assert.equal(equivalentCommand('/data/pets', formValues()).command, 'image-trainer train /data/pets');
});
