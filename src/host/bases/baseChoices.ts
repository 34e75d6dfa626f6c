// Pretrained bases as the editor offers them: quick-pick rows (downloaded or to get, with sizes), the
// recommendation for photo data sets, and the progress text of a download. Plain code, tested directly.
import type { BaseDownloadEvent } from '../../protocol/bases';
import { recommendedBase, type BaseOption } from '../../core/baseAdvice';
import { formatBytes, formatDuration } from '../../protocol/format';

export interface BaseListingRow extends BaseOption {
  description: string;
  format: 'layers' | 'graph';
  inputShape: readonly number[];
  licence: string;
  source: string;
}

export interface BaseRow {
  label: string;
  description: string;
  detail: string;
  name: string;
  installed: boolean;
  sizeBytes: number;
  recommended: boolean;
}

/** One row per base: downloaded ones first, the recommended base marked; sizes say what a pick costs. */
export function baseRows(bases: readonly BaseListingRow[], photos: boolean): BaseRow[] {
  const recommended = photos ? recommendedBase(bases)?.name : undefined;
  return [...bases]
    .sort(
      (a, b) =>
        Number(b.installed) - Number(a.installed) ||
        Number(b.name === recommended) - Number(a.name === recommended),
    )
    .map((b) => ({
      label: `$(${b.installed ? 'pass' : 'cloud-download'}) ${b.name}`,
      description: [
        b.name === recommended ? 'recommended for photos' : '',
        b.installed
          ? `downloaded · ${formatBytes(b.sizeBytes)}`
          : `get ${formatBytes(b.sizeBytes)}, then train`,
      ]
        .filter(Boolean)
        .join(' · '),
      detail: `${b.description || b.source} — ${b.format}, ${b.inputShape.join('×')} input, ${b.licence}`,
      name: b.name,
      installed: b.installed,
      sizeBytes: b.sizeBytes,
      recommended: b.name === recommended,
    }));
}

export interface DownloadProgress {
  /** Percent of the bytes, 0–100. */
  percent: number;
  message: string;
}

/** The notification's text for a download event, or null for events that are not progress. */
export function downloadProgress(event: BaseDownloadEvent): DownloadProgress | null {
  switch (event.type) {
    case 'baseDownloadStarted':
    case 'baseDownloadProgress': {
      const total = event.bytesTotal;
      const percent = total > 0 ? Math.min(100, (event.bytesDone / total) * 100) : 0;
      const eta =
        event.type === 'baseDownloadProgress' && event.etaMs !== null
          ? ` · ${formatDuration(event.etaMs)} left`
          : '';
      return {
        percent,
        message: `${event.name}: ${formatBytes(event.bytesDone)} of ${formatBytes(total)}${eta}`,
      };
    }
    default:
      return null;
  }
}
