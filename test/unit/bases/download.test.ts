// Downloads done right, against a local server on 127.0.0.1: install, resume with Range, servers that
// ignore Range, 404s, refused connections, corrupted and truncated shards, escaping weight paths, a full
// disk, cancellation, redirects — and after every failure, no half-installed base in the listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { isInstalledBaseManifest, type BaseDownloadEvent } from '../../../src/protocol/bases';
import type { CatalogueEntry } from '../../../src/core/baseCatalogue';
import {
  baseDigest,
  basesRoot,
  getBase,
  listBases,
  removeBase,
  verifyInstalledBase,
  type GetBaseOptions,
} from '../../../src/trainer/bases/cache';
import { BaseError, DownloadStoppedError } from '../../../src/trainer/bases/errors';
import { startModelServer, type ModelServer, type ModelServerKnobs } from '../../fixtures/modelServer';
import { graphEntry, listing, mobileNetEntry, NO_PROXY_ENV, servedFolder, tempDir } from './helpers';

interface Setup {
  root: string;
  server: ModelServer;
  cacheDir: string;
  catalogue: CatalogueEntry[];
  options: GetBaseOptions;
  events: BaseDownloadEvent[];
}

async function setup(
  knobs: ModelServerKnobs = {},
  entry?: (origin: string) => CatalogueEntry,
): Promise<Setup> {
  const root = await servedFolder();
  const server = await startModelServer(root, knobs);
  const cacheDir = await tempDir('cache');
  const catalogue = [entry ? entry(server.origin) : mobileNetEntry(server.origin), graphEntry(server.origin)];
  const events: BaseDownloadEvent[] = [];
  return {
    root,
    server,
    cacheDir,
    catalogue,
    events,
    options: {
      cacheDir,
      catalogue,
      env: NO_PROXY_ENV,
      onEvent: (e) => events.push(e),
      progressIntervalMs: 0,
    },
  };
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

/** The listing shows no trace of `name`; only hidden staging/lock entries may remain. */
async function assertNotInstalled(s: Setup, name = 'mobile-test'): Promise<void> {
  const { bases } = await listBases(s.cacheDir, s.catalogue);
  assert.equal(
    bases.find((b) => b.entry.name === name)?.installed,
    false,
    `${name} is not listed as installed`,
  );
  const visible = (await listing(basesRoot(s.cacheDir))).filter((n) => !n.startsWith('.'));
  assert.ok(!visible.includes(name), `no ${name} folder in the cache: ${visible.join(', ')}`);
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<BaseError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof BaseError, `a BaseError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail(`expected a failure matching ${pattern}`);
}

test('get: installs model.json and every shard atomically, with sizes, sha256 and progress events', async () => {
  const s = await setup();
  try {
    const result = await getBase('mobile-test', s.options);
    assert.equal(result.alreadyInstalled, false);
    assert.equal(result.dir, path.join(basesRoot(s.cacheDir), 'mobile-test'));
    const manifest = JSON.parse(await fs.readFile(path.join(result.dir, 'base.json'), 'utf8'));
    assert.ok(isInstalledBaseManifest(manifest));
    assert.deepEqual(
      manifest.files.map((f: { path: string }) => f.path),
      ['model.json', 'group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin'],
    );
    for (const file of manifest.files) {
      const served = path.join(s.root, 'mobilenet', file.path);
      assert.equal(file.sha256, await sha256(served), `${file.path} is byte-identical to the served file`);
      assert.equal(file.bytes, (await fs.stat(served)).size);
    }
    assert.equal(manifest.sha256, baseDigest(manifest.files));
    assert.equal(manifest.cutLayer, 'out_relu');
    assert.equal(manifest.origin, 'catalogue');
    assert.deepEqual(await listing(basesRoot(s.cacheDir)), ['mobile-test'], 'no staging folder or lock left');
    const types = s.events.map((e) => e.type);
    assert.equal(types[0], 'baseDownloadStarted');
    assert.equal(
      s.events[0].type === 'baseDownloadStarted' && s.events[0].resumedBytes,
      0,
      'a fresh download',
    );
    assert.equal(types[types.length - 1], 'baseInstalled');
    const progress = s.events.filter((e) => e.type === 'baseDownloadProgress');
    assert.ok(progress.length >= 3);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytesDone >= progress[i - 1].bytesDone);
    const last = progress[progress.length - 1];
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.bytesTotal, manifest.sizeBytes);
    const { bases } = await listBases(s.cacheDir, s.catalogue);
    const listed = bases.find((b) => b.entry.name === 'mobile-test')!;
    assert.equal(listed.installed, true);
    assert.equal(listed.entry.sha256, manifest.sha256);
    assert.equal(listed.entry.sizeBytes, manifest.sizeBytes);

    const shardRequests = s.server.count('.bin');
    const again = await getBase('mobile-test', s.options);
    assert.equal(again.alreadyInstalled, true);
    assert.equal(
      s.server.count('.bin'),
      shardRequests,
      'an installed base is verified, not downloaded again',
    );
  } finally {
    await s.server.close();
  }
});

test('resume: a connection dropped mid-shard keeps the .part file; the next get asks for the rest with Range', async () => {
  const s = await setup({ dropAfter: { path: 'group1-shard2of3.bin', bytes: 5000 }, chunkBytes: 1000 });
  try {
    const err = await rejectsWith(
      getBase('mobile-test', s.options),
      /group1-shard2of3\.bin: the connection dropped after 5000 of \d+ bytes — run the same command again to resume/,
    );
    assert.match(err.message, /^http:\/\/127\.0\.0\.1:\d+\/mobilenet\/group1-shard2of3\.bin/);
    await assertNotInstalled(s);
    const staging = path.join(basesRoot(s.cacheDir), '.partial-mobile-test');
    assert.equal((await fs.stat(path.join(staging, 'group1-shard2of3.bin.part'))).size, 5000);
    assert.ok(
      (await fs.stat(path.join(staging, 'group1-shard1of3.bin'))).isFile(),
      'the completed shard is kept',
    );

    const result = await getBase('mobile-test', s.options);
    assert.ok(result.resumedBytes >= 5000 + 16_000, `resumed ${result.resumedBytes} bytes`);
    const resumed = s.server.requests.filter((r) => r.path.endsWith('group1-shard2of3.bin'));
    assert.equal(resumed.length, 2);
    assert.equal(resumed[1].range, 'bytes=5000-', 'the server saw the Range header');
    assert.ok(resumed[1].ifRange, 'and If-Range with the validator of the first response');
    assert.equal(resumed[1].status, 206);
    assert.equal(s.server.count('group1-shard1of3.bin'), 1, 'the completed shard is not fetched again');
    await verifyInstalledBase(result.dir);
    for (const f of result.manifest.files)
      assert.equal(f.sha256, await sha256(path.join(s.root, 'mobilenet', f.path)), f.path);
  } finally {
    await s.server.close();
  }
});

test('resume: a server that ignores Range sends the whole file again (200) and the result is still exact', async () => {
  const s = await setup({
    dropAfter: { path: 'group1-shard3of3.bin', bytes: 3000 },
    ignoreRange: true,
    chunkBytes: 1000,
  });
  try {
    await rejectsWith(getBase('mobile-test', s.options), /group1-shard3of3\.bin: the connection dropped/);
    const result = await getBase('mobile-test', s.options);
    const third = s.server.requests.filter((r) => r.path.endsWith('group1-shard3of3.bin'));
    assert.equal(third[1].range, 'bytes=3000-');
    assert.equal(third[1].status, 200, 'the server answered with the whole file');
    assert.equal(
      result.manifest.files.find((f) => f.path === 'group1-shard3of3.bin')!.sha256,
      await sha256(path.join(s.root, 'mobilenet', 'group1-shard3of3.bin')),
    );
  } finally {
    await s.server.close();
  }
});

test('failures: 404 model.json, a shard named in model.json but missing, connection refused', async () => {
  const s = await setup({ notFound: ['/mobilenet/model.json'] });
  try {
    await rejectsWith(
      getBase('mobile-test', s.options),
      /\/mobilenet\/model\.json: HTTP 404 Not Found — no model\.json at this address/,
    );
    await assertNotInstalled(s);
    assert.deepEqual(
      await listing(basesRoot(s.cacheDir)),
      [],
      'nothing staged for a model.json that is not there',
    );

    s.server.knobs.notFound = [];
    await fs.rm(path.join(s.root, 'mobilenet', 'group1-shard3of3.bin'));
    await rejectsWith(
      getBase('mobile-test', s.options),
      /group1-shard3of3\.bin: HTTP 404 Not Found — model\.json names group1-shard3of3\.bin, but the server has no such file/,
    );
    await assertNotInstalled(s);
  } finally {
    await s.server.close();
  }
  // The same port with nothing listening: ECONNREFUSED.
  const err = await rejectsWith(
    getBase('mobile-test', s.options),
    /model\.json: cannot download: the connection was refused \(ECONNREFUSED\) — check the network connection/,
  );
  assert.ok(err.message.startsWith(s.catalogue[0].source));
});

test('failures: wrong bytes against a pinned sha256 are refused and discarded; the right pin installs', async () => {
  const s = await setup();
  try {
    const pinned = { ...s.options, catalogue: [mobileNetEntry(s.server.origin, { sha256: 'f'.repeat(64) })] };
    await rejectsWith(
      getBase('mobile-test', pinned),
      /does not match the pinned ffffffffffff… — the download is corrupted or the files changed at the source/,
    );
    await assertNotInstalled(s);
    assert.deepEqual(
      await listing(basesRoot(s.cacheDir)),
      [],
      'the corrupt download is discarded, not resumed',
    );

    // Learn the true digest once, then pin it.
    const probeCache = await tempDir('probe');
    const probe = await getBase('mobile-test', { ...s.options, cacheDir: probeCache });
    const good = {
      ...s.options,
      catalogue: [mobileNetEntry(s.server.origin, { sha256: probe.manifest.sha256 })],
    };
    const result = await getBase('mobile-test', good);
    assert.equal(result.manifest.sha256, probe.manifest.sha256);
  } finally {
    await s.server.close();
  }
});

test('failures: bytes corrupted in transit fail the checksum the server announces; the retry is clean', async () => {
  const s = await setup({ sendDigest: true, corruptInTransit: ['group1-shard2of3.bin'] });
  try {
    await rejectsWith(
      getBase('mobile-test', s.options),
      /group1-shard2of3\.bin: the \d+ bytes received do not match the checksum the server announces/,
    );
    await assertNotInstalled(s);
    const staging = path.join(basesRoot(s.cacheDir), '.partial-mobile-test');
    assert.ok(!(await listing(staging)).includes('group1-shard2of3.bin.part'), 'the corrupt part is deleted');
    s.server.knobs.corruptInTransit = [];
    const result = await getBase('mobile-test', s.options);
    await verifyInstalledBase(result.dir);
  } finally {
    await s.server.close();
  }
});

test('failures: a truncated shard fails the weightsManifest byte count; a non-JSON model.json is named as such', async () => {
  const s = await setup();
  try {
    const shard = path.join(s.root, 'mobilenet', 'group1-shard3of3.bin');
    await fs.truncate(shard, 1000);
    await rejectsWith(
      getBase('mobile-test', s.options),
      /the weight files \[group1-shard1of3\.bin, group1-shard2of3\.bin, group1-shard3of3\.bin\] hold \d+ bytes, but model\.json's weightsManifest describes \d+ — the files at the source are truncated/,
    );
    await assertNotInstalled(s);

    await fs.writeFile(path.join(s.root, 'graph', 'model.json'), '<html>Sign in</html>');
    await rejectsWith(
      getBase('graph-test', s.options),
      /graph\/model\.json: not a TF\.js model\.json: it is not JSON .* — pass the address of a TF\.js model\.json/,
    );
    await assertNotInstalled(s, 'graph-test');
  } finally {
    await s.server.close();
  }
});

test('confinement: weight paths escaping the folder, absolute, or on another host are refused before any fetch', async () => {
  const s = await setup();
  try {
    const modelJson = path.join(s.root, 'graph', 'model.json');
    const original = JSON.parse(await fs.readFile(modelJson, 'utf8'));
    const cases: [string, RegExp][] = [
      ['../../etc/passwd', /weight path "\.\.\/\.\.\/etc\/passwd" leaves model\.json's folder/],
      ['/etc/passwd', /weight path "\/etc\/passwd" is absolute/],
      ['http://other.example/graph/x.bin', /points to another host \(http:\/\/other\.example\)/],
      [`${s.server.origin}/mobilenet/group1-shard1of3.bin`, /is outside model\.json's folder/],
    ];
    for (const [bad, pattern] of cases) {
      const json = structuredClone(original);
      json.weightsManifest[0].paths[1] = bad;
      await fs.writeFile(modelJson, JSON.stringify(json));
      const before = s.server.requests.length;
      await rejectsWith(
        getBase('graph-test', s.options),
        new RegExp(
          `graph/model\\.json: .*${pattern.source}.* refusing to fetch a file outside the model's folder`,
        ),
      );
      assert.equal(s.server.requests.length, before + 1, 'only model.json was requested');
      await assertNotInstalled(s, 'graph-test');
    }
    // A same-origin URL inside the folder is allowed and stored as a plain relative path.
    const json = structuredClone(original);
    json.weightsManifest[0].paths[1] = `${s.server.origin}/graph/group1-shard2of2.bin`;
    await fs.writeFile(modelJson, JSON.stringify(json));
    const result = await getBase('graph-test', s.options);
    const stored = JSON.parse(await fs.readFile(path.join(result.dir, 'model.json'), 'utf8'));
    assert.deepEqual(stored.weightsManifest[0].paths, ['group1-shard1of2.bin', 'group1-shard2of2.bin']);
  } finally {
    await s.server.close();
  }
});

