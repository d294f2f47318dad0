// The measured runs: baseline, request-otp (login and register), verify, /me.
import path from 'node:path';
import type { DatabaseConfig } from '../src/config.js';
import { runLoad, type LoadOptions } from './measure.js';
import { readCodes, type FakeTwilio } from './fake-twilio-process.js';
import { freePort, peakRssMb, spawnNode, waitForHealthy } from './processes.js';
import { describeResult, extraPhases, reportErrors, rows, type Row } from './report.js';
import { e164, seedCustomers } from './seed.js';
import type { Service } from './service-process.js';
import { BASELINE_SCRIPT, CONNECTIONS, DURATION, TOPUP_MAX_SECONDS, WARMUP, fmt, say } from './settings.js';
import { keepRefreshToken } from './refresh.js';
import { echoLoad, pairedRatio } from './paired-baseline.js';

/**
 * Warm-up (not counted) then the measured window, in one run on the same connections (measure.ts),
 * both with fresh data from the same generator.
 */
export async function warmAndMeasure(
  row: Omit<Row, 'warmup' | 'result' | 'peakRssMb' | 'notes'>,
  serverPid: number,
  load: (seconds: number) => LoadOptions,
  atMeasureStart?: () => Promise<void>,
): Promise<Row> {
  // The first run (the baseline) also warms up autocannon itself: give it at least 3 s.
  const warmupSeconds = rows.length === 0 ? Math.max(WARMUP, 3) : WARMUP;
  say(`${row.label}: warm-up ${warmupSeconds} s, then measuring ${DURATION} s on the same connections`);
  const result = await runLoad({ ...load(DURATION), warmupSeconds, ...(atMeasureStart === undefined ? {} : { atMeasureStart }) });
  const warmup = result.warmup!; // eslint-disable-line @typescript-eslint/no-non-null-assertion -- warmupSeconds > 0
  delete result.warmup;
  reportErrors(`${row.label} warm-up`, warmup);
  reportErrors(row.label, result);
  const measured: Row = { ...row, warmup, result, peakRssMb: peakRssMb(serverPid), notes: [] };
  // The SQLite rows the targets judge also get their ratio against a baseline in alternating slices.
  if (row.database === 'sqlite') {
    const paired = await pairedRatio(row.label, load);
    if (paired.ratioPct !== undefined) measured.pairedRatioPct = paired.ratioPct;
    measured.pairedErrors = paired.errors;
  }
  say(`${row.label}: ${describeResult(result)}, peak RSS ${fmt(measured.peakRssMb)} MB`);
  rows.push(measured);
  return measured;
}

