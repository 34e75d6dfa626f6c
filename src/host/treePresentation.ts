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

export { formatDuration, formatPercent } from '../core/format';

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/** Escapes text for a Markdown tooltip. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
