// Existing customers for the login runs, written straight into the database (before the service
// starts, or while it idles between runs): one INSERT ... SELECT over a generated series of numbers.
import { sql } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { createDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';

/** Indian mobiles "+91" + 10 digits starting with 9 are valid numbers for libphonenumber. */
export const e164 = (national: number): string => `+91${national}`;

/**
 * Inserts `count` active customers with verified phones +91<firstNational + i>, i = 0..count-1.
 * Migrates first when asked (the service then finds its schema up to date).
 */
export async function seedCustomers(
  config: DatabaseConfig,
  firstNational: number,
  count: number,
  options: { migrate?: boolean } = {},
): Promise<void> {
  if (count <= 0) return;
  const handle = await createDatabase(config);
  try {
    if (options.migrate === true) await migrateToLatest(handle);
    const now = sql.lit(Date.now());
    const first = sql.lit(firstNational);
    const last = sql.lit(count - 1);
    if (handle.dialect === 'sqlite') {
      await sql`
        with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${last})
        insert into customers (name, email_validate, phone_e164, phone_national, country_code, phone_validate, status, created_at, updated_at)
        select 'Bench Customer ' || i, 0, '+91' || cast(${first} + i as text), cast(${first} + i as text), '+91', 1, 'active', ${now}, ${now}
        from seq`.execute(handle.db);
    } else {
      await sql`
        insert into customers (name, email_validate, phone_e164, phone_national, country_code, phone_validate, status, created_at, updated_at)
        select 'Bench Customer ' || i, 0, '+91' || (${first}::bigint + i)::text, (${first}::bigint + i)::text, '+91', 1, 'active', ${now}, ${now}
        from generate_series(0, ${last}) as i`.execute(handle.db);
      // A production database has planner statistics; a freshly filled one should too.
      await sql`analyze customers`.execute(handle.db);
    }
  } finally {
    await handle.close();
  }
}

/** The URL of another database on the same PostgreSQL server. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh database bench_<random> on the server, or answers why it cannot. */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<ScratchDatabase | { unreachable: string }> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`create database "${name}"`);
  } catch (error) {
    await admin.end().catch(() => {});
    return { unreachable: error instanceof Error ? error.message : String(error) };
  }
  await admin.end().catch(() => {});
  let dropped = false;
  return {
    url: withDatabase(serverUrl, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } catch {
        // PostgreSQL before 13 has no FORCE; the service is stopped by now anyway.
        await client.query(`drop database if exists "${name}"`);
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}
