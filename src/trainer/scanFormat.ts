// Human-readable `scan` output.
import type { ScanReport } from '../protocol/scan';
import { visibleText } from '../protocol/displayText';

export function formatScanReport(report: ScanReport): string {
  const lines = [
    `${visibleText(report.root)} (${report.layout}): ${report.total} images in ${report.classes.length} classes`,
    '',
  ];
  const width = Math.max(5, ...report.classes.map((c) => visibleText(c.name).length));
  for (const c of report.classes) {
    const splits = c.splits
      ? '  ' +
        Object.entries(c.splits)
          .map(([name, n]) => `${name} ${n}`)
          .join(', ')
      : '';
    lines.push(`  ${visibleText(c.name).padEnd(width)} ${String(c.count).padStart(7)}${splits}`);
  }
  if (report.skipped.length) {
    lines.push('', `Skipped ${report.skipped.length} file(s):`);
    for (const s of report.skipped.slice(0, 50))
      lines.push(`  ${visibleText(s.path)}: ${visibleText(s.reason)}`);
    if (report.skipped.length > 50)
      lines.push(`  … and ${report.skipped.length - 50} more (use --json for all)`);
  }
  if (report.warnings.length) {
    lines.push('', 'Warnings:');
    for (const w of report.warnings) lines.push(`  ${visibleText(w.message)}`);
  }
  return lines.join('\n') + '\n';
}
