// Issue 13 §2 and §3: data set roots come from the user, not from files, and Restricted Mode. The
// dashboard host (DashboardController with the extension's policy, datasetRootAccess) is driven by webview
// messages the way the panel drives it; the runs folder setting through resolveSettings; the trust gates
// through the table the command registrations read. No file outside the chosen roots is opened, moved or
// shown, and every refusal reaches the user as one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostToWebview } from '../../../src/protocol/webviewMessages';
import { listRuns, readRunDetails } from '../../../src/core/runStore';
import { COMMANDS } from '../../../src/host/ids';
import { RESTRICTED_MODE_COMMANDS, TRUSTED_COMMANDS } from '../../../src/host/commands/commandTrust';
import { DashboardController } from '../../../src/host/dashboard/dashboardController';
import { datasetRootAccess, forbiddenRootReason } from '../../../src/host/dashboard/resourceRoots';
import { resolveSettings } from '../../../src/host/settingsModel';
import {
  assertNothingReadIn,
  assertUntouched,
  copyTrainedRun,
  editJson,
  workspacesForThisFile,
  readJson,
  traceReads,
  type HostileWorkspace,
} from './hostileWorkspace';

const workspace = workspacesForThisFile();

const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };
const REPO = path.resolve(__dirname, '..', '..', '..');

interface Dashboard {
  controller: DashboardController;
  posted: HostToWebview[];
  opened: string[];
  roots: string[][];
}

/** The dashboard over the workspace's runs, with the extension's policy: the workspace and `configured`. */
async function dashboard(
  ws: HostileWorkspace,
  options: { configured?: string[]; trusted?: boolean } = {},
): Promise<Dashboard> {
  const posted: HostToWebview[] = [];
  const opened: string[] = [];
  const roots: string[][] = [];
  const controller = new DashboardController(
    fsp,
    { listRuns: () => listRuns(ws.runsRoot), readRunDetails: (dir) => readRunDetails(dir) },
    {
      post: (m) => posted.push(m),
      confirm: async () => true,
      log: () => undefined,
      openFile: async (file) => {
        opened.push(file);
      },
      saveText: async () => null,
      thumbnailBase: (root) => `vscode-resource:${root}`,
      datasetRootsChanged: (allowed) => roots.push(allowed),
    },
    clock,
    {},
    {
      check: (root) =>
        datasetRootAccess(root, {
          workspaceFolders: [ws.workspace],
          configuredRoots: options.configured ?? [],
          homeDir: os.homedir(),
        }),
      mayModify: () => options.trusted ?? true,
    },
  );
  await controller.handle({ type: 'ready' });
  return { controller, posted, opened, roots };
}

function notices(d: Dashboard): string[] {
  return d.posted.flatMap((m) => (m.type === 'notice' ? [m.message] : []));
}

/** A run trained on the workspace's data set whose run.json now names `root`, with a mistake in `cat`. */
async function runNaming(ws: HostileWorkspace, root: string): Promise<{ runDir: string; image: string }> {
  const runDir = await copyTrainedRun(ws);
  await editJson(path.join(runDir, 'run.json'), (r) => ({
    ...r,
    dataset: { ...(r.dataset as Record<string, unknown>), root, classNames: ['cat', 'dog'], classCounts: {} },
  }));
  // The trained run has four classes; this one claims two, so its per-epoch figures go.
  await fsp.writeFile(path.join(runDir, 'metrics.jsonl'), '');
  const evaluation = await readJson(path.join(runDir, 'evaluation.json'));
  const image = 'cat/a.png';
  await fsp.writeFile(
    path.join(runDir, 'evaluation.json'),
    JSON.stringify({
      ...evaluation,
      labels: ['cat', 'dog'],
      confusion: [
        [0, 1],
        [0, 0],
      ],
      perClass: [],
      misclassified: [{ path: image, label: 'cat', predicted: 'dog', confidence: 0.9 }],
      confusionByEpoch: undefined,
    }),
  );
  return { runDir, image };
}

test('a data set root named by run.json outside the workspace is shown read-only: no open, move or thumbnails', async () => {
  const ws = await workspace();
  const photos = path.join(ws.victim, 'photos');
  const { runDir, image } = await runNaming(ws, photos);
  const runId = path.basename(runDir);
  await assertUntouched(ws.victim, async () => {
    const { read } = await traceReads(async () => {
      const d = await dashboard(ws);
      const snapshot = d.posted.find((m) => m.type === 'snapshot');
      assert.ok(snapshot?.type === 'snapshot');
      assert.equal(snapshot.snapshot.thumbnailBases[runId], undefined, 'no thumbnails from the claimed root');
      assert.match(
        snapshot.snapshot.datasetNotices?.[runId] ?? '',
        /photos is outside the workspace and imageTrainer\.datasetRoots: shown read-only/,
      );
      assert.deepEqual(d.roots.flat(), [], 'the claimed root never becomes a webview resource root');
      await d.controller.handle({ type: 'openImage', runId, path: image });
      await d.controller.handle({ type: 'moveImage', runId, path: image, toClass: 'dog' });
      assert.deepEqual(d.opened, []);
      assert.equal(notices(d).length, 2);
      for (const n of notices(d)) assert.match(n, /^Cannot (open|move) the image: .*outside the workspace/);
    });
    assertNothingReadIn(read, ws.victim);
  });
});

