import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { StoreChange, Stores } from '../../../src/jobs/store/contract.js';
import { openPostgresStores } from '../../../src/jobs/store/postgres/index.js';
import { parseSecretKey } from '../../../src/jobs/store/postgres/secret-key.js';
import * as T from '../../../src/jobs/types.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { freePort } from '../../helpers/sshd.js';
import { A, B, claimReq, expectCode, spec, T0, waitUntil } from './contract/world.js';

/** PostgreSQL-only behaviour, apart from the contract suite: restarts, encryption at rest, start-up errors. */
const KEY = 'q83vEjxZzvWb7dQwq9R3kq9rQk8sYdN0m3Yl2rJ6l1Q=';
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const opened: Stores[] = [];
async function open(url: string, instance = A, extra: { secretKey?: string | undefined } = {}) {
  const s = await openPostgresStores({
    url,
    secretKey: 'secretKey' in extra ? extra.secretKey : KEY,
    instance,
    connectTimeoutMs: 1000,
    statementTimeoutMs: 2000,
  });
  opened.push(s);
  return s;
}
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
});

async function timed<T>(p: Promise<T>): Promise<{ ms: number; err: unknown }> {
  const t = Date.now();
  try {
    await p;
    return { ms: Date.now() - t, err: undefined };
  } catch (err) {
    return { ms: Date.now() - t, err };
  }
}

