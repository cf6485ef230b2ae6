import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import { Inventory } from '../servers/inventory.js';
import { CliError, CliOutput, UsageError } from './io.js';
import { runJobsCommand } from './jobs.js';

/** Human CLI commands that read the same DECKHAND_HOME as a running server. */
export async function runCliCommand(config: Config, argv: string[], out: Writable, err: Writable): Promise<number> {
  const io = new CliOutput(out, err);
  const [group, sub] = argv;
  try {
    if (group === 'servers' && (sub === 'list' || sub === undefined)) {
      const servers = await new Inventory(config.home).list();
      if (servers.length === 0) await io.print('No servers registered.\n');
      for (const s of servers) await io.print(`${s.name}\t${s.user}@${s.host}:${s.port}\t${s.host_key_fingerprint}\n`);
      return 0;
    }
    if (group === 'jobs') return await runJobsCommand(config, argv.slice(1), io);
    throw new UsageError(`Unknown command: deckhand ${argv.join(' ')}. See deckhand --help.`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.warn(`deckhand: ${e.message}`);
      if (e.usage) io.warn(`Usage:\n${indent(e.usage)}`);
      return 2;
    }
    io.warn(`deckhand: ${errorMessage(e)}`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
