import type { Backend } from './backend.js';
import type { InstanceInfo, InstanceStore } from './contract.js';

/** The contract's InstanceStore on the `instances` table, for both backends. */
export class SqlInstanceStore implements InstanceStore {
  constructor(private readonly b: Backend) {}

  async register(info: Omit<InstanceInfo, 'heartbeat_at'>, now: number): Promise<void> {
    const row = { ...info, heartbeat_at: now };
    await this.b.write((trx) =>
      trx
        .insertInto('instances')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute(),
    );
  }

  async heartbeat(id: string, now: number): Promise<boolean> {
    const r = await this.b.write((trx) =>
      trx.updateTable('instances').set({ heartbeat_at: now }).where('id', '=', id).executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) > 0;
  }

  async unregister(id: string): Promise<void> {
    await this.b.write((trx) => trx.deleteFrom('instances').where('id', '=', id).execute());
  }

  async list(): Promise<InstanceInfo[]> {
    const rows = await this.b.read((db) => db.selectFrom('instances').selectAll().orderBy('started_at').execute());
    return rows.map((r) => ({ ...r }));
  }
}
