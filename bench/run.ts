// npm run bench: the service as its own production process on a fresh SQLite database (and on
// PostgreSQL when reachable), Twilio played by a local fake in its own process, load from autocannon
// in this process. Prints a table against a bare-Fastify baseline measured the same way (first and
// again last; the higher is the ceiling), writes JSON to bench/results/, and exits non-zero when any
// request errored. Order: baseline; SQLite login, register, verify (the login codes), /me (the verify
// tokens), refresh (the verify refresh tokens, each successor reused; bench/refresh.ts); PostgreSQL
// login and verify; baseline again.
//
// Settings (environment): BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (50),
// BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; "off" skips PostgreSQL),
// BENCH_SEED_RATE (20000: existing customers are seeded for this many logins/s over a run),
// BENCH_SERVICE_NODE_ARGS (extra node flags for the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import '../src/supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { runLoad, type LoadOptions, type LoadResult } from './measure.js';
import { loadTestServiceEnv, readCodes, startFakeTwilio, type FakeTwilio } from './fake-twilio-process.js';
import { keepRefreshToken, refreshLoad } from './refresh.js';
import { distPath, freePort, killAllChildren, peakRssMb, spawnNode, waitForHealthy, type Spawned } from './processes.js';
import { createScratchDatabase, e164, seedCustomers } from './seed.js';

// ---------------------------------------------------------------------------------------------
// Settings

function positive(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const DURATION = positive('BENCH_DURATION_SECONDS', 10);
const WARMUP = positive('BENCH_WARMUP_SECONDS', 3);
const CONNECTIONS = Math.round(positive('BENCH_CONNECTIONS', 50));
const SEED_RATE = positive('BENCH_SEED_RATE', 20_000);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres';
// The heap cap `npm start` uses (package.json), then any extra flags.
const SERVICE_NODE_ARGS = ['--max-old-space-size=128', ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '')];
/** At most this long generating extra codes for the verify run, when the first batch is short. */
const TOPUP_MAX_SECONDS = Math.max(2 * DURATION, 5);
/** "rest" CPU (not the server, autocannon, fake Twilio or PostgreSQL) above this marks a run as noisy. */
const NOISY_REST_PERCENT = 25;
/** Bench customers' national numbers: one range per database and purpose, far apart. */
const RANGES = { sqliteLogin: 9_000_000_000, sqliteRegister: 9_600_000_000, postgresLogin: 9_100_000_000 };

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const SERVER_SCRIPT = distPath('../src/server.js');
const BASELINE_SCRIPT = distPath('./baseline-server.js');

const benchStarted = Date.now();
const elapsed = (): string => `${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(3)}s`;
const say = (line: string): void => console.log(`[${elapsed()}] ${line}`);
const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

// ---------------------------------------------------------------------------------------------
// Clean-up on every way out: children are killed by processes.ts on exit; these run before that.

