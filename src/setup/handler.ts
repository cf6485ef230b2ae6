import type { Inventory } from '../servers/index.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../jobs/handler.js';
import type { SshPool } from '../ssh/pool.js';
import { StepFailedError, StepTracker, stepsOutcome, type StepOutcome } from '../jobs/kit/steps.js';
import { RemoteShell } from '../ssh/remote-shell.js';
import { SETUP_STEPS } from './steps.js';
import type { Component, SetupParams, SetupStep, StepContext } from './types.js';

export interface SetupServerHandlerOptions {
  readonly inventory: Inventory;
  readonly pool: SshPool;
  /** DECKHAND_TRAEFIK_IMAGE: a mirror of the pinned image, or a local stand-in in tests. */
  readonly traefikImage: string | undefined;
  /** Every script sent to the server (benchmarks and tests count them). */
  readonly onCommand?: (server: string, script: string) => void;
}

/**
 * setup-server as a job: every step checks first, so a second run changes nothing, a dry run only checks, and a
 * run after a failure (or after deckhand restarted mid-way) passes quickly over what is done and resumes.
 */
export class SetupServerHandler implements JobHandler {
  constructor(private readonly o: SetupServerHandlerOptions) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const params = ctx.job.params as unknown as SetupParams;
    const steps = new StepTracker(
      ctx,
      SETUP_STEPS.map((s) => s.name),
    );
    const result: Record<string, unknown> = {
      server: ctx.job.server,
      dry_run: params.dry_run,
      components: params.components,
      steps: steps.reports,
    };
    let lease;
    try {
      const server = await this.o.inventory.get(ctx.job.server ?? '');
      try {
        lease = await this.o.pool.acquire(server, ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw new StepFailedError('facts', 1, SETUP_STEPS.length, err);
      }
      const shell = new RemoteShell(lease.client, {
        signal: ctx.signal,
        onLine: (stream, line) => ctx.log.add(stream, line),
        onCommand: (script) => this.o.onCommand?.(server.name, script),
        retryHint: 'run setup-server again to resume: finished steps are kept',
      });
      const c: StepContext = {
        shell,
        params,
        components: new Set<Component>(params.components),
        facts: {
          user: '',
          uid: -1,
          sudo: false,
          os_id: '',
          os_version: '',
          os_name: '',
          arch: '',
          ssh_ip: '',
          apt: false,
          systemd: false,
        },
        previous: undefined,
        record: { version: 1, components: [...params.components] },
        traefikImage: this.o.traefikImage,
        signal: ctx.signal,
        note: (t) => ctx.note(t),
        progress: (message) => ctx.progress({ message }),
      };
      for (const step of SETUP_STEPS) {
        if (step.component && !c.components.has(step.component)) {
          steps.skip(step.name, `component "${step.component}" not requested`);
          continue;
        }
        await steps.run(step.name, () => runStep(step, c, params.dry_run));
        await ctx.log.flush();
      }
      result.facts = c.facts;
      const changed = steps.reports.filter((r) => r.status === 'changed' || r.status === 'would-change').length;
      result.changed = changed;
      steps.done(
        params.dry_run
          ? `dry run: ${changed} step(s) would change`
          : changed
            ? `${changed} step(s) changed`
            : 'nothing to change: the server was already set up',
      );
      return { kind: 'completed', result };
    } catch (err) {
      return stepsOutcome(ctx, err, result);
    } finally {
      // The outcome line follows; a log the store refuses now is reported by the engine, not here.
      await ctx.log.flush().catch(() => undefined);
      lease?.release();
    }
  }
}

async function runStep(step: SetupStep, c: StepContext, dryRun: boolean): Promise<StepOutcome> {
  const found = await step.check(c);
  if (found.ok) return { status: 'ok', detail: found.detail };
  if (dryRun) return { status: 'would-change', detail: found.detail };
  if (!step.apply) throw new Error(`${found.detail}`);
  const applied = await step.apply(c, found);
  const verified = await step.check(c);
  if (!verified.ok) {
    throw new Error(`applied (${applied.detail}) but the check still finds: ${verified.detail}`);
  }
  return { status: applied.changed === false ? 'ok' : 'changed', detail: `${found.detail} → ${applied.detail}` };
}
