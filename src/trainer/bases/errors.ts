// Errors of the base cache and downloads. A BaseError is a UsageError: the CLI prints its one line
// (naming the URL or file and the fix) and exits with status 2.
import { UsageError } from '../errors';

export class BaseError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'BaseError';
  }
}

/** A download stopped on request (Ctrl-C, IPC stop, AbortSignal): `.part` files stay for a resume. */
export class DownloadStoppedError extends Error {
  constructor(
    readonly bytesDone: number,
    readonly bytesTotal: number,
  ) {
    super('download stopped; run the same command again to resume');
    this.name = 'DownloadStoppedError';
  }
}

const DISK_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** A failed write into the cache as a one-line BaseError naming the file and the fix; other errors pass. */
export function diskError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (!code || !(code in DISK_CODES)) return err;
  return new BaseError(
    `${file}: ${DISK_CODES[code]} (${code}) — free some space or choose another cache folder with --cache-dir ` +
      `or IMAGE_TRAINER_CACHE_DIR, then run the same command again (the download resumes)`,
  );
}
