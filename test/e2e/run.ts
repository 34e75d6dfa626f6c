// `npm run test:e2e`: the packaged extension in a real VS Code workbench (code-server), driven in headless
// Chromium the way a new user meets it. Each step is timed and leaves a screenshot in artifacts/e2e/; a
// failing step is named, and code-server's log and the editor's logs are kept next to the screenshots.
// Every process started is stopped by its id in `finally`, and on Ctrl+C.
//
//   E2E_VSIX=path.vsix   drive this VSIX instead of building and packaging one (faster when iterating)
//   IMAGE_TRAINER_CACHE  where test/e2e/setup.sh keeps code-server (default ~/.cache/image-trainer)
//   CHROMIUM_PATH        the browser (default /usr/bin/chromium, installed by setup.sh)
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, killAllSync, runToEnd, startTracked, stopAll, trackPid } from './processes';
import { countClasses, writeSampleDataset, type ClassCounts } from './sampleData';
import { type DetectionFixture, writeDetectionSet } from './detectionStep';
import { steps, type E2eContext } from './steps';
import { answerTrustDialog, describeWorkbench, waitForWorkbench } from './workbench';
import { waitForLog } from './extensionLog';
import { serveBase, type ServedBase } from './pretrainedBase';

const REPO = resolve(__dirname, '..', '..');
const ARTIFACTS = join(REPO, 'artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const PER_CLASS = 60;

interface Timing {
  step: string;
  ms: number;
  ok: boolean;
}

const timings: Timing[] = [];

function say(line: string): void {
  console.log(`[e2e] ${line}`);
}

async function timed<T>(step: string, body: () => Promise<T> | T): Promise<T> {
  const start = Date.now();
  say(`▶ ${step}`);
  try {
    const value = await body();
    timings.push({ step, ms: Date.now() - start, ok: true });
    say(`✓ ${step} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    return value;
  } catch (err) {
    timings.push({ step, ms: Date.now() - start, ok: false });
    throw new StepError(step, err);
  }
}

class StepError extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`step "${step}" failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function mustSucceed(what: string, command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const result = runToEnd(command, args, REPO, env);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${what} exited with ${result.status}:\n${tail}`);
  }
  return result.stdout;
}

/** Runs test/e2e/setup.sh (idempotent; fast when code-server is cached) and returns code-server's folder. */
function setUp(): string {
  const out = mustSucceed('test/e2e/setup.sh', 'bash', [join(REPO, 'test', 'e2e', 'setup.sh')]);
  const dir = out.trim().split('\n').pop() ?? '';
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) throw new Error(`setup.sh reported ${dir}, which has no code-server entry.js`);
  return entry;
}

function newestVsix(since: number): string {
  const candidates = readdirSync(REPO)
    .filter((n) => n.endsWith('.vsix'))
    .map((n) => ({ path: join(REPO, n), mtime: statSync(join(REPO, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const newest = candidates[0];
  if (newest === undefined || newest.mtime < since - 1000) {
    throw new Error('npm run package produced no new .vsix in the repository root');
  }
  return newest.path;
}

function buildAndPackage(): string {
  const started = Date.now();
  mustSucceed('npm run build', 'npm', ['run', 'build']);
  mustSucceed('npm run package', 'npm', ['run', 'package']);
  const vsix = newestVsix(started);
  say(`  VSIX ${vsix} (${(statSync(vsix).size / 1024 / 1024).toFixed(1)} MiB)`);
  return vsix;
}

/**
 * code-server writes a config file and logs under XDG folders: keep them in the run's temporary folder. The
 * catalogue of pretrained bases names the stand-in host on 127.0.0.1 (the extension and its trainers read it).
 */
function codeServerEnv(tmp: string, catalogueFile?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    ...(catalogueFile ? { IMAGE_TRAINER_BASE_CATALOGUE: catalogueFile } : {}),
  };
}

function installVsix(
  entry: string,
  tmp: string,
  extensionsDir: string,
  userDataDir: string,
  vsix: string,
): void {
  const out = mustSucceed(
    'code-server --install-extension',
    process.execPath,
    [entry, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix],
    codeServerEnv(tmp),
  );
  say(`  ${out.trim().split('\n').pop() ?? ''}`);
  const installed = readdirSync(extensionsDir).filter((n) => n.startsWith('image-trainer.image-trainer-'));
  if (installed.length === 0) throw new Error(`the VSIX did not install into ${extensionsDir}`);
}

function prepareWorkspace(dir: string): ClassCounts {
  const data = join(dir, 'shapes');
  writeSampleDataset(REPO, data, PER_CLASS);
  // Short experiment configs the Train command offers next to the presets: the demo's small batch-normalised
  // cnn, so a run takes seconds yet learns the shapes (the screenshots show a real model, not chance).
  const config = {
    epochs: 6,
    batchSize: 16,
    imageSize: 32,
    channels: 1,
    model: 'cnn',
    learningRate: 0.003,
    cnn: {
      blocks: 3,
      filters: 16,
      convsPerBlock: 1,
      batchNorm: true,
      dropout: 0,
      denseUnits: 64,
      head: 'globalAverage',
    },
    backend: 'wasm',
    augment: null,
    seed: 1,
  };
  writeFileSync(join(dir, 'e2e-quick.imagetrainer.json'), JSON.stringify(config, null, 2) + '\n');
  // A second experiment, differing in learning rate and epochs, for the compare page.
  const second = { ...config, epochs: 3, learningRate: 0.001 };
  writeFileSync(join(dir, 'e2e-quick-lr.imagetrainer.json'), JSON.stringify(second, null, 2) + '\n');
  // A run that cannot end by itself during the test, for the stop step.
  const long = { ...config, epochs: 500 };
  writeFileSync(join(dir, 'e2e-long.imagetrainer.json'), JSON.stringify(long, null, 2) + '\n');
  return countClasses(data);
}

/** User settings for a quiet, deterministic workbench: no welcome page, tips, or walkthrough pop-ups. */
function writeUserSettings(userDataDir: string): void {
  const user = join(userDataDir, 'User');
  mkdirSync(user, { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.startupPrompt': 'always',
    'security.workspace.trust.untrustedFiles': 'open',
    'window.commandCenter': false,
    'imageTrainer.backend': 'wasm',
  };
  writeFileSync(join(user, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (${last})`);
}

async function startCodeServer(
  entry: string,
  tmp: string,
  ctxDirs: { userDataDir: string; extensionsDir: string; workspace: string },
  catalogueFile: string,
): Promise<number> {
  const port = await freePort();
  const configFile = join(tmp, 'code-server.yaml');
  // An explicit config file keeps code-server from writing one into the user's home folder.
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env = codeServerEnv(tmp, catalogueFile);
  startTracked(
    'code-server',
    process.execPath,
    [
      entry,
      '--config',
      configFile,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir',
      ctxDirs.userDataDir,
      '--extensions-dir',
      ctxDirs.extensionsDir,
      ctxDirs.workspace,
    ],
    join(ARTIFACTS, 'code-server.log'),
    env,
  );
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  return port;
}

async function startBrowser(): Promise<Browser> {
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    host: '127.0.0.1',
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  trackPid('chromium', server.process());
  return chromium.connect(server.wsEndpoint());
}

async function screenshot(page: Page | undefined, index: number, step: string): Promise<void> {
  if (page === undefined || page.isClosed()) return;
  const file = join(ARTIFACTS, `${String(index).padStart(2, '0')}-${step}.png`);
  try {
    await page.screenshot({ path: file, timeout: 15_000 });
    say(`  screenshot ${file}`);
  } catch (err) {
    say(`  (no screenshot for ${step}: ${err instanceof Error ? err.message : String(err)})`);
  }
}

function keepLogs(userDataDir: string): void {
  const logs = join(userDataDir, 'logs');
  if (existsSync(logs)) cpSync(logs, join(ARTIFACTS, 'editor-logs'), { recursive: true });
}

const consoleProblems: string[] = [];

/** Keeps the browser's errors and warnings (webview frames included) to print when a step fails. */
function watchConsole(page: Page): void {
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    consoleProblems.push(`${message.type()}: ${message.text().replace(/\s+/g, ' ').slice(0, 300)}`);
    if (consoleProblems.length > 200) consoleProblems.shift();
  });
  page.on('pageerror', (error) => consoleProblems.push(`page error: ${error.message.slice(0, 300)}`));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** CI shows only the output: the browser's last problems and the extension's own log go there. */
function printFailureLogs(): void {
  say(`browser console, last errors and warnings (${consoleProblems.length} in all):`);
  for (const line of consoleProblems.slice(-15)) say(`  ${line}`);
  const logs = filesUnder(join(ARTIFACTS, 'editor-logs'));
  for (const file of logs.filter((f) => f.endsWith('Image Trainer.log'))) {
    say(`${file.slice(ARTIFACTS.length + 1)}, last lines:`);
    for (const line of readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20)) say(`  ${line}`);
  }
  for (const file of logs.filter((f) => f.endsWith('remoteexthost.log'))) {
    const errors = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /\[error\]/i.test(l));
    if (errors.length === 0) continue;
    say(`${file.slice(ARTIFACTS.length + 1)}, errors:`);
    for (const line of errors.slice(-10)) say(`  ${line.slice(0, 300)}`);
  }
}

