import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

// Sessions and their refresh tokens. A session is the family of refresh tokens descending from one
// sign-in: its id is the family id (and the access tokens' sid), so revoking the row revokes the family.
// Kysely<any>: a migration works on the schema as it was then, not on today's types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('customer_id', 'integer', (col) => col.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('last_used_at', bigint, (col) => col.notNull())
    // When the newest refresh token expires; moved forward by every refresh.
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('client_ip', 'text')
    .addColumn('revoked_at', bigint)
    .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  // Listing and "log out everywhere" look a customer's sessions up.
  await db.schema.createIndex('sessions_customer').on('sessions').column('customer_id').execute();

  // One row per refresh token ever issued, known by its SHA-256. A spent one stays until it would
  // have expired, so a stolen token replayed at any point of its life is recognised as a replay.
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .addColumn('spent_at', bigint)
    .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  // The cascade from a swept session finds its tokens through this index.
  await db.schema.createIndex('refresh_tokens_session').on('refresh_tokens').column('session_id').execute();
}
