import type { Kysely } from 'kysely';
import { Migrator } from './kysely.js';
import { DeckhandError } from '../../errors.js';
import { migrations } from './migrations/index.js';
import type { Database, StoreKind } from './schema.js';

/**
 * Brings the database's tables up to this version of deckhand. Safe when several processes start at once (Kysely's
 * Migrator takes SQLite's write lock or a PostgreSQL advisory lock). A database already migrated by a NEWER deckhand
 * is refused: its tables may hold what this version would misread.
 */
export async function migrate(db: Kysely<Database>, kind: StoreKind, where: string): Promise<void> {
  const known = migrations(kind);
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(known) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const msg = error instanceof Error ? error.message : String(error);
  if (/corrupted migrations|missing migration/i.test(msg))
    throw new DeckhandError('store_too_new', `The database ${where} was set up by a newer version of deckhand.`, {
      hint: 'Run the newer deckhand, or point this one at another database.',
      cause: error,
    });
  throw error instanceof DeckhandError
    ? error
    : new DeckhandError(
        'store_migration_failed',
        `Preparing the database ${where} failed${failed ? ` at migration ${failed}` : ''}: ${msg}`,
        {
          hint: 'Check that the database is reachable and that its user may create tables.',
          cause: error,
        },
      );
}
