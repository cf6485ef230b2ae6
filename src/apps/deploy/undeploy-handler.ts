import { DeckhandError } from '../../errors.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../../jobs/handler.js';
import { deployContext, errorOutcome, withServer, type DeployJobOptions } from './job-common.js';
import { listDeployed } from './list.js';
import { acquireLock, releaseLock } from './lock.js';
import { assertStackName } from './preview.js';
import { Redactor } from './redact.js';
import { removeStackDirScript, removeVolumesScript, stackRemoveScript } from './scripts.js';
import { leftovers, readCurrent, waitStackGone, type StackWatch } from './stack-status.js';
import type { StackStateStore } from './state.js';
import type { UndeployParams } from './types.js';
import { pause } from '../../timing.js';

export interface UndeployResult {
  readonly server: string;
  readonly stack: string;
  readonly services_removed: readonly string[];
  readonly volumes_removed: readonly string[];
  readonly volumes_kept: readonly string[];
  readonly duration_ms: number;
}

/** The undeploy-app job: docker stack rm, wait until its tasks and networks are gone, volumes only when asked. */
export class UndeployAppHandler implements JobHandler {
  constructor(private readonly o: DeployJobOptions & { readonly states: StackStateStore }) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const p = ctx.job.params as unknown as UndeployParams;
    assertStackName(p.stack);
    const state = await this.o.states.read(ctx.job.server ?? '', p.stack);
    const redactor = new Redactor(Object.values(state?.secrets ?? {}));
    const note = (text: string) => ctx.note(redactor.text(text));
    const started = Date.now();
    try {
      const result = await withServer(this.o, ctx, async (conn) => {
        const c = deployContext(this.o, ctx, conn, note, '');
        const w: StackWatch = { runner: c.runner, signal: c.signal, note, pollMs: c.pollMs };
        ctx.progress({ step: 'lock', percent: 5 });
        await acquireLock(p.stack, { ...c.lock, runner: c.runner, signal: c.signal, jobId: c.jobId, note });
        try {
          const others = (await listDeployed(c.runner)).filter((r) => r.record.stack !== p.stack);
          const dependents = others.filter((r) => r.record.dependencies.includes(p.stack)).map((r) => r.record.stack);
          if (dependents.length > 0) {
            throw new DeckhandError(
              'has_dependents',
              `${dependents.join(', ')} ${dependents.length > 1 ? 'use' : 'uses'} ${p.stack} on "${conn.server}".`,
              {
                hint: `Undeploy ${dependents.join(', ')} first.`,
              },
            );
          }
          const current = await readCurrent(c.runner, p.stack);
          const before = await leftovers(c.runner, p.stack);
          const volumes = [...new Set([...before.volumes, ...(current.record?.volumes ?? [])])];
          if (
            !current.record &&
            before.services + before.containers + before.networks === 0 &&
            before.volumes.length === 0
          ) {
            throw new DeckhandError('not_deployed', `Nothing named "${p.stack}" is deployed on "${conn.server}".`, {
              hint: 'list-apps {"server": "…"} shows what is deployed there.',
            });
          }
          ctx.progress({ step: 'remove stack', percent: 20, message: `docker stack rm ${p.stack}` });
          note(`${p.stack}: docker stack rm`);
          const out = await c.runner.must(stackRemoveScript(p.stack), `removing stack ${p.stack}`);
          for (const l of out.stdout.trim().split('\n').filter(Boolean)) note(l);
          ctx.progress({ step: 'wait', percent: 40, message: 'waiting until its tasks and networks are gone' });
          const left = await waitStackGone(w, p.stack, 180);
          if (left.services + left.containers + left.networks > 0) {
            throw new DeckhandError(
              'undeploy_incomplete',
              `${p.stack} is still going away after 180 s: ${left.services} services, ${left.containers} containers, ${left.networks} networks left.`,
              { hint: 'Call undeploy-app again in a minute; it picks up where this one stopped.' },
            );
          }
          note(`${p.stack}: services, tasks and networks are gone`);
          let removed: string[] = [];
          if (p.remove_data && volumes.length > 0) {
            ctx.progress({ step: 'remove data', percent: 80, message: `removing volumes ${volumes.join(', ')}` });
            removed = await this.removeVolumes(w, p.stack, volumes);
          } else if (volumes.length > 0) {
            note(`${p.stack}: kept volumes ${volumes.join(', ')} (remove_data was not set)`);
          }
          await c.runner.must(removeStackDirScript(p.stack), `removing the release directory of ${p.stack}`);
          if (p.remove_data) await this.o.states.remove(conn.server, p.stack);
          return {
            server: conn.server,
            stack: p.stack,
            services_removed: current.record?.services ?? [],
            volumes_removed: removed,
            volumes_kept: p.remove_data ? [] : volumes,
          };
        } finally {
          await releaseLock(c.cleanupRunner, p.stack, c.jobId).catch(() => undefined);
        }
      });
      ctx.progress({ step: 'done', percent: 100 });
      const final: UndeployResult = { ...result, duration_ms: Date.now() - started };
      return { kind: 'completed', result: redactor.value(final) };
    } catch (err) {
      return errorOutcome(err, ctx, redactor);
    }
  }

  /** Volumes can stay busy for a moment after their containers are gone: retried for up to a minute. */
  private async removeVolumes(w: StackWatch, stack: string, wanted: readonly string[]): Promise<string[]> {
    const deadline = Date.now() + 60_000;
    const removed: string[] = [];
    for (;;) {
      const r = await w.runner.run(removeVolumesScript(wanted), { timeoutMs: 60_000 });
      for (const m of r.stdout.matchAll(/^removed (\S+)$/gm)) removed.push(m[1] as string);
      if (r.code === 0) {
        w.note(`${stack}: removed volumes ${removed.join(', ') || '(none were left)'}`);
        return removed;
      }
      if (Date.now() > deadline) {
        throw new DeckhandError('volume_busy', `Could not remove every volume of ${stack}: ${r.stdout.trim()}`, {
          hint: 'Something still uses them; call undeploy-app with remove_data again later.',
        });
      }
      await pause(2000, w.signal);
      w.signal.throwIfAborted();
    }
  }
}
