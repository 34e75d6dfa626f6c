// The one base class of errors the user fixes (a bad flag, a missing folder, a damaged record, a run
// another process writes): the CLI prints the one-line message, no stack trace, and exits with status 2.
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
