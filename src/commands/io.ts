import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** A mistake in how the command was called: exit code 2, with the usage of the command that was meant. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command was well formed but cannot be done (unknown job, unreadable store): exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Where a command prints. Writes wait for the reader to drain, so printing a 256 MB log to a slow pipe
 * stays in constant memory; once the reader has gone (`| head`), `closed` tells loops to stop quietly.
 */
export class CliOutput {
  closed = false;

  constructor(
    readonly out: Writable,
    readonly err: Writable,
  ) {
    // Any write error (usually EPIPE) means nobody reads any more; there is nothing better to do than stop.
    out.on('error', () => {
      this.closed = true;
    });
  }

  async print(text: string): Promise<void> {
    if (this.closed || text === '') return;
    if (!this.out.write(text)) {
      // 'close' too: a reader that goes away mid-wait never emits 'drain'.
      await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]).catch(() => undefined);
    }
  }

  warn(text: string): void {
    this.err.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
