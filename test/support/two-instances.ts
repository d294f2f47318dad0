// Two service processes behind one "load balancer" (each test picks the instance), sharing one fresh
// PostgreSQL database and, for postgres+redis, one Redis: started together in beforeAll (the
// migration lock lets exactly one of them create the schema), stopped in afterAll.
import { afterAll, beforeAll } from 'vitest';
import { freshDatabase, redisFor, type Backend, type FreshDatabase } from './backends.js';
import { startFakeTwilio, type FakeTwilio } from './fake-twilio.js';
import { spawnService, spawnedServiceEnv, type ServiceProcess } from './process.js';
import { TWILIO_SID, TWILIO_TOKEN } from './service.js';

export interface TwoInstances {
  a: ServiceProcess;
  b: ServiceProcess;
  twilio: FakeTwilio;
  database: FreshDatabase;
}

/** The pair for this describe block; its fields are set once beforeAll has run. `env` is laid over the shared settings. */
export function twoInstancesForBlock(backend: Backend, env: Record<string, string>): TwoInstances {
  const pair = {} as TwoInstances;
  beforeAll(async () => {
    pair.twilio = await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
    pair.database = await freshDatabase(backend);
    const redis = redisFor(backend);
    const settings = {
      ...spawnedServiceEnv(pair.database.url, pair.twilio.url),
      ...env,
      ...(redis === undefined ? {} : { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix }),
    };
    [pair.a, pair.b] = await Promise.all([spawnService(settings), spawnService(settings)]);
  });
  afterAll(async () => {
    await Promise.all([pair.a?.stop(), pair.b?.stop()]);
    await pair.twilio?.close();
    await pair.database?.drop();
  });
  return pair;
}
