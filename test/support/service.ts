// Starts the real service (production wiring from src/compose.ts) on a listening port, with Twilio
// and SMTP played by local servers, on a fresh database of the chosen backend.
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { composeApp } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createTestClock, type TestClock } from './clock.js';
import { freshDatabase, redisFor, type Backend, type FreshDatabase } from './backends.js';
import { startFakeSmtp } from './fake-smtp.js';
import { startFakeTwilio } from './fake-twilio.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TWILIO_TOKEN = 'twilio-test-auth-token';
export const TWILIO_FROM = '+15005550006';

export interface ServiceOptions {
  backend?: Backend;
  env?: Record<string, string>;
  clock?: TestClock;
  /** Another service's database, to start over the same data (a restart with new settings); left for its owner to drop. */
  database?: FreshDatabase;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire, asserted field by field
}

export async function startService(options: ServiceOptions = {}) {
  const twilio = await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
  const smtp = await startFakeSmtp({ user: 'mailer', pass: 'mail-secret' });
  const backend = options.database?.backend ?? options.backend ?? 'sqlite';
  const database = options.database ?? (await freshDatabase(backend));
  const redis = redisFor(backend);
  const clock = options.clock ?? createTestClock();
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });

  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    SMS_PROVIDER: 'twilio',
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM,
    EMAIL_PROVIDER: 'smtp',
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'Shop <no-reply@shop.test>',
    IP_SEND_LIMIT: 'off',
    IP_VERIFY_LIMIT: 'off',
    IP_REQUEST_LIMIT: 'off',
    // The abuse limits are the security suites' subject (test/security/, on the defaults there);
    // the other suites send many codes to one identifier and one country.
    OTP_SEND_LIMIT: 'off',
    SMS_BUDGET: 'off',
    SMS_BUDGET_PER_COUNTRY: 'off',
    SMS_GUARD_MIN_SENDS: 'off',
    DELIVERY_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'debug',
    ...(redis === undefined ? {} : { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix }),
    ...options.env,
  });
  const { app, deliveryStats } = await composeApp({ ...config, jwtSecret: config.jwtSecret ?? TEST_JWT_SECRET }, { clock, logStream });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}`;

  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(url + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: leave the text for the assertion to show
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  return {
    url,
    app,
    backend,
    clock,
    twilio,
    smtp,
    database,
    deliveryStats,
    logs: () => logLines.join(''),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => request('POST', path, body, headers),
    get: (path: string, headers?: Record<string, string>) => request('GET', path, undefined, headers),
    request,
    async close() {
      await app.close();
      await Promise.all([twilio.close(), smtp.close()]);
      if (options.database === undefined) await database.drop();
    },
  };
}

export type Service = Awaited<ReturnType<typeof startService>>;

/**
 * Starts a service for the enclosing describe block (beforeAll) and closes it after (afterAll);
 * the returned object stands in for it, so tests read `service.post(...)` as usual.
 */
export function serviceForBlock(options: ServiceOptions = {}): Service {
  let current: Service | undefined;
  beforeAll(async () => {
    current = await startService(options);
  });
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as Service, {
    get(_target, property) {
      if (current === undefined) throw new Error('the service is used before beforeAll started it');
      return Reflect.get(current, property);
    },
  });
}
