// The command line's training flags, generated from the config field table (configFields.ts): every
// top-level field but the preset option objects is `--kebab-name`, and a few transfer fields have flags of
// their own. Help text, defaults and the flag → field map all come from here, so a new field gets a
// flag, a help line and a default without another list to keep.
import type { TrainingConfig } from '../protocol/config';
import { CONFIG_FIELDS, DEFAULT_CONFIG, DEFAULT_TRANSFER, type FieldSpec } from './configFields';

/** One command-line flag as help shows it. A flag without `value` is a switch. */
export interface FlagSpec {
  flag: string;
  /** The value's placeholder (`N`, `adam|sgd|rmsprop`); absent for a switch. */
  value?: string;
  help: string;
  /** The default as help shows it; absent when there is none worth showing. */
  default?: string;
}

/** A training flag: a FlagSpec with the (dotted) config field it sets. */
export interface ConfigFlag extends FlagSpec {
  value: string;
  field: string;
}

/** Transfer fields that have their own flags (`--base` rather than `--transfer.base`). */
const TRANSFER_FLAG_FIELDS = [
  'base',
  'cutLayer',
  'fineTuneLayers',
  'fineTuneLearningRate',
  'fineTuneEpochs',
] as const;

/** `batchSize` → `--batch-size`, as config errors name top-level fields. */
export function flagOf(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function placeholder(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'integer':
      return 'N';
    case 'number':
      return 'X';
    case 'enum':
      return spec.values.join('|');
    case 'boolean':
      return 'true|false';
    case 'string':
      return 'TEXT';
    case 'optionalObject':
      return 'none|default|JSON';
    case 'union':
      return `${Object.keys(spec.variants).join('|')}|JSON`;
    case 'object':
      return 'JSON';
  }
}

/** The description's first clause: help lines stay one line; the field table keeps the whole text. */
export function firstClause(description: string): string {
  let depth = 0;
  for (let i = 0; i < description.length; i++) {
    const c = description[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ':' || c === ';' || c === '.') && (description[i + 1] ?? ' ') === ' ')
      return description.slice(0, i);
  }
  return description.replace(/\.$/, '');
}

function shownDefault(value: unknown): string | undefined {
  if (value === null) return 'none';
  if (value === '') return undefined;
  if (typeof value === 'object' && value !== null && 'type' in value) return String(value.type);
  return typeof value === 'object' ? undefined : String(value);
}

function topLevelFlags(): ConfigFlag[] {
  const fields = CONFIG_FIELDS as Readonly<Record<string, FieldSpec>>;
  return Object.keys(fields)
    .filter((field) => fields[field].kind !== 'object' && field !== 'transfer')
    .map((field) => ({
      flag: flagOf(field),
      field,
      value: placeholder(fields[field]),
      help: firstClause(fields[field].description),
      default: shownDefault(DEFAULT_CONFIG[field as keyof TrainingConfig]),
    }));
}

function transferFlags(): ConfigFlag[] {
  const transfer = CONFIG_FIELDS.transfer;
  if (transfer.kind !== 'optionalObject') return [];
  return TRANSFER_FLAG_FIELDS.map((field) => ({
    flag: flagOf(field),
    field: `transfer.${field}`,
    value: placeholder(transfer.fields[field]),
    help: `transfer.${field}: ${firstClause(transfer.fields[field].description)}`,
    default: shownDefault(DEFAULT_TRANSFER[field]),
  }));
}

/** Every training flag, in the field table's order, the transfer flags last. */
export const CONFIG_FLAGS: readonly ConfigFlag[] = [...topLevelFlags(), ...transferFlags()];

/** The overrides resolveConfig takes, from parsed flag values (flags not given are left out). */
export function configOverrides(values: ReadonlyMap<string, string>): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const { flag, field } of CONFIG_FLAGS) {
    const value = values.get(flag);
    if (value !== undefined) overrides[field] = value;
  }
  return overrides;
}

/** Help lines, `  --flag VALUE   what it does (default D)`, wrapped at the help's width. */
export function flagHelpLines(flags: readonly FlagSpec[], width = 100): string[] {
  const lefts = flags.map((f) => `  ${f.flag}${f.value ? ` ${f.value}` : ''}`);
  const column = Math.min(34, Math.max(...lefts.map((l) => l.length)) + 2);
  const lines: string[] = [];
  flags.forEach((f, i) => {
    const text = f.help + (f.default !== undefined ? ` (default ${f.default})` : '');
    const left = lefts[i];
    const words = text.split(' ');
    let line = left.length >= column ? left : left.padEnd(column);
    if (left.length >= column) {
      lines.push(line);
      line = ' '.repeat(column);
    }
    let empty = true;
    for (const word of words) {
      if (!empty && line.length + 1 + word.length > width) {
        lines.push(line);
        line = ' '.repeat(column);
        empty = true;
      }
      line += (empty ? '' : ' ') + word;
      empty = false;
    }
    lines.push(line);
  });
  return lines;
}