const cleanups: Array<() => Promise<void> | void> = [];
async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the benchmark and its processes`);
    killAllChildren('SIGTERM');
    setTimeout(() => process.exit(130), 8000).unref();
    void runCleanups().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

// ---------------------------------------------------------------------------------------------
// Machine and run description

function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpuModel,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function gitDescription(): { commit: string; dirty: boolean } | undefined {
  try {
    const cwd = fileURLToPath(new URL('../../', import.meta.url));
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Service {
  name: string;
  database: 'sqlite' | 'postgres';
  dbConfig: DatabaseConfig;
  proc: Spawned;
  url: string;
  /** Processes whose CPU each run measures: the server, and PostgreSQL's processes when local. */
  pids: Record<string, number | number[]>;
  /** Looks the PostgreSQL processes up again (the pool opens connections as load arrives). */
  refreshPids(): Promise<void>;
}

/**
 * PostgreSQL's processes serving this database (backends, plus the background writer, checkpointer,
 * WAL writer and autovacuum), when the server runs on this machine; none when it does not.
 */
async function postgresPids(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where (datname = current_database() or datname is null) and pid <> pg_backend_pid()',
    );
    return rows.map((row) => row.pid).filter((pid) => existsSync(`/proc/${pid}/stat`) && /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
  } catch {
    return [];
  } finally {
    await client.end().catch(() => {});
  }
}

/** What the service is started with, secrets masked (printed and kept in the JSON). */
let serviceEnvShown: Record<string, string> | undefined;

async function startService(
  name: string,
  database: Service['database'],
  databaseUrl: string,
  dbConfig: DatabaseConfig,
  twilio: FakeTwilio,
  logPath: string,
): Promise<Service> {
  const port = await freePort();
  const env = loadTestServiceEnv({ databaseUrl, twilio, port });
  serviceEnvShown ??= Object.fromEntries(
    Object.entries(env)
      .filter(([key]) => key !== 'PATH')
      .map(([key, value]) => [
        key,
        key === 'JWT_SECRET' || key === 'TWILIO_AUTH_TOKEN' ? '<random>' : key === 'DATABASE_URL' || key === 'PORT' || key === 'TWILIO_API_BASE_URL' ? '<per run>' : value,
      ]),
  );
  const proc = spawnNode({ name, script: SERVER_SCRIPT, nodeArgs: SERVICE_NODE_ARGS, env, logPath });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(proc, `${url}/health`);
  const pids: Service['pids'] = { server: proc.pid };
  return {
    name,
    database,
    dbConfig,
    proc,
    url,
    pids,
    async refreshPids() {
      if (database !== 'postgres') return;
      const found = await postgresPids(databaseUrl);
      if (found.length > 0) pids.postgres = found;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Runs

interface Row {
  key: string;
  label: string;
  database: 'none' | 'sqlite' | 'postgres';
  method: string;
  path: string;
  warmup: LoadResult;
  result: LoadResult;
  /** Server process VmHWM after the run: the process's peak RSS so far. */
  peakRssMb: number;
  ratioPct?: number;
  /** Something else on the machine used much CPU during the run (see NOISY_REST_PERCENT). */
  noisy?: boolean;
  notes: string[];
}

const rows: Row[] = [];
const extraPhases: Array<{ what: string; result: LoadResult }> = [];
const benchNotes: string[] = [];

const CPU_NAMES: Record<string, string> = { postgres: 'PostgreSQL', twilio: 'fake Twilio', bench: 'autocannon', rest: 'rest' };

/** Where the CPU went besides the server: "fake Twilio 12%, autocannon 10%, rest 15%; machine 135% of 200%". */
function otherCpu(result: LoadResult): string {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const parts = Object.entries(result.cpuPercent)
    .filter(([name]) => CPU_NAMES[name] !== undefined)
    .map(([name, value]) => `${CPU_NAMES[name]} ${fmt(value)}%`);
  return `${parts.join(', ')}; machine ${fmt(result.cpuPercent.machine ?? Number.NaN)}% of ${cores * 100}%`;
}

function describeResult(result: LoadResult): string {
  return (
    `${fmt(result.reqPerSec)} req/s, p50 ${fmt(result.latencyMs.p50, 2)} ms, p99 ${fmt(result.latencyMs.p99, 2)} ms, ` +
    `errors ${result.errors}, server CPU ${fmt(result.cpuPercent.server ?? Number.NaN)}% (${otherCpu(result)})`
  );
}

function reportErrors(what: string, result: LoadResult): void {
  if (result.errors === 0) return;
  console.error(`  ${what}: ${result.errors} errors; status codes ${JSON.stringify(result.statusCodes)}`);
  for (const sample of result.errorSamples) console.error(`    ${sample}`);
}

/** Warm-up (not counted) then the measured run, both with fresh data from the same generator. */
async function warmAndMeasure(
  row: Omit<Row, 'warmup' | 'result' | 'peakRssMb' | 'notes'>,
  serverPid: number,
  load: (seconds: number) => LoadOptions,
  beforeMeasuring?: () => Promise<void>,
): Promise<Row> {
  // The first run (the baseline) also warms up autocannon itself: give it at least 3 s.
  const warmupSeconds = rows.length === 0 ? Math.max(WARMUP, 3) : WARMUP;
  say(`${row.label}: warm-up ${warmupSeconds} s`);
  const warmup = await runLoad(load(warmupSeconds));
  reportErrors(`${row.label} warm-up`, warmup);
  await beforeMeasuring?.();
  say(`${row.label}: measuring ${DURATION} s`);
  const result = await runLoad(load(DURATION));
  reportErrors(row.label, result);
  const measured: Row = { ...row, warmup, result, peakRssMb: peakRssMb(serverPid), notes: [] };
  say(`${row.label}: ${describeResult(result)}, peak RSS ${fmt(measured.peakRssMb)} MB`);
  rows.push(measured);
  return measured;
}

async function baselineRun(tmp: string, key: string, label: string): Promise<Row> {
  const port = await freePort();
  const proc = spawnNode({
    name: 'baseline',
    script: BASELINE_SCRIPT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port) },
    logPath: path.join(tmp, `${key}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealthy(proc, `${url}/health`);
    let id = 0;
    return await warmAndMeasure(
      { key, label, database: 'none', method: 'POST', path: '/echo' },
      proc.pid,
      (seconds) => ({
        url: `${url}/echo`,
        method: 'POST',
        connections: CONNECTIONS,
        durationSeconds: seconds,
        next: () => ({ body: JSON.stringify({ id: id++ }) }),
        check: (body) => body.includes('"success":true'),
        pids: { server: proc.pid },
      }),
    );
  } finally {
    await proc.stop();
  }
}

