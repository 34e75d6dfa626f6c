// The integration suite, run inside VS Code's extension host by test/integration/runTest.ts.
// A minimal runner (no mocha here): named async tests with node:assert, failures counted and reported.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImageTrainerApi } from '../../../src/extension';
import { COMMANDS, VIEWS } from '../../../src/host/ids';
import { presentDatasetNode } from '../../../src/host/datasets/datasetsModel';

const EXTENSION_ID = 'image-trainer.image-trainer';
const tests: { name: string; fn: () => Promise<void> }[] = [];
const it = (name: string, fn: () => Promise<void>): void => {
  tests.push({ name, fn });
};

function workspace(): string {
  const dir = process.env.IMAGE_TRAINER_IT_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(dir, 'no fixture workspace');
  return dir;
}

async function api(): Promise<ImageTrainerApi> {
  const extension = vscode.extensions.getExtension<ImageTrainerApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  return extension.isActive ? extension.exports : extension.activate();
}

it('activates and registers every command', async () => {
  await api();
  const registered = new Set(await vscode.commands.getCommands(true));
  for (const id of Object.values(COMMANDS)) assert.ok(registered.has(id), `${id} is not registered`);
});

it('the Datasets view finds the fixture data set with its class counts', async () => {
  await vscode.commands.executeCommand(`${VIEWS.datasets}.focus`);
  const { services } = await api();
  await services.datasets.refresh();
  const [dataset] = await services.datasets.model.getChildren();
  assert.equal(dataset.kind, 'dataset');
  assert.equal(presentDatasetNode(dataset).label, 'shapes');
  const classes = (await services.datasets.model.getChildren(dataset)).filter((n) => n.kind === 'class');
  assert.ok(classes.length >= 2);
  for (const c of classes) assert.equal(presentDatasetNode(c).description, '12');
});

it('a short training run completes and shows in the Runs view', async () => {
  const { services } = await api();
  const root = workspace();
  const session = services.controller.start({
    datasetDir: path.join(root, 'shapes'),
    runsRoot: services.settings().runsRoot,
    configFile: path.join(root, 'tiny.imagetrainer.json'),
  });
  const outcome = await session.done;
  assert.equal(outcome.kind, 'completed', JSON.stringify(outcome));
  await services.runs.refresh();
  const run = services.runs.model.all.find((r) => r.id === outcome.runId);
  assert.ok(run, 'the run is listed');
  assert.equal(run.status, 'completed');
  assert.equal(run.epochsCompleted, 1);
});

export async function run(): Promise<void> {
  let failed = 0;
  for (const t of tests) {
    const started = Date.now();
    try {
      await t.fn();
      console.log(`  ✓ ${t.name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      console.error(`  ✗ ${t.name}\n    ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  console.log(`${tests.length - failed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}
