// Limits in the database of record: correct across instances without Redis, because each
// decision is one atomic upsert (SQLite's single writer; PostgreSQL's row lock on conflict).
import { sql } from 'kysely';
import type { Limiter } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';

export function createDatabaseLimiter(handle: DatabaseHandle): Limiter {
  const { db } = handle;
  return {
    async hit(key, max, windowMs, nowMs) {
      // Opens a new window when the old one ended; otherwise counts the hit only if it is allowed,
      // so a refused hit leaves the count alone (refund then restores exactly one slot).
      const counted = await db
        .insertInto('rate_limits')
        .values({ key, count: 1, reset_at: nowMs + windowMs })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet({
              count: sql`case when rate_limits.reset_at <= ${nowMs} then 1 else rate_limits.count + 1 end`,
              reset_at: sql`case when rate_limits.reset_at <= ${nowMs} then excluded.reset_at else rate_limits.reset_at end`,
            })
            .where((eb) => eb.or([eb('rate_limits.reset_at', '<=', nowMs), eb('rate_limits.count', '<', max)])),
        )
        .returning('count')
        .executeTakeFirst();
      if (counted !== undefined) return { allowed: true, retryAfterMs: 0 };
      const row = await db.selectFrom('rate_limits').select('reset_at').where('key', '=', key).executeTakeFirst();
      return { allowed: false, retryAfterMs: Math.max(0, (row?.reset_at ?? nowMs) - nowMs) };
    },

    async refund(key, nowMs) {
      await db
        .updateTable('rate_limits')
        .set((eb) => ({ count: eb('count', '-', 1) }))
        .where('key', '=', key)
        .where('count', '>', 0)
        .where('reset_at', '>', nowMs)
        .execute();
    },

    async sweep(nowMs) {
      await db.deleteFrom('rate_limits').where('reset_at', '<=', nowMs).execute();
    },

    async ping() {},
    async close() {},
  };
}
