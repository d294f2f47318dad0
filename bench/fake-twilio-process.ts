// The fake Twilio (test/support/fake-twilio.ts) as its own process, for the bench and the soak:
// the service sends it real Twilio REST requests, and the load reads the codes back from it.
import { randomBytes } from 'node:crypto';
import { distPath, firstLine, spawnNode, type Spawned } from './processes.js';

const FAKE_TWILIO_SCRIPT = distPath('../test/support/fake-twilio.js');

export interface FakeTwilio {
  proc: Spawned;
  url: string;
  accountSid: string;
  authToken: string;
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const proc = spawnNode({
    name: 'fake Twilio',
    script: FAKE_TWILIO_SCRIPT,
    args: ['--port', '0', '--account-sid', accountSid, '--auth-token', authToken],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' },
  });
  const line = await firstLine(proc);
  const { url } = JSON.parse(line) as { url: string };
  return { proc, url, accountSid, authToken };
}

/**
 * The environment the bench and the soak start the service with: production mode, SMS through
 * this fake, email to the console, and the limits one load generator cannot pass turned off.
 */
export function loadTestServiceEnv(options: { databaseUrl: string; twilio: FakeTwilio; port: number }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(36).toString('base64url'), // 48 characters
    DATABASE_URL: options.databaseUrl,
    ...twilioEnv(options.twilio),
    EMAIL_PROVIDER: 'console',
    ALLOW_CONSOLE_DELIVERY: 'true',
    // Off because one load generator cannot pass them by design: all the load comes from one
    // address (the per-address limits), and it sends tens of thousands of codes an hour, most never
    // verified (the SMS budgets and the conversion guard). The cooldown, the per-identifier send
    // caps and the failure budget stay on at their defaults.
    IP_SEND_LIMIT: 'off',
    IP_VERIFY_LIMIT: 'off',
    IP_REQUEST_LIMIT: 'off',
    SMS_BUDGET: 'off',
    SMS_BUDGET_PER_COUNTRY: 'off',
    SMS_GUARD_MIN_SENDS: 'off',
    LOG_LEVEL: 'warn',
    // BENCH_METRICS_ENABLED=false measures the service without Prometheus metrics (the default is on).
    METRICS_ENABLED: process.env.BENCH_METRICS_ENABLED ?? 'true',
    HOST: '127.0.0.1',
    PORT: String(options.port),
  };
}

/** The service's environment for sending SMS through this fake. */
function twilioEnv(twilio: FakeTwilio): Record<string, string> {
  return {
    SMS_PROVIDER: 'twilio',
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15005550006',
  };
}

/** Reads the codes the fake Twilio holds for these numbers, many per request. */
export async function readCodes(twilio: FakeTwilio, numbers: string[]): Promise<Array<{ to: string; code: string }>> {
  const found: Array<{ to: string; code: string }> = [];
  const batch = 2000; // well under the fake's 64 KiB request limit
  for (let start = 0; start < numbers.length; start += batch) {
    const slice = numbers.slice(start, start + batch);
    const response = await fetch(`${twilio.url}/_fake/codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: slice }),
    });
    if (response.status !== 200) throw new Error(`fake Twilio /_fake/codes answered ${response.status}: ${await response.text()}`);
    const { codes } = (await response.json()) as { codes: Record<string, string> };
    for (const to of slice) {
      const code = codes[to];
      if (code !== undefined) found.push({ to, code });
    }
  }
  return found;
}

