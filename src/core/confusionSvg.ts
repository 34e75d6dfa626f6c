// The confusion matrix as a standalone SVG picture (rows = true class, columns = predicted class), for the
// model card written with every export. Labels come from folder names: every text is XML-escaped.

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

const CELL = 44;
const LABEL_WIDTH = 120;
const HEADER_HEIGHT = 120;
const MAX_LABEL_CHARS = 18;

function shortLabel(label: string): string {
  const visible = label.replace(/[\u0000-\u001f\u007f]/g, '?');
  return visible.length > MAX_LABEL_CHARS ? `${visible.slice(0, MAX_LABEL_CHARS - 1)}…` : visible;
}

/** Cell shade: the share of its row (recall for the diagonal), so classes of any size read alike. */
function shade(share: number, diagonal: boolean): string {
  const strength = Math.round(255 - share * 200);
  return diagonal
    ? `rgb(${strength},${Math.round(255 - share * 120)},${strength})`
    : `rgb(255,${strength},${strength})`;
}

export function confusionMatrixSvg(
  labels: readonly string[],
  confusion: readonly (readonly number[])[],
): string {
  const n = labels.length;
  const width = LABEL_WIDTH + n * CELL + 20;
  const height = HEADER_HEIGHT + n * CELL + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>Confusion matrix (rows: true class, columns: predicted class)</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${LABEL_WIDTH}" y="14" font-weight="bold">predicted →</text>`,
    `<text x="4" y="${HEADER_HEIGHT - 6}" font-weight="bold">true ↓</text>`,
  ];
  labels.forEach((label, c) => {
    const x = LABEL_WIDTH + c * CELL + CELL / 2;
    parts.push(
      `<text transform="translate(${x},${HEADER_HEIGHT - 6}) rotate(-60)">${escapeXml(shortLabel(label))}</text>`,
    );
  });
  for (let r = 0; r < n; r++) {
    const row = confusion[r] ?? [];
    const total = row.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const y = HEADER_HEIGHT + r * CELL;
    parts.push(`<text x="4" y="${y + CELL / 2 + 4}">${escapeXml(shortLabel(labels[r]))}</text>`);
    for (let c = 0; c < n; c++) {
      const count = Number.isFinite(row[c]) ? row[c] : 0;
      const x = LABEL_WIDTH + c * CELL;
      parts.push(
        `<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="${shade(total > 0 ? count / total : 0, r === c)}" stroke="#999"/>`,
        `<text x="${x + CELL / 2}" y="${y + CELL / 2 + 4}" text-anchor="middle">${count}</text>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
