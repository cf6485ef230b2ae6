// The multi-instance test's world (tests/e2e/pool-postgres.test.ts): three deckhand binaries on one throwaway
// PostgreSQL, each in a UTS namespace of its own (another host name, so a dead instance is found by its silent
// heartbeat, as on another machine, not by a pid check), three real sshds whose sessions have a HOME of their own.
// The jobs' commands record on the server when they start and end (`recorded`), so the per-server limit and "exactly
// once" are checked where the commands ran, not in deckhand's own records.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { tempHome } from './home.js';
import { removeRemoteJobs, type StatusView } from './jobs.js';
import { CLI, structured, textOf } from './mcp.js';
import { startPostgres, type PgCluster } from './postgres.js';
import { startSshd, type SshdHandle } from './sshd.js';
import { waitFor } from './wait.js';

export const SECRET_KEY = 'q83vEjxZzvWb7dQwq9R3kq9rQk8sYdN0m3Yl2rJ6l1Q=';
export const PER_SERVER = 2;
export const OWNER_TIMEOUT_S = 3;

export interface Instance {
  readonly name: string;
  readonly client: Client;
  readonly pid: number;
  readonly stderr: () => string;
  call(tool: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface Target {
  readonly name: string;
  readonly sshd: SshdHandle;
  /** HOME of the SSH sessions: the commands' records and deckhand's remote job directories live under it. */
  readonly home: string;
}

/** One event a command wrote on its server: s(tart) or e(nd), the time in ns, and its token. */
export interface Mark {
  readonly kind: 's' | 'e';
  readonly ns: bigint;
  readonly token: string;
}

export function marks(t: Target): Mark[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(t.home, 'c', 'log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [kind, ns, token] = l.split(' ');
      return { kind: kind as 's' | 'e', ns: BigInt(ns!), token: token! };
    });
}

/** The most commands that ran at once on a server, from their start and end records. */
export function maxOverlap(ms: readonly Mark[]): number {
  let now = 0;
  let max = 0;
  for (const m of [...ms].sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.kind === 'e' ? -1 : 1))) {
    now += m.kind === 's' ? 1 : -1;
    max = Math.max(max, now);
  }
  return max;
}

/** Job i is created through instance i % 3 on server serverOf(i): each instance reaches every server, 20 jobs each. */
export const serverOf = (i: number) => (i + Math.floor(i / 3)) % 3;

/** A command that records its start and end on the server around `body`. */
export const recorded = (token: string, body: string) =>
  `d=$HOME/c; mkdir -p $d; echo "s $(date +%s%N) ${token}" >> $d/log; ${body}; echo "e $(date +%s%N) ${token}" >> $d/log`;

export class PoolFixture {
  db!: PgCluster;
  url!: string;
  targets: Target[] = [];
  readonly homes: { dir: string; cleanup(): void }[] = [];
  readonly instances: Instance[] = [];
  /** Instances killed or stopped by a test: the others are `alive()`. */
  readonly killed = new Set<Instance>();
  readonly jobIds = new Set<string>();
  sql!: pg.Client;

  env(i: number): Record<string, string> {
    return {
      DECKHAND_HOME: this.homes[i]!.dir,
      DECKHAND_DATABASE_URL: this.url,
      DECKHAND_SECRET_KEY: SECRET_KEY,
      DECKHAND_MAX_JOBS: '8',
      DECKHAND_MAX_JOBS_PER_SERVER: String(PER_SERVER),
      DECKHAND_OWNER_TIMEOUT_S: String(OWNER_TIMEOUT_S),
      DECKHAND_LOG_LEVEL: 'warn',
    };
  }

  alive(): Instance[] {
    return this.instances.filter((i) => !this.killed.has(i));
  }

  /** PostgreSQL, three sshds (s1, s2, s3), instances a, b and c, the servers registered through a. */
  async setup(): Promise<void> {
    const [cluster, ...sshds] = await Promise.all([
      startPostgres(),
      ...['s1', 's2', 's3'].map(async (name) => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), `deckhand-pool-${name}-`));
        return { name, home, sshd: await startSshd({ extraConfig: `SetEnv HOME=${home}` }) };
      }),
    ]);
    this.db = cluster;
    this.targets = sshds;
    this.url = await this.db.createDatabase();
    this.homes.push(tempHome(), tempHome(), tempHome());
    // One after the other: the first runs the migrations; the others find them done.
    await this.startInstance(0, 'a');
    await Promise.all([this.startInstance(1, 'b'), this.startInstance(2, 'c')]);
    for (const t of this.targets) {
      const r = await this.instances[0]!.call('add-server', {
        name: t.name,
        host: t.sshd.host,
        port: t.sshd.port,
        user: t.sshd.user,
        private_key_path: t.sshd.clientKey,
        policy: { mode: 'open' },
      });
      if (r.isError) throw new Error(`add-server ${t.name}: ${textOf(r)}`);
    }
    this.sql = await this.connectSql();
  }

  async teardown(): Promise<void> {
    await this.sql?.end().catch(() => undefined);
    await Promise.all(this.instances.map((i) => i.close().catch(() => undefined)));
    for (const i of this.instances) {
      try {
        process.kill(i.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const t of this.targets) {
      removeRemoteJobs(t.home, this.jobIds);
      await t.sshd.stop();
      fs.rmSync(t.home, { recursive: true, force: true });
    }
    await this.db?.stop();
    for (const h of this.homes) h.cleanup();
  }

  /** The built binary over stdio, as host `deckhand-<name>`: its own UTS namespace, the same pid (exec all along). */
  async startInstance(i: number, name: string, extra: Record<string, string> = {}): Promise<Instance> {
    const transport = new StdioClientTransport({
      command: 'unshare',
      args: ['--uts', 'sh', '-c', `hostname deckhand-${name} && exec "${process.execPath}" "${CLI}"`],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...this.env(i), ...extra },
      stderr: 'pipe',
    });
    let err = '';
    transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const client = new Client({ name: `pool-test-${name}`, version: '1.0.0' });
    await client.connect(transport);
    const inst: Instance = {
      name,
      client,
      pid: transport.pid!,
      stderr: () => err,
      call: async (tool, args) =>
        (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult,
      close: () => client.close(),
    };
    this.instances.push(inst);
    return inst;
  }

  async background(
    via: Instance,
    server: string,
    command: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const r = await via.call('remote-bash', { server, command, mode: 'background', ...extra });
    const id = structured<{ job_id: string }>(r).job_id;
    this.jobIds.add(id);
    return id;
  }

  async status(via: Instance, id: string, extra: Record<string, unknown> = {}): Promise<StatusView> {
    return structured<StatusView>(await via.call('get-job-status', { job_id: id, tail_logs: 1000, ...extra }));
  }

  /** The test's own look at the database; a server restart ends it with an error event, which is expected. */
  async connectSql(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async row(id: string): Promise<{ status: string; owner_instance: string | null } | undefined> {
    const r = await this.sql.query<{ status: string; owner_instance: string | null }>(
      'select status, owner_instance from jobs where id = $1',
      [id],
    );
    return r.rows[0];
  }

  /** The instance that runs (or ran: a record keeps its owner) a job, once it started. */
  async runnerOf(id: string): Promise<Instance> {
    const host = await waitFor(
      async () =>
        (
          await this.sql.query<{ host: string }>(
            'select i.host from jobs j join instances i on i.id = j.owner_instance where j.id = $1',
            [id],
          )
        ).rows[0]?.host,
      `job ${id} to run`,
    );
    return this.instances.find((i) => `deckhand-${i.name}` === host)!;
  }
}
