// `image-trainer bases …`: the --json contracts, one-line usage and download errors with exit 2, stopping
// (IPC stop / Ctrl-C) with exit 130 and resuming, all against a local server named by a catalogue file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  BASE_ENTRY_FIELDS,
  isBaseDownloadEvent,
  isBaseEntry,
  type BaseDownloadEvent,
} from '../../../src/protocol/bases';
import { BASE_CATALOGUE } from '../../../src/core/baseCatalogue';
import { main, type CliIo } from '../../../src/trainer/cli';
import { buildCli, cliEnv } from '../../fixtures/trainerHarness';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { graphEntry, listing, mobileNetEntry, mobileNetFixture, servedFolder, tempDir } from './helpers';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], env: NodeJS.ProcessEnv, stop = { requested: false }): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: false,
    cwd: env.HOME ?? process.cwd(),
    env,
  };
  const code = await main(argv, io, stop);
  return { code, stdout, stderr };
}

function assertOneLineError(result: Run, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line, got: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

function events(stdout: string): BaseDownloadEvent[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const value: unknown = JSON.parse(line);
      assert.ok(isBaseDownloadEvent(value), `a BaseDownloadEvent: ${line}`);
      return value;
    });
}

/** A cache folder and a catalogue file pointing at `server`, as the environment of a CLI run. */
async function environment(server: ModelServer): Promise<NodeJS.ProcessEnv> {
  const home = await tempDir('cli-home');
  const catalogueFile = path.join(home, 'catalogue.json');
  await fs.writeFile(
    catalogueFile,
    JSON.stringify([mobileNetEntry(server.origin), graphEntry(server.origin)]),
  );
  return {
    HOME: home,
    IMAGE_TRAINER_CACHE_DIR: path.join(home, 'cache'),
    IMAGE_TRAINER_BASE_CATALOGUE: catalogueFile,
  };
}

