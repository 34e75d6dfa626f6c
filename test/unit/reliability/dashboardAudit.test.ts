// Issue 8 §5, dashboard side, from the file system's point of view: every call the dashboard controller
// makes goes through an auditing fs, and 10,000 seeded random and mutated webview messages (traversal,
// absolute and drive paths, NUL bytes, links out of the data set, another run's files, evaluation.json
// entries that point outside) must never make it stat, resolve, move or open anything outside the data
// set roots. The state stays consistent and every message it posts passes the webview's own guard.
// (test/unit/host/dashboard/dashboardHandler.test.ts checks the outcomes of the same handler; this checks every call.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Evaluation, RunDetails } from '../../../src/protocol/runRecord';
import { isHostToWebview, type HostToWebview } from '../../../src/protocol/webviewMessages';
import {
  DashboardController,
  type DashboardFs,
  relativeSegments,
} from '../../../src/host/dashboard/dashboardController';
import { datasetRootAccess } from '../../../src/host/dashboard/resourceRoots';
import * as os from 'node:os';
import type { Clock } from '../../../src/host/util/clock';
import { makeTempDir, removeDir, seededRandom } from '../../fixtures/imageFactory';
import { makeRunSummary, recordOfSummary } from '../../fixtures/runRecords';

const HOSTILE_PATHS = [
  'cat/a.png',
  'cat/b.png',
  'dog/c.png',
  'cat/link.png',
  'cat/dirlink/inner.png',
  'cat/loop.png',
  '../outside/secret.png',
  'cat/../../outside/secret.png',
  '/etc/passwd',
  'C:\\Windows\\win.ini',
  '\\\\server\\share\\x.png',
  'cat\\..\\..\\outside\\secret.png',
  'cat/a.png\u0000.txt',
  '\u0000',
  '',
  '.',
  './cat/a.png',
  'cat//a.png',
  'cat/%2e%2e/%2e%2e/outside/secret.png',
  'cat/\u2025/a.png',
  'x'.repeat(5000),
  'cat',
  'dog',
  'other/z.png',
];

function evaluationListing(paths: string[]): Evaluation {
  return {
    labels: ['cat', 'dog'],
    confusion: [
      [1, paths.length],
      [0, 1],
    ],
    accuracy: 0.5,
    macro: { precision: 0.5, recall: 0.5, f1: 0.5 },
    weighted: { precision: 0.5, recall: 0.5, f1: 0.5 },
    perClass: [
      { label: 'cat', precision: 1, recall: 0.5, f1: 0.6, support: 1 + paths.length },
      { label: 'dog', precision: 0.5, recall: 1, f1: 0.6, support: 1 },
    ],
    // evaluation.json is on disk and could have been edited: it lists hostile paths too.
    misclassified: paths.map((p) => ({ path: p, label: 'cat', predicted: 'dog', confidence: 0.8 })),
  };
}

/** Paths evaluation.json may list (the shared schema refuses the others; that run then shows no details). */
const LISTABLE_PATHS = HOSTILE_PATHS.filter((p) => typeof relativeSegments(p) !== 'string');

function runOf(id: string, runsRoot: string, datasetRoot: string, listed = LISTABLE_PATHS): RunDetails {
  const summary = makeRunSummary(id, { runDir: path.join(runsRoot, id), datasetRoot });
  return {
    summary,
    record: recordOfSummary(summary),
    epochs: [],
    batches: [],
    evaluation: evaluationListing(listed),
  };
}

function inside(root: string, candidate: string): boolean {
  const rel = path.relative(root, path.resolve(candidate));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)));
  }
  return out.sort();
}

