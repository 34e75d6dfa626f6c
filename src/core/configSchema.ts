// JSON Schema (draft-07) of `*.imagetrainer.json` experiment configs, generated from the same field
// description the trainer validates with (configFields.ts). scripts/generateSchema.ts writes it to
// snippets/imagetrainer.schema.json, and a unit test keeps the committed file equal to this output.
import { isRecord } from '../protocol/guards';
import {
  CONFIG_FIELDS,
  CONFIG_FILE_META_KEYS,
  DEFAULT_CONFIG,
  type FieldMap,
  type FieldSpec,
} from './configFields';

export type JsonSchema = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const CONFIG_SCHEMA_ID = 'https://image-trainer.local/imagetrainer.schema.json';

export function buildConfigSchema(): JsonSchema {
  const meta: Record<string, JsonSchema> = {};
  for (const key of CONFIG_FILE_META_KEYS) {
    meta[key] = {
      type: 'string',
      description: key === '$schema' ? 'The JSON schema of this file.' : 'A free comment.',
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: CONFIG_SCHEMA_ID,
    title: 'Image Trainer experiment config',
    description:
      'Training settings for `image-trainer train --config FILE` and the Image Trainer extension. Every field is optional; command-line flags override the file.',
    type: 'object',
    properties: { ...meta, ...objectProperties(CONFIG_FIELDS, DEFAULT_CONFIG) },
    additionalProperties: false,
  };
}

/** The schema file's text: stable formatting, so that the committed file can be compared byte for byte. */
export function configSchemaText(): string {
  return `${JSON.stringify(buildConfigSchema(), null, 2)}\n`;
}

function objectProperties(fields: FieldMap, defaults: unknown): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [key, spec] of Object.entries(fields)) {
    out[key] = fieldSchema(spec, isRecord(defaults) ? defaults[key] : undefined);
  }
  return out;
}

function fieldSchema(spec: FieldSpec, defaultValue: unknown): JsonSchema {
  const common: JsonSchema = { description: spec.description };
  if (defaultValue !== undefined) common.default = toJson(defaultValue);
  switch (spec.kind) {
    case 'integer':
      return { type: 'integer', ...common, minimum: spec.min, maximum: spec.max };
    case 'number':
      return {
        type: 'number',
        ...common,
        ...(spec.minExclusive ? { exclusiveMinimum: spec.min } : { minimum: spec.min }),
        ...(spec.maxExclusive ? { exclusiveMaximum: spec.max } : { maximum: spec.max }),
      };
    case 'enum': {
      const numeric = spec.values.every((v) => typeof v === 'number');
      return { type: numeric ? 'integer' : 'string', ...common, enum: [...spec.values] };
    }
    case 'boolean':
      return { type: 'boolean', ...common };
    case 'string':
      return { type: 'string', ...common, maxLength: spec.maxLength };
    case 'object':
      return {
        type: 'object',
        ...common,
        properties: objectProperties(spec.fields, defaultValue),
        additionalProperties: false,
      };
    case 'optionalObject':
      return {
        ...common,
        anyOf: [
          { type: 'null', description: 'Off.' },
          {
            type: 'string',
            enum: ['none', 'default'],
            description: '"none" turns it off; "default" uses the default values.',
          },
          {
            type: 'object',
            description: 'Fields left out take the default values.',
            properties: objectProperties(spec.fields, spec.defaults),
            additionalProperties: false,
          },
        ],
      };
    case 'union': {
      const types = Object.keys(spec.variants);
      return {
        ...common,
        anyOf: [
          { type: 'string', enum: types, description: 'A type name, with its default parameters.' },
          ...types.map((type): JsonSchema => ({
            type: 'object',
            description: spec.variants[type].description,
            properties: {
              type: { type: 'string', const: type, description: spec.variants[type].description },
              ...objectProperties(spec.variants[type].fields, spec.variants[type].defaults),
            },
            required: ['type'],
            additionalProperties: false,
          })),
        ],
      };
    }
  }
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
