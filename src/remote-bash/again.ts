import { DeckhandError } from '../errors.js';
import { BATCH_TYPE } from '../jobs/batch.js';
import type { JobFiles } from '../jobs/files.js';
import type { JobService } from '../jobs/service.js';
import type { Job } from '../jobs/types.js';
import type { RemoteBashParams } from './handler.js';
import type { BatchOptions } from './batch.js';
import type { TargetSpec } from './targets.js';

/** Run again (anything that ended or runs) or retry (a failed job: a batch retries only its failed servers). */
export type AgainKind = 'run-again' | 'retry';

/** What a new run of a job asks for: the call remote-bash would get (less its mode), and the job it repeats. */
export interface AgainInput extends TargetSpec, BatchOptions {
  readonly command: string;
  readonly cwd?: string | undefined;
  readonly env?: Record<string, string> | undefined;
  readonly sudo: boolean;
  readonly timeout_s: number;
  readonly links: { readonly rerun_of?: string; readonly retry_of?: string };
}

interface BatchParams extends RemoteBashParams {
  readonly kind?: string;
  readonly servers?: readonly string[];
  readonly selector?: string;
  readonly max_parallel?: number;
  readonly serial?: number | string;
  readonly max_failures?: number;
  readonly fail_fast?: boolean;
}

const FAILED = new Set(['failed', 'lost', 'cancelled']);

/**
 * The same command again, on the same servers with the same options: for a batch the servers it named (a retry:
 * those that did not complete), for one job its server. Env values are secrets kept only until a command started;
 * they are read back from where they live while they still do, and a job whose values are gone is refused, never
 * run without them.
 */
export async function againInput(
  o: { readonly jobs: JobService; readonly files: JobFiles },
  job: Job,
  kind: AgainKind,
): Promise<AgainInput> {
  const isBatch = job.type === BATCH_TYPE;
  const p = job.params as unknown as BatchParams;
  if ((job.type !== 'remote-bash' && !(isBatch && p.kind === 'remote-bash')) || typeof p.command !== 'string') {
    throw new DeckhandError(
      'rerun_unsupported',
      `Job ${job.id} is a ${job.type} job: run again and retry are offered for remote-bash commands and batches.`,
      { hint: `Ask the assistant to repeat it with the ${job.type} tool; its parameters are on the job's page.` },
    );
  }
  if (kind === 'retry' && job.status !== 'failed' && job.status !== 'lost') {
    throw new DeckhandError('rerun_unsupported', `Job ${job.id} is ${job.status}: only a failed job is retried.`, {
      hint: 'Use run again to repeat a job that did not fail.',
    });
  }
  const kids = isBatch ? await o.jobs.children(job.id) : [];
  const servers = isBatch
    ? kind === 'retry'
      ? kids.filter((k) => FAILED.has(k.status)).map((k) => k.server ?? '')
      : [...(p.servers ?? kids.map((k) => k.server ?? ''))]
    : [job.server ?? ''];
  if (servers.length === 0)
    throw new DeckhandError('rerun_unsupported', `Batch ${job.id} has no failed server to retry.`, {
      hint: 'Use run again to repeat it on every server.',
    });
  const env = await envOf(o.files, job, p.env_keys ?? [], isBatch ? kids : [job]);
  const target = isBatch ? { servers } : { server: servers[0] };
  return {
    ...target,
    command: p.command,
    cwd: p.cwd,
    env,
    sudo: p.sudo === true,
    timeout_s: job.timeout_s,
    ...(isBatch
      ? {
          max_parallel: p.max_parallel,
          serial: p.serial,
          max_failures: p.max_failures,
          fail_fast: p.fail_fast,
        }
      : {}),
    links: kind === 'retry' ? { retry_of: job.id } : { rerun_of: job.id },
  };
}

/** The env values of a job (or of any child of a batch: they all got the same), while one still keeps them. */
async function envOf(
  files: JobFiles,
  job: Job,
  keys: readonly string[],
  holders: readonly Job[],
): Promise<Record<string, string> | undefined> {
  if (keys.length === 0) return undefined;
  for (const h of holders) {
    const env = await (await files.forJob(h.id)).readSecret<Record<string, string>>('env');
    if (env && keys.every((k) => typeof env[k] === 'string')) return env;
  }
  throw new DeckhandError(
    'rerun_env_gone',
    `Job ${job.id} ran with env ${keys.join(', ')}: deckhand kept those values only until the command started, ` +
      'so it cannot run it again without them.',
    {
      hint: 'Ask the assistant to run the command again with remote-bash, giving the env values anew.',
    },
  );
}
