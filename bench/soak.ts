// npm run soak: first the SQLite driver probe (sqlite-gc-probe.ts: statements collected on this
// Node), then the built service, in production mode on a fresh SQLite file, under a few thousand
// mixed requests with a full garbage collection forced inside it between batches; then SIGTERM.
// Passes when the probe exits 0, every answer is the expected one, the process is alive after
// every batch, and it exits 0 on SIGTERM. Run it on each supported Node (the CI does) to catch native-module breakage
// such as better-sqlite3 12 aborting on Node 24. Traffic goes to 127.0.0.1 only and is bounded.
import '../src/supported-node.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTestServiceEnv, readCodes, startFakeTwilio } from './fake-twilio-process.js';
import { distPath, freePort, killAllChildren, spawnNode, waitForHealthy } from './processes.js';

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 3000);
/** Customers registered per batch: each brings eight requests (see batch()). */
const PER_BATCH = 25;
const CONCURRENCY = 20;

type Expect = { method: 'GET' | 'POST'; path: string; body?: unknown; token?: string; status: number };

let sent = 0;
const surprises: string[] = [];

async function call(base: string, request: Expect): Promise<Record<string, unknown>> {
  sent += 1;
  const headers: Record<string, string> = {};
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== request.status) {
    surprises.push(`${request.method} ${request.path} answered ${response.status}, expected ${request.status}: ${text.slice(0, 200)}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    surprises.push(`${request.method} ${request.path} answered non-JSON: ${text.slice(0, 200)}`);
    return {};
  }
}

/** Runs `work` over `items` with at most CONCURRENCY in flight. */
async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const tokenOf = (answer: Record<string, unknown>): string => String((answer.data as { access_token?: string } | undefined)?.access_token);

/** One batch: register and verify, /me, log in and verify, plus refused requests, for PER_BATCH numbers. */
async function batch(base: string, twilioCodes: (numbers: string[]) => Promise<Map<string, string>>, first: number): Promise<void> {
  const numbers = Array.from({ length: PER_BATCH }, (_, i) => `+9198${String(first + i).padStart(8, '0')}`);
  await pool(numbers, async (phone) => {
    await call(base, { method: 'POST', path: '/api/v1/auth/customer/register/request-otp', body: { phone, name: 'Soak' }, status: 200 });
  });
  const registerCodes = await twilioCodes(numbers);
  await pool(numbers, async (phone) => {
    const otp = registerCodes.get(phone) ?? '000000';
    const answer = await call(base, { method: 'POST', path: '/api/v1/auth/customer/register/verify-otp', body: { phone, otp }, status: 201 });
    await call(base, { method: 'GET', path: '/api/v1/auth/me', token: tokenOf(answer), status: 200 });
    await call(base, { method: 'POST', path: '/api/v1/auth/login', body: { type: 'phone', identifier: phone }, status: 200 });
  });
  const loginCodes = await twilioCodes(numbers);
  await pool(numbers, async (phone) => {
    const otp = loginCodes.get(phone) ?? '000000';
    const wrong = otp === '000000' ? '111111' : '000000';
    await call(base, { method: 'POST', path: '/api/v1/auth/verify-login-otp', body: { type: 'phone', identifier: phone, otp: wrong }, status: 400 });
    await call(base, { method: 'POST', path: '/api/v1/auth/verify-login-otp', body: { type: 'phone', identifier: phone, otp }, status: 200 });
    await call(base, { method: 'POST', path: '/api/v1/auth/login', body: { type: 'phone', identifier: 'not a number' }, status: 422 });
    await call(base, { method: 'GET', path: '/no/such/route', status: 404 });
  });
}

/** The driver probe (sqlite-gc-probe.ts) in its own process: a native abort must not take the soak with it. */
function driverProbe(): boolean {
  const probe = spawnSync(process.execPath, ['--expose-gc', distPath('./sqlite-gc-probe.js')], { encoding: 'utf8', timeout: 60_000 });
  const outcome = probe.signal === null ? `exit ${probe.status}` : `signal ${probe.signal}`;
  console.log(`soak: ${probe.stdout.trim() || 'sqlite driver probe'} (${outcome})`);
  if (probe.status !== 0) console.error(probe.stderr.slice(0, 2000));
  return probe.status === 0;
}

async function main(): Promise<number> {
  if (!driverProbe()) return 1;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'customer-auth-soak-'));
  try {
    const twilio = await startFakeTwilio();
    const port = await freePort();
    const service = spawnNode({
      name: 'service',
      script: distPath('../src/server.js'),
      nodeArgs: ['--max-old-space-size=128', '--max-semi-space-size=16', '--expose-gc', '--import', distPath('./soak-gc.js')],
      env: loadTestServiceEnv({ databaseUrl: `sqlite:${path.join(tmp, 'soak.db')}`, twilio, port }),
      logPath: path.join(tmp, 'service.log'),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHealthy(service, `${base}/health`);
    console.log(`soak: Node ${process.version}, service pid ${service.pid}, ${REQUESTS} requests in batches of ${PER_BATCH * 8}, GC forced after each`);
    const twilioCodes = async (numbers: string[]) => new Map((await readCodes(twilio, numbers)).map(({ to, code }) => [to, code]));

    let batches = 0;
    for (let first = 0; sent < REQUESTS; first += PER_BATCH) {
      await batch(base, twilioCodes, first);
      service.child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 50));
      batches += 1;
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        console.error(`soak: the service died after batch ${batches} (exit ${service.child.exitCode}, signal ${service.child.signalCode}):\n${service.logTail()}`);
        return 1;
      }
    }
    service.child.kill('SIGTERM');
    await service.exited;
    const { exitCode, signalCode } = service.child;
    console.log(`soak: ${sent} requests in ${batches} batches, ${surprises.length} unexpected answers; SIGTERM -> exit ${exitCode}${signalCode ? `, signal ${signalCode}` : ''}`);
    for (const line of surprises.slice(0, 10)) console.error(`  ${line}`);
    if (exitCode !== 0) console.error(service.logTail());
    await twilio.proc.stop();
    return surprises.length === 0 && exitCode === 0 ? 0 : 1;
  } finally {
    killAllChildren();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('soak failed:', error);
    process.exit(1);
  },
);
