import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { DatabaseHandle } from './database.js';
import * as initial from './migrations/001-initial.js';
import * as limitState from './migrations/002-limit-state.js';
import * as sessions from './migrations/003-sessions.js';
import * as previousCode from './migrations/004-previous-code.js';
import * as limitFunctions from './migrations/005-limit-functions.js';
import * as ratioDivision from './migrations/006-ratio-division.js';
import * as sessionKeyedTokens from './migrations/007-session-keyed-tokens.js';

/**
 * Brings the schema up to date. Safe when several instances start at once: the whole run holds a
 * PostgreSQL advisory lock (SQLite: its write lock), and Kysely applies it in one transaction.
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const { error, results } = await handle.withMigrationLock(async () => (await migrator(handle)).migrateToLatest());
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Brings the schema up to the named migration, no further (tests of an upgrade start from an older schema). */
export async function migrateUpTo(handle: DatabaseHandle, name: string): Promise<void> {
  const { error } = await handle.withMigrationLock(async () => (await migrator(handle)).migrateTo(name));
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
}

/** The migrations this build has that the database has not applied (readiness: none may be left). */
export async function pendingMigrations(handle: DatabaseHandle): Promise<string[]> {
  const migrations = await (await migrator(handle)).getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

async function migrator(handle: DatabaseHandle): Promise<Migrator> {
  const provider: MigrationProvider = {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-initial': { up: (db) => initial.up(db, handle.dialect) },
        '002-limit-state': { up: (db) => limitState.up(db, handle.dialect) },
        '003-sessions': { up: (db) => sessions.up(db, handle.dialect) },
        '004-previous-code': { up: (db) => previousCode.up(db, handle.dialect) },
        '005-limit-functions': { up: (db) => limitFunctions.up(db, handle.dialect) },
        '006-ratio-division': { up: (db) => ratioDivision.up(db, handle.dialect) },
        '007-session-keyed-tokens': { up: (db) => sessionKeyedTokens.up(db, handle.dialect) },
      };
    },
  };
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name the
  // schema we run in, or another schema's tables (another app's, a test's) would be taken for ours.
  const migrationTableSchema = handle.dialect === 'postgres' ? await currentSchema(handle) : undefined;
  return new Migrator({ db: handle.db, provider, migrationTableSchema });
}

async function currentSchema(handle: DatabaseHandle): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
  const schema = rows[0]?.schema;
  if (schema === undefined) throw new Error('PostgreSQL reported no current schema (check search_path)');
  return schema;
}
