// Sessions and refresh tokens in Kysely, for SQLite and PostgreSQL: every query built once, each
// with the comment saying which rule it enforces.
import type { Selectable } from 'kysely';
import type { NewRefreshToken, Session, SessionStore } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { prepareQuery } from './prepared.js';
import { findToken, rotateFrom, spendToken, toStoredToken, tokenRow, type TokenArgs } from './refresh-token-queries.js';
import type { CustomersTable, SessionsTable } from './schema.js';
import { toCustomer } from './store.js';

/** A guard on the size of one listing; a customer's most recently used sessions come first. */
const MAX_LISTED_SESSIONS = 100;

type SessionKey = { id: string; customer_id: number; now: number };
type SessionRow = Selectable<SessionsTable>;

/** A new session's columns, each from the argument of the same name (revoked: never, yet). */
function sessionRow(arg: <K extends keyof SessionRow>(name: K) => SessionRow[K]) {
  return {
    id: arg('id'),
    customer_id: arg('customer_id'),
    created_at: arg('created_at'),
    last_used_at: arg('last_used_at'),
    expires_at: arg('expires_at'),
    user_agent: arg('user_agent'),
    client_ip: arg('client_ip'),
    revoked_at: null,
  };
}

function prepareQueries(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    insertSession: prepareQuery<Selectable<SessionsTable>, never>(handle, (arg) =>
      db.insertInto('sessions').values(sessionRow(arg)),
    ),
    // Parallel rotations of one token derive the same successor: the first insert stores it, the
    // others change nothing.
    insertToken: prepareQuery<TokenArgs, never>(handle, (arg) =>
      db.insertInto('refresh_tokens').values(tokenRow(arg)).onConflict((oc) => oc.columns(['session_id', 'token_hash']).doNothing()),
    ),
    token: findToken(handle, 'refresh_tokens'),
    legacyToken: findToken(handle, 'legacy_refresh_tokens'),
    spend: spendToken(handle, 'refresh_tokens'),
    legacySpend: spendToken(handle, 'legacy_refresh_tokens'),
    touch: prepareQuery<{ id: string; now: number; expires_at: number }, never>(handle, (arg) =>
      db.updateTable('sessions').set({ last_used_at: arg('now'), expires_at: arg('expires_at') }).where('id', '=', arg('id')),
    ),
    // An access token works only while its session does: not revoked, not expired, the same
    // customer. One statement answers both questions /me asks: the customer row comes back only
    // when the session is live. The session is found by its key alone, the customer compared
    // outside: with both inside, SQLite seeks sessions_customer and then the row, two searches.
    sessionCustomer: prepareQuery<SessionKey, Selectable<CustomersTable>>(handle, (arg) =>
      db
        .selectFrom('customers')
        .selectAll()
        .where('customers.id', '=', arg('customer_id'))
        .where('customers.id', '=', (eb) =>
          eb
            .selectFrom('sessions')
            .select('sessions.customer_id')
            .where('sessions.id', '=', arg('id'))
            .where('sessions.revoked_at', 'is', null)
            .where('sessions.expires_at', '>', arg('now')),
        ),
    ),
    list: prepareQuery<{ customer_id: number; now: number }, Selectable<SessionsTable>>(handle, (arg) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('customer_id', '=', arg('customer_id'))
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', arg('now'))
        .orderBy('last_used_at', 'desc')
        .limit(MAX_LISTED_SESSIONS),
    ),
    // Only the owner's live session: another customer's id matches nothing (a 404, never a 403).
    revoke: prepareQuery<SessionKey, { id: string }>(handle, (arg) =>
      db
        .updateTable('sessions')
        .set({ revoked_at: arg('now') })
        .where('id', '=', arg('id'))
        .where('customer_id', '=', arg('customer_id'))
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', arg('now'))
        .returning('id'),
    ),
    revokeAll: prepareQuery<{ customer_id: number; now: number }, never>(handle, (arg) =>
      db
        .updateTable('sessions')
        .set({ revoked_at: arg('now') })
        .where('customer_id', '=', arg('customer_id'))
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', arg('now')),
    ),
    // Their refresh tokens go with them (on delete cascade).
    deleteEndedSessions: prepareQuery<{ before: number }, never>(handle, (arg) =>
      db.deleteFrom('sessions').where((eb) => eb.or([eb('expires_at', '<', arg('before')), eb('revoked_at', '<', arg('before'))])),
    ),
    deleteExpiredTokens: prepareQuery<{ before: number }, never>(handle, (arg) =>
      db.deleteFrom('refresh_tokens').where('expires_at', '<', arg('before')),
    ),
    deleteExpiredLegacyTokens: prepareQuery<{ before: number }, never>(handle, (arg) =>
      db.deleteFrom('legacy_refresh_tokens').where('expires_at', '<', arg('before')),
    ),
  };
}

