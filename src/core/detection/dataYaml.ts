// A YOLO `data.yaml` reader for the few keys a data set needs (`path`, `train`, `val`, `test`, `names`,
// `nc`). Not a YAML parser: top-level `key: value` lines, block lists (`- item`), block mappings
// (`0: name`), flow lists (`[a, b]`) and flow mappings (`{0: a, 1: b}`), quoted or plain scalars, `#`
// comments. Everything else is ignored, so a file with anchors or tags cannot make it do more.

export interface DataYaml {
  path?: string;
  train?: string[];
  val?: string[];
  test?: string[];
  names?: string[];
  nc?: number;
}

export interface YamlProblem {
  line: number;
  message: string;
}

export interface ParsedDataYaml {
  yaml: DataYaml;
  problems: YamlProblem[];
  /** 1-based line of `names:`, for findings about the class list. */
  namesLine?: number;
}

type YamlValue = string | string[] | Map<string, string>;

/** Removes a `#` comment that is not inside quotes. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"') {
    return t
      .slice(1, -1)
      .replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  }
  if (t.length >= 2 && t[0] === "'" && t[t.length - 1] === "'") return t.slice(1, -1).replace(/''/g, "'");
  return t;
}

/** Splits a flow collection's inside at top-level commas (quotes respected). */
function splitFlow(inner: string): string[] {
  const items: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ',') {
      items.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  items.push(inner.slice(start));
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** `key: value` split at the first colon outside quotes that is followed by a space or the end. */
function splitKey(text: string): [string, string] | null {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ':' && (i + 1 === text.length || text[i + 1] === ' ' || text[i + 1] === '\t')) {
      return [unquote(text.slice(0, i)), text.slice(i + 1).trim()];
    }
  }
  return null;
}

function parseInline(text: string): YamlValue {
  const t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) return splitFlow(t.slice(1, -1)).map(unquote);
  if (t.startsWith('{') && t.endsWith('}')) {
    const map = new Map<string, string>();
    for (const item of splitFlow(t.slice(1, -1))) {
      const kv = splitKey(item) ?? splitKey(item.replace(/:(?=\S)/, ': '));
      if (kv) map.set(kv[0], unquote(kv[1]));
    }
    return map;
  }
  return unquote(t);
}

const KEYS = new Set(['path', 'train', 'val', 'test', 'names', 'nc']);

export function parseDataYaml(text: string): ParsedDataYaml {
  const lines = text.split(/\r?\n/);
  const problems: YamlProblem[] = [];
  const raw = new Map<string, { value: YamlValue; line: number }>();
  let i = 0;
  while (i < lines.length) {
    const lineNo = i + 1;
    const line = stripComment(lines[i]).replace(/\s+$/, '');
    i++;
    if (line.trim() === '' || /^\s/.test(line) || line.startsWith('---') || line.startsWith('...')) continue;
    const kv = splitKey(line);
    if (!kv) continue;
    const [key, rest] = kv;
    if (!KEYS.has(key)) continue;
    let value: YamlValue;
    if (rest !== '') {
      value = parseInline(rest);
    } else {
      // A block: the following indented lines (or `- ` lines at the key's own indentation).
      const items: string[] = [];
      const map = new Map<string, string>();
      while (i < lines.length) {
        const next = stripComment(lines[i]).replace(/\s+$/, '');
        if (next.trim() === '') {
          i++;
          continue;
        }
        if (!/^\s/.test(next) && !next.startsWith('- ')) break;
        const item = next.trim();
        if (item.startsWith('- ') || item === '-') items.push(unquote(item.slice(1)));
        else {
          const inner = splitKey(item);
          if (inner) map.set(inner[0], unquote(inner[1]));
          else problems.push({ line: i + 1, message: `cannot read "${item}" under ${key}:` });
        }
        i++;
      }
      value = map.size > 0 ? map : items;
    }
    raw.set(key, { value, line: lineNo });
  }
  const yaml: DataYaml = {};
  let namesLine: number | undefined;
  for (const [key, { value, line }] of raw) {
    if (key === 'path') {
      if (typeof value === 'string') yaml.path = value;
    } else if (key === 'nc') {
      const n = typeof value === 'string' ? Number(value) : NaN;
      if (Number.isInteger(n) && n >= 0) yaml.nc = n;
      else problems.push({ line, message: `nc must be a whole number` });
    } else if (key === 'names') {
      namesLine = line;
      const names = namesFrom(value, line, problems);
      if (names) yaml.names = names;
    } else if (key === 'train' || key === 'val' || key === 'test') {
      if (typeof value === 'string') yaml[key] = value === '' ? [] : [value];
      else if (Array.isArray(value)) yaml[key] = value;
      else problems.push({ line, message: `${key} must be a folder or a list of folders` });
    }
  }
  if (yaml.names && yaml.nc !== undefined && yaml.nc !== yaml.names.length) {
    problems.push({
      line: raw.get('nc')?.line ?? 1,
      message: `nc is ${yaml.nc} but names lists ${yaml.names.length} classes; make them agree (names is used)`,
    });
  }
  return { yaml, problems, ...(namesLine === undefined ? {} : { namesLine }) };
}

function namesFrom(value: YamlValue, line: number, problems: YamlProblem[]): string[] | null {
  if (typeof value === 'string') {
    problems.push({ line, message: 'names must be a list or a mapping from class id to name' });
    return null;
  }
  if (Array.isArray(value)) return value;
  const entries = [...value.entries()].map(([k, v]) => ({ id: Number(k), key: k, name: v }));
  const bad = entries.find((e) => !/^\d+$/.test(e.key));
  if (bad) {
    problems.push({ line, message: `names key "${bad.key}" is not a class id (0, 1, …)` });
    return null;
  }
  entries.sort((a, b) => a.id - b.id);
  const names: string[] = [];
  for (const [index, entry] of entries.entries()) {
    if (entry.id !== index) {
      problems.push({ line, message: `names has no class ${index}; ids must run 0, 1, 2, … without gaps` });
      return null;
    }
    names.push(entry.name);
  }
  return names;
}

/** A data.yaml text for a set whose splits are folders (what the sample writes). */
export function formatDataYaml(
  names: readonly string[],
  splits: Partial<Record<'train' | 'val' | 'test', string>>,
): string {
  const lines = [
    '# YOLO data set: images/<split>/*.png with labels/<split>/*.txt (class cx cy w h, normalised)',
    'path: .',
  ];
  for (const key of ['train', 'val', 'test'] as const) if (splits[key]) lines.push(`${key}: ${splits[key]}`);
  lines.push(`nc: ${names.length}`, 'names:');
  names.forEach((name, i) => lines.push(`  ${i}: ${JSON.stringify(name)}`));
  return lines.join('\n') + '\n';
}
