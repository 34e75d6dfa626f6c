// What a tree item looks like, decided by plain code; the vscode adapters only translate it.

export interface IconSpec {
  /** A codicon id (`pass`, `error`, `sync~spin`). */
  id: string;
  /** A theme colour id (`testing.iconPassed`), when the icon is coloured. */
  color?: string;
}

export interface CommandSpec {
  command: string;
  title: string;
  args: unknown[];
}

export interface NodePresentation {
  /** Stable across refreshes, so expanded nodes stay expanded. */
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon?: IconSpec;
  collapsible: 'none' | 'collapsed' | 'expanded';
  contextValue?: string;
  /** A file or folder this node stands for (gives the file icon, opens on click, reveal target). */
  resourcePath?: string;
  command?: CommandSpec;
}

import { visibleText } from '../protocol/displayText';

export { formatDuration, formatPercent } from '../protocol/format';

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/**
 * Escapes text from disk for a Markdown tooltip: every ASCII punctuation character is backslash-escaped
 * (CommonMark allows it for all of them, so no emphasis, link, HTML or `&#x202E;` entity survives), and
 * invisible or reordering characters are shown as escapes (visibleText).
 */
export function escapeMarkdown(text: string): string {
  return visibleText(text).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/** What the tree shows of a node: label and description with invisible characters made visible. */
export function visibleNode(p: NodePresentation): NodePresentation {
  return {
    ...p,
    label: visibleText(p.label),
    ...(p.description !== undefined ? { description: visibleText(p.description) } : {}),
  };
}
