import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

// The one limits mechanism (issue 9): GCRA arrival times and ratio counters replace the
// fixed-window counters of rate_limits. Limit state is short-lived, so nothing is carried over.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration works on the schema as it was then
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.dropTable('rate_limits').execute();
  await db.schema
    .createTable('limit_state')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('value', bigint, (col) => col.notNull())
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
}
