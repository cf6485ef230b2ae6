import { DeckhandError } from '../errors.js';
import type { Inventory } from '../servers/index.js';
import type { JobEngine } from '../jobs/engine.js';
import type { Job } from '../jobs/types.js';
import { findActiveJob, waitBriefly } from '../jobs/kit/waits.js';
import { COMPONENTS, type Component, type SetupParams } from './types.js';

export interface SetupInput {
  server: string;
  components: Component[];
  email?: string | undefined;
  dry_run: boolean;
}

const NEEDS: Record<Component, Component[]> = { docker: [], swarm: ['docker'], traefik: ['docker', 'swarm'] };
const SETUP_TIMEOUT_S = 60 * 60;

/** What the setup-server tool calls: validates, then queues (or joins) the job. */
export class SetupService {
  constructor(
    private readonly engine: JobEngine,
    private readonly inventory: Inventory,
  ) {}

  /** `id`: the new job's id when the caller made it beforehand (the audit log names the job before it exists). */
  async submit(input: SetupInput, id?: string): Promise<{ job: Job; joined: boolean }> {
    const server = await this.inventory.get(input.server);
    const components = [...new Set(input.components)].sort((a, b) => COMPONENTS.indexOf(a) - COMPONENTS.indexOf(b));
    for (const c of components) {
      const missing = NEEDS[c].filter((n) => !components.includes(n));
      if (missing.length) {
        throw new DeckhandError(
          'invalid_argument',
          `Component "${c}" needs ${missing.map((m) => `"${m}"`).join(' and ')} too.`,
          {
            hint: `Pass components ${JSON.stringify([...new Set([...missing, ...components])].sort((a, b) => COMPONENTS.indexOf(a) - COMPONENTS.indexOf(b)))}.`,
          },
        );
      }
    }
    const params: SetupParams = { components, dry_run: input.dry_run, ...(input.email ? { email: input.email } : {}) };
    const running = await findActiveJob(this.engine, 'setup-server', server.name);
    if (running) {
      if (JSON.stringify(running.params) === JSON.stringify(params)) return { job: running, joined: true };
      throw new DeckhandError(
        'busy',
        `setup-server is already running on "${server.name}" (job ${running.id}) with other parameters.`,
        {
          hint: `Wait for it (get-job-status {"job_id": "${running.id}", "wait_s": 20}) or cancel it with cancel-job, then call again.`,
        },
      );
    }
    const job = await this.engine.submit({
      ...(id ? { id } : {}),
      type: 'setup-server',
      server: server.name,
      params: { ...params },
      timeout_s: SETUP_TIMEOUT_S,
    });
    return { job, joined: false };
  }

  wait(job: Job, ms: number, signal?: AbortSignal): Promise<Job> {
    return waitBriefly(this.engine, job, ms, signal);
  }
}
