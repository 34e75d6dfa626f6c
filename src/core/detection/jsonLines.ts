// Where things are in a JSON text: the 1-based line on which each element of a top-level array starts
// (COCO's `images` and `annotations`), and the line of a JSON.parse error. One pass, no allocation per
// element beyond the line number. Pure.

/** For each requested top-level key whose value is an array: the line each element starts on. */
export function topLevelArrayElementLines(text: string, keys: readonly string[]): Map<string, number[]> {
  const result = new Map<string, number[]>();
  let line = 1;
  let depth = 0;
  let lastKey: string | null = null;
  let collecting: number[] | null = null;
  let expectElement = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (collecting && depth === 2 && expectElement && c !== 93 /* ] */) {
      collecting.push(line);
      expectElement = false;
    }
    if (c === 34 /* " */) {
      const start = i + 1;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 34) break;
        else {
          if (d === 10) line++;
          i++;
        }
      }
      if (depth === 1) lastKey = text.slice(start, i);
      i++;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth === 2 && c === 91 && lastKey !== null && keys.includes(lastKey) && !result.has(lastKey)) {
        collecting = [];
        result.set(lastKey, collecting);
        expectElement = true;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth === 2) collecting = null;
      depth--;
    } else if (c === 44 /* , */) {
      if (depth === 2 && collecting) expectElement = true;
      if (depth === 1) lastKey = null;
    }
    i++;
  }
  return result;
}

/** The 1-based line of a JSON.parse error in `text`, when its message gives a position. */
export function jsonErrorLine(text: string, error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const lineMatch = /line (\d+)/i.exec(message);
  if (lineMatch) return Number(lineMatch[1]);
  const position = /position (\d+)/i.exec(message);
  if (!position) return undefined;
  const at = Math.min(Number(position[1]), text.length);
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
