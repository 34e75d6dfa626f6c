// Tiny DOM builders. Text always goes in through textContent (run ids, class names and paths are user
// data), styles through the CSSOM (allowed by the CSP, unlike style attributes), and every element is
// created from the document it will live in, so views render in jsdom as in the webview. Shown text and
// the attributes people read (title, aria-label, alt, placeholder) pass through visibleText: a class or
// file name with a bidirectional override or another invisible character is shown escaped, never obeyed.
import { visibleText } from '../../src/protocol/displayText';

/** Attributes whose text is read by people (or screen readers); others (value, data-key) stay exact. */
const SHOWN_ATTRIBUTES = new Set(['title', 'aria-label', 'alt', 'placeholder']);

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

function applyAttrs(element: Element, attrs: Props['attrs']): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    const text = value === true ? '' : String(value);
    element.setAttribute(name, SHOWN_ATTRIBUTES.has(name) ? visibleText(text) : text);
  }
}

function append(parent: Node, children: readonly Child[]): void {
  const doc = parent.ownerDocument;
  if (!doc) return;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : doc.createTextNode(visibleText(String(child))));
  }
}

function build<E extends HTMLElement>(element: E, props: Props, children: readonly Child[]): E {
  if (props.class) element.className = props.class;
  applyAttrs(element, props.attrs);
  if (props.text !== undefined) element.textContent = visibleText(props.text);
  if (props.on) {
    for (const [name, handler] of Object.entries(props.on)) {
      element.addEventListener(name, handler as EventListener);
    }
  }
  append(element, children);
  return element;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return build(doc.createElement(tag), props, children);
}

/** A table head of plain column titles, each a `th scope="col"` for screen readers. */
export function headerRow(doc: Document, titles: readonly string[]): HTMLTableSectionElement {
  return el(
    doc,
    'thead',
    {},
    el(doc, 'tr', {}, ...titles.map((text) => el(doc, 'th', { attrs: { scope: 'col' }, text }))),
  );
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string | number | null | undefined> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = doc.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  applyAttrs(element, attrs);
  append(element, children);
  return element;
}

/**
 * A VS Code button (`vscode-button` from @vscode-elements, registered by main.ts; it styles itself with
 * constructable stylesheets, which the CSP allows). Secondary unless `primary`. Enter and Space click it.
 */
export function button(
  doc: Document,
  label: string,
  onClick: () => void,
  props: Props & { primary?: boolean } = {},
): HTMLElement {
  const { primary, ...rest } = props;
  return build(
    doc.createElement('vscode-button'),
    {
      ...rest,
      attrs: { secondary: !primary, ...rest.attrs },
      text: rest.text ?? label,
      on: { click: () => onClick(), ...rest.on },
    },
    [],
  );
}

export function setStyle(element: HTMLElement | SVGElement, property: string, value: string): void {
  element.style.setProperty(property, value);
}
