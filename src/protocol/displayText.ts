// Names that come from disk (class folders, file names, run ids) are shown to people in the Runs and
// Datasets views, the dashboard and the CLI. Characters that are invisible or that reorder what follows
// them (bidirectional overrides, the "Trojan Source" trick) are shown as visible escapes instead, so a
// name can never look like another one. Shared by all three runtimes: it imports nothing.

/**
 * C0 and C1 controls, DEL, bidirectional marks, embeddings, overrides and isolates, zero-width
 * characters, line and paragraph separators and the byte-order mark.
 */
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/g;

/** The text with every invisible or reordering character written as `\u{XXXX}` (`\n` stays `\n`). */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`;
  });
}
