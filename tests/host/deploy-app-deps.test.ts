// An app with a dependency (n8n on postgres) through the MCP process on a netns Swarm: the missing dependency is deployed
// first, its setup hook runs inside it, the app gets the dependency's generated password, and the dependency cannot be
// undeployed while the app uses it. Images are local stand-ins (tests/helpers/deploy-images.ts); there is no Traefik
// here, so the probe through it can only warn.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploy, jobLog, useDeploySwarm } from '../helpers/deploy.js';
import { structured } from '../helpers/mcp.js';

describe('deploy-app with dependencies', () => {
  const fx = useDeploySwarm();
  const sh = fx.sh;
  const inTask = (service: string, cmd: string) =>
    sh(`docker exec $(docker ps -q --filter label=com.docker.swarm.service.name=${service} | head -n1) sh -c '${cmd}'`);

  it('deploys postgres first, runs its setup hook, and wires n8n to it with the stored password', async () => {
    const job = await deploy(fx.mcp, {
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

    const log = await jobLog(fx.mcp, job.id);
    const at = (re: RegExp) => log.findIndex((l) => re.test(l));
    expect(at(/^postgres: dependency of n8n is not deployed yet/)).toBeGreaterThan(-1);
    expect(at(/^postgres: release [0-9a-f]{12} is live/)).toBeLessThan(at(/^n8n: create the n8n database/));
    expect(at(/^n8n: create the n8n database if it does not exist \(in postgres_postgres\)/)).toBeLessThan(
      at(/^n8n: docker stack deploy/),
    );
    expect(await inTask('postgres_postgres', 'cat /tmp/hook.log')).toMatch(/^psql .*\ncreatedb -U postgres n8n$/);

    const pg = JSON.parse(fs.readFileSync(path.join(fx.home.dir, 'secrets', 'box', 'postgres.json'), 'utf8')) as {
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
    const again = await deploy(fx.mcp, { app: 'n8n' }); // env and domain omitted: the deployed ones are reused
    expect(again.result).toMatchObject({ changed: false, dependencies: [{ stack: 'postgres', changed: false }] });

    const r = structured<{ status: string; error: { code: string; message: string } }>(
      await fx.mcp.call('undeploy-app', { server: 'box', app: 'postgres', confirm: true, sync_wait_s: 60 }),
    );
    expect(r).toMatchObject({ status: 'failed', error: { code: 'has_dependents' } });
    expect(r.error.message).toMatch(/n8n uses postgres/);
    expect(await sh('docker service ls --format {{.Name}} | sort')).toBe('n8n_n8n\npostgres_postgres');
  }, 120_000);
});
