// Parallel requests read "now" before they reach the store and may arrive out of order: a take
// whose clock reads earlier than the one before it (a millisecond, or seconds when an instance's
// event loop stalled in between) must still report what the rule leaves (a guess budget of 3
// locks on the third failure, never the second), on every limiter.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Limiter, LimitCheck } from '../../src/domain/ports.js';
import { createDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { createDatabaseLimiter } from '../../src/store/limiter-db.js';
import { createRedisLimiter } from '../../src/store/limiter-redis.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { freshDatabase, redisUrl, type FreshDatabase } from '../support/backends.js';

const DAY = 86_400_000;
const budget = (key: string): LimitCheck[] => [{ kind: 'take', key, rules: [{ limit: 3, windowMs: DAY }] }];
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;

describe('limit remaining under clock disagreement', () => {
  let file: FreshDatabase;
  let handle: DatabaseHandle;
  const limiters: Array<[string, Limiter]> = [];

  beforeAll(async () => {
    file = await freshDatabase('sqlite');
    handle = await createDatabase({ kind: 'sqlite', path: file.url.slice('sqlite:'.length) });
    await migrateToLatest(handle);
    limiters.push(['database', createDatabaseLimiter(handle)]);
    const url = redisUrl();
    if (url !== null) limiters.push(['redis', await createRedisLimiter(url, quiet, `slack-test-${randomUUID()}:`)]);
    else console.warn('limit-clock-slack: Redis not configured for this run, only the database limiter is checked');
  });

  afterAll(async () => {
    for (const [, limiter] of limiters) await limiter.close();
    await handle.close();
    await file.drop();
  });

  // A millisecond: parallel requests; seconds: an instance whose event loop stalled before reaching the store.
  it.each([1, 5_000])('reports 2 then 1 left when the second take reads a clock %i ms behind the first', async (lagMs) => {
    for (const [name, limiter] of limiters) {
      const key = `fail:${name}:${randomUUID()}`;
      const now = Date.now();
      expect(await limiter.decide(budget(key), now), name).toEqual({ allowed: true, remaining: 2 });
      expect(await limiter.decide(budget(key), now - lagMs), name).toEqual({ allowed: true, remaining: 1 });
      expect(await limiter.decide(budget(key), now), name).toEqual({ allowed: true, remaining: 0 });
      // The budget is spent: a fourth take is refused.
      expect((await limiter.decide(budget(key), now + 1)).allowed, name).toBe(false);
    }
  });
});
