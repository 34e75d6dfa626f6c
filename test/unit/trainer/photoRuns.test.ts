// A run trained on photos (half stored sideways) with a resize mode: run.json and the model's metadata
// record the mode, export's parity check and snippet apply it, and a run recorded before resize modes
// existed resumes as stretch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelMetadata, RunRecord } from '../../../src/protocol/runRecord';
import { resolveConfig } from '../../../src/core/config';
import { trainAny } from '../../../src/trainer/experiments/trainAny';
import { exportRun } from '../../../src/trainer/experiments/exportModel';
import { UsageError } from '../../../src/trainer/errors';
import { loadRunModel, resizeModeOf } from '../../../src/trainer/runModel';
import { makeTempDir, removeDir } from '../../fixtures/imageFactory';
import { writePhotoDataset } from '../../fixtures/photoFactory';

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await fs.readFile(file, 'utf8')) as T;

test('a crop run on sideways photos: recorded, exported with parity, and old records resume as stretch', async () => {
  const root = await makeTempDir('photo-run-');
  try {
    const data = path.join(root, 'photos');
    await writePhotoDataset(data, {
      classes: 3,
      perClass: 4,
      width: 120,
      height: 90,
      sideways: 'half',
      seed: 5,
    });
    const config = resolveConfig(
      { model: 'simple-cnn', imageSize: 16, epochs: 1, batchSize: 4, backend: 'cpu', validationSplit: 0.25 },
      { resize: 'crop' },
    );
    const run = await trainAny({
      dataDir: data,
      runsRoot: path.join(root, 'runs'),
      config,
      emit: () => undefined,
      stop: { requested: false },
    });
    assert.equal(run.status, 'completed', run.message);
    const runDir = run.runDir!;
    const record = await readJson<RunRecord>(path.join(runDir, 'run.json'));
    assert.equal(record.config.resize, 'crop');
    assert.equal(record.dataset.skipped.length, 0, 'no photo skipped');
    const metadataFile = path.join(runDir, 'model', 'metadata.json');
    const metadata = await readJson<ModelMetadata>(metadataFile);
    assert.equal(metadata.preprocessing.resize, 'crop');
    const loaded = await loadRunModel(runDir);
    assert.equal(resizeModeOf(loaded.metadata), 'crop');
    loaded.model.dispose();

    // Export: the parity check decodes with the recorded mode; the snippet and its metadata carry it.
    const exported = await exportRun(runDir, 'tfjs-layers', path.join(root, 'export'));
    assert.equal(exported.parity.passed, true, JSON.stringify(exported.parity));
    assert.equal(exported.parity.images, 3);
    const snippet = await fs.readFile(path.join(exported.dir, 'predict.mjs'), 'utf8');
    assert.match(snippet, /"resize":"crop"/);
    assert.match(snippet, /"fit":"cover","position":"centre"/);
    assert.equal(
      (await readJson<ModelMetadata>(path.join(exported.dir, 'metadata.json'))).preprocessing.resize,
      'crop',
    );

    // A run recorded before resize modes existed: no config.resize. It resumes, and as stretch.
    const { resize: _recorded, ...configBeforeResizeModes } = record.config;
    const old = { ...record, status: 'stopped', config: configBeforeResizeModes };
    await fs.writeFile(path.join(runDir, 'run.json'), JSON.stringify(old));
    const resumed = await trainAny({
      resumeRunDir: runDir,
      runsRoot: path.join(root, 'runs'),
      config,
      epochsOverride: 2,
      emit: () => undefined,
      stop: { requested: false },
    });
    assert.equal(resumed.status, 'completed', resumed.message);
    assert.equal((await readJson<RunRecord>(path.join(runDir, 'run.json'))).config.resize, 'stretch');
    assert.equal((await readJson<ModelMetadata>(metadataFile)).preprocessing.resize, 'stretch');

    // A mode this trainer does not know: refused in one line rather than resumed with another geometry.
    await fs.writeFile(
      path.join(runDir, 'run.json'),
      JSON.stringify({ ...old, config: { ...old.config, resize: 'zoom' } }),
    );
    await assert.rejects(
      trainAny({
        resumeRunDir: runDir,
        runsRoot: path.join(root, 'runs'),
        config,
        epochsOverride: 3,
        emit: () => undefined,
        stop: { requested: false },
      }),
      (e: Error) =>
        e instanceof UsageError &&
        /config: resize must be one of stretch, crop, pad, got "zoom"/.test(e.message),
    );
  } finally {
    await removeDir(root);
  }
});
