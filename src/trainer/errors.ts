// Errors that the CLI turns into exit status 2 with one line and no stack trace.

/** Bad usage or input: a missing folder, too few classes, an invalid flag or config value. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
