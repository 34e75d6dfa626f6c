// The stand-in for a model host in the e2e run: a MobileNet-v2-shaped base (Keras' layer names, cut at
// out_relu, sharded as the real files are) served over HTTP on 127.0.0.1, and a catalogue file naming it,
// which the editor reads through IMAGE_TRAINER_BASE_CATALOGUE. Nothing leaves the machine.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { CatalogueEntry } from '../../src/core/baseCatalogue';
import { buildMobileNetV2Like, saveShardedLayersModel } from '../fixtures/baseModels';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';

export const E2E_BASE = 'e2e-mobilenet';
const INPUT = 32;

export interface ServedBase {
  server: ModelServer;
  catalogueFile: string;
}

export async function serveBase(dir: string): Promise<ServedBase> {
  await tf.setBackend('cpu');
  const model = buildMobileNetV2Like({
    inputSize: INPUT,
    alpha: 0.35,
    blocks: [
      { filters: 16, stride: 1, expansion: 1 },
      { filters: 24, stride: 2, expansion: 6 },
      { filters: 32, stride: 2, expansion: 6 },
    ],
    lastFilters: 128,
  });
  await saveShardedLayersModel(model, path.join(dir, 'model'), 3);
  model.dispose();
  const server = await startModelServer(path.join(dir, 'model'));
  const entry: CatalogueEntry = {
    name: E2E_BASE,
    format: 'layers',
    inputShape: [INPUT, INPUT, 3],
    preprocessing: 'minusOneOne',
    cutLayer: 'out_relu',
    sizeBytes: 200_000,
    sha256: null,
    source: `${server.origin}/model.json`,
    licence: 'Apache-2.0',
    alternateSources: [],
    description: 'MobileNet-v2-shaped stand-in served from 127.0.0.1 (e2e)',
  };
  const catalogueFile = path.join(dir, 'catalogue.json');
  await fs.writeFile(catalogueFile, JSON.stringify([entry], null, 2));
  return { server, catalogueFile };
}
