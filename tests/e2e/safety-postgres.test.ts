import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/index.js';
import { runCli } from '../helpers/cli.js';
import { tempHome } from '../helpers/home.js';
import { startStdio, textOf, type StdioSession } from '../helpers/mcp.js';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const SECRET_KEY = 'q83vEjxZzvWb7dQwq9R3kq9rQk8sYdN0m3Yl2rJ6l1Q=';

/**
 * Several deckhand instances on one PostgreSQL database: their audit appends interleave into one chain that
 * verifies, and an approval asked through one instance, given by a person's CLI, lets the call run through another.
 */
describe('safe hands across instances (PostgreSQL, three deckhand processes, real sshd)', () => {
  let pg: PgCluster;
  let sshd: SshdHandle;
  let homes: { dir: string; cleanup(): void }[];
  let a: StdioSession;
  let b: StdioSession;
  let env: (i: number) => Record<string, string>;
  const marker = (n: string) => `/tmp/deckhand-pg-${process.pid}-${n}`;
  const exportAudit = (): AuditEntry[] =>
    runCli(env(0), ['audit', 'export'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);

  beforeAll(async () => {
    [pg, sshd] = await Promise.all([startPostgres(), startSshd()]);
    const url = await pg.createDatabase();
    // Each instance has its own home (its own machine, as far as files go); the database is what they share.
    homes = [tempHome(), tempHome(), tempHome()];
    env = (i) => ({ DECKHAND_HOME: homes[i]!.dir, DECKHAND_DATABASE_URL: url, DECKHAND_SECRET_KEY: SECRET_KEY });
    a = await startStdio(env(0));
    b = await startStdio(env(1));
    const r = await a.call('add-server', {
      name: 'prod',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      labels: { env: 'prod' },
    });
    expect(r.isError, textOf(r)).toBeFalsy();
  }, 90_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sshd?.stop();
    await pg?.stop();
    for (const h of homes ?? []) h.cleanup();
    for (const f of fs.readdirSync('/tmp').filter((n) => n.startsWith(`deckhand-pg-${process.pid}-`)))
      fs.rmSync(`/tmp/${f}`, { force: true });
  });

  it('appends from several instances at once form one chain that verifies', async () => {
    const calls = Array.from({ length: 24 }, (_, i) =>
      (i % 2 ? a : b).call('remote-bash', { server: 'prod', command: `echo ${i}`, mode: 'sync' }),
    );
    const refusals = Array.from({ length: 6 }, (_, i) =>
      (i % 2 ? b : a).call('remote-bash', { server: 'prod', command: `rm -f ${marker(`r${i}`)}`, mode: 'background' }),
    );
    const results = await Promise.all([...calls, ...refusals]);
    results.slice(0, 24).forEach((r) => expect(r.isError, textOf(r)).toBeFalsy());
    results.slice(24).forEach((r) => expect(textOf(r)).toMatch(/approval_pending/));
    const entries = exportAudit();
    const seqs = entries.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(entries.filter((e) => e.event === 'tool-call').map((e) => e.who.instance)).size).toBe(2);
    const v = runCli(env(2), ['audit', 'verify']);
    expect(v.code, v.stderr).toBe(0);
  });

  it('asked through one instance, approved by a person at a third, run through the other', async () => {
    const asked = await a.call('remote-bash', { server: 'prod', command: `touch ${marker('x')}`, mode: 'sync' });
    const id = /deckhand approve (apr_[0-9A-Z]{26})/.exec(textOf(asked))?.[1];
    expect(id, textOf(asked)).toBeDefined();
    const approved = runCli(env(2), ['approve', id!]);
    expect(approved.code, approved.stderr).toBe(0);
    const ran = await b.call('remote-bash', { server: 'prod', command: `touch ${marker('x')}`, mode: 'sync' });
    expect(ran.isError, textOf(ran)).toBeFalsy();
    expect(fs.existsSync(marker('x'))).toBe(true);
    // Used once, whichever instance used it.
    expect(
      textOf(await a.call('remote-bash', { server: 'prod', command: `touch ${marker('x')}`, mode: 'sync' })),
    ).toMatch(/approval_pending/);
  });

  it('the chain survives restarting both instances', async () => {
    const before = runCli(env(2), ['audit', 'verify']);
    const anchor = /head (\d+:[0-9a-f]{64})/.exec(before.stdout)![1]!;
    await a.close();
    await b.close();
    a = await startStdio(env(0));
    b = await startStdio(env(1));
    await Promise.all([
      a.call('remote-bash', { server: 'prod', command: 'uptime', mode: 'sync' }),
      b.call('remote-bash', { server: 'prod', command: 'uptime', mode: 'sync' }),
    ]);
    const after = runCli(env(2), ['audit', 'verify', '--anchor', anchor]);
    expect(after.code, after.stderr).toBe(0);
    const outcomes = exportAudit().filter((e) => e.event === 'outcome' && e.job_id);
    expect(new Set(outcomes.map((e) => e.job_id)).size).toBe(outcomes.length);
  });
});
