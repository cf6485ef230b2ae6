// An app with a dependency (n8n on postgres) through the MCP process on a netns Swarm: the missing dependency is deployed
// first, its setup hook runs inside it, the app gets the dependency's generated password, and the dependency cannot be
// undeployed while the app uses it. Images are local stand-ins (tests/helpers/deploy-images.ts); there is no Traefik
// here, so the probe through it can only warn.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addServer, deploy, deployEnv, jobLog, prepareDeployHost } from '../helpers/deploy.js';
import { tempHome } from '../helpers/home.js';
import { ensureLocalImages } from '../helpers/images.js';
import { startStdio, structured, type StdioSession } from '../helpers/mcp.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';

describe('deploy-app with dependencies', () => {
  let host: NetnsHost;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  const sh = async (cmd: string) => (await host.exec(cmd)).stdout.trim();
  const inTask = (service: string, cmd: string) =>
    sh(`docker exec $(docker ps -q --filter label=com.docker.swarm.service.name=${service} | head -n1) sh -c '${cmd}'`);

  beforeAll(async () => {
    host = await startNetnsHost({ swarm: true });
    await Promise.all([ensureLocalImages(host), prepareDeployHost(host)]);
    home = tempHome();
    mcp = await startStdio(deployEnv(home.dir));
    await addServer(mcp, host);
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    await host?.stop();
    home?.cleanup();
  }, 60_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(mcp?.stderr(), host?.logs());
  });

  it('deploys postgres first, runs its setup hook, and wires n8n to it with the stored password', async () => {
    const job = await deploy(mcp, {
      app: 'n8n',
      domain: 'n8n.example.test',
      env: { GENERIC_TIMEZONE: 'Europe/Paris' },
    });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result).toMatchObject({
      stack: 'n8n',
      changed: true,
      url: 'https://n8n.example.test',
      dependencies: [{ stack: 'postgres', app: 'postgres', changed: true }],
    });
    const warnings = (job.result?.warnings as string[]).join('\n');
    expect(warnings).toMatch(/https:\/\/n8n\.example\.test\/healthz answered nothing through Traefik/);

    const log = await jobLog(mcp, job.id);
    const at = (re: RegExp) => log.findIndex((l) => re.test(l));
    expect(at(/^postgres: dependency of n8n is not deployed yet/)).toBeGreaterThan(-1);
    expect(at(/^postgres: release [0-9a-f]{12} is live/)).toBeLessThan(at(/^n8n: create the n8n database/));
    expect(at(/^n8n: create the n8n database if it does not exist \(in postgres_postgres\)/)).toBeLessThan(
      at(/^n8n: docker stack deploy/),
    );
    expect(await inTask('postgres_postgres', 'cat /tmp/hook.log')).toMatch(/^psql .*\ncreatedb -U postgres n8n$/);

    const pg = JSON.parse(fs.readFileSync(path.join(home.dir, 'secrets', 'box', 'postgres.json'), 'utf8')) as {
      secrets: { POSTGRES_PASSWORD: string };
    };
    expect(await inTask('n8n_n8n', 'echo "$DB_POSTGRESDB_HOST $DB_POSTGRESDB_PASSWORD $N8N_HOST"')).toBe(
      `postgres_postgres ${pg.secrets.POSTGRES_PASSWORD} n8n.example.test`,
    );
    const record = JSON.parse(await sh('cat /opt/deckhand/apps/n8n/release.json')) as Record<string, unknown>;
    expect(record).toMatchObject({ dependencies: ['postgres'], domain: 'n8n.example.test' });
    expect(
      await sh(`docker service inspect n8n_n8n --format '{{index .Spec.Labels "traefik.http.routers.n8n.rule"}}'`),
    ).toBe('Host(`n8n.example.test`)');
  }, 170_000);

  it('reuses the deployed dependency on a redeploy, and refuses to remove it while n8n uses it', async () => {
    const again = await deploy(mcp, { app: 'n8n' }); // env and domain omitted: the deployed ones are reused
    expect(again.result).toMatchObject({ changed: false, dependencies: [{ stack: 'postgres', changed: false }] });

    const r = structured<{ status: string; error: { code: string; message: string } }>(
      await mcp.call('undeploy-app', { server: 'box', app: 'postgres', confirm: true, sync_wait_s: 60 }),
    );
    expect(r).toMatchObject({ status: 'failed', error: { code: 'has_dependents' } });
    expect(r.error.message).toMatch(/n8n uses postgres/);
    expect(await sh('docker service ls --format {{.Name}} | sort')).toBe('n8n_n8n\npostgres_postgres');
  }, 120_000);
});