test('bases list --json: exactly the contract fields, the shipped catalogue, nothing installed in an empty cache', async () => {
  const home = await tempDir('cli-list');
  const env = { HOME: home, IMAGE_TRAINER_CACHE_DIR: path.join(home, 'cache') };
  const result = await run(['bases', 'list', '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  const list = JSON.parse(result.stdout) as Record<string, unknown>[];
  assert.deepEqual(
    list.map((e) => e.name),
    BASE_CATALOGUE.map((e) => e.name),
  );
  for (const entry of list) {
    assert.deepEqual(Object.keys(entry), [...BASE_ENTRY_FIELDS]);
    assert.ok(isBaseEntry(entry));
    assert.equal(entry.sha256, null);
  }
  const human = await run(['bases', 'list'], env);
  assert.match(human.stdout, /^NAME\s+FORMAT\s+INPUT\s+SIZE\s+STATUS/);
  assert.match(human.stdout, /mobilenet-v2-0\.35\s+layers\s+224×224×3\s+~1\.6 MB\s+not installed/);
  assert.match(
    human.stdout,
    new RegExp(`Cache: ${path.join(home, 'cache', 'bases').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  );
  assert.deepEqual(await listing(path.join(home, 'cache')), [], 'listing creates nothing');
  const help = await run(['--help'], env);
  assert.match(
    help.stdout,
    /bases list .*\n[\s\S]*bases get NAME[\s\S]*bases add URL_OR_PATH --name NAME[\s\S]*bases remove NAME/,
  );
});

test('bases: usage errors exit 2 with one line', async () => {
  const home = await tempDir('cli-usage');
  const env = { HOME: home, IMAGE_TRAINER_CACHE_DIR: path.join(home, 'cache') };
  assertOneLineError(await run(['bases'], env), 2, /usage: image-trainer bases list\|get NAME/);
  assertOneLineError(await run(['bases', 'frob'], env), 2, /bases needs list, get, add or remove/);
  assertOneLineError(await run(['bases', 'get'], env), 2, /usage: image-trainer bases get NAME/);
  assertOneLineError(await run(['bases', 'list', 'extra'], env), 2, /usage: image-trainer bases list/);
  assertOneLineError(await run(['bases', 'add', './m'], env), 2, /bases add needs --name NAME/);
  assertOneLineError(
    await run(['bases', 'list', '--name', 'x'], env),
    2,
    /--name does not apply to bases list/,
  );
  assertOneLineError(
    await run(['bases', 'get', 'x', '--cut-layer', 'y'], env),
    2,
    /--cut-layer does not apply to bases get/,
  );
  assertOneLineError(
    await run(['bases', 'add', './m', '--name', 'Bad/Name'], env),
    2,
    /"Bad\/Name" is not a valid base name/,
  );
  assertOneLineError(
    await run(['bases', 'add', './m', '--name', 'x', '--preprocessing', 'auto'], env),
    2,
    /--preprocessing must be zeroOne or minusOneOne/,
  );
  assertOneLineError(
    await run(['bases', 'add', './m', '--name', 'x', '--input-size', '0'], env),
    2,
    /--input-size must be a whole number from 8 to 4096/,
  );
  assertOneLineError(
    await run(['bases', 'add', './m', '--name', 'x', '--sha256', 'xyz'], env),
    2,
    /--sha256 must be 64 hexadecimal digits/,
  );
  assertOneLineError(await run(['bases', 'get', 'nope'], env), 2, /no base named "nope" in the catalogue/);
  assertOneLineError(await run(['bases', 'remove', 'nope'], env), 2, /no base named nope is installed/);
  assertOneLineError(await run(['bases', 'list', '--frob'], env), 2, /unknown flag --frob for bases/);
  const badCatalogue = path.join(home, 'bad.json');
  await fs.writeFile(badCatalogue, '[{"name":"x"}]');
  assertOneLineError(
    await run(['bases', 'list'], { ...env, IMAGE_TRAINER_BASE_CATALOGUE: badCatalogue }),
    2,
    /bad\.json \(IMAGE_TRAINER_BASE_CATALOGUE\): entry 1 is not a valid base entry/,
  );
});

test('bases get --json: progress events then baseInstalled; list shows it installed; remove deletes it', async () => {
  const server = await startModelServer(await servedFolder());
  try {
    const env = await environment(server);
    const got = await run(['bases', 'get', 'mobile-test', '--json'], env);
    assert.equal(got.code, 0, got.stderr);
    const stream = events(got.stdout);
    assert.equal(stream[0].type, 'baseDownloadStarted');
    assert.ok(stream.some((e) => e.type === 'baseDownloadProgress'));
    const installed = stream[stream.length - 1];
    assert.equal(installed.type, 'baseInstalled');
    assert.equal(got.stderr, '');

    const list = JSON.parse((await run(['bases', 'list', '--json'], env)).stdout) as Record<
      string,
      unknown
    >[];
    const entry = list.find((e) => e.name === 'mobile-test')!;
    assert.match(String(entry.sha256), /^[0-9a-f]{64}$/);
    assert.equal(installed.type === 'baseInstalled' && installed.base.sha256, entry.sha256);
    assert.equal(list.find((e) => e.name === 'graph-test')!.sha256, null);
    const human = await run(['bases', 'list'], env);
    assert.match(human.stdout, /mobile-test\s+layers\s+32×32×3\s+\d+(\.\d)? kB\s+installed/);

    const again = await run(['bases', 'get', 'mobile-test'], env);
    assert.match(again.stdout, /mobile-test is already installed in .* \(every file verified\)/);

    const removed = await run(['bases', 'remove', 'mobile-test', '--json'], env);
    assert.equal(removed.code, 0);
    assert.deepEqual(
      events(removed.stdout).map((e) => e.type),
      ['baseRemoved'],
    );
    const after = JSON.parse((await run(['bases', 'list', '--json'], env)).stdout) as Record<
      string,
      unknown
    >[];
    assert.equal(after.find((e) => e.name === 'mobile-test')!.sha256, null);
  } finally {
    await server.close();
  }
});

test('bases get: a 404 is exit 2 with one line (and a baseDownloadFailed event with --json); nothing is installed', async () => {
  const server = await startModelServer(await servedFolder(), { notFound: ['group1-shard2of2.bin'] });
  try {
    const env = await environment(server);
    const result = await run(['bases', 'get', 'graph-test', '--json'], env);
    assertOneLineError(
      result,
      2,
      /^image-trainer: http:\/\/127\.0\.0\.1:\d+\/graph\/group1-shard2of2\.bin: HTTP 404 Not Found — model\.json names group1-shard2of2\.bin/,
    );
    const stream = events(result.stdout);
    const failed = stream[stream.length - 1];
    assert.equal(failed.type, 'baseDownloadFailed');
    const list = JSON.parse((await run(['bases', 'list', '--json'], env)).stdout) as Record<
      string,
      unknown
    >[];
    assert.equal(list.find((e) => e.name === 'graph-test')!.sha256, null);
  } finally {
    await server.close();
  }
});

test('bases get: a stop request (IPC stop, Ctrl-C) ends with 130 and a baseDownloadStopped event; the next get resumes', async () => {
  const server = await startModelServer(await servedFolder(), {
    stallAfter: { path: 'group1-shard2of3.bin', bytes: 3000 },
    chunkBytes: 1000,
  });
  try {
    const env = await environment(server);
    const stop = { requested: false };
    const timer = setInterval(() => {
      if (server.requests.some((r) => r.path.endsWith('group1-shard2of3.bin'))) stop.requested = true;
    }, 20);
    const stopped = await run(['bases', 'get', 'mobile-test', '--json'], env, stop);
    clearInterval(timer);
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /download of mobile-test stopped; run the same command again to resume/);
    const last = events(stopped.stdout).pop()!;
    assert.equal(last.type, 'baseDownloadStopped');
    assert.ok(last.type === 'baseDownloadStopped' && last.bytesDone > 0);
    server.knobs.stallAfter = null;
    const resumed = await run(['bases', 'get', 'mobile-test'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      /Downloading mobile-test from .* \(\d+(\.\d)? kB, resuming with \d+(\.\d)? kB already here\)/,
    );
    assert.match(resumed.stdout, /Installed mobile-test \(\d+(\.\d)? kB, sha256 [0-9a-f]{12}…\) in /);
    const second = server.requests.filter((r) => r.path.endsWith('group1-shard2of3.bin'))[1];
    assert.match(second.range ?? '', /^bytes=3000-$/);
  } finally {
    await server.close();
  }
});

test('bases add: by path and by URL, with --cut-layer and --preprocessing; --cache-dir overrides the environment', async () => {
  const server = await startModelServer(await servedFolder());
  try {
    const env = await environment(server);
    const cacheDir = path.join(env.HOME!, 'elsewhere');
    const byPath = await run(
      [
        'bases',
        'add',
        await mobileNetFixture(),
        '--name',
        'mine',
        '--cut-layer',
        'out_relu',
        '--preprocessing',
        'minusOneOne',
        '--cache-dir',
        cacheDir,
      ],
      env,
    );
    assert.equal(byPath.code, 0, byPath.stderr);
    assert.match(
      byPath.stdout,
      /Installed mine: layers model, input 32×32×3, cut at out_relu, preprocessing minusOneOne, /,
    );
    const byUrl = await run(
      ['bases', 'add', `${server.origin}/graph/model.json`, '--name', 'g', '--cache-dir', cacheDir, '--json'],
      env,
    );
    assert.equal(byUrl.code, 0, byUrl.stderr);
    const installed = events(byUrl.stdout).pop()!;
    assert.ok(
      installed.type === 'baseInstalled' &&
        installed.base.format === 'graph' &&
        installed.base.cutLayer === null,
    );
    assert.deepEqual(await listing(path.join(cacheDir, 'bases')), ['g', 'mine']);
    assert.deepEqual(
      await listing(path.join(env.HOME!, 'cache')),
      [],
      'the environment’s cache was not touched',
    );
    const list = JSON.parse(
      (await run(['bases', 'list', '--json', '--cache-dir', cacheDir], env)).stdout,
    ) as { name: string }[];
    assert.deepEqual(
      list.map((e) => e.name),
      ['mobile-test', 'graph-test', 'g', 'mine'],
      'catalogue first, then added bases by name',
    );
  } finally {
    await server.close();
  }
});

test('bases get in a real process: SIGINT stops the download with status 130 and no installed base', async () => {
  const server = await startModelServer(await servedFolder(), {
    stallAfter: { path: 'group1-shard1of2.bin', bytes: 200 },
    chunkBytes: 100,
  });
  const built = await buildCli();
  try {
    const env = await environment(server);
    const child = spawn(process.execPath, [built.cli, 'bases', 'get', 'graph-test', '--json'], {
      env: {
        ...cliEnv(),
        ...env,
        HTTP_PROXY: '',
        HTTPS_PROXY: '',
        http_proxy: '',
        https_proxy: '',
        ALL_PROXY: '',
        all_proxy: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!interrupted && /baseDownloadProgress/.test(stdout)) {
        interrupted = true; // once: a second Ctrl-C means "quit at once"
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /stopping the download \(press Ctrl-C again to quit at once\)/);
    assert.match(stderr, /download of graph-test stopped; run the same command again to resume/);
    assert.equal(events(stdout).pop()!.type, 'baseDownloadStopped');
    const visible = (await listing(path.join(env.IMAGE_TRAINER_CACHE_DIR!, 'bases'))).filter(
      (n) => !n.startsWith('.'),
    );
    assert.deepEqual(visible, []);
  } finally {
    await built.dispose();
    await server.close();
  }
});
