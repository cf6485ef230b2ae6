import type { Kysely } from 'kysely';
import type { SecretStore } from '../contract.js';
import type { Database } from '../schema.js';
import type { PostgresBackend } from './backend.js';
import { keyMismatch, seal, unseal } from './secret-key.js';

const CHECK = 'deckhand-secret-key-check';

/** Secrets in the `secrets` table, sealed with AES-256-GCM under DECKHAND_SECRET_KEY: the table holds no plaintext. */
export class PgSecretStore implements SecretStore {
  constructor(
    private readonly b: PostgresBackend,
    private readonly key: Buffer,
  ) {}

  /**
   * Refuses a key other than the one the database's secrets were stored with, at start rather than at the first
   * secret: a check value sealed by the first instance is opened by every later one.
   */
  async verifyKey(): Promise<void> {
    await this.b.write(async (trx) => {
      await trx
        .insertInto('meta')
        .values({ key: 'secret_check', value: seal(this.key, CHECK, CHECK).toString('base64') })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    });
    const row = await this.b.read((db) =>
      db.selectFrom('meta').select('value').where('key', '=', 'secret_check').executeTakeFirstOrThrow(),
    );
    if (unseal(this.key, CHECK, Buffer.from(row.value, 'base64')) !== CHECK) throw keyMismatch();
  }

  async get(key: string): Promise<string | undefined> {
    const row = await this.b.read((db: Kysely<Database>) =>
      db.selectFrom('secrets').select('sealed').where('key', '=', key).executeTakeFirst(),
    );
    return row && unseal(this.key, key, row.sealed);
  }

  async put(key: string, value: string): Promise<void> {
    const row = { key, sealed: seal(this.key, key, value), updated_at: Date.now() };
    await this.b.write((trx) =>
      trx
        .insertInto('secrets')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ sealed: row.sealed, updated_at: row.updated_at }))
        .execute(),
    );
  }

  async putIfAbsent(key: string, value: string): Promise<string> {
    await this.b.write((trx) =>
      trx
        .insertInto('secrets')
        .values({ key, sealed: seal(this.key, key, value), updated_at: Date.now() })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute(),
    );
    return (await this.get(key)) ?? value;
  }

  async delete(key: string): Promise<void> {
    await this.b.write((trx) => trx.deleteFrom('secrets').where('key', '=', key).execute());
  }

  async keys(prefix: string): Promise<string[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('secrets')
        .select('key')
        // A prefix, not a pattern: compared as text, so "_" and "%" in keys mean themselves.
        .where((eb) => eb(eb.fn('left', ['key', eb.val(prefix.length)]), '=', prefix))
        .execute(),
    );
    return rows.map((r) => r.key).sort();
  }
}
