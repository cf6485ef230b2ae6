import type { InventoryStore } from '../contract.js';
import { serverExists } from '../errors.js';
import type { PostgresBackend } from './backend.js';

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The registered servers in the `inventory` table, so every instance sees the same ones. Records are kept whole. */
export class PgInventoryStore<R extends { readonly name: string }> implements InventoryStore<R> {
  constructor(private readonly b: PostgresBackend) {}

  async list(): Promise<R[]> {
    const rows = await this.b.read((db) => db.selectFrom('inventory').select('record').execute());
    return rows.map((r) => r.record as R).sort(byName);
  }

  async find(name: string): Promise<R | undefined> {
    const row = await this.b.read((db) =>
      db.selectFrom('inventory').select('record').where('name', '=', name).executeTakeFirst(),
    );
    return row?.record as R | undefined;
  }

  async add(record: R): Promise<R> {
    try {
      await this.b.write((trx) =>
        trx
          .insertInto('inventory')
          .values({ name: record.name, record: JSON.stringify(record) })
          .execute(),
      );
    } catch (err) {
      if (this.b.isUniqueViolation(err)) throw serverExists(record.name);
      throw err;
    }
    return record;
  }

  update(name: string, change: (record: R) => R): Promise<R | undefined> {
    return this.b.write(async (trx) => {
      const row = await trx
        .selectFrom('inventory')
        .select('record')
        .where('name', '=', name)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return undefined;
      const next = change(row.record as R);
      if (next.name !== name) {
        const taken = await trx.selectFrom('inventory').select('name').where('name', '=', next.name).executeTakeFirst();
        if (taken) throw serverExists(next.name);
      }
      await trx
        .updateTable('inventory')
        .set({ name: next.name, record: JSON.stringify(next) })
        .where('name', '=', name)
        .execute();
      return next;
    });
  }

  async remove(name: string): Promise<R | undefined> {
    const row = await this.b.write((trx) =>
      trx.deleteFrom('inventory').where('name', '=', name).returning('record').executeTakeFirst(),
    );
    return row?.record as R | undefined;
  }
}
