// Issue 13 §1, the readers' side: crafted run directories in a workspace's runs folder, read the way the
// Runs view, the dashboard and `image-trainer runs` read them (core/runStore.ts listRuns and
// readRunDetails, the DashboardController, presentRunNode, cli `runs`). A record that fails the shared
// schema shows as a damaged run with the reason — never a blank dashboard, a throwing tree, a hang, or a
// read outside the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunSummary } from '../../../src/protocol/runRecord';
import { isHostToWebview, type HostToWebview } from '../../../src/protocol/webviewMessages';
import { listRuns, readRunDetails } from '../../../src/core/runStore';
import { READ_LIMITS } from '../../../src/core/runFiles';
import { DashboardController } from '../../../src/host/dashboard/dashboardController';
import { datasetRootAccess } from '../../../src/host/dashboard/resourceRoots';
import { listLrFinds } from '../../../src/host/dashboard/lrFindStore';
import { presentRunNode } from '../../../src/host/runs/runsModel';
import { visibleNode } from '../../../src/host/treePresentation';
import { RunWriter } from '../../../src/trainer/runWriter';
import { writeGroupRecord } from '../../../src/trainer/experiments/groups';
import { initialState, reduce } from '../../../webview/src/state';
import {
  assertNothingReadIn,
  assertUntouched,
  cli,
  copyTrainedRun,
  editJson,
  workspacesForThisFile,
  readJson,
  traceReads,
  withinSeconds,
  type HostileWorkspace,
} from './hostileWorkspace';

const workspace = workspacesForThisFile();

const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };

/** The dashboard as the extension builds it, over the workspace's runs folder; returns what it posted. */
async function dashboardSnapshot(ws: HostileWorkspace): Promise<HostToWebview[]> {
  const posted: HostToWebview[] = [];
  const controller = new DashboardController(
    fsp,
    { listRuns: () => listRuns(ws.runsRoot), readRunDetails: (dir) => readRunDetails(dir) },
    {
      post: (m) => posted.push(m),
      confirm: async () => true,
      log: () => undefined,
      openFile: async () => undefined,
      saveText: async () => null,
      thumbnailBase: (root) => `vscode-resource:${root}`,
    },
    clock,
    {},
    {
      check: (root) =>
        datasetRootAccess(root, {
          workspaceFolders: [ws.workspace],
          configuredRoots: [],
          homeDir: os.homedir(),
        }),
      mayModify: () => true,
    },
  );
  await controller.handle({ type: 'ready' });
  for (const run of await listRuns(ws.runsRoot))
    await controller.handle({ type: 'selectRun', runId: run.id });
  return posted;
}

/** Every view's reading of the runs folder: each must show `name` as damaged with a reason matching `why`. */
async function assertShownDamaged(ws: HostileWorkspace, name: string, why: RegExp): Promise<void> {
  const runs = await withinSeconds(60, () => listRuns(ws.runsRoot));
  const run = runs.find((r) => r.id === name);
  assert.ok(run, `${name} is listed`);
  assert.equal(run.status, 'damaged');
  assert.match(run.error ?? '', why);
  // The Runs view: a warning icon and the reason in the tooltip, no exception.
  const node = visibleNode(presentRunNode({ kind: 'run', run }));
  assert.equal(node.icon?.id, 'warning');
  assert.equal(node.contextValue, 'run.damaged');
  assert.ok(node.tooltip?.includes('damaged'));
  // The dashboard: every message passes the webview's own guard, and the webview state has the run.
  const posted = await dashboardSnapshot(ws);
  for (const m of posted) assert.ok(isHostToWebview(m), `${m.type} passes the webview guard`);
  const snapshot = posted.find((m) => m.type === 'snapshot');
  assert.ok(snapshot?.type === 'snapshot');
  let state = initialState();
  for (const m of posted) state = reduce(state, m);
  assert.ok(state.loaded, 'the dashboard is not blank');
  assert.ok(state.runs.some((r) => r.id === name && r.status === 'damaged'));
  // The CLI: one line with the reason.
  const text = await cli(['runs', ws.runsRoot], ws.workspace);
  assert.equal(text.code, 0);
  assert.ok(text.stdout.split('\n').some((l) => l.startsWith(name) && l.includes('damaged')));
}

test('a run.json the host used to accept and the webview rejected no longer blanks the dashboard', async () => {
  const ws = await workspace();
  const good = await copyTrainedRun(ws, '2026-01-01T00-00-00-000Z-good');
  const bad = await copyTrainedRun(ws, '2026-01-02T00-00-00-000Z-bad');
  // Passed the host's old check (id, status, createdAt strings; config and dataset objects), failed the webview's.
  await editJson(path.join(bad, 'run.json'), (r) => ({ ...r, epochsCompleted: 'two' }));
  await assertShownDamaged(
    ws,
    path.basename(bad),
    /run\.json: epochsCompleted must be a whole number of at least 0/,
  );
  const runs = await listRuns(ws.runsRoot);
  assert.equal(
    runs.find((r) => r.id === path.basename(good))?.status,
    'completed',
    'the good run is unharmed',
  );
});