function printTimings(): void {
  say('timings:');
  for (const t of timings)
    say(`  ${t.ok ? 'ok  ' : 'FAIL'} ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.step}`);
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  say(`  total ${(total / 1000).toFixed(1)} s`);
}

async function main(): Promise<number> {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'image-trainer-e2e-'));
  tmpFolder = tmp;
  const dirs = {
    userDataDir: join(tmp, 'user-data'),
    extensionsDir: join(tmp, 'extensions'),
    workspace: join(tmp, 'trusted-workspace'),
    restrictedWorkspace: join(tmp, 'restricted-workspace'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  let page: Page | undefined;
  let failed: StepError | undefined;
  let served: ServedBase | undefined;
  let stepIndex = 0;
  let passedSteps = 0;
  try {
    const entry = await timed('setup', setUp);
    const vsix = process.env.E2E_VSIX
      ? resolve(process.env.E2E_VSIX)
      : await timed('build-and-package', buildAndPackage);
    await timed('install-vsix', () => installVsix(entry, tmp, dirs.extensionsDir, dirs.userDataDir, vsix));
    let detection: DetectionFixture | undefined;
    const counts = await timed('workspaces', async () => {
      writeUserSettings(dirs.userDataDir);
      const trusted = prepareWorkspace(dirs.workspace);
      detection = writeDetectionSet(REPO, dirs.workspace);
      prepareWorkspace(dirs.restrictedWorkspace);
      say(`  sample classes: ${[...trusted].map(([c, n]) => `${c}=${n}`).join(', ')}`);
      return trusted;
    });
    served = await timed('serve-pretrained-base', () => serveBase(join(tmp, 'model-host')));
    const catalogueFile = served.catalogueFile;
    const port = await timed('start-code-server', () => startCodeServer(entry, tmp, dirs, catalogueFile));
    const browser = await timed('start-chromium', startBrowser);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // Every URL the browser side asks for: the native-engine step checks it never reads a file itself.
    const browserRequests: string[] = [];
    context.on('request', (request) => {
      if (browserRequests.length < 50_000) browserRequests.push(request.url());
    });
    page = await context.newPage();
    watchConsole(page);
    const openedPage = page;
    const base = `http://127.0.0.1:${port}`;
    await timed('workbench-and-trust', async () => {
      await openedPage.goto(`${base}/?folder=${encodeURIComponent(dirs.workspace)}`);
      await waitForWorkbench(openedPage);
      await answerTrustDialog(openedPage, true);
    });
    await screenshot(page, ++stepIndex, 'workbench-and-trust');
    passedSteps++;
    const ctx: E2eContext = {
      repo: REPO,
      page,
      context,
      base,
      dirs,
      counts,
      detection,
      say,
      logLines: (what, done, timeoutMs) => waitForLog(dirs.userDataDir, what, done, timeoutMs),
      modelHost: served.server,
      artifact: (name) => join(ARTIFACTS, name),
      browserRequests,
    };
    for (const step of steps) {
      try {
        await timed(step.name, () => step.run(ctx));
        passedSteps++;
      } finally {
        await screenshot(ctx.page, ++stepIndex, step.name);
      }
    }
  } catch (err) {
    failed = err instanceof StepError ? err : new StepError('harness', err);
    await screenshot(page, ++stepIndex, `failed-${failed.step}`);
    if (page && !page.isClosed()) for (const line of await describeWorkbench(page)) say(`  ${line}`);
  } finally {
    await stopAll();
    await served?.server.close().catch(() => undefined);
    keepLogs(dirs.userDataDir);
  }
  if (failed) printFailureLogs();
  printTimings();
  // The plain closing line CI reads: the user steps (trust included) that passed and failed.
  console.log(`e2e: ${passedSteps} passed, ${failed ? 1 : 0} failed`);
  if (failed) {
    say(
      `FAILED at step "${failed.step}": ${failed.cause instanceof Error ? (failed.cause.stack ?? failed.cause.message) : String(failed.cause)}`,
    );
    say(
      `screenshots and logs kept in ${ARTIFACTS} (code-server.log, editor-logs/); temporary folder kept: ${tmp}`,
    );
    return 1;
  }
  rmSync(tmp, { recursive: true, force: true });
  say(`all steps passed; screenshots in ${ARTIFACTS}`);
  return 0;
}

let interrupted = false;
let tmpFolder: string | undefined;
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  say('interrupted: stopping every process this run started');
  void stopAll().finally(() => {
    if (tmpFolder) rmSync(tmpFolder, { recursive: true, force: true });
    process.exit(130);
  });
});
process.on('exit', killAllSync);

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    killAllSync();
    process.exit(1);
  },
);
