export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The last non-blank line of a process's output: the CLI prints its one-line error there. */
export function lastLine(text: string): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.length > 0 ? lines[lines.length - 1] : undefined;
}
