import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { buildConfigSchema, configSchemaText, type JsonSchema } from '../../../src/core/configSchema';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../../../src/core/config';
import { isRecord } from '../../../src/protocol/guards';

const root = join(__dirname, '..', '..', '..');
const schemaPath = join(root, 'snippets', 'imagetrainer.schema.json');
const snippetsPath = join(root, 'snippets', 'imagetrainer.code-snippets');

test('the committed schema is what the generator writes', () => {
  // Compared as JSON, so that reformatting the file (npm run format) is not drift.
  assert.deepEqual(
    JSON.parse(readFileSync(schemaPath, 'utf8')),
    JSON.parse(configSchemaText()),
    'snippets/imagetrainer.schema.json is stale: run node --import tsx scripts/generateSchema.ts',
  );
});

test('every field of DEFAULT_CONFIG, nested ones included, is in the schema with its default', () => {
  const schema = buildConfigSchema();
  const properties = schema.properties as Record<string, JsonSchema>;
  assert.equal(schema.additionalProperties, false);
  for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
    const property = properties[key];
    assert.ok(property, `schema lacks ${key}`);
    assert.equal(typeof property.description, 'string', `${key} has no description`);
    assert.deepEqual(property.default, value, `${key} default`);
    if (isRecord(value) && property.type === 'object') {
      const nested = property.properties as Record<string, JsonSchema>;
      for (const [inner, innerValue] of Object.entries(value)) {
        assert.deepEqual(nested[inner]?.default, innerValue, `${key}.${inner} default`);
      }
      assert.equal(property.additionalProperties, false);
    }
  }
  assert.deepEqual(
    Object.keys(properties).filter((k) => !k.startsWith('$')),
    Object.keys(DEFAULT_CONFIG),
  );
});

test('schema bounds are the validator’s bounds', () => {
  const properties = buildConfigSchema().properties as Record<string, JsonSchema>;
  assert.deepEqual([properties.epochs.minimum, properties.epochs.maximum], [1, 10000]);
  assert.equal(properties.validationSplit.exclusiveMaximum, 0.9);
  assert.equal(properties.learningRate.exclusiveMinimum, 0);
  assert.deepEqual(properties.channels.enum, [1, 3]);
  assert.throws(() => resolveConfig({ epochs: 10001 }, {}, 'e.json'), ConfigError);
  assert.throws(() => resolveConfig({ validationSplit: 0.9 }, {}, 'e.json'), ConfigError);
  assert.throws(() => resolveConfig({ learningRate: 0 }, {}, 'e.json'), ConfigError);
});

// Configs the validator accepts (true) or rejects (false); the schema must agree on each.
const samples: [unknown, boolean][] = [
  [{}, true],
  [{ $schema: './imagetrainer.schema.json', epochs: 3 }, true],
  [{ model: 'simple-cnn', imageSize: 28, channels: 1 }, true],
  [{ cnn: { filters: 16, activation: 'elu' } }, true],
  [{ augment: 'default' }, true],
  [{ augment: 'none' }, true],
  [{ augment: null }, true],
  [{ augment: { rotation: 20 } }, true],
  [{ schedule: 'cosine' }, true],
  [{ schedule: { type: 'step', stepSize: 5, gamma: 0.5 } }, true],
  [{ schedule: { type: 'reduceOnPlateau', patience: 2 } }, true],
  [{ earlyStopping: { monitor: 'valAccuracy' } }, true],
  [{ classWeight: 'balanced', backend: 'wasm', optimizer: 'sgd', momentum: 0.5 }, true],
  [{ epochs: 0 }, false],
  [{ epochs: 2.5 }, false],
  [{ epochs: '3' }, false],
  [{ learningrate: 0.1 }, false],
  [{ channels: 2 }, false],
  [{ cnn: { filter: 3 } }, false],
  [{ cnn: { dropout: 1 } }, false],
  [{ augment: 'some' }, false],
  [{ augment: { rotation: 181 } }, false],
  [{ augment: { tilt: 1 } }, false],
  [{ schedule: 'exponential' }, false],
  [{ schedule: { type: 'cosine', gamma: 0.1 } }, false],
  [{ schedule: { gamma: 0.1 } }, false],
  [{ schedule: { type: 'step', gamma: 0 } }, false],
  [{ earlyStopping: true }, false],
  [{ earlyStopping: { monitor: 'loss' } }, false],
  [{ validationSplit: 0.9 }, false],
  [{ seed: -1 }, false],
];

