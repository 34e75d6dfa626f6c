// What the demo scripts share: `node dist/cli.js train … --json` as a child process, its stdout read as one
// JSON event a line (lines that are not JSON are skipped), failures printed as they come.
import { spawn } from 'node:child_process';

/**
 * Runs `node <cli> train <args…>` (args include `--json`), calls `onEvent` with each event, prints a
 * runFailed event's message, and resolves with the child's exit code.
 */
export function trainWithCli(cli, args, onEvent) {
  const child = spawn(process.execPath, [cli, 'train', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.type === 'runFailed') console.error(`training failed: ${event.message}`);
      else onEvent(event);
    }
  });
  return new Promise((resolveCode) => child.on('close', (code) => resolveCode(code)));
}
