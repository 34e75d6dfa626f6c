// Runs node's test runner over test/<suite>/**/*.test.ts (Node 20's --test takes no globs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const suites = process.argv.slice(2);
if (suites.length === 0) suites.push('unit');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.test.ts')) files.push(full);
  }
};
for (const suite of suites) {
  const dir = join('test', suite);
  if (existsSync(dir)) walk(dir);
}
if (files.length === 0) {
  console.error(`no test files under ${suites.map((s) => 'test/' + s).join(', ')}`);
  process.exit(1);
}
// Tests never write into the user's cache (pretrained bases, feature caches): they get a fresh one.
const cacheDir = process.env.IMAGE_TRAINER_CACHE_DIR ? null : mkdtempSync(join(tmpdir(), 'image-trainer-test-cache-'));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: cacheDir ? { ...process.env, IMAGE_TRAINER_CACHE_DIR: cacheDir } : process.env,
});
if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
