import type { Config } from '../config.js';
import type { JobService } from '../jobs/index.js';
import type { AuditLog } from '../audit/index.js';
import type { SafetyService } from '../safety/index.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import type { ServerService } from '../servers/index.js';
import type { TemplateService } from '../templates/index.js';
import type { CliOutput } from './io.js';

/** What a CLI command may use: services, never a store or a log file. */
export interface CliContext {
  readonly config: Config;
  readonly jobs: JobService;
  readonly servers: ServerService;
  readonly safety: SafetyService;
  readonly audit: AuditLog;
  readonly templates: TemplateService;
  /** Which servers a target names (a template run is admitted on them). */
  readonly remoteBash: Pick<RemoteBashService, 'targetNames'>;
  /** The person running the command, as approvals and the audit log name them ("cli:alice@laptop"). */
  readonly person: string;
  readonly io: CliOutput;
}

/**
 * One entry of the command table: the words that select it, its usage line (the help text is made of these), and
 * what it does with the rest of the arguments, which it parses strictly itself.
 */
export interface CommandSpec<C> {
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  run(args: string[], ctx: C): Promise<number>;
}

/** The command whose words start argv (the longest match), and the arguments after them. */
export function findCommand<C>(
  table: readonly CommandSpec<C>[],
  argv: readonly string[],
): { spec: CommandSpec<C>; args: string[] } | undefined {
  let best: CommandSpec<C> | undefined;
  for (const spec of table) {
    const fits = spec.words.every((w, i) => argv[i] === w);
    if (fits && (!best || spec.words.length > best.words.length)) best = spec;
  }
  return best && { spec: best, args: argv.slice(best.words.length) };
}

/** Usage lines with their summaries, aligned: the help text, made once from the table. */
export function usageText(table: readonly CommandSpec<unknown>[]): string {
  return table
    .map((s) =>
      s.usage.length > 34 ? `  ${s.usage}\n${' '.repeat(36)}${s.summary}` : `  ${s.usage.padEnd(34)}${s.summary}`,
    )
    .join('\n');
}