/** Phone numbers handed out one by one, each once; the seeded ones belong to existing customers. */
class NumberRange {
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

function requestOtpLoad(
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
    pids: { ...service.pids, twilio: twilio.proc.pid },
  });
}

const TOKEN = /"access_token":"([^"]+)"/;

/**
 * verify-login-otp: every code read from the fake Twilio is verified exactly once (a queue, each
 * entry handed to one request). The run is capped by the codes available; when the warm-up shows
 * the first batch will not last the measured run, more are made first (login traffic, not counted).
 */
async function verifyRun(
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
    pids: { ...service.pids },
  });
  const notes: string[] = [];

  if (codes.length < CONNECTIONS * 2) throw new Error(`${label}: only ${codes.length} codes to verify`);
  say(`${label}: warm-up ${WARMUP} s (${fmt(codes.length)} codes read from the fake Twilio)`);
  const warmup = await runLoad(load(WARMUP));
  reportErrors(`${label} warm-up`, warmup);

  // Enough codes for the measured run at the warm-up's rate, with room for it to run faster.
  const needed = Math.ceil(warmup.reqPerSec * DURATION * 2) + CONNECTIONS;
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

  await service.refreshPids();
  say(`${label}: measuring ${DURATION} s (${fmt(codes.length - cursor)} codes available)`);
  const result = await runLoad(load(DURATION));
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
async function loginRun(
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

async function meRun(key: string, label: string, service: Service, tokens: string[]): Promise<Row> {
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
      pids: { ...service.pids },
    }),
    () => service.refreshPids(),
  );
}

// ---------------------------------------------------------------------------------------------
// Report

interface TargetCheck {
  what: string;
  actual: string;
  ok: boolean;
}