function validatorAccepts(config: unknown): boolean {
  try {
    resolveConfig(config, {}, 'sample.json');
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

test('the validator accepts and rejects the sample configs as listed', () => {
  for (const [config, ok] of samples) assert.equal(validatorAccepts(config), ok, JSON.stringify(config));
});

// Ajv comes with the dev dependencies (through @vscode/vsce); without it this check is reported as skipped.
type AjvValidate = (data: unknown) => boolean;
type AjvInstance = { compile(schema: unknown): AjvValidate };
function loadAjv(): AjvInstance | undefined {
  try {
    const required = createRequire(__filename)('ajv') as { default?: new (options: object) => AjvInstance };
    const Ajv = required.default;
    return Ajv ? new Ajv({ strict: false, allErrors: true }) : undefined;
  } catch {
    return undefined;
  }
}
const ajv = loadAjv();
const schemaValidate = ajv?.compile(buildConfigSchema());

test(
  'a JSON-schema validator (Ajv, draft-07) agrees with ours on every sample',
  { skip: ajv ? false : 'ajv is not installed' },
  () => {
    const validate = schemaValidate as AjvValidate;
    for (const [config, ok] of samples)
      assert.equal(validate(config), ok, `schema on ${JSON.stringify(config)}`);
  },
);

/**
 * A snippet body with its placeholders filled: default texts, and for each choice its first option,
 * except the choice numbered `pick.tabStop`, which takes option `pick.option`.
 */
function expandSnippet(body: string[], pick?: { tabStop: number; option: number }): string {
  return body
    .join('\n')
    .replace(/\$\{(\d+)\|([^|]*)\|\}/g, (_, tabStop: string, options: string) => {
      const choices = options.split(',');
      return pick && Number(tabStop) === pick.tabStop ? choices[pick.option] : choices[0];
    })
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/(?<!\\)\$\d+/g, '')
    .replace(/\\\$/g, '$');
}

/** Every way of filling the snippet that differs from the default in one choice. */
function snippetVariants(body: string[]): string[] {
  const variants = [expandSnippet(body)];
  for (const match of body.join('\n').matchAll(/\$\{(\d+)\|([^|]*)\|\}/g)) {
    const count = match[2].split(',').length;
    for (let option = 1; option < count; option++)
      variants.push(expandSnippet(body, { tabStop: Number(match[1]), option }));
  }
  return variants;
}

interface Snippet {
  scope: string;
  prefix: string;
  description: string;
  body: string[];
}

test('every snippet, with each of its choices, expands to a config that the validator and the schema accept', () => {
  // VS Code reads snippet files as JSONC, and Prettier gives them trailing commas.
  const fileText = readFileSync(snippetsPath, 'utf8').replace(/,(\s*[\]}])/g, '$1');
  const snippets = JSON.parse(fileText) as Record<string, Snippet>;
  const validate = schemaValidate;
  const names = Object.keys(snippets);
  for (const kind of [
    'simple-cnn',
    'cnn config',
    'augmentation',
    'step',
    'cosine',
    'plateau',
    'constant',
    'early stopping',
  ]) {
    assert.ok(
      names.some((n) => n.includes(kind)),
      `no snippet for ${kind}`,
    );
  }
  for (const [name, snippet] of Object.entries(snippets)) {
    assert.equal(snippet.scope, 'json,jsonc', name);
    assert.match(snippet.prefix, /^imagetrainer-/, name);
    for (const text of snippetVariants(snippet.body)) {
      const config: unknown = JSON.parse(text.trim().startsWith('{') ? text : `{${text}}`);
      assert.ok(validatorAccepts(config), `${name}: ${text}`);
      if (validate) assert.ok(validate(config), `${name} fails the schema: ${text}`);
    }
  }
});
