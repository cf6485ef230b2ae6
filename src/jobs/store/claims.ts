import type { Transaction } from 'kysely';
import type { Job } from '../types.js';
import { pickAdmissible, type QueuedRow } from './admission.js';
import type { Backend } from './backend.js';
import type { ClaimRequest } from './contract.js';
import { rowToJob } from './rows.js';
import type { Database } from './schema.js';

type Trx = Transaction<Database>;

/**
 * The claim transaction's body, shared by claim, createAndClaim and updateAndClaim: under the claim lock, read the
 * queued and running jobs, pick in the contract's order, start the picked ones for the claiming instance.
 */
export class Claimer {
  constructor(
    private readonly b: Backend,
    private readonly agingMs: number,
  ) {}

  /** The admissible queued jobs in start order (the claim lock held). */
  async pick(trx: Trx, req: ClaimRequest): Promise<QueuedRow[]> {
    await this.b.lockClaims(trx);
    const queued = await trx
      .selectFrom('jobs')
      .select([
        'id',
        'server',
        'parent_id',
        'parallel_limit',
        'wave',
        'priority',
        'created_at',
        'not_before',
        'cancel_requested_at',
      ])
      .where('status', '=', 'queued')
      .execute();
    if (queued.length === 0) return [];
    const running = await trx
      .selectFrom('jobs')
      .select(['id', 'server', 'parent_id', 'wave', 'owner_instance'])
      .where('status', '=', 'running')
      .execute();
    return pickAdmissible(queued, running, req, this.agingMs);
  }

  /** Starts these queued jobs for the claiming instance; answers them in the given order. */
  async start(trx: Trx, picked: readonly string[], req: ClaimRequest): Promise<Job[]> {
    let ids = picked;
    // PostgreSQL: a picked job whose row another transaction holds (a cancel request under way) is left for the
    // next claim rather than waited for.
    if (ids.length > 0 && this.b.forUpdate)
      ids = (await trx.selectFrom('jobs').select('id').where('id', 'in', ids).forUpdate().skipLocked().execute()).map(
        (r) => r.id,
      );
    if (ids.length === 0) return [];
    const rev = await this.b.nextRev(trx);
    const rows = await trx
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        started_at: req.now,
        attempt: eb('attempt', '+', 1),
        owner_instance: req.instance.id,
        owner_host: req.instance.host,
        owner_pid: req.instance.pid,
        rev,
        updated_at: req.now,
      }))
      .where('id', 'in', ids)
      .where('status', '=', 'queued')
      .returningAll()
      .execute();
    await this.b.notify(trx, ids);
    const byId = new Map(rows.map((r) => [r.id, rowToJob(r, this.b.json)]));
    return picked.flatMap((id) => byId.get(id) ?? []);
  }

  async claim(trx: Trx, req: ClaimRequest): Promise<Job[]> {
    const picked = await this.pick(trx, req);
    return this.start(
      trx,
      picked.map((j) => j.id),
      req,
    );
  }
}
