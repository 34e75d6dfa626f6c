// Human-readable `scan` output.
import type { ScanReport } from '../protocol/scan';
import type { DetectionScanReport } from '../protocol/detection';
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

/** Findings listed in full by the text output; `--json` has them all. */
const FINDINGS_SHOWN = 50;

export function formatDetectionScanReport(report: DetectionScanReport): string {
  const lines = [
    `${visibleText(report.root)} (detection, ${report.format.toUpperCase()}): ${report.images} images, ${report.boxes} boxes in ${report.classNames.length} classes` +
      (report.backgroundImages > 0 ? `, ${report.backgroundImages} background images (no boxes)` : ''),
    '',
  ];
  const width = Math.max(5, ...report.classes.map((c) => visibleText(c.name).length));
  lines.push(`  ${'class'.padEnd(width)} ${'boxes'.padStart(7)} ${'images'.padStart(7)}`);
  for (const c of report.classes)
    lines.push(
      `  ${visibleText(c.name).padEnd(width)} ${String(c.boxes).padStart(7)} ${String(c.images).padStart(7)}`,
    );
  if (report.splits.length > 0) {
    lines.push(
      '',
      `Splits: ${report.splits.map((s) => `${s.name} ${s.images} images, ${s.boxes} boxes`).join('; ')}`,
    );
  }
  if (report.skipped?.length) {
    lines.push('', `Skipped ${report.skipped.length} file(s):`);
    for (const s of report.skipped.slice(0, FINDINGS_SHOWN))
      lines.push(`  ${visibleText(s.path)}: ${visibleText(s.reason)}`);
    if (report.skipped.length > FINDINGS_SHOWN)
      lines.push(`  … and ${report.skipped.length - FINDINGS_SHOWN} more (use --json for all)`);
  }
  if (report.findings.length > 0) {
    const count = (severity: string): number => report.findings.filter((f) => f.severity === severity).length;
    lines.push(
      '',
      `Annotation findings: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s)`,
    );
    for (const f of report.findings.slice(0, FINDINGS_SHOWN)) {
      const where = f.line === undefined ? f.file : `${f.file}:${f.line}`;
      lines.push(`  ${f.severity.padEnd(7)} ${visibleText(where)}: ${visibleText(f.message)} [${f.kind}]`);
    }
    if (report.findings.length > FINDINGS_SHOWN)
      lines.push(`  … and ${report.findings.length - FINDINGS_SHOWN} more (use --json for all)`);
  } else {
    lines.push('', 'Annotation findings: none');
  }
  return lines.join('\n') + '\n';
}
