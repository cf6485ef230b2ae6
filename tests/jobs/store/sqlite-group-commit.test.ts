import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../src/jobs/store/kysely.js';
import { openSqlite, type OpenedSqlite } from '../../../src/jobs/store/sqlite/database.js';
import { GroupCommit } from '../../../src/jobs/store/sqlite/group-commit.js';
import { tempHome } from '../../helpers/home.js';

// SQLite-only (the PostgreSQL store has a connection per concurrent write): writes made at the same moment share
// one transaction, each in its own savepoint, on a real database file.
describe('group commit on the SQLite store', () => {
  let opened: OpenedSqlite | undefined;
  let home: ReturnType<typeof tempHome> | undefined;
  afterEach(async () => {
    await opened?.db.destroy();
    home?.cleanup();
  });

  async function setup() {
    home = tempHome();
    opened = openSqlite(home.dir);
    await sql`create table t (k text primary key, v integer not null)`.execute(opened.db);
    const transactions: number[] = [];
    const counts = { begun: 0, rolledBack: 0 };
    const hooks = { counts, begin: () => counts.begun++, rolledBack: () => counts.rolledBack++ };
    const commits = new GroupCommit(
      opened.db,
      async (fn) => {
        transactions.push(1);
        return fn();
      },
      hooks,
    );
    return { db: opened.db, raw: opened.raw, commits, transactions, hooks };
  }

  it('writes asked for together share transactions; one that fails is rolled back alone, the rest are committed', async () => {
    const { raw, commits, transactions, hooks } = await setup();
    const writes = Array.from({ length: 20 }, (_, i) =>
      commits.write(async (trx) => {
        await sql`insert into t (k, v) values (${`k${i}`}, ${i})`.execute(trx);
        if (i === 7) throw new Error('write 7 refuses');
        return i;
      }),
    );
    const settled = await Promise.allSettled(writes);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : String((s.reason as Error).message)))).toEqual(
      Array.from({ length: 20 }, (_, i) => (i === 7 ? 'write 7 refuses' : i)),
    );
    expect(transactions.length).toBeLessThan(20);
    expect(hooks.counts).toEqual({ begun: 20, rolledBack: 1 });
    const rows = raw.prepare('select k from t order by v').pluck().all();
    expect(rows).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).filter((k) => k !== 'k7'));
  });

  it('a write alone runs in its own transaction, and a failure there changes nothing', async () => {
    const { raw, commits, transactions } = await setup();
    await commits.write(async (trx) => sql`insert into t (k, v) values ('a', 1)`.execute(trx));
    await expect(
      commits.write(async (trx) => {
        await sql`insert into t (k, v) values ('b', 2)`.execute(trx);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(transactions).toHaveLength(2);
    expect(raw.prepare('select k from t').pluck().all()).toEqual(['a']);
    await commits.idle();
  });

  it('a constraint violation in one write of a group leaves the others', async () => {
    const { raw, commits } = await setup();
    const r = await Promise.allSettled(
      ['x', 'x', 'y'].map((k, i) =>
        commits.write(async (trx) => sql`insert into t (k, v) values (${k}, ${i})`.execute(trx)),
      ),
    );
    expect(r.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(raw.prepare('select k || v from t order by k').pluck().all()).toEqual(['x0', 'y2']);
  });
});