describe('postgres only', () => {
  it('a database restart: calls answer store_unavailable within seconds, then all works again and watchers catch up', async () => {
    const url = await cluster.createDatabase();
    const errors: string[] = [];
    const a = await openPostgresStores({
      url,
      secretKey: KEY,
      instance: A,
      connectTimeoutMs: 1000,
      statementTimeoutMs: 2000,
      onError: (_e, ctx) => errors.push(ctx),
    });
    opened.push(a);
    const [job] = await a.jobs.create([spec()], T0);
    await a.jobs.claim(claimReq(A));
    const seen: StoreChange[] = [];
    const stop = a.changes.watch((c) => seen.push(c));
    const log = await a.logs.open(job!.id, { maxBytes: 1 << 20 });
    log.add('stdout', 'before', 7);
    await log.flush();
    await new Promise((r) => setTimeout(r, 300));

    cluster.crash();
    try {
      for (const call of [
        (): Promise<unknown> => a.jobs.get(job!.id),
        () => a.jobs.create([spec()], T0),
        () => a.jobs.update(job!.id, (j) => T.setProgress(j, { percent: 1 })),
        () => a.secrets.get('x'),
      ]) {
        const { ms, err } = await timed(call());
        expect((err as { code?: string }).code).toBe('store_unavailable');
        expect(ms).toBeLessThan(5000);
      }
      log.add('stdout', 'during', 14);
      const flushed = await timed(log.flush());
      expect((flushed.err as { code?: string }).code).toBe('store_unavailable');
      // Refused: the writer is back at what is stored, for the follower to resume from.
      expect(log.offsets).toEqual({ out: 7, err: 0, outN: 1, errN: 0 });
      expect(log.durableOffsets).toEqual({ out: 7, err: 0, outN: 1, errN: 0 });
    } finally {
      cluster.start();
    }
    seen.length = 0;
    await waitUntil(
      async () => (await timed(a.jobs.get(job!.id))).err === undefined,
      'the store answering again',
      20_000,
    );
    // The listener reconnected and told of the active job it may have missed.
    await waitUntil(() => seen.some((c) => c.kind === 'job' && c.id === job!.id), 'a catch-up hint', 15_000);
    // The follower resumes from the durable offsets: every line once.
    log.add('stdout', 'during', 14);
    log.add('stdout', 'after', 20);
    await log.close();
    const lines = (await a.logs.read(job!.id, { cursor: 0, limit: 10 })).lines.map((l) => l.text);
    expect(lines).toEqual(['before', 'during', 'after']);
    // Notifications flow again.
    const b = await open(url, B);
    seen.length = 0;
    await b.jobs.update(job!.id, (j) => T.setProgress(j, { percent: 50 }));
    await waitUntil(() => seen.some((c) => c.kind === 'job' && c.id === job!.id), 'a hint after the restart', 5000);
    stop();
    expect(errors.length).toBeGreaterThan(0); // pool and listener errors were reported, not thrown
  });

  it('keeps secrets sealed in the table (no plaintext), and refuses another key at start', async () => {
    const url = await cluster.createDatabase();
    const a = await open(url);
    const plain = 'correct horse battery staple';
    await a.secrets.put('deploy/web/DB_PASSWORD', plain);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ sealed: Buffer }>('select sealed from secrets');
      expect(rows).toHaveLength(1);
      const sealed = rows[0]!.sealed;
      expect(sealed.includes(Buffer.from(plain))).toBe(false);
      expect(sealed.includes(Buffer.from('horse'))).toBe(false);
      expect(sealed.length).toBe(plain.length + 1 + 12 + 16);
    } finally {
      await c.end();
    }
    expect(await a.secrets.get('deploy/web/DB_PASSWORD')).toBe(plain);
    const other = Buffer.alloc(32, 7).toString('base64');
    const err = await expectCode(open(url, B, { secretKey: other }), 'secret_key_mismatch');
    expect(err.message).toContain('DECKHAND_SECRET_KEY');
    // The same key written as 64 hex digits is the same key.
    const hex = Buffer.from(KEY, 'base64').toString('hex');
    const b = await open(url, B, { secretKey: hex });
    expect(await b.secrets.get('deploy/web/DB_PASSWORD')).toBe(plain);
  });

  it('refuses to start without a valid DECKHAND_SECRET_KEY, saying how to make one and never echoing it', async () => {
    const url = await cluster.createDatabase();
    const missing = await expectCode(open(url, A, { secretKey: undefined }), 'secret_key_missing');
    expect(`${missing.message} ${(missing as { hint?: string }).hint}`).toMatch(
      /DECKHAND_SECRET_KEY.*openssl rand -base64 32/s,
    );
    for (const bad of ['short', 'x'.repeat(44), 'ab'.repeat(31), Buffer.alloc(16).toString('base64')]) {
      const e = await expectCode(open(url, A, { secretKey: bad }), 'secret_key_invalid');
      expect(e.message).toContain('DECKHAND_SECRET_KEY');
      expect(e.message).not.toContain(bad);
    }
    expect(parseSecretKey(Buffer.alloc(32, 1).toString('base64')).length).toBe(32);
    expect(parseSecretKey('00'.repeat(32)).length).toBe(32);
  });

  it('a wrong or unreachable URL at start names host, port and database and what to check, never the password', async () => {
    const port = await freePort();
    const t = Date.now();
    const down = await expectCode(open(`postgres://deck:s3cretpw@127.0.0.1:${port}/jobsdb`), 'store_unreachable');
    expect(Date.now() - t).toBeLessThan(5000);
    const text = `${down.message} ${(down as { hint?: string }).hint}`;
    expect(text).toContain('127.0.0.1');
    expect(text).toContain(String(port));
    expect(text).toContain('"jobsdb"');
    expect(text).toMatch(/running and listens/);
    expect(text).not.toContain('s3cretpw');
    const nodb = await expectCode(
      open(`postgres://postgres:pw2@127.0.0.1:${cluster.port}/no_such_db`),
      'store_unreachable',
    );
    expect(nodb.message).toContain('does not exist');
    expect((nodb as { hint?: string }).hint).toContain('createdb no_such_db');
    expect(nodb.message + String((nodb as { hint?: string }).hint)).not.toContain('pw2');
    await expectCode(open('mysql://u:p@h/db'), 'invalid_database_url');
    await expectCode(open('not a url'), 'invalid_database_url');
  });
});