test('the same root, once the user adds it to imageTrainer.datasetRoots, can be opened and moved in', async () => {
  const ws = await workspace();
  const photos = path.join(ws.victim, 'photos');
  const { runDir, image } = await runNaming(ws, photos);
  const runId = path.basename(runDir);
  const d = await dashboard(ws, { configured: [photos] });
  const snapshot = d.posted.find((m) => m.type === 'snapshot');
  assert.ok(snapshot?.type === 'snapshot');
  assert.equal(snapshot.snapshot.thumbnailBases[runId], `vscode-resource:${photos}`);
  assert.deepEqual(d.roots.at(-1), [photos]);
  await d.controller.handle({ type: 'openImage', runId, path: image });
  assert.deepEqual(d.opened, [path.join(photos, image)]);
  await d.controller.handle({ type: 'moveImage', runId, path: image, toClass: 'dog' });
  assert.deepEqual(readdirSync(path.join(photos, 'dog')).sort(), ['a.png', 'b.png']);
});

test('Restricted Mode: the dashboard moves nothing, even inside the workspace, and says why', async () => {
  const ws = await workspace();
  const inside = path.join(ws.workspace, 'pets');
  await fsp.cp(path.join(ws.victim, 'photos'), inside, { recursive: true });
  const { runDir, image } = await runNaming(ws, inside);
  const d = await dashboard(ws, { trusted: false });
  await assertUntouched(inside, () =>
    d.controller.handle({ type: 'moveImage', runId: path.basename(runDir), path: image, toClass: 'dog' }),
  );
  assert.deepEqual(notices(d), [
    'Cannot move the image: moving files is disabled in Restricted Mode; trust the workspace to move images.',
  ]);
});

test('a root inside the workspace that is a link to the home folder, /, a system folder or outside is refused', async () => {
  const ws = await workspace();
  const policy = { workspaceFolders: [ws.workspace], configuredRoots: [], homeDir: os.homedir() };
  const link = path.join(ws.workspace, 'innocent');
  for (const [target, why] of [
    [ws.victim, /outside the workspace/],
    [os.homedir(), /home folder|outside the workspace/],
    ['/', /root of a disk/],
    ['/etc', /system folder/],
  ] as const) {
    await fsp.rm(link, { force: true });
    await fsp.symlink(target, link);
    const access = await datasetRootAccess(link, policy);
    assert.equal(access.ok, false, target);
    assert.match(access.ok ? '' : access.reason, why);
  }
  for (const root of [
    '/',
    os.homedir(),
    path.dirname(os.homedir()),
    '/etc',
    '/usr/share',
    '/proc/self',
    'relative',
  ])
    assert.ok(forbiddenRootReason(root, os.homedir()), `${root} is never a root`);
  assert.equal(forbiddenRootReason(path.join(ws.workspace, 'data'), os.homedir()), null);
  // Even a configured root may not be the home folder.
  const home = await datasetRootAccess(os.homedir(), { ...policy, configuredRoots: [os.homedir()] });
  assert.equal(home.ok, false);
});

test('imageTrainer.runsDirectory: never /, the home folder or a system folder; outside the workspace only when trusted', () => {
  const home = '/home/ada';
  const ws = ['/work/repo'];
  for (const setting of ['/', '~', '/home', '/etc', '/usr/lib/x', '/proc']) {
    const s = resolveSettings({ runsDirectory: setting }, ws, true, home);
    assert.equal(s.runsRoot, '/work/repo/.image-trainer/runs', setting);
    assert.match(
      s.runsRootWarning ?? '',
      /is not used: it is (the root of a disk|the home folder or holds it|a system folder)\. Using \/work\/repo\/\.image-trainer\/runs\./,
    );
  }
  const outside = resolveSettings({ runsDirectory: '/data/runs' }, ws, false, home);
  assert.equal(outside.runsRoot, '/work/repo/.image-trainer/runs');
  assert.match(outside.runsRootWarning ?? '', /is outside the workspace, which needs a trusted workspace/);
  const trusted = resolveSettings({ runsDirectory: '/data/runs' }, ws, true, home);
  assert.equal(trusted.runsRoot, '/data/runs');
  assert.equal(trusted.runsRootWarning, null);
  const relative = resolveSettings({ runsDirectory: '../../..' }, ws, false, home);
  assert.equal(relative.runsRoot, '/work/repo/.image-trainer/runs', 'a relative climb out is outside too');
});

test('trust gates: every command that loads a model or trains is refused in Restricted Mode', () => {
  for (const command of [
    COMMANDS.evaluateRun,
    COMMANDS.classifyImage,
    COMMANDS.exportModel,
    COMMANDS.train,
    COMMANDS.resume,
    COMMANDS.runSweep,
  ])
    assert.ok(TRUSTED_COMMANDS[command], `${command} needs trust`);
  // The commands that stay available read run files only through the confined store and the read-only dashboard.
  assert.ok(RESTRICTED_MODE_COMMANDS[COMMANDS.compareRuns]);
  assert.ok(RESTRICTED_MODE_COMMANDS[COMMANDS.openDashboard]);
  // Each gated command is registered through `gated(...)`, which refuses before its handler runs.
  const dir = path.join(REPO, 'src/host/commands');
  const code = readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
  for (const [key, id] of Object.entries(COMMANDS)) {
    if (!TRUSTED_COMMANDS[id]) continue;
    assert.match(
      code,
      new RegExp(`registerCommand\\(\\s*COMMANDS\\.${key},\\s*gated\\(COMMANDS\\.${key},`),
      id,
    );
  }
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { description: string; restrictedConfigurations: string[] } };
  };
  const trust = pkg.capabilities.untrustedWorkspaces;
  assert.match(trust.description, /cannot be trained, resumed, evaluated or used to classify images/);
  assert.ok(trust.restrictedConfigurations.includes('imageTrainer.datasetRoots'));
  assert.ok(trust.restrictedConfigurations.includes('imageTrainer.runsDirectory'));
});
