import { createRequire } from 'node:module';
import type * as K from 'kysely';

/**
 * Kysely's runtime, from its CommonJS build. Its ES module build is 280 files that Node's ESM loader reads and links
 * one by one: about 300 ms of every start on a loaded machine, against about 120 ms for the CommonJS build. Types
 * come from the package as usual; every value this project uses from Kysely is taken from here, so there is one copy
 * of its classes in the process.
 */
const load = createRequire(import.meta.url);
const kysely = load('kysely') as typeof K;

export const { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, sql } = kysely;
export type Kysely<DB> = K.Kysely<DB>;
export type CompiledQuery<R = unknown> = K.CompiledQuery<R>;
export type SqliteDriver = K.SqliteDriver;