function targetChecks(): TargetCheck[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const checks: TargetCheck[] = [];
  const ratio = (key: string, min: number): void => {
    const row = byKey.get(key);
    if (row?.ratioPct === undefined) return;
    checks.push({ what: `${row.label} >= ${min}% of baseline`, actual: `${fmt(row.ratioPct, 1)}%`, ok: row.ratioPct >= min });
  };
  ratio('sqlite.login', 15);
  ratio('sqlite.register', 15);
  ratio('sqlite.verify', 20);
  ratio('sqlite.me', 50);
  ratio('sqlite.refresh', 20);
  for (const row of rows) {
    if (row.key.startsWith('baseline')) continue;
    checks.push({ what: `${row.label} p99 <= 25 ms`, actual: `${fmt(row.result.latencyMs.p99, 2)} ms`, ok: row.result.latencyMs.p99 <= 25 });
  }
  for (const row of rows) {
    if (row.key.startsWith('baseline')) continue;
    checks.push({ what: `${row.label} peak RSS <= 200 MB`, actual: `${fmt(row.peakRssMb)} MB`, ok: row.peakRssMb <= 200 });
  }
  for (const [pgKey, sqliteKey] of [
    ['postgres.login', 'sqlite.login'],
    ['postgres.verify', 'sqlite.verify'],
  ] as const) {
    const pgRow = byKey.get(pgKey);
    const sqliteRow = byKey.get(sqliteKey);
    if (pgRow === undefined || sqliteRow === undefined) continue;
    const share = (pgRow.result.reqPerSec / sqliteRow.result.reqPerSec) * 100;
    checks.push({ what: `${pgRow.label} >= 50% of SQLite`, actual: `${fmt(share, 1)}%`, ok: share >= 50 });
  }
  const errors = rows.reduce((sum, row) => sum + row.result.errors + row.warmup.errors, 0) + extraPhases.reduce((sum, p) => sum + p.result.errors, 0);
  checks.push({ what: 'zero errors (warm-ups and code top-ups included)', actual: String(errors), ok: errors === 0 });
  return checks;
}

