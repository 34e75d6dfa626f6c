// Command, view and setting ids are declared once (src/host/ids.ts); package.json must agree, both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, SETTINGS, SETTINGS_SECTION, VIEW_CONTAINER_ID, VIEWS } from '../../../src/host/ids';
import { BACKEND_CHOICES, MODEL_PRESETS } from '../../../src/protocol';
import { runContextValue } from '../../../src/host/runs/runsModel';
import { makeRunSummary } from '../../fixtures/runRecords';

const root = path.resolve(__dirname, '../../..');
interface Contributes {
  commands: { command: string; title: string; category?: string }[];
  viewsContainers: { activitybar: { id: string; icon: string }[] };
  views: Record<string, { id: string }[]>;
  menus: Record<string, { command: string; when?: string }[]>;
  configuration: { properties: Record<string, unknown> };
  jsonValidation: { fileMatch: string; url: string }[];
  snippets: { language: string; path: string }[];
  walkthroughs: { steps: { media: { markdown?: string }; completionEvents?: string[] }[] }[];
  viewsWelcome: { view: string; contents: string }[];
}
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: Contributes;
  icon: string;
  extensionKind: string[];
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
};
const contributes = pkg.contributes;
const declaredCommands = new Set<string>(Object.values(COMMANDS));
const contributedCommands = new Set(contributes.commands.map((c) => c.command));

test('every command constant is contributed, and every contributed command has a constant', () => {
  assert.deepEqual(
    [...declaredCommands].filter((c) => !contributedCommands.has(c)),
    [],
  );
  assert.deepEqual(
    [...contributedCommands].filter((c) => !declaredCommands.has(c)),
    [],
  );
  assert.equal(contributes.commands.length, contributedCommands.size, 'a command is contributed twice');
});

test('every command shows as "Image Trainer: …" in the palette', () => {
  for (const c of contributes.commands) {
    assert.equal(c.category, 'Image Trainer', c.command);
    assert.ok(c.title.length > 0 && !c.title.startsWith('Image Trainer'), c.command);
  }
});

test('menus and welcome links reference contributed commands only', () => {
  for (const [menu, items] of Object.entries(contributes.menus)) {
    for (const item of items) assert.ok(contributedCommands.has(item.command), `${menu}: ${item.command}`);
  }
  for (const welcome of contributes.viewsWelcome) {
    for (const match of welcome.contents.matchAll(/\(command:([\w.]+)\)/g))
      assert.ok(declaredCommands.has(match[1]), match[1]);
  }
});

test('view/item/context menus name our views and the context values the tree models set', () => {
  const viewIds = new Set<string>(Object.values(VIEWS));
  for (const item of contributes.menus['view/item/context']) {
    const view = /view == ([\w.]+)/.exec(item.when ?? '')?.[1];
    assert.ok(view && viewIds.has(view), `${item.command}: ${item.when}`);
  }
  // The context values come from the models; these are the ones the menus rely on.
  const models = ['src/host/datasets/datasetsModel.ts', 'src/host/runs/runsModel.ts']
    .map((f) => readFileSync(path.join(root, f), 'utf8'))
    .join('\n');
  for (const value of ['dataset', 'datasetImage'])
    assert.ok(models.includes(`contextValue: '${value}'`), value);
  assert.ok(models.includes('contextValue: runContextValue(run)'));
});

/** Whether a view/item/context `when` clause holds for a row of the Runs view (its `viewItem`). */
function offeredOnRunRow(when: string, viewItem: string): boolean {
  return when.split('&&').every((term) => {
    const clause = term.trim();
    if (clause === `view == ${VIEWS.runs}` || clause === 'listMultiSelection') return true;
    const equal = /^viewItem == (\S+)$/.exec(clause);
    if (equal) return equal[1] === viewItem;
    const match = /^viewItem =~ \/(.+)\/$/.exec(clause);
    if (match) return new RegExp(match[1]).test(viewItem);
    return false;
  });
}

