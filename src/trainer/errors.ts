// The trainer's usage error. Every error the CLI turns into exit status 2 (one line, no stack trace)
// extends InputError (core/inputError.ts): this one, ConfigError, RunFileError, RunLockedError,
// DatasetInputError and the bases' BaseError.
import { InputError } from '../core/inputError';

/** Bad usage or input: a missing folder, too few classes, an invalid flag or config value. */
export class UsageError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
