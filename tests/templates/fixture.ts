import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createApp, type Deckhand } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ScheduleEvent, StoredTemplate } from '../../src/jobs/store/contract.js';
import type { Job } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/logger.js';
import type { ServerRecord } from '../../src/servers/types.js';
import { ScheduleLoop, TemplateService, type SaveInput } from '../../src/templates/index.js';
import { tempHome } from '../helpers/home.js';

/** 2027-03-01T00:00:00Z, a Monday: the injected clock's start, far from the real one. */
export const START = Date.parse('2027-03-01T00:00:00Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export function box(over: Partial<ServerRecord> = {}): ServerRecord {
  return {
    name: 'box',
    host: '127.0.0.1',
    port: 1,
    user: 'root',
    auth: { private_key_path: '/nonexistent/key' },
    host_key_fingerprint: `SHA256:${'A'.repeat(43)}`,
    labels: { role: 'web' },
    added_at: new Date(START).toISOString(),
    ...over,
  };
}

/**
 * A real deckhand (createApp on a temp SQLite home; its engine not started, so runs are real queued jobs that never
 * execute), a TemplateService and a ScheduleLoop on an injected clock: `at(t)` then `tick()`; never a timer.
 */
export class SchedulerFixture {
  clock = START;
  readonly errors: unknown[] = [];
  private constructor(
    readonly app: Deckhand,
    readonly service: TemplateService,
    readonly loop: ScheduleLoop,
    private readonly home: { dir: string; cleanup(): void },
  ) {}

  static async start(servers: ServerRecord[] = [box()]): Promise<SchedulerFixture> {
    const home = tempHome();
    // A readable key for the targets (never used to connect: nothing runs).
    const key = path.join(home.dir, 'client_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const app = await createApp({
      config: loadConfig({ DECKHAND_HOME: home.dir }),
      logger: silentLogger(),
      env: {},
      process: { pid: process.pid, isAlive: () => true },
    });
    for (const s of servers) {
      const record: ServerRecord = { ...s, auth: { private_key_path: key } };
      await app.kernel.stores.inventory.add(record);
    }
    const holder: { f?: SchedulerFixture } = {};
    const now = () => holder.f!.clock;
    const service = new TemplateService({
      store: app.kernel.stores.templates,
      secrets: app.kernel.stores.secrets,
      runner: app.services.remoteBash,
      jobs: app.kernel.jobs,
      now,
    });
    const loop = new ScheduleLoop({
      store: app.kernel.stores.templates,
      service,
      cancel: (id) => app.kernel.jobs.cancel(id),
      now,
      onError: (err) => holder.f!.errors.push(err),
    });
    holder.f = new SchedulerFixture(app, service, loop, home);
    return holder.f;
  }

  /** Moves the clock to `t` (absolute, epoch ms) and runs one pass of the loop. */
  async tickAt(t: number): Promise<void> {
    this.clock = t;
    await this.loop.tick();
  }

  /** Ticks every `step` ms from the clock (exclusive) up to `until` (inclusive). */
  async run(until: number, step = 10_000): Promise<void> {
    for (let t = this.clock + step; t <= until; t += step) await this.tickAt(t);
    if (this.clock < until) await this.tickAt(until);
  }

  save(input: Partial<SaveInput> & { name: string }): Promise<StoredTemplate> {
    return this.service
      .save({ command: 'echo hello', target: { servers: ['box'] }, ...input })
      .then(() => this.service.get(input.name));
  }

  /** The template's runs (top-level jobs), oldest first. */
  async runs(name: string): Promise<Job[]> {
    const t = await this.service.get(name);
    const page = await this.app.kernel.jobs.list({ template_id: t.id, top_level: true }, 1000);
    return [...page.jobs].reverse();
  }

  async events(name: string): Promise<ScheduleEvent[]> {
    const t = await this.service.get(name);
    return this.app.kernel.stores.templates.scheduleEvents(t.id, 1000);
  }

  async close(): Promise<void> {
    await this.loop.close();
    await this.app.close();
    this.home.cleanup();
  }
}

/** The slot a run is for, from its unique key ("id@ISO"). */
export function slotOf(j: Job): string | null {
  return j.unique_key ? j.unique_key.slice(j.unique_key.lastIndexOf('@') + 1) : null;
}

export const iso = (t: number) => new Date(t).toISOString();
