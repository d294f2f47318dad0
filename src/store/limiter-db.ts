// Limits in the database of record: correct across instances without Redis, because each
// decision is one atomic upsert (SQLite's single writer; PostgreSQL's row lock on conflict).
import { sql } from 'kysely';
import type { Limiter } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { prepareQuery } from './prepared.js';

export function createDatabaseLimiter(handle: DatabaseHandle): Limiter {
  const { db } = handle;
  // Opens a new window when the old one ended; otherwise counts the hit only if it is allowed,
  // so a refused hit leaves the count alone (refund then restores exactly one slot).
  const hit = prepareQuery<{ key: string; max: number; now: number; reset_at: number }, { count: number }>(handle, (arg) =>
    db
      .insertInto('rate_limits')
      .values({ key: arg('key'), count: 1, reset_at: arg('reset_at') })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            count: sql`case when rate_limits.reset_at <= ${arg('now')} then 1 else rate_limits.count + 1 end`,
            reset_at: sql`case when rate_limits.reset_at <= ${arg('now')} then excluded.reset_at else rate_limits.reset_at end`,
          })
          .where((eb) => eb.or([eb('rate_limits.reset_at', '<=', arg('now')), eb('rate_limits.count', '<', arg('max'))])),
      )
      .returning('count'),
  );
  const resetAt = prepareQuery<{ key: string }, { reset_at: number }>(handle, (arg) =>
    db.selectFrom('rate_limits').select('reset_at').where('key', '=', arg('key')),
  );
  const refund = prepareQuery<{ key: string; now: number }, never>(handle, (arg) =>
    db
      .updateTable('rate_limits')
      .set((eb) => ({ count: eb('count', '-', 1) }))
      .where('key', '=', arg('key'))
      .where('count', '>', 0)
      .where('reset_at', '>', arg('now')),
  );
  const sweep = prepareQuery<{ now: number }, never>(handle, (arg) => db.deleteFrom('rate_limits').where('reset_at', '<=', arg('now')));

  return {
    async hit(key, max, windowMs, nowMs) {
      const counted = await hit.execute({ key, max, now: nowMs, reset_at: nowMs + windowMs });
      if (counted.length > 0) return { allowed: true, retryAfterMs: 0 };
      const [row] = await resetAt.execute({ key });
      return { allowed: false, retryAfterMs: Math.max(0, (row?.reset_at ?? nowMs) - nowMs) };
    },

    async refund(key, nowMs) {
      await refund.run({ key, now: nowMs });
    },

    async sweep(nowMs) {
      await sweep.run({ now: nowMs });
    },

    async ping() {},
    async close() {},
  };
}