test('the Runs view no longer throws on a run.json without a backend', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => {
    const { backend: _backend, ...rest } = r;
    return rest;
  });
  await assertShownDamaged(ws, path.basename(runDir), /backend must be a non-empty name/);
});

test('a bad evaluation.json or metrics line shows the run damaged, with the file and line', async () => {
  const ws = await workspace();
  const a = await copyTrainedRun(ws, '2026-01-01T00-00-00-000Z-eval');
  const evaluation = await readJson(path.join(a, 'evaluation.json'));
  const misclassified = [{ path: '../../victim/secret.txt', label: 'x', predicted: 'y', confidence: 1 }];
  await fsp.writeFile(path.join(a, 'evaluation.json'), JSON.stringify({ ...evaluation, misclassified }));
  await assertShownDamaged(
    ws,
    path.basename(a),
    /evaluation\.json: misclassified\[0\]\.path: path may not contain/,
  );
  const b = await copyTrainedRun(ws, '2026-01-02T00-00-00-000Z-metrics');
  await fsp.appendFile(path.join(b, 'metrics.jsonl'), '{"epoch": 3, "loss": 1e999, "accuracy": 0.5}\n');
  await assertShownDamaged(
    ws,
    path.basename(b),
    /metrics\.jsonl: line \d+: loss must be a finite number, got Infinity/,
  );
});

test('NaN and Infinity in JSON, huge numbers, deep nesting and huge strings are damaged runs, not crashes', async () => {
  const ws = await workspace();
  const cases: [string, string, RegExp][] = [
    ['nan', '{"formatVersion": NaN}', /not valid JSON/],
    [
      'infinity',
      '{"formatVersion": 1e999}',
      /formatVersion must be a whole number of at least 1, got Infinity/,
    ],
    [
      'deep',
      '{"x":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}',
      /not valid JSON|nested too deeply|formatVersion/,
    ],
    [
      'long-id',
      JSON.stringify({ formatVersion: 1, id: 'x'.repeat(5_000_000) }),
      /id must be a non-empty name of at most 1024 characters/,
    ],
  ];
  for (const [name, text] of cases) {
    await fsp.mkdir(path.join(ws.runsRoot, name), { recursive: true });
    await fsp.writeFile(path.join(ws.runsRoot, name, 'run.json'), text);
  }
  for (const [name, , why] of cases) await assertShownDamaged(ws, name, why);
});

test('a deeply nested unknown field of a valid run.json is dropped, never sent to the webview', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const text = (await fsp.readFile(path.join(runDir, 'run.json'), 'utf8')).trimEnd();
  const depth = 5000;
  const nested = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  await fsp.writeFile(path.join(runDir, 'run.json'), `${text.slice(0, -1)}, "extra": ${nested}}`);
  const details = await readRunDetails(runDir);
  assert.equal(details?.summary.status, 'completed');
  assert.equal('extra' in (details?.record ?? {}), false, 'unknown fields are not kept');
  const posted = await dashboardSnapshot(ws);
  for (const m of posted) assert.ok(isHostToWebview(m));
});

test('huge files and FIFOs cannot hang or exhaust a reader', async () => {
  const ws = await workspace();
  const huge = await copyTrainedRun(ws, '2026-01-01T00-00-00-000Z-huge');
  // A sparse metrics.jsonl over the limit: costs no disk, would cost the reader its memory.
  const handle = await fsp.open(path.join(huge, 'metrics.jsonl'), 'r+');
  await handle.truncate(READ_LIMITS.metrics + 1);
  await handle.close();
  await assertShownDamaged(
    ws,
    path.basename(huge),
    /metrics\.jsonl: 128\.0 MiB, over the 128\.0 MiB a reader accepts/,
  );
  if (process.platform !== 'win32') {
    const fifo = path.join(ws.runsRoot, 'fifo');
    await fsp.mkdir(fifo);
    execFileSync('mkfifo', [path.join(fifo, 'run.json')]);
    await assertShownDamaged(ws, 'fifo', /run\.json: not a regular file/);
  }
});

test('a run.json, a run folder or a metrics file that links out of the runs folder is never read', async () => {
  const ws = await workspace();
  const linkedRecord = await copyTrainedRun(ws, '2026-01-01T00-00-00-000Z-linked-record');
  await fsp.writeFile(
    path.join(ws.victim, 'run.json'),
    await fsp.readFile(path.join(linkedRecord, 'run.json')),
  );
  await fsp.rm(path.join(linkedRecord, 'run.json'));
  await fsp.symlink(path.join(ws.victim, 'run.json'), path.join(linkedRecord, 'run.json'));
  const linkedMetrics = await copyTrainedRun(ws, '2026-01-02T00-00-00-000Z-linked-metrics');
  await fsp.rm(path.join(linkedMetrics, 'metrics.jsonl'));
  await fsp.symlink(ws.secret, path.join(linkedMetrics, 'metrics.jsonl'));
  await fsp.symlink(ws.victim, path.join(ws.runsRoot, '2026-01-03T00-00-00-000Z-linked-folder'));
  await assertUntouched(ws.victim, async () => {
    const { read } = await traceReads(async () => {
      await assertShownDamaged(ws, path.basename(linkedRecord), /run\.json: resolves to .*victim.*, outside/);
      await assertShownDamaged(
        ws,
        path.basename(linkedMetrics),
        /metrics\.jsonl: resolves to .*secret\.txt, outside/,
      );
      await assertShownDamaged(
        ws,
        '2026-01-03T00-00-00-000Z-linked-folder',
        /the run folder is a link to .*victim, outside the runs folder — remove the link/,
      );
    });
    assertNothingReadIn(read, ws.victim);
  });
});