test('Runs view menus: Inspect Predictions on detection runs only; every other item as on a classification run', () => {
  const runItems = contributes.menus['view/item/context'].filter((item) =>
    (item.when ?? '').includes(`view == ${VIEWS.runs}`),
  );
  const statuses = ['running', 'completed', 'failed', 'stopped', 'interrupted', 'damaged'] as const;
  const offered = (contextValue: string) =>
    runItems.filter((item) => offeredOnRunRow(item.when ?? '', contextValue)).map((item) => item.command);
  for (const status of statuses) {
    const classify = offered(runContextValue(makeRunSummary('c', { status })));
    const detect = offered(runContextValue(makeRunSummary('d', { status, task: 'detect' })));
    assert.ok(!classify.includes(COMMANDS.inspectDetections), `classification run, ${status}`);
    assert.deepEqual(
      detect.filter((command) => command !== COMMANDS.inspectDetections),
      classify,
      `detection run, ${status}`,
    );
    assert.equal(
      detect.includes(COMMANDS.inspectDetections),
      status === 'completed' || status === 'stopped' || status === 'interrupted',
      `Inspect Predictions on a ${status} detection run`,
    );
  }
  // The rows' context values are what the menus see (a stale clause must not silently match nothing).
  assert.ok(offered('run.completed').includes(COMMANDS.exportModel));
  assert.ok(offered('run.running.detect').includes(COMMANDS.stop));
});

test('both views have welcome content for their empty state', () => {
  assert.deepEqual(contributes.viewsWelcome.map((w) => w.view).sort(), Object.values(VIEWS).sort());
  assert.ok(
    contributes.viewsWelcome
      .find((w) => w.view === VIEWS.datasets)
      ?.contents.includes(`command:${COMMANDS.createSampleDataset}`),
  );
  assert.ok(
    contributes.viewsWelcome
      .find((w) => w.view === VIEWS.runs)
      ?.contents.includes(`command:${COMMANDS.train}`),
  );
});

test('the container and views match the constants', () => {
  assert.deepEqual(
    contributes.viewsContainers.activitybar.map((c) => c.id),
    [VIEW_CONTAINER_ID],
  );
  assert.deepEqual(Object.keys(contributes.views), [VIEW_CONTAINER_ID]);
  assert.deepEqual(contributes.views[VIEW_CONTAINER_ID].map((v) => v.id).sort(), Object.values(VIEWS).sort());
});

test('every command constant is registered by the host code', () => {
  const dir = path.join(root, 'src/host/commands');
  const code = readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
  for (const [key, id] of Object.entries(COMMANDS)) {
    assert.match(code, new RegExp(`registerCommand\\(\\s*COMMANDS\\.${key}\\b`), `${id} is never registered`);
  }
});

test('settings in package.json and in code agree', () => {
  const contributed = Object.keys(contributes.configuration.properties).sort();
  const declared = Object.values(SETTINGS)
    .map((s) => `${SETTINGS_SECTION}.${s}`)
    .sort();
  assert.deepEqual(contributed, declared);
  // Settings that name a program to run or folders to read and write: a workspace's own values of them
  // are ignored until it is trusted (issue 13).
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, [
    `${SETTINGS_SECTION}.${SETTINGS.nodePath}`,
    `${SETTINGS_SECTION}.${SETTINGS.runsDirectory}`,
    `${SETTINGS_SECTION}.${SETTINGS.datasetRoots}`,
    `${SETTINGS_SECTION}.${SETTINGS.engineDirectory}`,
  ]);
  // Code is loaded from the engine folder: only the user's own (machine) settings may name it.
  const engineSetting = contributes.configuration.properties[
    `${SETTINGS_SECTION}.${SETTINGS.engineDirectory}`
  ] as {
    scope?: string;
  };
  assert.equal(engineSetting.scope, 'machine');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual(pkg.extensionKind, ['workspace']);
});

test('setting enums follow the protocol (backends and model presets)', () => {
  const props = contributes.configuration.properties as Record<string, { enum?: string[] }>;
  assert.deepEqual(props[`${SETTINGS_SECTION}.${SETTINGS.backend}`].enum, [...BACKEND_CHOICES]);
  assert.deepEqual(props[`${SETTINGS_SECTION}.${SETTINGS.defaultPreset}`].enum, [...MODEL_PRESETS]);
});

test('files the manifest points at exist', () => {
  const files = [
    pkg.icon,
    ...contributes.viewsContainers.activitybar.map((c) => c.icon),
    ...contributes.jsonValidation.map((j) => j.url),
    ...contributes.snippets.map((s) => s.path),
    ...contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.markdown ?? '')),
  ];
  for (const file of files) assert.ok(existsSync(path.join(root, file)), file);
  assert.ok(contributes.jsonValidation.some((j) => j.fileMatch === '*.imagetrainer.json'));
});

test('walkthrough steps complete on commands we contribute', () => {
  for (const step of contributes.walkthroughs.flatMap((w) => w.steps)) {
    for (const event of step.completionEvents ?? [])
      assert.ok(declaredCommands.has(event.replace('onCommand:', '')), event);
  }
});
