// The refresh-token queries of sessions-store.ts: refresh_tokens, keyed (session_id, token_hash),
// and legacy_refresh_tokens, keyed by token_hash alone, for tokens issued before tokens named their
// session (migration 007). The same builders serve both tables.
import type { QueryCreator } from 'kysely';
import type { StoredRefreshToken } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { prepareQuery } from './prepared.js';
import type { Database } from './schema.js';

export type TokenRow = {
  token_hash: string;
  session_id: string;
  expires_at: number;
  spent_at: number | null;
  customer_id: number;
  revoked_at: number | null;
};

export type TokenArgs = { token_hash: string; session_id: string; created_at: number; expires_at: number };
export type RotateArgs = TokenArgs & { spent_hash: string };

/** A new refresh token's columns, each from the argument of the same name (spent: not yet). */
export function tokenRow(arg: <K extends keyof TokenArgs>(name: K) => TokenArgs[K]) {
  return { token_hash: arg('token_hash'), session_id: arg('session_id'), created_at: arg('created_at'), expires_at: arg('expires_at'), spent_at: null };
}

/** refresh_tokens, keyed (session_id, token_hash); or legacy_refresh_tokens, keyed by token_hash alone (migration 007). */
export type TokenTable = 'refresh_tokens' | 'legacy_refresh_tokens';
type TokenKeyArgs = { session_id: string; token_hash: string };

/**
 * A presented token's row. The session's columns come from subqueries, not a join: on SQLite the
 * join cost three times as much (about 30 µs against 10). Every token has its session (on delete cascade).
 */
export function findToken(handle: DatabaseHandle, table: TokenTable) {
  return prepareQuery<TokenKeyArgs, TokenRow>(handle, (arg) =>
    handle.db
      .selectFrom(table)
      .select([`${table}.token_hash`, `${table}.session_id`, `${table}.expires_at`, `${table}.spent_at`] as const)
      .select((eb) => {
        const ofSession = <C extends 'customer_id' | 'revoked_at'>(column: C) =>
          eb.selectFrom('sessions').select(column).whereRef('sessions.id', '=', `${table}.session_id`).as(column);
        return [ofSession('customer_id'), ofSession('revoked_at')];
      })
      .$if(table === 'refresh_tokens', (qb) => qb.where(`${table}.session_id`, '=', arg('session_id')))
      .where(`${table}.token_hash`, '=', arg('token_hash')),
  );
}

/**
 * The conditional spend of a token of `table` (a statement of its own, or PostgreSQL's rotation CTE),
 * which exactly one of parallel refreshes of a token can win. `at`, `sessionId`, `tokenHash`: the
 * placeholders of the caller's query.
 */
function spend(qc: QueryCreator<Database>, table: TokenTable, at: number, sessionId: string, tokenHash: string) {
  return qc
    .updateTable(table)
    .set({ spent_at: at })
    .$if(table === 'refresh_tokens', (qb) => qb.where('session_id', '=', sessionId))
    .where('token_hash', '=', tokenHash)
    .where('spent_at', 'is', null)
    .returning('session_id');
}

/** Rotation on SQLite: the spend, run as one statement of the rotation's step. */
export function spendToken(handle: DatabaseHandle, table: TokenTable) {
  return prepareQuery<TokenKeyArgs & { now: number }, { session_id: string }>(handle, (arg) =>
    spend(handle.db, table, arg('now'), arg('session_id'), arg('token_hash')),
  );
}

/**
 * PostgreSQL's rotation of a token of `table`: of parallel rotations one wins `spent` (the others
 * wait for its row lock, then find it spent); the successor insert (always a new-style token) of
 * each after the first changes nothing.
 */
export function rotateFrom(handle: DatabaseHandle, table: TokenTable) {
  return prepareQuery<RotateArgs, { session_id: string }>(handle, (arg) =>
    handle.db
      // One snapshot for every CTE: the order of these two changes nothing.
      .with('spent', (qb) => spend(qb, table, arg('created_at'), arg('session_id'), arg('spent_hash')))
      .with('successor', (qb) => qb.insertInto('refresh_tokens').values(tokenRow(arg)).onConflict((oc) => oc.columns(['session_id', 'token_hash']).doNothing()))
      .with('touched', (qb) =>
        qb
          .updateTable('sessions')
          .set({ last_used_at: arg('created_at'), expires_at: arg('expires_at') })
          .where('id', 'in', qb.selectFrom('spent').select('session_id')),
      )
      .selectFrom('spent')
      .select('session_id'),
  );
}

export function toStoredToken(row: TokenRow): StoredRefreshToken {
  return {
    tokenHash: row.token_hash,
    sessionId: row.session_id,
    customerId: Number(row.customer_id),
    expiresAtMs: Number(row.expires_at),
    spentAtMs: row.spent_at === null ? null : Number(row.spent_at),
    sessionRevokedAtMs: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
