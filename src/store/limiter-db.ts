// Limits in the database of record: correct across instances without Redis. A request's checks are
// decided in one step. On SQLite that is one synchronous run of two statements inside the group
// commit's batch (sqlite-group-commit.ts: nothing else runs in between, and SQLite has one writer).
// On PostgreSQL it is one statement calling a function of migration 005, which locks the rows in
// key order (SELECT ... FOR UPDATE after creating any that are missing, so a new key is locked too),
// decides and writes: one round trip. Every statement is compiled once (on SQLite per number of
// keys), never built per request.
import { sql } from 'kysely';
import type { LimitCheck, LimitDecision, Limiter } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { counterRow, decideOn, decisionOf, keysOf, planOf, refundOn, type StateRow } from './limit-state.js';
import { prepareQuery } from './prepared.js';

/** Statements for each number of keys, made on first use (a request's checks touch a few dozen keys at most). */
function perCount<T>(make: (count: number) => T): (count: number) => T {
  const made = new Map<number, T>();
  return (count) => {
    let found = made.get(count);
    if (found === undefined) {
      found = make(count);
      made.set(count, found);
    }
    return found;
  };
}

const indexes = (count: number) => Array.from({ length: count }, (_, index) => index);

/** How one dialect decides a request's checks, and gives back their takes, atomically. */
interface Decider {
  decide(checks: readonly LimitCheck[], nowMs: number): Promise<LimitDecision>;
  refund(checks: readonly LimitCheck[], nowMs: number): Promise<void>;
}

const live = (rows: Array<{ key: string; value: number; expires_at: number }>) =>
  new Map(rows.filter((row) => row.expires_at > 0).map((row) => [row.key, Number(row.value)]));

function sqliteDecider(handle: DatabaseHandle, sqlite: NonNullable<DatabaseHandle['sqlite']>): Decider {
  const select = perCount((count) => sqlite.prepare(`select key, value, expires_at from limit_state where key in (${indexes(count).map(() => '?').join(', ')})`));
  // Every row a decision writes in one statement. Prepared on first use, as Kysely's are: a service
  // started before its migrations still starts (/ready says why).
  const upsert = perCount((count) =>
    sqlite.prepare(
      `insert into limit_state (key, value, expires_at) values ${indexes(count).map(() => '(?, ?, ?)').join(', ')} ` +
        'on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at',
    ),
  );
  async function decideAtomically<T>(keys: string[], work: (state: Map<string, number>) => { result: T; writes: StateRow[] }): Promise<T> {
    let wrote = false;
    const result = await sqlite.atomically(() => {
      const outcome = work(live(select(keys.length).all(keys) as Array<{ key: string; value: number; expires_at: number }>));
      wrote = outcome.writes.length > 0;
      if (wrote) upsert(outcome.writes.length).run(outcome.writes.flatMap((row) => [row.key, row.value, row.expiresAt]));
      return outcome.result;
    });
    if (wrote) await handle.durable();
    return result;
  }
  return {
    decide(checks, nowMs) {
      return decideAtomically(keysOf(checks, nowMs), (state) => {
        const outcome = decideOn(checks, state, nowMs);
        return { result: outcome.decision, writes: outcome.writes };
      });
    },
    async refund(checks, nowMs) {
      const keys = keysOf(checks, nowMs);
      if (keys.length === 0) return;
      await decideAtomically(keys, (state) => ({ result: undefined, writes: refundOn(checks, state, nowMs) }));
    },
  };
}

/**
 * PostgreSQL: one statement, one round trip. The functions of migration 005 lock, read, decide and
 * write inside it, from the same plan the Redis script takes (limit-state.ts's planOf).
 */
function postgresDecider(handle: DatabaseHandle): Decider {
  const { db } = handle;
  const decide = prepareQuery<{ plan: string; now: number }, { result: string[] }>(handle, (arg) =>
    db.selectNoFrom(sql<string[]>`limit_decide(${arg('plan')}::jsonb, ${arg('now')}::bigint)`.as('result')),
  );
  const refund = prepareQuery<{ plan: string; now: number }, never>(handle, (arg) =>
    db.selectNoFrom(sql<never>`limit_refund(${arg('plan')}::jsonb, ${arg('now')}::bigint)`.as('result')),
  );
  return {
    async decide(checks, nowMs) {
      const [row] = await decide.execute({ plan: JSON.stringify(planOf(checks, nowMs)), now: nowMs });
      return decisionOf(row?.result);
    },
    async refund(checks, nowMs) {
      await refund.execute({ plan: JSON.stringify(planOf(checks, nowMs)), now: nowMs });
    },
  };
}

export function createDatabaseLimiter(handle: DatabaseHandle): Limiter {
  const { db } = handle;
  const decider = handle.sqlite === undefined ? postgresDecider(handle) : sqliteDecider(handle, handle.sqlite);

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
      return decider.decide(checks, nowMs);
    },

    async refund(checks, nowMs) {
      if (checks.length === 0) return;
      await decider.refund(checks, nowMs);
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