test('run ids come from folder names: a run.json claiming another id (or "..") cannot pass for another run', async () => {
  const ws = await workspace();
  const a = await copyTrainedRun(ws, '2026-01-01T00-00-00-000Z-aaaa');
  const b = await copyTrainedRun(ws, '2026-01-02T00-00-00-000Z-bbbb');
  await editJson(path.join(b, 'run.json'), (r) => ({ ...r, id: path.basename(a) }));
  await editJson(path.join(a, 'run.json'), (r) => ({ ...r, id: '../../victim' }));
  const runs = await listRuns(ws.runsRoot);
  assert.deepEqual(runs.map((r) => r.id).sort(), [path.basename(a), path.basename(b)]);
  assert.deepEqual(runs.map((r) => r.runDir).sort(), [a, b]);
});

test('appends to metrics.jsonl never reach another hard link of the file', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const metrics = path.join(runDir, 'metrics.jsonl');
  await fsp.rm(metrics);
  await fsp.link(ws.secret, metrics);
  const details = await readRunDetails(runDir);
  assert.ok(details);
  const writer = new RunWriter(runDir, details.record);
  await assertUntouched(ws.victim, () =>
    writer.appendMetrics({ kind: 'batch', epoch: 1, batch: 1, loss: 1, accuracy: 0.5 }),
  );
  assert.match(await fsp.readFile(metrics, 'utf8'), /"kind":"batch"/);
  assert.equal((await fsp.stat(metrics)).nlink, 1, 'the run has a file of its own now');
});

test('the runs folder\u2019s lr-find and groups folders: links are neither read nor written through', async () => {
  const ws = await workspace();
  await fsp.mkdir(path.join(ws.runsRoot, 'lr-find'));
  await fsp.symlink(path.join(ws.victim, 'notes.json'), path.join(ws.runsRoot, 'lr-find', 'stolen.json'));
  await assertUntouched(ws.victim, async () => {
    const { result, read } = await traceReads(() => listLrFinds(ws.runsRoot));
    assert.deepEqual(result, []);
    assertNothingReadIn(read, ws.victim);
  });
  await fsp.symlink(ws.victim, path.join(ws.runsRoot, 'groups'));
  await assertUntouched(ws.victim, () =>
    assert.rejects(writeGroupRecord(ws.runsRoot, 'sweep-x', { kind: 'sweep' }), /groups: is a symbolic link/),
  );
});

test('property: whatever a run.json holds, every snapshot passes the webview guard and lists the run', async () => {
  const ws = await workspace();
  const runDir = await copyTrainedRun(ws);
  const original = await readJson(path.join(runDir, 'run.json'));
  const replacements: unknown[] = [null, undefined, -1, 1.5, 1e308, '', 'x', [], {}, true, [1], { a: 1 }];
  const paths: string[][] = [];
  const collect = (value: unknown, at: string[]): void => {
    paths.push(at);
    if (value && typeof value === 'object' && at.length < 4)
      for (const [k, v] of Object.entries(value)) collect(v, [...at, k]);
  };
  for (const [k, v] of Object.entries(original)) collect(v, [k]);
  let damaged = 0;
  for (const [i, at] of paths.entries()) {
    const mutated = structuredClone(original);
    let node = mutated as Record<string, unknown>;
    for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const replacement = replacements[i % replacements.length];
    if (replacement === undefined) delete node[at[at.length - 1]];
    else node[at[at.length - 1]] = replacement;
    // Replaced by rename, as the trainer does: a new file each time, whatever the clock's resolution.
    await fsp.writeFile(path.join(runDir, 'run.json.new'), JSON.stringify(mutated));
    await fsp.rename(path.join(runDir, 'run.json.new'), path.join(runDir, 'run.json'));
    const runs: RunSummary[] = await listRuns(ws.runsRoot);
    assert.equal(runs.length, 1, at.join('.'));
    if (runs[0].status === 'damaged') damaged++;
    const posted = await dashboardSnapshot(ws);
    for (const m of posted)
      assert.ok(isHostToWebview(m), `${at.join('.')} = ${JSON.stringify(replacement)}: ${m.type}`);
  }
  assert.ok(damaged > paths.length / 4, `${damaged} of ${paths.length} mutations were damage`);
});
