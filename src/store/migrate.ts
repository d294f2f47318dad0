import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { DatabaseHandle } from './database.js';
import * as initial from './migrations/001-initial.js';

/**
 * Brings the schema up to date. Safe when several instances start at once: the whole run holds a
 * PostgreSQL advisory lock (SQLite: its write lock), and Kysely applies it in one transaction.
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations(): Promise<Record<string, Migration>> {
      return { '001-initial': { up: (db) => initial.up(db, handle.dialect) } };
    },
  };
  const { error, results } = await handle.withMigrationLock(() => new Migrator({ db: handle.db, provider }).migrateToLatest());
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
