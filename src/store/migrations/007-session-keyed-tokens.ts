import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

// Refresh tokens kept together by session. A token now names its session (`<session id>.<secret>`,
// refresh-tokens.ts), so its row is keyed (session_id, token_hash): a rotation inserts the successor
// beside the token it spends, on the same B-tree page, and the session's tokens need no index of
// their own (the key's first column finds them for the sweep's cascade). Before, the successor and
// the spent token sat at two random places of a table keyed by hash, with a third write in the
// session index: on SQLite a rotation's commit wrote about twice the pages.
//
// Tokens issued before this name no session: the old table stays, renamed legacy_refresh_tokens,
// where they are still found by hash, spent and recognised when replayed. Their successors are new
// tokens. Nothing new is written there, and it empties as its tokens expire (REFRESH_TTL_SECONDS).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('refresh_tokens').renameTo('legacy_refresh_tokens').execute();
  if (dialect === 'postgres') {
    // The new table's key would take the old one's default name.
    await sql`alter table legacy_refresh_tokens rename constraint refresh_tokens_pkey to legacy_refresh_tokens_pkey`.execute(db);
  }
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .addColumn('spent_at', bigint)
    .addPrimaryKeyConstraint('refresh_tokens_by_session', ['session_id', 'token_hash'])
    .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
}
