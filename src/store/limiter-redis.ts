// Limits in Redis, shared by every instance. A request's checks are one Lua script (EVALSHA), so
// they are decided atomically and all-or-nothing; the arithmetic is limit-state.ts's, in Lua.
// When Redis is unreachable the limiter fails closed (503 SERVICE_UNAVAILABLE): a limit held in
// Redis cannot be seen by anything else, so falling back would let it be skipped.
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Limiter, Log } from '../domain/ports.js';
import { counterRow, decisionOf, planOf } from './limit-state.js';

// ARGV[1]: the plan (JSON), ARGV[2]: now in the app clock's ms. Keys expire with their state.
const DECIDE = `
local plan = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])
local pending = {}
local remaining = -1
local function read(key)
  local value = pending[key]
  if value == nil then value = tonumber(redis.call('GET', key)) end
  return value
end
local function sum(keys)
  local total = 0
  for _, key in ipairs(keys) do total = total + (tonumber(redis.call('GET', key)) or 0) end
  return total
end
for index, check in ipairs(plan) do
  if check.kind == 'ratio' then
    local events = sum(check.events)
    if events >= check.minEvents and events > 0 and sum(check.successes) / events < check.minRatio then
      return {0, index - 1, check.retry}
    end
  else
    for _, rule in ipairs(check.rules) do
      local tat = math.max(read(rule.key) or now, now) + rule.interval
      if tat - now > rule.window then return {0, index - 1, tat - rule.window - now} end
      if check.kind == 'take' then
        pending[rule.key] = tat
        local left = math.floor((rule.window + rule.slack - (tat - now)) / rule.interval)
        if remaining < 0 or left < remaining then remaining = left end
      end
    end
  end
end
for key, tat in pairs(pending) do
  redis.call('SET', key, string.format('%d', tat), 'PX', math.max(1, tat - now))
end
return {1, remaining, 0}
`;

const REFUND = `
local plan = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])
for _, check in ipairs(plan) do
  if check.kind == 'take' then
    for _, rule in ipairs(check.rules) do
      local tat = tonumber(redis.call('GET', rule.key))
      if tat ~= nil and tat > now then
        local back = tat - rule.interval
        if back > now then
          redis.call('SET', rule.key, string.format('%d', back), 'PX', back - now)
        else
          redis.call('DEL', rule.key)
        end
      end
    end
  end
end
return 0
`;

const COUNT = `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[1])))
return count
`;

type LimiterRedis = Redis & {
  limitDecide(...args: (string | number)[]): Promise<[number, number, number]>;
  limitRefund(...args: (string | number)[]): Promise<number>;
  limitCount(key: string, ttlMs: number): Promise<number>;
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
  // The plan names its keys in ARGV, so the scripts apply the prefix themselves.
  redis.defineCommand('limitDecide', { lua: `local prefix = ARGV[3]\n${prefixed(DECIDE)}` });
  redis.defineCommand('limitRefund', { lua: `local prefix = ARGV[3]\n${prefixed(REFUND)}` });
  redis.defineCommand('limitCount', { numberOfKeys: 1, lua: COUNT });

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
    async decide(checks, nowMs) {
      if (checks.length === 0) return { allowed: true, remaining: Infinity };
      const plan = JSON.stringify(planOf(checks, nowMs));
      return guarded(async () => decisionOf(await redis.limitDecide(0, plan, nowMs, keyPrefix)));
    },
    async refund(checks, nowMs) {
      await guarded(() => redis.limitRefund(0, JSON.stringify(planOf(checks, nowMs)), nowMs, keyPrefix));
    },
    async count(key, windowMs, nowMs) {
      const row = counterRow(key, windowMs, nowMs);
      await guarded(() => redis.limitCount(row.key, row.expiresAt - nowMs));
    },
    async sweep() {
      // Redis expires ended state itself (PX / PEXPIRE in the scripts).
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

/** The script with every key access going through the prefix (ioredis only prefixes KEYS). */
function prefixed(script: string): string {
  return script.replace(/redis\.call\('(GET|SET|DEL)', ([a-z.]+)/g, "redis.call('$1', prefix .. $2");
}
