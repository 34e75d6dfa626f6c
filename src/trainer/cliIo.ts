// What every CLI command receives: its parsed arguments and the process's I/O. Apart from cli.ts so that
// the command modules (bases, experiments) share the types without importing the dispatcher.
import type { TrainerToHost } from '../protocol/trainerMessages';

export interface ParsedArgs {
  command: string;
  positionals: string[];
  /** Flags with a value (`--epochs 3`, `--epochs=3`), by flag. */
  values: Map<string, string>;
  /** Flags without a value (`--json`). */
  switches: Set<string>;
}

type Writer = (text: string) => void;

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  /** Present when forked with an IPC channel. */
  send?: (message: TrainerToHost) => void;
  isTTY: boolean;
  cwd: string;
  /** Environment for cache and proxy settings (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Ctrl-C or the host's stop message, seen by the command in progress. */
export interface StopRequest {
  requested: boolean;
}