/** The bare-Fastify baseline, measured like every route; `env` adds to its environment (wakeup-cost.ts adds work per request). */
export async function baselineRun(tmp: string, key: string, label: string, env: Record<string, string> = {}): Promise<Row> {
  const port = await freePort();
  const proc = spawnNode({
    name: 'baseline',
    script: BASELINE_SCRIPT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
    logPath: path.join(tmp, `${key}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealthy(proc, `${url}/health`);
    const load = echoLoad(url, proc.pid);
    return await warmAndMeasure({ key, label, database: 'none', method: 'POST', path: '/echo' }, proc.pid, load);
  } finally {
    await proc.stop();
  }
}

/** Phone numbers handed out one by one, each once; the seeded ones belong to existing customers. */
export class NumberRange {
  next = 0;
  seeded = 0;
  overflow = 0;
  constructor(readonly firstNational: number, readonly dbConfig?: DatabaseConfig) {}

  take(): string {
    if (this.dbConfig !== undefined && this.next >= this.seeded) this.overflow += 1;
    return e164(this.firstNational + this.next++);
  }

  /** Seeds customers so that `count` more numbers belong to existing customers. */
  async ensure(count: number, migrate = false): Promise<void> {
    if (this.dbConfig === undefined || this.next + count <= this.seeded) return;
    const add = Math.ceil(this.next + count - this.seeded + 1000);
    const started = Date.now();
    await seedCustomers(this.dbConfig, this.firstNational + this.seeded, add, { migrate });
    this.seeded += add;
    say(`seeded ${fmt(add)} existing customers (${e164(this.firstNational + this.seeded - add)} onwards) in ${fmt((Date.now() - started) / 1000, 1)} s`);
  }
}

export function requestOtpLoad(
  service: Service,
  twilio: FakeTwilio,
  range: NumberRange,
  purpose: 'login' | 'register',
  sent: string[],
): (seconds: number, maxRequests?: number) => LoadOptions {
  const route = purpose === 'login' ? '/api/v1/auth/login' : '/api/v1/auth/register';
  return (seconds, maxRequests) => ({
    url: `${service.url}${route}`,
    method: 'POST',
    connections: CONNECTIONS,
    durationSeconds: seconds,
    ...(maxRequests === undefined ? {} : { maxRequests }),
    next: () => {
      const to = range.take();
      const body = purpose === 'login' ? { type: 'phone', identifier: to } : { type: 'phone', identifier: to, name: 'Bench Customer' };
      return { body: JSON.stringify(body), tag: to };
    },
    check: (body) => body.includes('"success":true'),
    onOk: (_body, tag) => {
      sent.push(tag as string);
    },
    pids: () => ({ ...service.pids, twilio: twilio.proc.pid }),
  });
}

export const TOKEN = /"access_token":"([^"]+)"/;

/**
 * verify-login-otp: every code read from the fake Twilio is verified exactly once (a queue, each
 * entry handed to one request). The run is capped by the codes available; when the warm-up shows
 * the first batch will not last the measured run, more are made first (login traffic, not counted).
 */
export async function verifyRun(
  key: string,
  label: string,
  service: Service,
  twilio: FakeTwilio,
  range: NumberRange,
  codes: Array<{ to: string; code: string }>,
  tokens: string[],
  refreshTokens: string[] = [],
): Promise<Row> {
  let cursor = 0;
  const load = (seconds: number): LoadOptions => ({
    url: `${service.url}/api/v1/auth/verify-login-otp`,
    method: 'POST',
    connections: CONNECTIONS,
    durationSeconds: seconds,
    maxRequests: codes.length - cursor,
    next: () => {
      const entry = codes[cursor++];
      // Unreachable (maxRequests bounds the requests), but never verify a code twice: a wrong code fails loudly.
      if (entry === undefined) return { body: JSON.stringify({ type: 'phone', identifier: '+919999999999', otp: '000000' }) };
      return { body: JSON.stringify({ type: 'phone', identifier: entry.to, otp: entry.code }), tag: entry.to };
    },
    check: (body) => TOKEN.test(body),
    onOk: (body) => {
      if (tokens.length < 1000) tokens.push(TOKEN.exec(body)![1]!);
      keepRefreshToken(refreshTokens, body);
    },
    pids: () => ({ ...service.pids }),
  });
  const notes: string[] = [];

  if (codes.length < CONNECTIONS * 2) throw new Error(`${label}: only ${codes.length} codes to verify`);
  say(`${label}: warm-up ${WARMUP} s (${fmt(codes.length)} codes read from the fake Twilio)`);
  const warmup = await runLoad(load(WARMUP));
  reportErrors(`${label} warm-up`, warmup);

  // Enough codes for the measured run (its own warm-up included) at the warm-up's rate, with room for it to run faster.
  const needed = Math.ceil(warmup.reqPerSec * (WARMUP + DURATION) * 2) + CONNECTIONS;
  const left = codes.length - cursor;
  if (left < needed) {
    const deficit = Math.max(needed - left, CONNECTIONS);
    say(`${label}: ${fmt(left)} codes left, ~${fmt(needed)} wanted: making ${fmt(deficit)} more (login requests, not counted; at most ${TOPUP_MAX_SECONDS} s)`);
    await range.ensure(deficit);
    const sent: string[] = [];
    const topup = await runLoad(requestOtpLoad(service, twilio, range, 'login', sent)(TOPUP_MAX_SECONDS, deficit));
    reportErrors(`${label} code top-up`, topup);
    extraPhases.push({ what: `${label}: code top-up (login requests)`, result: topup });
    const more = await readCodes(twilio, sent);
    for (const code of more) codes.push(code); // not push(...more): a spread of 100k+ items overflows the stack
    notes.push(`${fmt(more.length)} extra codes made before the measured run`);
  }

  // Like every row: a warm-up and the measured window on the same connections (warmAndMeasure).
  say(`${label}: warm-up ${WARMUP} s, then measuring ${DURATION} s on the same connections (${fmt(codes.length - cursor)} codes available)`);
  const result = await runLoad({ ...load(DURATION), warmupSeconds: WARMUP, atMeasureStart: () => service.refreshPids() });
  if (result.warmup !== undefined) {
    reportErrors(`${label} warm-up on the measured connections`, result.warmup);
    extraPhases.push({ what: `${label}: warm-up on the measured connections`, result: result.warmup });
    delete result.warmup;
  }
  reportErrors(label, result);
  if (result.endedBy === 'maxRequests') {
    notes.push(`codes ran out after ${fmt(result.seconds, 1)} s: the run is shorter than ${DURATION} s`);
  }
  const row: Row = {
    key,
    label,
    database: service.database,
    method: 'POST',
    path: '/api/v1/auth/verify-login-otp',
    warmup,
    result,
    peakRssMb: peakRssMb(service.proc.pid),
    notes,
  };
  say(`${label}: ${describeResult(result)}, peak RSS ${fmt(row.peakRssMb)} MB${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
  rows.push(row);
  return row;
}

/** request-otp (login) with codes kept for the verify run that follows. */
export async function loginRun(
  key: string,
  label: string,
  service: Service,
  twilio: FakeTwilio,
  range: NumberRange,
): Promise<{ row: Row; codes: Array<{ to: string; code: string }> }> {
  const sent: string[] = [];
  const load = requestOtpLoad(service, twilio, range, 'login', sent);
  const row = await warmAndMeasure(
    { key, label, database: service.database, method: 'POST', path: '/api/v1/auth/login' },
    service.proc.pid,
    (seconds) => load(seconds),
    () => service.refreshPids(),
  );
  if (range.overflow > 0) {
    row.notes.push(`${range.overflow} requests went past the seeded customers (raise BENCH_SEED_RATE)`);
  }
  const codes = await readCodes(twilio, sent);
  if (codes.length < sent.length) {
    row.notes.push(`${sent.length - codes.length} codes could not be read back from the fake Twilio`);
  }
  say(`${label}: read ${fmt(codes.length)} codes back from the fake Twilio`);
  return { row, codes };
}

export async function meRun(key: string, label: string, service: Service, tokens: string[]): Promise<Row> {
  if (tokens.length === 0) throw new Error(`${label}: no token from the verify run`);
  let index = 0;
  return warmAndMeasure(
    { key, label, database: service.database, method: 'GET', path: '/api/v1/auth/me' },
    service.proc.pid,
    (seconds) => ({
      url: `${service.url}/api/v1/auth/me`,
      method: 'GET',
      connections: CONNECTIONS,
      durationSeconds: seconds,
      next: () => ({ headers: { authorization: `Bearer ${tokens[index++ % tokens.length]}` } }),
      check: (body) => body.includes('"success":true') && body.includes('"customer"'),
      pids: () => ({ ...service.pids }),
    }),
    () => service.refreshPids(),
  );
}

