// The limit arithmetic lives in three places: TypeScript (limit-state.ts, run by the SQLite
// limiter), Lua (limiter-redis.ts) and PL/pgSQL (migration 005/006's limit_decide and
// limit_refund). They must decide alike, or a deployment's limits would depend on its backing
// store. fast-check generates sequences of decides, refunds and counts (takes, peeks and ratio
// checks over a few shared keys, with time moving forward, standing still or a millisecond back)
// and every engine available to the run must answer each step exactly as the SQLite one does.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Limiter, LimitCheck, LimitDecision } from '../../src/domain/ports.js';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { createDatabaseLimiter } from '../../src/store/limiter-db.js';
import { createRedisLimiter } from '../../src/store/limiter-redis.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { freshDatabase, postgresUrl, redisUrl, type FreshDatabase } from '../support/backends.js';

const quiet = { info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;

// Every interval (window / limit) is at least 10 s, so no Redis key set during a sequence expires
// in real time before the sequence ends (its PX is the interval or more).
const rule = fc.constantFrom({ limit: 1, windowMs: 10_000 }, { limit: 3, windowMs: 60_000 }, { limit: 6, windowMs: 60_000 }, { limit: 5, windowMs: HOUR }, { limit: 2, windowMs: 86_400_000 });
const key = fc.constantFrom('a', 'b', 'c');
const check: fc.Arbitrary<LimitCheck> = fc.oneof(
  fc.record({ kind: fc.constantFrom('take' as const, 'peek' as const), key, rules: fc.uniqueArray(rule, { minLength: 1, maxLength: 2, selector: (r) => r.windowMs }) }),
  fc.record({
    kind: fc.constant('ratio' as const),
    eventsKey: fc.constant('events'),
    successesKey: fc.constant('successes'),
    windowMs: fc.constant(HOUR),
    minEvents: fc.integer({ min: 1, max: 10 }),
    minRatio: fc.constantFrom(0.2, 0.3, 0.55, 0.7),
  }),
);
type Step =
  | { op: 'decide' | 'refund'; checks: LimitCheck[]; dt: number }
  | { op: 'count'; key: 'events' | 'successes'; dt: number };
const dt = fc.constantFrom(-1, -1, 0, 0, 1, 1000, 5000, 9000, 30_000, 600_000);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('decide' as const), checks: fc.array(check, { minLength: 1, maxLength: 3 }), dt }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('refund' as const), checks: fc.array(check, { minLength: 1, maxLength: 3 }), dt }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('count' as const), key: fc.constantFrom('events' as const, 'successes' as const), dt }) },
);

/** The checks with every key made private to one sequence, so sequences never see each other's state. */
function scoped(checks: readonly LimitCheck[], run: string): LimitCheck[] {
  return checks.map((c) => (c.kind === 'ratio' ? { ...c, eventsKey: `${run}:${c.eventsKey}`, successesKey: `${run}:${c.successesKey}` } : { ...c, key: `${run}:${c.key}` }));
}

async function play(limiter: Limiter, steps: readonly Step[], run: string, start: number): Promise<Array<LimitDecision | null>> {
  const answers: Array<LimitDecision | null> = [];
  let now = start;
  for (const s of steps) {
    now += s.dt;
    if (s.op === 'count') {
      await limiter.count(`${run}:${s.key}`, HOUR, now);
      answers.push(null);
    } else if (s.op === 'refund') {
      await limiter.refund(scoped(s.checks, run), now);
      answers.push(null);
    } else {
      answers.push(await limiter.decide(scoped(s.checks, run), now));
    }
  }
  return answers;
}

describe('the limit engines decide alike (TypeScript, Lua, PL/pgSQL)', () => {
  const files: FreshDatabase[] = [];
  const handles: DatabaseHandle[] = [];
  const others: Array<[string, Limiter]> = [];
  let reference: Limiter;

  beforeAll(async () => {
    const sqlite = await freshDatabase('sqlite');
    files.push(sqlite);
    const sqliteHandle = await createDatabase({ kind: 'sqlite', path: sqlite.url.slice('sqlite:'.length) });
    handles.push(sqliteHandle);
    await migrateToLatest(sqliteHandle);
    reference = createDatabaseLimiter(sqliteHandle);
    if (postgresUrl() !== null) {
      const pg = await freshDatabase('postgres');
      files.push(pg);
      const pgHandle = await createDatabase({ kind: 'postgres', url: pg.url, poolMax: 2 });
      handles.push(pgHandle);
      await migrateToLatest(pgHandle);
      others.push(['postgres (PL/pgSQL)', createDatabaseLimiter(pgHandle)]);
    } else console.warn('limit-engines: PostgreSQL not configured for this run, its functions are not compared');
    const url = redisUrl();
    if (url !== null) others.push(['redis (Lua)', await createRedisLimiter(url, quiet, `engines-test-${randomUUID()}:`)]);
    else console.warn('limit-engines: Redis not configured for this run, its script is not compared');
  });

  afterAll(async () => {
    for (const [, limiter] of others) await limiter.close();
    for (const handle of handles) await handle.close();
    for (const file of files) await file.drop();
  });

  it('gives the same answer at every step of generated sequences', async () => {
    if (others.length === 0) console.warn('limit-engines: only the TypeScript engine is available, nothing to compare it with');
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const run = randomUUID();
        const start = Date.now();
        const expected = await play(reference, steps, run, start);
        for (const [name, limiter] of others) expect(await play(limiter, steps, run, start), name).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('refuses a ratio below the minimum and allows one exactly at it (55 of 100 against 0.55), in every engine', async () => {
    // 0.55 * 100 is 55.00000000000001 in IEEE doubles: "successes < ratio * events" would call 55
    // of 100 fewer than 55% (PostgreSQL's numeric would not). Every engine divides instead.
    for (const [successes, allowed] of [[55, true], [54, false]] as const) {
      const run = randomUUID();
      const now = Date.now();
      const guard: LimitCheck[] = [{ kind: 'ratio', eventsKey: `${run}:e`, successesKey: `${run}:s`, windowMs: HOUR, minEvents: 100, minRatio: 0.55 }];
      for (const [name, limiter] of [['sqlite (TypeScript)', reference] as const, ...others]) {
        for (let i = 0; i < 100; i += 1) await limiter.count(`${run}:e`, HOUR, now);
        for (let i = 0; i < successes; i += 1) await limiter.count(`${run}:s`, HOUR, now);
        expect((await limiter.decide(guard, now)).allowed, `${name}, ${successes} of 100`).toBe(allowed);
      }
    }
  });
});
