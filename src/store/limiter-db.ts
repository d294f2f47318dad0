// Limits in the database of record: correct across instances without Redis. A request's checks are
// one transaction: PostgreSQL locks the rows in key order (SELECT ... FOR UPDATE after creating any
// that are missing, so a new key is locked too), SQLite holds its single writer for it.
import { sql, type Kysely } from 'kysely';
import type { Limiter } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { counterRow, decideOn, keysOf, refundOn, type StateRow } from './limit-state.js';
import { prepareQuery } from './prepared.js';
import type { Database } from './schema.js';

export function createDatabaseLimiter(handle: DatabaseHandle): Limiter {
  const { db, dialect } = handle;

  async function lockedState(trx: Kysely<Database>, keys: string[]): Promise<Map<string, number>> {
    if (dialect === 'postgres') {
      // Placeholder rows (expired at 0, so they read as empty) make every key lockable.
      await trx
        .insertInto('limit_state')
        .values(keys.map((key) => ({ key, value: 0, expires_at: 0 })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
    const rows = await trx
      .selectFrom('limit_state')
      .select(['key', 'value', 'expires_at'])
      .where('key', 'in', keys)
      .orderBy('key')
      .$call((query) => (dialect === 'postgres' ? query.forUpdate() : query))
      .execute();
    return new Map(rows.filter((row) => row.expires_at > 0).map((row) => [row.key, Number(row.value)]));
  }

  async function write(trx: Kysely<Database>, rows: StateRow[]): Promise<void> {
    if (rows.length === 0) return;
    await trx
      .insertInto('limit_state')
      .values(rows.map((row) => ({ key: row.key, value: row.value, expires_at: row.expiresAt })))
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql`excluded.value`, expires_at: sql`excluded.expires_at` }))
      .execute();
  }

  // One guarded statement: a bucket's count only ever grows.
  const count = prepareQuery<{ key: string; expires_at: number }, never>(handle, (arg) =>
    db
      .insertInto('limit_state')
      .values({ key: arg('key'), value: 1, expires_at: arg('expires_at') })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql`limit_state.value + 1`, expires_at: sql`excluded.expires_at` })),
  );
  const sweep = prepareQuery<{ now: number }, never>(handle, (arg) => db.deleteFrom('limit_state').where('expires_at', '<=', arg('now')));

  return {
    async decide(checks, nowMs) {
      if (checks.length === 0) return { allowed: true, remaining: Infinity };
      const keys = keysOf(checks, nowMs);
      const decision = await db.transaction().execute(async (trx) => {
        const outcome = decideOn(checks, await lockedState(trx, keys), nowMs);
        await write(trx, outcome.writes);
        return outcome.decision;
      });
      await handle.durable();
      return decision;
    },

    async refund(checks, nowMs) {
      const keys = keysOf(checks, nowMs);
      if (keys.length === 0) return;
      await db.transaction().execute(async (trx) => write(trx, refundOn(checks, await lockedState(trx, keys), nowMs)));
      await handle.durable();
    },

    async count(key, windowMs, nowMs) {
      const row = counterRow(key, windowMs, nowMs);
      await count.run({ key: row.key, expires_at: row.expiresAt });
    },

    async sweep(nowMs) {
      await sweep.run({ now: nowMs });
    },

    async ping() {},
    async close() {},
  };
}
