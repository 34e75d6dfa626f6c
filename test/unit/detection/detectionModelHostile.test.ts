// isDetectionModel reads a run's model/metadata.json, which a crafted run folder controls: a FIFO, a huge
// file or a link out of the run must answer "not a detector" at once, not hang or allocate gigabytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDetectionModel } from '../../../src/trainer/detect/detectionModel';

function runWithModelDir(): { run: string; model: string; done: () => void } {
  const run = mkdtempSync(join(tmpdir(), 'hostile-detector-'));
  const model = join(run, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'model.json'), '{}');
  return { run, model, done: () => rmSync(run, { recursive: true, force: true }) };
}

test('a detector metadata.json is recognised; a FIFO, a link out of the run or an oversized file is not', async () => {
  const { run, model, done } = runWithModelDir();
  const outside = mkdtempSync(join(tmpdir(), 'outside-'));
  try {
    writeFileSync(join(model, 'metadata.json'), JSON.stringify({ detection: { task: 'detect' } }));
    assert.equal(await isDetectionModel(run), true);

    rmSync(join(model, 'metadata.json'));
    execFileSync('mkfifo', [join(model, 'metadata.json')]);
    assert.equal(await isDetectionModel(run), false, 'a FIFO is not waited on');

    rmSync(join(model, 'metadata.json'));
    writeFileSync(join(outside, 'metadata.json'), JSON.stringify({ detection: { task: 'detect' } }));
    symlinkSync(join(outside, 'metadata.json'), join(model, 'metadata.json'));
    assert.equal(await isDetectionModel(run), false, 'a link out of the run is not followed');

    rmSync(join(model, 'metadata.json'));
    writeFileSync(
      join(model, 'metadata.json'),
      `{"detection":{"task":"detect"},"pad":"${'x'.repeat(70 * 1024 * 1024)}"}`,
    );
    assert.equal(await isDetectionModel(run), false, 'a file over the JSON read limit is not read');
  } finally {
    done();
    rmSync(outside, { recursive: true, force: true });
  }
});
