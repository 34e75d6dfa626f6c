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

export function formatPercent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(digits)}%`;
}

/** `45s`, `3m 05s`, `2h 10m`: short enough for the status bar. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/** Escapes text for a Markdown tooltip. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
