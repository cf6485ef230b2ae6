// deploy-app beyond the happy path, through the MCP process against a netns Swarm host: dry runs change nothing, build:
// is refused, generated secrets are stored 0600 and reused but never reach results or job logs (not even through a
// failing service's log lines), a second deploy of the same app waits for the first, a user's compose file deploys,
// and undeploy-app asks the user through elicitation where the client supports it.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { deploy, deployEnv, jobLog, waitJob, useDeploySwarm } from '../helpers/deploy.js';
import { LOCAL_IMAGES } from '../helpers/images.js';
import { CLI, structured, textOf } from '../helpers/mcp.js';

function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('deploy-app: dry runs, refusals, secrets, locks, compose files, confirmations', () => {
  const fx = useDeploySwarm();
  /** Every tool result of this file, to search for secrets at the end. */
  const seen: string[] = [];
  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    const r = await fx.mcp.call(name, args);
    seen.push(JSON.stringify(r));
    return r;
  };
  const sh = fx.sh;
  const secretOf = (stack: string) =>
    (
      JSON.parse(fs.readFileSync(path.join(fx.home.dir, 'secrets', 'box', `${stack}.json`), 'utf8')) as {
        secrets: Record<string, string>;
      }
    ).secrets.POSTGRES_PASSWORD as string;

  it('lists the catalogue without a server', async () => {
    const r = structured<{ catalogue: { name: string; settings: { key: string; managed_by?: string }[] }[] }>(
      await call('list-apps', {}),
    );
    expect(r.catalogue.map((a) => a.name)).toEqual([
      'n8n',
      'postgres',
      'redis',
      'uptime-kuma',
      'vaultwarden',
      'whoami',
    ]);
    const pg = r.catalogue.find((a) => a.name === 'postgres');
    expect(pg?.settings).toContainEqual(expect.objectContaining({ key: 'POSTGRES_PASSWORD', managed_by: 'deckhand' }));
  });

  it('dry_run answers the compose file, the masked .env and the plan, and changes nothing', async () => {
    const r = await call('deploy-app', { server: 'box', app: 'postgres', name: 'pgdry', dry_run: true });
    expect(r.isError, textOf(r)).toBeFalsy();
    const d = structured<{ status: string; result: Record<string, unknown> }>(r);
    expect(d.status).toBe('dry_run');
    expect(d.result).toMatchObject({
      dry_run: true,
      stack: 'pgdry',
      current_release: null,
      would_change: true,
      secrets_to_generate: ['pgdry.POSTGRES_PASSWORD'],
    });
    expect(d.result.compose).toMatch(/image: local\/busybox:1/);
    expect(d.result.compose).not.toMatch(/ports:/);
    expect(d.result.env_file).toMatch(/^POSTGRES_PASSWORD=\*{8}$/m);
    expect(d.result.env_file).toMatch(/^POSTGRES_DB=postgres$/m);
    expect(fs.existsSync(path.join(fx.home.dir, 'secrets', 'box', 'pgdry.json'))).toBe(false);
    expect(await sh('ls /opt/deckhand/apps')).toBe('');
    expect(await sh('docker service ls -q | wc -l')).toBe('0');
  });

  it('refuses a compose file with build: before any job starts', async () => {
    const compose = 'services:\n  web:\n    build: .\n    ports: ["8080:80"]\n';
    const r = await call('deploy-app', { server: 'box', compose, name: 'built' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/compose_invalid.*service web uses build: deckhand deploys prebuilt images/s);
    // A stack name becomes a path on the server: anything but a stack name's shape is refused before a job.
    const escape = await call('undeploy-app', { server: 'box', app: '../../etc', confirm: true });
    expect(escape.isError).toBe(true);
    expect(textOf(escape)).toMatch(/must be a stack name/);
    const jobs = structured<{ jobs: unknown[] }>(await call('list-jobs', {}));
    expect(jobs.jobs).toEqual([]);
  });

  it('generates secrets once, stores them 0600, uses and reuses them', async () => {
    const job = await deploy(fx.mcp, { app: 'postgres', name: 'pg', env: { POSTGRES_DB: 'appdb' } });
    seen.push(JSON.stringify(job));
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const file = path.join(fx.home.dir, 'secrets', 'box', 'pg.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const secret = secretOf('pg');
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    const cid = await sh('docker ps -q --filter label=com.docker.swarm.service.name=pg_postgres');
    expect(await sh(`docker exec ${cid} sh -c 'echo "$POSTGRES_PASSWORD $POSTGRES_DB"'`)).toBe(`${secret} appdb`);

    const again = await deploy(fx.mcp, { app: 'postgres', name: 'pg' }); // env omitted: the deployed one is reused
    seen.push(JSON.stringify(again));
    expect(again.result).toMatchObject({ changed: false });
    expect(secretOf('pg')).toBe(secret);
  });

  it('never puts a secret in results or job logs, even when a failing service logs it', async () => {
    const job = await deploy(fx.mcp, { app: 'postgres', name: 'pgbad', env: { POSTGRES_DB: 'broken' } });
    seen.push(JSON.stringify(job));
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/service pgbad_postgres (failed|did not converge)/);
    expect(job.error?.message).toMatch(/starting with password=\*{8}/); // its log line, masked
    expect(job.error?.message).toMatch(/no earlier release, so the stack was removed/);
    expect(await sh('docker service ls -q --filter label=com.docker.stack.namespace=pgbad | wc -l')).toBe('0');
    seen.push(JSON.stringify(await jobLog(fx.mcp, job.id)));
    seen.push(textOf(await call('list-jobs', { limit: 50 })));

    const secrets = [secretOf('pg'), secretOf('pgbad')];
    const files = allFiles(fx.home.dir).filter((f) => !f.includes(`${path.sep}secrets${path.sep}`));
    expect(files.some((f) => f.includes(job.id))).toBe(true);
    for (const s of secrets) {
      for (const f of files) expect(fs.readFileSync(f, 'latin1').includes(s), f).toBe(false);
      for (const r of seen) expect(r.includes(s)).toBe(false);
    }
  }, 170_000);

  it('makes a second deploy of the same app wait for the first, then find nothing to change', async () => {
    const submit = async () =>
      structured<{ job_id: string }>(await call('deploy-app', { server: 'box', app: 'whoami', sync_wait_s: 0 })).job_id;
    const ids = await Promise.all([submit(), submit()]);
    const jobs = await Promise.all(ids.map((id) => waitJob(fx.mcp, id)));
    for (const j of jobs) expect(j.status, JSON.stringify(j.error)).toBe('completed');
    const changed = jobs.map((j) => (j.result as { changed: boolean }).changed).sort();
    expect(changed).toEqual([false, true]);
    const second = jobs.find((j) => !(j.result as { changed: boolean }).changed) as { id: string };
    const first = jobs.find((j) => j !== second) as { id: string };
    const log = await jobLog(fx.mcp, second.id);
    expect(log).toContain(`whoami: waiting for job ${first.id}, which holds the deploy lock`);
    expect(log.some((l) => /already deployed and healthy; nothing to change/.test(l))).toBe(true);
  }, 120_000);

  it("deploys a user's compose file, with its ${VAR}s taken from env", async () => {
    const compose = [
      'services:',
      '  web:',
      `    image: ${LOCAL_IMAGES.whoami}`,
      '    environment:',
      '      GREETING: ${GREETING}',
      '    healthcheck:',
      '      test: ["CMD-SHELL", "wget -qO- http://127.0.0.1/health >/dev/null || exit 1"]',
      '      interval: 2s',
      '      retries: 3',
      '',
    ].join('\n');
    const job = await deploy(fx.mcp, { compose, name: 'mine', env: { GREETING: 'hello-there' } });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result).toMatchObject({ stack: 'mine', app: null, services: [{ name: 'mine_web', replicas: '1/1' }] });
    expect(JSON.stringify(job.params)).not.toContain('hello-there');
    expect(
      await sh(`docker service inspect mine_web --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'`),
    ).toContain('GREETING=hello-there');
    const listed = structured<{ deployed: { stack: string; app: string | null; status: string }[] }>(
      await call('list-apps', { server: 'box' }),
    );
    expect(listed.deployed).toContainEqual(expect.objectContaining({ stack: 'mine', app: null, status: 'running' }));
  });

  it('undeploy-app asks the user through elicitation: a decline removes nothing, an accept removes it', async () => {
    let reply: 'decline' | 'accept' = 'decline';
    const asked: string[] = [];
    const client = new Client({ name: 'eliciting', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return reply === 'decline' ? { action: 'decline' } : { action: 'accept', content: { confirm: true } };
    });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI],
        env: { PATH: process.env.PATH ?? '', ...deployEnv(fx.home.dir) },
        stderr: 'pipe',
      }),
    );
    try {
      const undeploy = async () =>
        (await client.callTool(
          { name: 'undeploy-app', arguments: { server: 'box', app: 'whoami', sync_wait_s: 120 } },
          undefined,
          { timeout: 150_000 },
        )) as CallToolResult;
      const declined = await undeploy();
      expect(structured(declined)).toMatchObject({ status: 'declined' });
      expect(asked[0]).toMatch(/Remove whoami on box \(its volumes are kept\)\?/);
      expect(await sh('docker service ls --format {{.Name}}')).toContain('whoami_whoami');
      reply = 'accept';
      const removed = await undeploy();
      expect(structured(removed)).toMatchObject({ status: 'completed', result: { stack: 'whoami' } });
      expect(await sh('docker service ls --format {{.Name}}')).not.toContain('whoami_whoami');
    } finally {
      await client.close();
    }
  }, 170_000);
});
