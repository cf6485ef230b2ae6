import type { Migration } from 'kysely';
import type { StoreKind } from '../schema.js';
import { jobsMigration } from './0001-jobs.js';
import { sharedMigration } from './0002-shared.js';
import { safetyMigration } from './0003-safety.js';
import { queueMigration } from './0004-queue.js';
import { templatesMigration } from './0005-templates.js';

/**
 * Numbered migrations, run at start-up by Kysely's Migrator in name order. They are modules compiled with the rest
 * of deckhand (never files read at run time), so what the build ships is what runs. A released migration is never
 * edited: a change is a new number.
 */
export function migrations(kind: StoreKind): Record<string, Migration> {
  return {
    '0001-jobs': jobsMigration(kind),
    '0002-shared': sharedMigration(kind),
    '0003-safety': safetyMigration(kind),
    '0004-queue': queueMigration(kind),
    '0005-templates': templatesMigration(kind),
  };
}
