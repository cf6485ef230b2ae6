import type { Client } from 'ssh2';
import { DeckhandError } from '../../errors.js';
import { lastLines, RemoteShell, type ShellResult } from '../../ssh/remote-shell.js';

/**
 * The shell deploy jobs and app queries use: ssh/remote-shell.ts's RemoteShell, whose failed commands say
 * `remote_failed` with the last lines of output. Output is collected, never logged here: the caller decides what
 * reaches the job log, redacted.
 */
export function deployShell(client: Client, signal: AbortSignal, defaultTimeoutMs = 120_000): RemoteShell {
  return new RemoteShell(client, { signal, defaultTimeoutMs, failure: remoteFailed });
}

export function remoteFailed(what: string, r: ShellResult): DeckhandError {
  const tail = lastLines(r.stderr, 8) || lastLines(r.stdout, 8) || 'no output';
  return new DeckhandError('remote_failed', `${what} failed on the server (exit ${r.code ?? 'none'}): ${tail}`);
}