test('fuzz: 10,000 webview messages; the dashboard touches nothing outside the data set roots', async () => {
  const work = await makeTempDir('it-dash-audit-');
  try {
    const rootA = path.join(work, 'dataA');
    const rootB = path.join(work, 'dataB');
    const outside = path.join(work, 'outside');
    const runsRoot = path.join(work, 'runs');
    for (const dir of [
      path.join(rootA, 'cat'),
      path.join(rootA, 'dog'),
      path.join(rootB, 'cat'),
      path.join(rootB, 'dog'),
      path.join(outside, 'folder'),
    ]) {
      await fsp.mkdir(dir, { recursive: true });
    }
    for (const [file, text] of [
      [path.join(rootA, 'cat/a.png'), 'A'],
      [path.join(rootA, 'cat/b.png'), 'B'],
      [path.join(rootA, 'dog/c.png'), 'C'],
      [path.join(rootB, 'cat/a.png'), 'BA'],
      [path.join(outside, 'secret.png'), 'S'],
      [path.join(outside, 'folder/inner.png'), 'I'],
    ]) {
      await fsp.writeFile(file, text);
    }
    await fsp.symlink(path.join(outside, 'secret.png'), path.join(rootA, 'cat/link.png'));
    await fsp.symlink(path.join(outside, 'folder'), path.join(rootA, 'cat/dirlink'));
    await fsp.symlink('loop.png', path.join(rootA, 'cat/loop.png'));
    const outsideBefore = await listTree(outside);
    const treeBefore = [...(await listTree(rootA)), ...(await listTree(rootB))];

    const roots = [rootA, rootB];
    const violations: string[] = [];
    const calls = { count: 0, renames: 0 };
    const check = (op: string, p: string): void => {
      calls.count++;
      if (!roots.some((r) => inside(r, p))) violations.push(`${op} ${JSON.stringify(p).slice(0, 120)}`);
    };
    const audited: DashboardFs = {
      realpath: async (p) => {
        check('realpath', p);
        return fsp.realpath(p);
      },
      stat: async (p) => {
        check('stat', p);
        return fsp.stat(p);
      },
      lstat: async (p) => {
        check('lstat', p);
        return fsp.lstat(p);
      },
      rename: async (from, to) => {
        check('rename from', from);
        check('rename to', to);
        // Moves stay within one data set, never through a link out of it, never over a file.
        const realFrom = await fsp.realpath(from);
        if (!roots.some((r) => inside(r, realFrom))) violations.push(`rename of a file outside: ${realFrom}`);
        if (
          await fsp.lstat(to).then(
            () => true,
            () => false,
          )
        )
          violations.push(`rename over ${to}`);
        calls.renames++;
        return fsp.rename(from, to);
      },
    };
    // run-c's evaluation.json was edited to list paths out of its data set: it fails the schema, so the
    // dashboard shows it without details and acts on none of its files.
    const runs = [
      runOf('run-a', runsRoot, rootA),
      runOf('run-b', runsRoot, rootB),
      runOf('run-c', runsRoot, rootA, HOSTILE_PATHS),
    ];
    const posted: HostToWebview[] = [];
    const opened: string[] = [];
    const clock: Clock = {
      now: () => 0,
      setTimeout: () => 0,
      clearTimeout: () => undefined,
    } as unknown as Clock;
    const controller = new DashboardController(
      audited,
      {
        listRuns: async () => runs.map((r) => r.summary),
        readRunDetails: async (dir) => runs.find((r) => r.summary.runDir === dir) ?? null,
      },
      {
        post: (m) => posted.push(m),
        confirm: async () => true,
        log: () => undefined,
        openFile: async (file) => {
          // Checked when opened: a later move may take the file elsewhere in the data set.
          const real = await fsp.realpath(file);
          if (!roots.some((r) => inside(r, real))) violations.push(`opened ${real}`);
          opened.push(file);
        },
        saveText: async (_text, name) => `/somewhere/${name}`,
        thumbnailBase: (r) => `vscode-resource:${r}`,
      },
      clock,
      {},
      // The user chose the two data set folders (the workspace); `outside` is not among them.
      {
        check: (root) =>
          datasetRootAccess(root, {
            workspaceFolders: [rootA, rootB],
            configuredRoots: [],
            homeDir: os.homedir(),
          }),
        mayModify: () => true,
      },
    );

    const random = seededRandom(4242);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const junk: unknown[] = [
      null,
      undefined,
      0,
      -1,
      NaN,
      '',
      [],
      {},
      true,
      'run-a',
      '../run-a',
      'x\u0000',
      'x'.repeat(100_001),
    ];
    const types = [
      'ready',
      'selectRun',
      'showPage',
      'requestCompare',
      'openImage',
      'moveImage',
      'exportCsv',
      'bogus',
      'constructor',
      '__proto__',
    ];
    const classes = ['cat', 'dog', '..', '../outside', '', 'dog/..', 'cat/dirlink', '\u0000', '/tmp', 'c:'];
    await controller.handle({ type: 'ready' });
    for (let i = 0; i < 10_000; i++) {
      const message: Record<string, unknown> = {
        type: pick(types),
        runId: random() < 0.8 ? pick(['run-a', 'run-b', 'run-c']) : pick(junk),
        path: random() < 0.85 ? pick(HOSTILE_PATHS) : pick(junk),
        toClass: random() < 0.85 ? pick(classes) : pick(junk),
        page: random() < 0.6 ? pick(['run', 'compare', 'bogus']) : pick(junk),
        runIds:
          random() < 0.6
            ? pick([['run-a'], ['run-a', 'run-b'], ['nope'], [], ['run-a', 'run-a']])
            : pick(junk),
        csv: random() < 0.5 ? 'a,b\n1,2' : pick(junk),
        suggestedName: random() < 0.5 ? pick(['runs.csv', '../../x.csv', '/etc/x.csv']) : pick(junk),
      };
      for (const key of Object.keys(message)) if (key !== 'type' && random() < 0.2) delete message[key];
      await assert.doesNotReject(controller.handle(random() < 0.03 ? pick(junk) : message), `message ${i}`);
      const state = controller.state;
      assert.ok(
        state.selectedRunId === null || runs.some((r) => r.summary.id === state.selectedRunId),
        `selected run exists (${state.selectedRunId})`,
      );
      for (const id of state.compareRunIds)
        assert.ok(
          runs.some((r) => r.summary.id === id),
          `compared run ${id} exists`,
        );
      assert.equal(new Set(state.compareRunIds).size, state.compareRunIds.length, 'no run compared twice');
    }
    assert.deepEqual(violations.slice(0, 10), [], `${violations.length} calls outside the data set roots`);
    for (const m of posted) assert.ok(isHostToWebview(m), `posted ${m.type} passes the webview guard`);
    assert.deepEqual(await listTree(outside), outsideBefore, 'nothing outside changed');
    assert.equal(await fsp.readFile(path.join(outside, 'secret.png'), 'utf8'), 'S');
    const treeAfter = [...(await listTree(rootA)), ...(await listTree(rootB))];
    assert.deepEqual(
      treeAfter.map((p) => path.basename(p)).sort(),
      treeBefore.map((p) => path.basename(p)).sort(),
      'no image lost or duplicated',
    );
    assert.ok(calls.count > 100, `the fuzz reached the file system (${calls.count} calls)`);
    console.log(
      `dashboard audit: 10,000 messages, ${calls.count} fs calls, ${calls.renames} moves, ${opened.length} opens, all inside the data set roots`,
    );
  } finally {
    await removeDir(work);
  }
});
