import { ValidationError } from '../errors.js';
import { BATCH_TYPE } from '../jobs/batch.js';
import type { JobEngine, SubmitSpec } from '../jobs/engine.js';
import type { JobFiles } from '../jobs/files.js';
import type { Job } from '../jobs/types.js';
import type { ServerRecord } from '../servers/index.js';
import type { RemoteBashParams } from './handler.js';
import { originFields, originParams, queueFields, type QueuePolicies, type RunOrigin } from './queue.js';

export interface BatchOptions {
  /** Most children running at once (default 20). */
  readonly max_parallel?: number | undefined;
  /** Rolling waves: servers per wave, as a number or a percentage ("25%"), like Ansible's serial. */
  readonly serial?: number | string | undefined;
  /** Once more than this many children failed, start no more. */
  readonly max_failures?: number | undefined;
  /** Stop at the first failure, running children included. */
  readonly fail_fast?: boolean | undefined;
}

export interface BatchSpec extends BatchOptions {
  /** The batch's id when the caller made one (the audit entry names it before the batch exists). */
  readonly id?: string | undefined;
  readonly command: string;
  readonly cwd?: string | undefined;
  readonly env?: Record<string, string> | undefined;
  readonly timeout_s: number;
  readonly mode: string;
  /** Run as root through sudo on each server whose login is not root (a child whose sudo would prompt fails). */
  readonly sudo?: boolean | undefined;
  /** Start each command in a new login shell rather than through the connection's resident agent. */
  readonly fresh_shell?: boolean | undefined;
  /** How the servers were named (kept on the parent, for people). */
  readonly selector?: string | undefined;
  /** The batch this one repeats (run again, retry), kept on the parent. */
  readonly links?: { readonly rerun_of?: string; readonly retry_of?: string } | undefined;
  /** Each child's queue policies (priority, start time, retries). */
  readonly queue?: QueuePolicies | undefined;
  /** The template run this batch is, kept on the parent. */
  readonly origin?: RunOrigin | undefined;
}

export const DEFAULT_MAX_PARALLEL = 20;

/** The wave of each of `n` servers: everything in wave 0 without `serial`. */
export function waves(n: number, serial: number | string | undefined): number[] {
  if (serial === undefined) return new Array<number>(n).fill(0);
  let size: number;
  if (typeof serial === 'number') size = serial;
  else if (/^\d+$/.test(serial.trim())) size = Number(serial);
  else {
    const m = /^(\d{1,3})%$/.exec(serial.trim());
    const pct = m ? Number(m[1]) : NaN;
    if (!(pct >= 1 && pct <= 100)) {
      throw new ValidationError(
        `serial "${serial.slice(0, 20)}" is not a number of servers or a percentage from 1% to 100%.`,
        'Give e.g. serial: 2 (two servers per wave) or serial: "25%".',
      );
    }
    size = Math.ceil((n * pct) / 100);
  }
  size = Math.max(1, Math.floor(size));
  return Array.from({ length: n }, (_, i) => Math.floor(i / size));
}

/**
 * Queues a batch: a parent job (no owner; it holds the policy) and one remote-bash child per server, in one write.
 * Each child is a normal durable job with its own log, cursor, cancel and recovery; the store admits children within
 * max_parallel, their wave, the per-server and per-instance limits, fairly beside other callers' jobs.
 */
export async function startBatch(
  o: { engine: JobEngine; files: JobFiles },
  servers: readonly ServerRecord[],
  spec: BatchSpec,
): Promise<{ parent: Job; children: Job[] }> {
  const wave = waves(servers.length, spec.serial);
  const parentId = spec.id ?? o.engine.newId();
  const childIds = servers.map(() => o.engine.newId());
  const env = spec.env && Object.keys(spec.env).length > 0 ? spec.env : undefined;
  // Secrets first: no runner may see a child whose env values are not in place yet.
  if (env) for (const id of childIds) await o.files.putSecret(id, 'env', env);
  const work: RemoteBashParams = {
    command: spec.command,
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    ...(env ? { env_keys: Object.keys(env) } : {}),
    ...(spec.fresh_shell ? { fresh_shell: true } : {}),
  };
  const maxParallel = spec.max_parallel ?? DEFAULT_MAX_PARALLEL;
  const parent: SubmitSpec = {
    id: parentId,
    type: BATCH_TYPE,
    server: null,
    status: 'running',
    timeout_s: spec.timeout_s,
    params: {
      ...work,
      kind: 'remote-bash',
      mode: spec.mode,
      servers: servers.map((s) => s.name),
      ...(spec.selector ? { selector: spec.selector } : {}),
      max_parallel: maxParallel,
      ...(spec.sudo ? { sudo: true } : {}),
      ...(spec.serial !== undefined ? { serial: spec.serial } : {}),
      ...(spec.max_failures !== undefined ? { max_failures: spec.max_failures } : {}),
      ...(spec.fail_fast ? { fail_fast: true } : {}),
      ...spec.links,
      ...originParams(spec.origin),
    },
    ...originFields(spec.origin),
  };
  const children: SubmitSpec[] = servers.map((s, i) => ({
    id: childIds[i],
    type: 'remote-bash',
    server: s.name,
    parent_id: parentId,
    parallel_limit: maxParallel,
    wave: wave[i] ?? 0,
    timeout_s: spec.timeout_s,
    // A child whose server cannot be reached before its command started fails at once, with the connect error:
    // partial reachability is a normal batch result, never a retry loop.
    params: { ...work, ...(spec.sudo && s.user !== 'root' ? { sudo: true } : {}), mode: spec.mode, batch: true },
    ...queueFields(spec.queue),
  }));
  try {
    const [p, ...c] = await o.engine.submitMany([parent, ...children]);
    return { parent: p as Job, children: c };
  } catch (err) {
    // Nothing was created (a schedule's slot already taken, the store down): the env values stored for children
    // that will never exist must not stay behind.
    if (env) for (const id of childIds) await o.files.clear(id).catch(() => undefined);
    throw err;
  }
}
