// A small XML reader for annotation files (Pascal VOC): elements, attributes, text, comments, CDATA and
// the five predefined entities plus character references. It refuses DOCTYPE (so no entity expansion,
// no external entities) and bounds nesting depth; every element keeps its 1-based line. Pure.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, entities decoded, trimmed. */
  text: string;
  line: number;
}

export class XmlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'XmlError';
  }
}

const MAX_DEPTH = 64;
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string, line: number): string {
  return text.replace(/&([^;&\s]{1,12});/g, (_, name: string) => {
    if (Object.hasOwn(ENTITIES, name)) return ENTITIES[name];
    const code = name.startsWith('#x')
      ? parseInt(name.slice(2), 16)
      : name.startsWith('#')
        ? parseInt(name.slice(1), 10)
        : NaN;
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff)
      throw new XmlError(`unknown entity &${name};`, line);
    return String.fromCodePoint(code);
  });
}

/** Parses a document and returns its root element; throws XmlError with the line of the problem. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  let line = 1;
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const texts: string[][] = [];
  const advance = (to: number): void => {
    for (let k = i; k < to && k < n; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const expectEnd = (marker: string, what: string): number => {
    const end = text.indexOf(marker, i);
    if (end < 0) throw new XmlError(`unterminated ${what}`, line);
    return end;
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk.trim() !== '') {
      if (stack.length === 0) throw new XmlError('text outside the root element', line);
      texts[texts.length - 1].push(decodeEntities(chunk, line));
    }
    if (lt < 0) {
      advance(n);
      break;
    }
    advance(lt);
    if (text.startsWith('<!--', i)) {
      advance(expectEnd('-->', 'comment') + 3);
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = expectEnd(']]>', 'CDATA section');
      if (stack.length === 0) throw new XmlError('CDATA outside the root element', line);
      texts[texts.length - 1].push(text.slice(i + 9, end));
      advance(end + 3);
    } else if (text.startsWith('<!', i)) {
      // DOCTYPE and ENTITY declarations are where entity expansion attacks live: refused outright.
      throw new XmlError(
        'DOCTYPE and entity declarations are not allowed; remove the <!DOCTYPE …> line',
        line,
      );
    } else if (text.startsWith('<?', i)) {
      advance(expectEnd('?>', 'processing instruction') + 2);
    } else if (text.startsWith('</', i)) {
      const end = expectEnd('>', 'closing tag');
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name)
        throw new XmlError(
          open ? `</${name}> closes <${open.name}> (line ${open.line})` : `</${name}> closes nothing`,
          line,
        );
      open.text = (texts.pop() ?? []).join('').trim();
      advance(end + 1);
    } else {
      const startLine = line;
      const match = NAME.exec(text.slice(i + 1, i + 201));
      if (!match) throw new XmlError('bad tag name', line);
      const element: XmlElement = { name: match[0], attributes: {}, children: [], text: '', line: startLine };
      let k = i + 1 + match[0].length;
      // Attributes up to `>` or `/>`, with quoted values (which may contain `>`).
      for (;;) {
        while (k < n && /\s/.test(text[k])) k++;
        if (k >= n) throw new XmlError(`unterminated tag <${element.name}>`, startLine);
        if (text[k] === '>' || text.startsWith('/>', k)) break;
        const attr = NAME.exec(text.slice(k, k + 200));
        if (!attr) throw new XmlError(`bad attribute in <${element.name}>`, startLine);
        k += attr[0].length;
        while (k < n && /\s/.test(text[k])) k++;
        if (text[k] !== '=') throw new XmlError(`attribute ${attr[0]} needs a value`, startLine);
        k++;
        while (k < n && /\s/.test(text[k])) k++;
        const quote = text[k];
        if (quote !== '"' && quote !== "'")
          throw new XmlError(`attribute ${attr[0]} needs a quoted value`, startLine);
        const close = text.indexOf(quote, k + 1);
        if (close < 0) throw new XmlError(`unterminated attribute ${attr[0]}`, startLine);
        element.attributes[attr[0]] = decodeEntities(text.slice(k + 1, close), startLine);
        k = close + 1;
      }
      const selfClosing = text[k] === '/';
      advance(k + (selfClosing ? 2 : 1));
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else if (root) throw new XmlError('a second root element', startLine);
      else root = element;
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH)
          throw new XmlError(`elements nested deeper than ${MAX_DEPTH}`, startLine);
        stack.push(element);
        texts.push([]);
      }
    }
  }
  if (stack.length > 0)
    throw new XmlError(
      `<${stack[stack.length - 1].name}> (line ${stack[stack.length - 1].line}) is never closed`,
      line,
    );
  if (!root) throw new XmlError('no root element', line);
  return root;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childText(element: XmlElement, name: string): string | undefined {
  return child(element, name)?.text;
}

/** Text for an XML document: `&`, `<`, `>` and quotes escaped. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
