// Limits in Redis, shared by every instance. Each decision is one Lua script, so it is atomic.
// When Redis is unreachable the limiter fails closed (503 SERVICE_UNAVAILABLE): a cooldown held
// in Redis cannot be seen by anything else, so falling back would let it be skipped.
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Limiter, Log } from '../domain/ports.js';

// A hash {count, reset}; reset is the window's end in the app clock's milliseconds.
const HIT = `
local v = redis.call('HMGET', KEYS[1], 'count', 'reset')
local count = tonumber(v[1])
local reset = tonumber(v[2])
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if count == nil or reset == nil or reset <= now then
  redis.call('HSET', KEYS[1], 'count', 1, 'reset', now + window)
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
if count < max then
  redis.call('HINCRBY', KEYS[1], 'count', 1)
  return {1, 0}
end
return {0, reset - now}
`;

const REFUND = `
local v = redis.call('HMGET', KEYS[1], 'count', 'reset')
local count = tonumber(v[1])
local reset = tonumber(v[2])
if count ~= nil and count > 0 and reset ~= nil and reset > tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
`;

type LimiterRedis = Redis & {
  limitHit(key: string, max: number, windowMs: number, nowMs: number): Promise<[number, number]>;
  limitRefund(key: string, nowMs: number): Promise<number>;
};

/** Resolves once Redis answers (or its first connection attempt failed: then requests get 503 until it is up). */
export async function createRedisLimiter(url: string, log: Log, keyPrefix = 'customer-auth:'): Promise<Limiter> {
  const redis = new Redis(url, {
    keyPrefix,
    // Fail fast instead of queueing: a request waits for its limit decision, not for a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  }) as LimiterRedis;
  redis.defineCommand('limitHit', { numberOfKeys: 1, lua: HIT });
  redis.defineCommand('limitRefund', { numberOfKeys: 1, lua: REFUND });

  let available = true;
  let closing = false;
  const markDown = (reason: string) => {
    if (available && !closing) {
      log.error(
        { dependency: 'redis', reason },
        'Redis unavailable: OTP requests and verifies answer 503 SERVICE_UNAVAILABLE until it is back (limits are never skipped)',
      );
    }
    available = false;
  };
  redis.on('ready', () => {
    if (!available) log.info({ dependency: 'redis' }, 'Redis is back: limits are enforced in Redis again');
    available = true;
  });
  redis.on('close', () => markDown('connection closed'));
  redis.on('error', (error: Error) => markDown(error.message));

  await new Promise<void>((resolve) => {
    redis.once('ready', resolve);
    redis.once('error', () => resolve());
  });

  async function guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new AppError('SERVICE_UNAVAILABLE', { cause: error });
    }
  }

  return {
    async hit(key, max, windowMs, nowMs) {
      const [allowed, retryAfterMs] = await guarded(() => redis.limitHit(key, max, windowMs, nowMs));
      return { allowed: allowed === 1, retryAfterMs };
    },
    async refund(key, nowMs) {
      await guarded(() => redis.limitRefund(key, nowMs));
    },
    async sweep() {
      // Redis expires ended windows itself (PEXPIRE in the script).
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      closing = true;
      redis.disconnect();
    },
  };
}
