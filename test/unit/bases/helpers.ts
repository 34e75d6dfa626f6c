// Shared set-up of the base tests: temp folders, the fixture models (built once per process, copied per
// test), and catalogue entries that point at a local server.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CatalogueEntry } from '../../../src/core/baseCatalogue';
import {
  buildMobileNetV2Like,
  MOBILENET_V2_BLOCKS,
  saveShardedLayersModel,
  writeGraphModelFixture,
  type GraphFixtureOptions,
} from '../../fixtures/baseModels';

export const MOBILENET_INPUT = 32;
export const GRAPH_INPUT = 16;
export const GRAPH_OPTIONS: GraphFixtureOptions = {
  inputSize: GRAPH_INPUT,
  filters: 8,
  pooled: true,
  shards: 2,
};

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `bases-${prefix}-`));
}

export async function copyDir(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await copyDir(source, target);
    else await fs.copyFile(source, target);
  }
}

let mobileNetOnce: Promise<string> | null = null;

/** A MobileNet-v2-shaped layers model (32 px, α 0.35, five blocks, out_relu) in three shards; built once. */
export function mobileNetFixture(): Promise<string> {
  mobileNetOnce ??= (async () => {
    const dir = path.join(await tempDir('mobilenet'), 'model');
    const model = buildMobileNetV2Like({
      inputSize: MOBILENET_INPUT,
      alpha: 0.35,
      blocks: MOBILENET_V2_BLOCKS.slice(0, 5),
      lastFilters: 64,
    });
    await saveShardedLayersModel(model, dir, 3);
    model.dispose();
    return dir;
  })();
  return mobileNetOnce;
}

/** A served folder: `mobilenet/` and `graph/` fixtures, copied fresh so a test may damage them. */
export async function servedFolder(): Promise<string> {
  const root = await tempDir('served');
  await copyDir(await mobileNetFixture(), path.join(root, 'mobilenet'));
  await writeGraphModelFixture(path.join(root, 'graph'), GRAPH_OPTIONS);
  return root;
}

export function mobileNetEntry(origin: string, overrides: Partial<CatalogueEntry> = {}): CatalogueEntry {
  return {
    name: 'mobile-test',
    format: 'layers',
    inputShape: [MOBILENET_INPUT, MOBILENET_INPUT, 3],
    preprocessing: 'minusOneOne',
    cutLayer: 'out_relu',
    sizeBytes: 100_000,
    sha256: null,
    source: `${origin}/mobilenet/model.json`,
    licence: 'Apache-2.0',
    alternateSources: [],
    description: 'test MobileNet',
    ...overrides,
  };
}

export function graphEntry(origin: string, overrides: Partial<CatalogueEntry> = {}): CatalogueEntry {
  return {
    name: 'graph-test',
    format: 'graph',
    inputShape: [GRAPH_INPUT, GRAPH_INPUT, 3],
    preprocessing: 'zeroOne',
    cutLayer: null,
    sizeBytes: 1000,
    sha256: null,
    source: `${origin}/graph/model.json`,
    licence: 'Apache-2.0',
    alternateSources: [],
    description: 'test graph model',
    ...overrides,
  };
}

/** Names of the entries of a folder (hidden ones included). */
export async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

/** An environment with no proxy settings, so tests never depend on the machine's. */
export const NO_PROXY_ENV: NodeJS.ProcessEnv = {};