/**
 * PostgreSQL does each multi-statement step as one statement (data-modifying CTEs): atomic in one
 * round trip, where a transaction would take a begin and a commit more. SQLite runs the same
 * statements synchronously in one step of the group commit (one savepoint, one durable wait).
 */
function postgresSteps(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    // The token's foreign key is checked at the end of the statement, when the session is there.
    createSession: prepareQuery<Selectable<SessionsTable> & { token_hash: string; token_created_at: number; token_expires_at: number }, never>(handle, (arg) =>
      db
        .with('session', (qb) =>
          qb.insertInto('sessions').values(sessionRow(arg)),
        )
        .insertInto('refresh_tokens')
        .values({ token_hash: arg('token_hash'), session_id: arg('id'), created_at: arg('token_created_at'), expires_at: arg('token_expires_at'), spent_at: null }),
    ),
    rotate: rotateFrom(handle, 'refresh_tokens'),
    legacyRotate: rotateFrom(handle, 'legacy_refresh_tokens'),
  };
}

export function createSessionStore(handle: DatabaseHandle): SessionStore {
  const q = prepareQueries(handle);
  let pgSteps: ReturnType<typeof postgresSteps> | undefined;
  const pg = () => (pgSteps ??= postgresSteps(handle));
  const tokenArgs = (token: NewRefreshToken): TokenArgs => ({
    token_hash: token.tokenHash,
    session_id: token.sessionId,
    created_at: token.createdAtMs,
    expires_at: token.expiresAtMs,
  });

  /** SQLite: `work` runs its statements synchronously in one step of the group commit, durable when this resolves. */
  async function sqliteStep<T>(sqlite: NonNullable<DatabaseHandle['sqlite']>, work: () => T): Promise<T> {
    const result = await sqlite.atomically(work, 'steps');
    await handle.durable();
    return result;
  }

  return {
    async createSession(session, firstToken) {
      const row = {
        id: session.id,
        customer_id: session.customerId,
        created_at: session.createdAtMs,
        last_used_at: session.lastUsedAtMs,
        expires_at: session.expiresAtMs,
        user_agent: session.userAgent,
        client_ip: session.clientAddress,
        revoked_at: null,
      };
      const first = tokenArgs(firstToken);
      if (handle.sqlite === undefined) {
        await pg().createSession.run({ ...row, token_hash: first.token_hash, token_created_at: first.created_at, token_expires_at: first.expires_at });
        return;
      }
      await sqliteStep(handle.sqlite, () => {
        q.insertSession.inStep(row);
        q.insertToken.inStep(first);
      });
    },

    async findRefreshToken({ sessionId, tokenHash }) {
      const [row] =
        sessionId === undefined ? await q.legacyToken.execute({ session_id: '', token_hash: tokenHash }) : await q.token.execute({ session_id: sessionId, token_hash: tokenHash });
      return row && toStoredToken(row);
    },

    // The successor always goes into refresh_tokens; a legacy token is spent where it is.
    async rotateRefreshToken(spent, successor) {
      const args = tokenArgs(successor);
      const legacy = spent.sessionId === undefined;
      if (handle.sqlite === undefined) {
        return (await (legacy ? pg().legacyRotate : pg().rotate).execute({ ...args, spent_hash: spent.tokenHash })).length === 1;
      }
      return sqliteStep(handle.sqlite, () => {
        q.insertToken.inStep(args);
        const spend = { session_id: args.session_id, token_hash: spent.tokenHash, now: args.created_at };
        const won = (legacy ? q.legacySpend : q.spend).inStep(spend).length === 1;
        if (won) q.touch.inStep({ id: args.session_id, now: args.created_at, expires_at: args.expires_at });
        return won;
      });
    },

    async findSessionCustomer(sessionId, customerId, nowMs) {
      const [row] = await q.sessionCustomer.execute({ id: sessionId, customer_id: customerId, now: nowMs });
      return row && toCustomer(row);
    },

    async listSessions(customerId, nowMs) {
      return (await q.list.execute({ customer_id: customerId, now: nowMs })).map(toSession);
    },

    async revokeSession(sessionId, customerId, nowMs) {
      return (await q.revoke.execute({ id: sessionId, customer_id: customerId, now: nowMs })).length === 1;
    },

    async revokeCustomerSessions(customerId, nowMs) {
      return q.revokeAll.run({ customer_id: customerId, now: nowMs });
    },

    async deleteEndedSessions(beforeMs) {
      const sessions = await q.deleteEndedSessions.run({ before: beforeMs });
      await q.deleteExpiredTokens.run({ before: beforeMs });
      await q.deleteExpiredLegacyTokens.run({ before: beforeMs });
      return sessions;
    },
  };
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    customerId: Number(row.customer_id),
    createdAtMs: Number(row.created_at),
    lastUsedAtMs: Number(row.last_used_at),
    expiresAtMs: Number(row.expires_at),
    userAgent: row.user_agent,
    clientAddress: row.client_ip,
  };
}
