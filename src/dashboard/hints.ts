import type { JobError } from '../jobs/index.js';

/**
 * What to do about a job's error, by its code. Job records keep code and message only.
 * TODO(lead): when job errors carry their own hint, show that and keep this as the fallback.
 */
const HINTS: Readonly<Record<string, string>> = Object.freeze({
  exit_code: 'The command itself failed: its stderr (below) usually says why. Fix the command and run it again.',
  timeout:
    'The job reached its time limit and was killed with everything it started. Give it a larger timeout_s, or split the work.',
  cancelled: 'Someone cancelled the job (here, from MCP with cancel-job, or with `deckhand jobs cancel`).',
  lost: 'No deckhand could tell how the command ended (its runner and records are gone). Check the server, then run it again.',
  start_failed:
    'The command never started on the server. The log says what was refused; check the server and its disk.',
  connection_refused: 'Nothing listens on the SSH port: check the address, the port and that sshd runs.',
  connection_lost: 'The SSH connection dropped. deckhand reattaches when it can; run the job again if it failed.',
  connect_timeout: 'The server did not answer in time: check the network path and firewalls.',
  auth_failed: 'The server refused the key or password: check the user and the credentials registered for it.',
  host_key_mismatch:
    "The server's host key differs from the pinned one: it was rebuilt, or someone is in the middle. Verify it, then remove and add the server again.",
  store_unavailable: 'deckhand could not reach its job store: check the database (or the disk under DECKHAND_HOME).',
});

export function errorHint(error: JobError | null): string | undefined {
  return error ? HINTS[error.code] : undefined;
}