function table(): string {
  const header = ['run', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU %', 'peak RSS MB', 'vs baseline'];
  const body = rows.map((row) => [
    row.label + (row.notes.some((note) => note.startsWith('codes ran out')) ? ' *' : '') + (row.noisy ? ' !' : ''),
    fmt(row.result.reqPerSec),
    fmt(row.result.latencyMs.p50, 2),
    fmt(row.result.latencyMs.p99, 2),
    String(row.result.errors),
    fmt(row.result.cpuPercent.server ?? Number.NaN),
    fmt(row.peakRssMb),
    row.ratioPct === undefined ? '' : `${fmt(row.ratioPct, 1)}%`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const host = machine();
  const git = gitDescription();
  const startedAt = new Date();
  console.log('customer-auth benchmark');
  console.log(`machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGb} GB, ${host.platform}; Node ${host.node}`);
  if (git !== undefined) console.log(`code: ${git.commit}${git.dirty ? ' with uncommitted changes in src/' : ''}`);
  console.log(
    `runs: ${CONNECTIONS} connections, ${WARMUP} s warm-up (not counted) then ${DURATION} s measured, every request with distinct data`,
  );
  console.log('config: RATE_LIMIT_IP_MAX=0 (per-address rate limit OFF: all bench traffic comes from one address);');
  console.log('        resend cooldown stays on (every request-otp uses a number no other request used)');
  console.log(
    `note: autocannon runs in this process on the same ${host.cores} cores as the server (and the fake Twilio during request-otp runs);`,
  );
  console.log('      the baseline pays the same, so the ratios are fair; the absolute numbers are lower than on a separate load machine.');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'customer-auth-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const logs: Spawned[] = [];

  // 1. The ceiling.
  const baselineStart = await baselineRun(tmp, 'baseline', 'baseline (bare Fastify)');

  // 2. SQLite.
  const twilio = await startFakeTwilio();
  cleanups.push(() => twilio.proc.stop());
  say(`fake Twilio (pid ${twilio.proc.pid}) at ${twilio.url}`);

  const seedCount = Math.ceil(SEED_RATE * (WARMUP + DURATION));
  {
    const dbPath = path.join(tmp, 'bench.db');
    const dbConfig: DatabaseConfig = { kind: 'sqlite', path: dbPath };
    const loginRange = new NumberRange(RANGES.sqliteLogin, dbConfig);
    await loginRange.ensure(seedCount, true);
    const service = await startService('service (SQLite)', 'sqlite', `sqlite:${dbPath}`, dbConfig, twilio, path.join(tmp, 'service-sqlite.log'));
    logs.push(service.proc);
    cleanups.push(() => service.proc.stop());
    say(`service on SQLite (pid ${service.proc.pid}) at ${service.url}`);
    say(`service env: ${Object.entries(serviceEnvShown ?? {}).map(([key, value]) => `${key}=${value}`).join(' ')}`);

    const login = await loginRun('sqlite.login', 'SQLite request-otp (login)', service, twilio, loginRange);
    const registerRange = new NumberRange(RANGES.sqliteRegister);
    const registered: string[] = [];
    const register = requestOtpLoad(service, twilio, registerRange, 'register', registered);
    await warmAndMeasure(
      { key: 'sqlite.register', label: 'SQLite request-otp (register)', database: 'sqlite', method: 'POST', path: '/api/v1/auth/register' },
      service.proc.pid,
      (seconds) => register(seconds),
    );
    const tokens: string[] = [];
    const refreshTokens: string[] = [];
    await verifyRun('sqlite.verify', 'SQLite verify-login-otp', service, twilio, loginRange, login.codes, tokens, refreshTokens);
    await meRun('sqlite.me', 'SQLite GET /me', service, tokens);
    await warmAndMeasure(
      { key: 'sqlite.refresh', label: 'SQLite refresh', database: 'sqlite', method: 'POST', path: '/api/v1/auth/refresh' },
      service.proc.pid,
      refreshLoad(service.url, CONNECTIONS, service.pids, refreshTokens),
    );
    await service.proc.stop();
  }

  // 3. PostgreSQL, when reachable.
  if (POSTGRES_URL === 'off') {
    benchNotes.push('PostgreSQL runs skipped: BENCH_POSTGRES_URL=off');
    say('PostgreSQL: skipped (BENCH_POSTGRES_URL=off)');
  } else {
    const name = `bench_${randomBytes(6).toString('hex')}`;
    const scratch = await createScratchDatabase(POSTGRES_URL, name);
    if ('unreachable' in scratch) {
      const redacted = POSTGRES_URL.replace(/\/\/[^@/]*@/, '//<user>@');
      benchNotes.push(`PostgreSQL runs skipped: ${redacted} not reachable (${scratch.unreachable})`);
      say(`PostgreSQL: skipped, ${redacted} not reachable (${scratch.unreachable})`);
    } else {
      cleanups.push(() => scratch.drop());
      say(`PostgreSQL: fresh database ${scratch.name}`);
      const dbConfig: DatabaseConfig = { kind: 'postgres', url: scratch.url, poolMax: 10 };
      const loginRange = new NumberRange(RANGES.postgresLogin, dbConfig);
      await loginRange.ensure(seedCount, true);
      const service = await startService('service (PostgreSQL)', 'postgres', scratch.url, dbConfig, twilio, path.join(tmp, 'service-postgres.log'));
      logs.push(service.proc);
      cleanups.push(() => service.proc.stop());
      say(`service on PostgreSQL (pid ${service.proc.pid}) at ${service.url}`);
      const login = await loginRun('postgres.login', 'PostgreSQL request-otp (login)', service, twilio, loginRange);
      await verifyRun('postgres.verify', 'PostgreSQL verify-login-otp', service, twilio, loginRange, login.codes, []);
      await service.proc.stop();
      await scratch.drop();
      say(`PostgreSQL: dropped ${scratch.name}`);
    }
  }
  await twilio.proc.stop();

  // 4. The ceiling again: the higher of the two is the run's baseline (noise only ever lowers it).
  const baselineEnd = await baselineRun(tmp, 'baseline.end', 'baseline again (at the end)');
  const baseline = baselineEnd.result.reqPerSec > baselineStart.result.reqPerSec ? baselineEnd : baselineStart;

  // 5. Report.
  for (const row of rows) {
    row.noisy = (row.result.cpuPercent.rest ?? 0) > NOISY_REST_PERCENT;
    row.ratioPct = Math.round((row.result.reqPerSec / baseline.result.reqPerSec) * 1000) / 10;
  }
  const checks = targetChecks();
  const totalErrors = rows.reduce((sum, row) => sum + row.result.errors + row.warmup.errors, 0) + extraPhases.reduce((sum, p) => sum + p.result.errors, 0);

  console.log('');
  console.log(`customer-auth benchmark, ${startedAt.toISOString()}: ${host.cpuModel}, ${host.cores} cores, Node ${host.node}`);
  console.log(`${CONNECTIONS} connections, ${DURATION} s per run after ${WARMUP} s warm-up; RATE_LIMIT_IP_MAX=0 (per-address limit off for the bench)`);
  console.log('');
  console.log(table());
  console.log('');
  console.log('req/s = answers / wall time of the run; p50/p99 over every answer; errors = non-2xx + socket errors/timeouts + wrong bodies');
  console.log('(a verify without an access_token is a wrong body); server CPU % = utime+stime of the server process over the run, % of one core;');
  console.log('peak RSS = VmHWM of the server process (its lifetime peak so far);');
  console.log(`vs baseline = req/s / the higher of the two baseline runs (${fmt(baseline.result.reqPerSec)} req/s).`);
  console.log(`CPU besides the server on these ${host.cores} cores (autocannon = this process; rest = kernel loopback networking and`);
  console.log(`anything else running on the machine at the time; a rest over ${NOISY_REST_PERCENT}% marks a noisy run, "!" in the table):`);
  const labelWidth = Math.max(...rows.map((row) => row.label.length));
  for (const row of rows) console.log(`  ${row.label.padEnd(labelWidth)}  ${otherCpu(row.result)}`);
  for (const row of rows) for (const note of row.notes) console.log(`* ${row.label}: ${note}`);
  const noisy = rows.filter((row) => row.noisy);
  if (noisy.length > 0) {
    console.log(
      `! noisy: something else used over ${NOISY_REST_PERCENT}% CPU during ${noisy.map((row) => row.label).join(', ')}; ` +
        'those figures are low, rerun on a quiet machine to compare',
    );
  }
  for (const note of benchNotes) console.log(`note: ${note}`);
  console.log('');
  console.log('targets (issue 4; informative, only errors fail the bench):');
  for (const check of checks) console.log(`  ${check.ok ? 'ok  ' : 'MISS'}  ${check.what}: ${check.actual}`);

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: host,
    code: git,
    settings: { connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, seedRate: SEED_RATE, serviceNodeArgs: SERVICE_NODE_ARGS },
    serviceEnv: serviceEnvShown,
    notes: [
      'RATE_LIMIT_IP_MAX=0: the per-address rate limit is off (all bench traffic comes from one address)',
      `autocannon runs in the bench process on the same ${host.cores} cores as the server`,
      ...benchNotes,
    ],
    baselineReqPerSec: baseline.result.reqPerSec,
    baselineRuns: [baselineStart.result.reqPerSec, baselineEnd.result.reqPerSec],
    runs: rows,
    extraPhases,
    targets: checks,
    totalErrors,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(path.join(RESULTS_DIR, `${stamp}.json`), json);
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  console.log('');
  console.log(`results: bench/results/${stamp}.json (and bench/results/latest.json); took ${elapsed().trim()}`);

  if (totalErrors > 0) {
    console.error(`\nFAILED: ${totalErrors} requests errored`);
    for (const proc of logs) {
      const tail = proc.logTail(3000).trim();
      if (tail !== '') console.error(`--- ${proc.name} log (tail) ---\n${tail}`);
    }
    return 1;
  }
  return 0;
}

main()
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    if (rows.length > 0) {
      console.log('\nmeasured before the failure:\n');
      console.log(table());
    }
    console.error(`\nbenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await runCleanups();
    process.exit(1);
  });
