import { DeckhandError } from '../errors.js';
import type { Inventory } from '../servers/index.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../jobs/handler.js';
import { isManagedByDeckhand, isProviderError, MANAGED_BY_LABEL, type ProviderServer } from '../providers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { missingProviderError, type ProviderFactory } from './provider.js';
import { StepTracker, stepsOutcome } from '../jobs/kit/steps.js';
import { pause } from '../timing.js';

export interface DeleteServerParams {
  readonly name: string;
  /** The provider id known when the job was queued (from the inventory, or a lookup by name). */
  readonly provider_id?: string | undefined;
}

export const DELETE_STEPS = ['find-server', 'delete-at-provider', 'wait-for-action', 'forget-server'] as const;

export interface DeleteServerHandlerOptions {
  readonly inventory: Inventory;
  readonly pool: SshPool;
  readonly provider: ProviderFactory | undefined;
  readonly timeoutMs?: number;
}

/** Refuses servers that do not carry deckhand's label: those were never deckhand's to delete. */
export function refuseUnmanaged(s: ProviderServer): void {
  if (isManagedByDeckhand(s)) return;
  throw new DeckhandError(
    'not_created_by_deckhand',
    `Server "${s.name}" (id ${s.id}) was not created by deckhand (no ${MANAGED_BY_LABEL.key}=${MANAGED_BY_LABEL.value} label), so delete-server will not destroy it.`,
    {
      hint: 'To stop managing it, use remove-server (the machine keeps running); delete the machine itself in the provider console.',
    },
  );
}

/**
 * delete-server as a job. Idempotent: a server already gone (not_found) or already being deleted counts as
 * deleted, and the inventory entry and its pinned key are removed either way.
 */
export class DeleteServerHandler implements JobHandler {
  constructor(private readonly o: DeleteServerHandlerOptions) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const p = ctx.job.params as unknown as DeleteServerParams;
    const steps = new StepTracker(ctx, DELETE_STEPS);
    const result: Record<string, unknown> = { name: p.name, steps: steps.reports };
    const signal = ctx.signal;
    try {
      if (!this.o.provider) throw missingProviderError();
      const provider = this.o.provider((e) =>
        ctx.note(`${e.method} ${e.path}: ${e.reason}; retry ${e.attempt} in ${Math.round(e.delayMs)} ms`),
      );
      const found = await steps.run('find-server', async () => {
        const known = await this.o.inventory.find(p.name);
        const id = p.provider_id ?? (known?.provider ? String(known.provider.id) : undefined);
        const s = id ? await provider.getServer(id, { signal }) : await provider.findServerByName(p.name, { signal });
        if (!s)
          return {
            status: 'ok',
            detail: `no server ${id ? `with id ${id}` : `named "${p.name}"`} at ${provider.name}: already deleted`,
            value: null,
          };
        refuseUnmanaged(s);
        result.provider_id = s.id;
        return { status: 'ok', detail: `server ${s.id} (${s.status}, ${s.ipv4 ?? 'no IPv4'})`, value: s };
      });

      let action: string | undefined;
      if (found) {
        action = await steps.run('delete-at-provider', async () => {
          if (found.status === 'deleting') return { status: 'ok', detail: 'already being deleted' };
          try {
            const a = await provider.deleteServer(found.id, { signal });
            return { status: 'changed', detail: `delete action ${a.id} started`, value: a.id };
          } catch (err) {
            if (isProviderError(err, 'not_found')) return { status: 'ok', detail: 'already deleted' };
            if (isProviderError(err, 'locked'))
              return { status: 'ok', detail: 'locked by a running action (likely a deletion already under way)' };
            throw err;
          }
        });
        await steps.run('wait-for-action', async () => {
          if (action) {
            await provider.waitForAction(action, {
              signal,
              onProgress: (pct) => ctx.progress({ message: `delete_server: ${pct}%` }),
            });
          }
          await this.waitGone(found.id, ctx, provider.getServer.bind(provider));
          return { status: action ? 'changed' : 'ok', detail: `server ${found.id} is gone` };
        });
      } else {
        steps.skip('delete-at-provider', 'nothing to delete');
        steps.skip('wait-for-action', 'nothing to wait for');
      }
      result.deleted = Boolean(action) || Boolean(found);

      await steps.run('forget-server', async () => {
        const removed = await this.o.inventory.remove(p.name);
        this.o.pool.forget(p.name);
        result.inventory_removed = Boolean(removed);
        return removed
          ? { status: 'changed', detail: `removed "${p.name}" and its pinned host key from the inventory` }
          : { status: 'ok', detail: 'not in the inventory' };
      });
      steps.done(`server ${p.name} deleted`);
      return { kind: 'completed', result };
    } catch (err) {
      return stepsOutcome(ctx, err, result);
    }
  }

  private async waitGone(
    id: string,
    ctx: JobContext,
    get: (id: string, o: { signal: AbortSignal }) => Promise<ProviderServer | null>,
  ): Promise<void> {
    const deadline = Date.now() + (this.o.timeoutMs ?? 10 * 60_000);
    for (;;) {
      const s = await get(id, { signal: ctx.signal });
      if (!s) return;
      if (Date.now() > deadline) {
        throw new DeckhandError('delete_timeout', `Server ${id} still exists (${s.status}).`, {
          hint: 'Check it in the provider console and run delete-server again.',
        });
      }
      await pause(1000, ctx.signal);
      ctx.signal.throwIfAborted();
    }
  }
}
