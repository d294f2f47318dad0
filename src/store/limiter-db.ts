// Limits in the database of record: correct across instances without Redis. A request's checks are
// decided in one step. On SQLite that is one synchronous run of two statements inside the group
// commit's batch (sqlite-group-commit.ts: nothing else runs in between, and SQLite has one writer).
// On PostgreSQL it is one transaction that locks the rows in key order (SELECT ... FOR UPDATE after
// creating any that are missing, so a new key is locked too). Every statement is compiled once (per
// number of keys), never built per request.
import { sql, type Kysely } from 'kysely';
import type { Limiter } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { counterRow, decideOn, keysOf, refundOn, type StateRow } from './limit-state.js';
import { prepareQuery, type PreparedQuery } from './prepared.js';
import type { Database } from './schema.js';

type Args = Record<string, unknown>;

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

/** How one dialect reads the state of `keys` and writes rows, atomically. */
interface Steps {
  decideAtomically<T>(keys: string[], work: (state: Map<string, number>) => { result: T; writes: StateRow[] }): Promise<T>;
}

const live = (rows: Array<{ key: string; value: number; expires_at: number }>) =>
  new Map(rows.filter((row) => row.expires_at > 0).map((row) => [row.key, Number(row.value)]));

function sqliteSteps(handle: DatabaseHandle, sqlite: NonNullable<DatabaseHandle['sqlite']>): Steps {
  const select = perCount((count) => sqlite.prepare(`select key, value, expires_at from limit_state where key in (${indexes(count).map(() => '?').join(', ')})`));
  // Every row a decision writes in one statement. Prepared on first use, as Kysely's are: a service
  // started before its migrations still starts (/ready says why).
  const upsert = perCount((count) =>
    sqlite.prepare(
      `insert into limit_state (key, value, expires_at) values ${indexes(count).map(() => '(?, ?, ?)').join(', ')} ` +
        'on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at',
    ),
  );
  return {
    async decideAtomically(keys, work) {
      let wrote = false;
      const result = await sqlite.atomically(() => {
        const outcome = work(live(select(keys.length).all(keys) as Array<{ key: string; value: number; expires_at: number }>));
        wrote = outcome.writes.length > 0;
        if (wrote) upsert(outcome.writes.length).run(outcome.writes.flatMap((row) => [row.key, row.value, row.expiresAt]));
        return outcome.result;
      });
      if (wrote) await handle.durable();
      return result;
    },
  };
}

function postgresSteps(handle: DatabaseHandle): Steps {
  const { db } = handle;
  // Placeholder rows (expired at 0, so they read as empty) make every key lockable.
  const placeholders = perCount((count) =>
    prepareQuery<Args, never>(handle, (arg) =>
      db
        .insertInto('limit_state')
        .values(indexes(count).map((i) => ({ key: arg(`k${i}`) as string, value: 0, expires_at: 0 })))
        .onConflict((oc) => oc.column('key').doNothing()),
    ),
  );
  const lock = perCount((count) =>
    prepareQuery<Args, { key: string; value: number; expires_at: number }>(handle, (arg) =>
      db
        .selectFrom('limit_state')
        .select(['key', 'value', 'expires_at'])
        .where('key', 'in', indexes(count).map((i) => arg(`k${i}`) as string))
        .orderBy('key')
        .forUpdate(),
    ),
  );
  const write = perCount((count) =>
    prepareQuery<Args, never>(handle, (arg) =>
      db
        .insertInto('limit_state')
        .values(indexes(count).map((i) => ({ key: arg(`k${i}`) as string, value: arg(`v${i}`) as number, expires_at: arg(`e${i}`) as number })))
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql`excluded.value`, expires_at: sql`excluded.expires_at` })),
    ),
  );
  const keyArgs = (keys: string[]) => Object.fromEntries(keys.map((key, i) => [`k${i}`, key]));
  const rowArgs = (rows: StateRow[]) => Object.fromEntries(rows.flatMap((row, i) => [[`k${i}`, row.key], [`v${i}`, row.value], [`e${i}`, row.expiresAt]]));
  return {
    decideAtomically(keys, work) {
      return db.transaction().execute(async (trx: Kysely<Database>) => {
        await placeholders(keys.length).run(keyArgs(keys), trx);
        const outcome = work(live(await lock(keys.length).execute(keyArgs(keys), trx)));
        if (outcome.writes.length > 0) await write(outcome.writes.length).run(rowArgs(outcome.writes), trx);
        return outcome.result;
      });
    },
  };
}

export function createDatabaseLimiter(handle: DatabaseHandle): Limiter {
  const { db } = handle;
  const steps = handle.sqlite === undefined ? postgresSteps(handle) : sqliteSteps(handle, handle.sqlite);

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
      return steps.decideAtomically(keysOf(checks, nowMs), (state) => {
        const outcome = decideOn(checks, state, nowMs);
        return { result: outcome.decision, writes: outcome.writes };
      });
    },

    async refund(checks, nowMs) {
      const keys = keysOf(checks, nowMs);
      if (keys.length === 0) return;
      await steps.decideAtomically(keys, (state) => ({ result: undefined, writes: refundOn(checks, state, nowMs) }));
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