test('full disk: ENOSPC while writing a shard ends with one line naming the file, nothing installed; the retry resumes', async () => {
  const s = await setup();
  try {
    let failed = false;
    const beforeWrite = (file: string): void => {
      if (file.endsWith('group1-shard2of3.bin.part') && !failed) {
        failed = true;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
    };
    await rejectsWith(
      getBase('mobile-test', { ...s.options, beforeWrite }),
      /\.partial-mobile-test\/group1-shard2of3\.bin\.part: no space left on the device \(ENOSPC\) — free some space or choose another cache folder with --cache-dir/,
    );
    await assertNotInstalled(s);
    const result = await getBase('mobile-test', s.options);
    assert.equal(s.server.count('group1-shard1of3.bin'), 1, 'the shard written before the failure is reused');
    await verifyInstalledBase(result.dir);

    // A failure at the very end (writing base.json) also leaves nothing half-installed.
    const other = await setup();
    try {
      const failManifest = (file: string): void => {
        if (file.endsWith('base.json')) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      };
      await rejectsWith(
        getBase('graph-test', { ...other.options, beforeWrite: failManifest }),
        /base\.json: no space left on the device/,
      );
      await assertNotInstalled(other, 'graph-test');
      await getBase('graph-test', other.options);
      assert.equal(other.server.count('group1-shard1of2.bin'), 1, 'the staged files were kept for the retry');
    } finally {
      await other.server.close();
    }
  } finally {
    await s.server.close();
  }
});

test('cancel: aborting mid-shard stops at once, leaves no installed base, and the next get resumes', async () => {
  const s = await setup({ stallAfter: { path: 'group1-shard2of3.bin', bytes: 4000 }, chunkBytes: 1000 });
  try {
    const controller = new AbortController();
    const onEvent = (e: BaseDownloadEvent): void => {
      s.events.push(e);
      if (
        e.type === 'baseDownloadProgress' &&
        e.file === 'group1-shard2of3.bin' &&
        e.bytesDone > 16_235 + 28_000
      )
        controller.abort();
    };
    const started = Date.now();
    try {
      await getBase('mobile-test', { ...s.options, signal: controller.signal, onEvent });
      assert.fail('expected the download to stop');
    } catch (err) {
      assert.ok(err instanceof DownloadStoppedError, String(err));
      assert.ok(err.bytesDone > 0 && err.bytesTotal > err.bytesDone);
    }
    assert.ok(Date.now() - started < 20_000, 'the stalled connection does not hold the stop');
    await assertNotInstalled(s);
    const part = path.join(basesRoot(s.cacheDir), '.partial-mobile-test', 'group1-shard2of3.bin.part');
    assert.ok((await fs.stat(part)).size > 0, 'the partial shard is kept for a resume');

    s.server.knobs.stallAfter = null;
    const result = await getBase('mobile-test', s.options);
    const second = s.server.requests.filter((r) => r.path.endsWith('group1-shard2of3.bin'));
    assert.match(second[1].range ?? '', /^bytes=\d+-$/);
    await verifyInstalledBase(result.dir);
  } finally {
    await s.server.close();
  }
});

test('sources: a 404 at the first address falls back to the alternate; redirects are followed with the query kept', async () => {
  const s = await setup({}, (origin) =>
    mobileNetEntry(origin, {
      source: `${origin}/moved/model.json`,
      alternateSources: [`${origin}/mobilenet/model.json`],
    }),
  );
  try {
    const result = await getBase('mobile-test', s.options);
    assert.equal(result.manifest.source, `${s.server.origin}/mobilenet/model.json`);
    assert.equal(s.server.count('/moved/model.json'), 1);
  } finally {
    await s.server.close();
  }

  // TF Hub style: model.json?tfjs-format=file redirects elsewhere; shards are asked for beside the
  // original address, with the same query, and redirect too.
  const hub = await setup();
  try {
    const redirects: Record<string, string> = { '/hub/graph/1/model.json': '/graph/model.json' };
    for (const shard of ['group1-shard1of2.bin', 'group1-shard2of2.bin'])
      redirects[`/hub/graph/1/${shard}`] = `/graph/${shard}`;
    hub.server.knobs.redirects = redirects;
    const catalogue = [
      graphEntry(hub.server.origin, {
        source: `${hub.server.origin}/hub/graph/1/model.json?tfjs-format=file`,
      }),
    ];
    const result = await getBase('graph-test', { ...hub.options, catalogue });
    const shardHits = hub.server.requests.filter((r) => r.path.startsWith('/hub/graph/1/group1'));
    assert.equal(shardHits.length, 2);
    assert.ok(shardHits.every((r) => r.url.endsWith('?tfjs-format=file') && r.status === 302));
    await verifyInstalledBase(result.dir);
  } finally {
    await hub.server.close();
  }
});

test('encoding: a gzip-compressed model.json is decoded', async () => {
  const s = await setup({ gzipJson: true });
  try {
    const result = await getBase('graph-test', s.options);
    const stored = await fs.readFile(path.join(result.dir, 'model.json'), 'utf8');
    assert.equal(stored, await fs.readFile(path.join(s.root, 'graph', 'model.json'), 'utf8'));
  } finally {
    await s.server.close();
  }
});

test('a changed model.json upstream discards what was staged for the old one', async () => {
  const s = await setup({ dropAfter: { path: 'group1-shard2of2.bin', bytes: 100 }, chunkBytes: 50 });
  try {
    await rejectsWith(getBase('graph-test', s.options), /dropped/);
    const modelJson = path.join(s.root, 'graph', 'model.json');
    const json = JSON.parse(await fs.readFile(modelJson, 'utf8'));
    json.generatedBy = 'a newer converter';
    await fs.writeFile(modelJson, JSON.stringify(json));
    await getBase('graph-test', s.options);
    const second = s.server.requests.filter((r) => r.path.endsWith('group1-shard2of2.bin'));
    assert.equal(second[1].range, null, 'started afresh: no Range into a file of the old version');
    assert.equal(s.server.count('group1-shard1of2.bin'), 2);
  } finally {
    await s.server.close();
  }
});

test('remove: deletes the base (and a partial download); removing it again is an error', async () => {
  const s = await setup();
  try {
    const { dir } = await getBase('graph-test', s.options);
    assert.equal(await removeBase('graph-test', { cacheDir: s.cacheDir }), dir);
    await assertNotInstalled(s, 'graph-test');
    assert.deepEqual(await listing(basesRoot(s.cacheDir)), []);
    await rejectsWith(
      removeBase('graph-test', { cacheDir: s.cacheDir }),
      /no base named graph-test is installed in .* — `image-trainer bases list` shows what is installed/,
    );
    await rejectsWith(removeBase('../x', { cacheDir: s.cacheDir }), /"\.\.\/x" is not a valid base name/);
  } finally {
    await s.server.close();
  }
});

test('lock: a second writer for the same base is refused while the first one lives; a dead owner’s lock is taken over', async () => {
  const s = await setup();
  try {
    const root = basesRoot(s.cacheDir);
    await fs.mkdir(root, { recursive: true });
    await fs.writeFile(path.join(root, '.lock-graph-test'), String(process.ppid));
    await rejectsWith(
      getBase('graph-test', s.options),
      new RegExp(`another image-trainer \\(pid ${process.ppid}\\) is installing or removing graph-test`),
    );
    // The pid of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await fs.writeFile(path.join(root, '.lock-graph-test'), String(dead));
    await getBase('graph-test', s.options);
    assert.deepEqual(await listing(root), ['graph-test']);
  } finally {
    await s.server.close();
  }
});

test('unknown names and invalid names are one-line errors', async () => {
  const cacheDir = await tempDir('names');
  await rejectsWith(
    getBase('nope', { cacheDir, env: NO_PROXY_ENV }),
    /no base named "nope" in the catalogue \(mobilenet-v2-0\.35, .*\) — add any TF\.js model with `image-trainer bases add URL_OR_PATH --name NAME`/,
  );
  await rejectsWith(getBase('Bad Name', { cacheDir, env: NO_PROXY_ENV }), /not a valid base name/);
});
