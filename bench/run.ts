// npm run bench: the service as its own production process on a fresh SQLite database (and on
// PostgreSQL when reachable), Twilio played by a local fake in its own process, load from autocannon
// in this process. Prints a table against a bare-Fastify baseline measured the same way (first and
// again last; the higher is the ceiling), writes JSON to bench/results/, and exits non-zero when any
// request errored. Order: baseline; SQLite login, register, verify (the login codes), /me (the verify
// tokens), refresh (the verify refresh tokens, each successor reused; bench/refresh.ts); PostgreSQL
// login and verify; baseline again. Between SQLite and PostgreSQL: metrics on against off (metrics-ab.ts).
//
// Settings (environment): BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (50),
// BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; "off" skips PostgreSQL),
// BENCH_SEED_RATE (20000: existing customers are seeded for this many logins/s over a run),
// BENCH_METRICS_AB ("off" skips the metrics-cost run), BENCH_METRICS_AB_SLICES (8), BENCH_METRICS_AB_SLICE_SECONDS (3),
// BENCH_PAIRS (6; "off" skips the paired slices), BENCH_PAIR_SLICE_SECONDS (2), BENCH_PAIR_WARMUP_SECONDS (1),
// BENCH_SERVICE_NODE_ARGS (extra node flags for the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import '../src/supported-node.js'; // first: refuses an unsupported Node.js before anything else loads
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DatabaseConfig } from '../src/config.js';
import { startFakeTwilio } from './fake-twilio-process.js';
import { metricsCostLines, metricsCostRun, type MetricsCost } from './metrics-ab.js';
import { killAllChildren, type Spawned } from './processes.js';
import { benchNotes, extraPhases, otherCpu, rows, table, targetChecks } from './report.js';
import { refreshLoad } from './refresh.js';
import { PAIRS, PAIR_SLICE_SECONDS, PAIR_WARMUP_SECONDS, startPairedBaseline, stopPairedBaseline } from './paired-baseline.js';
import { NumberRange, baselineRun, loginRun, meRun, requestOtpLoad, verifyRun, warmAndMeasure } from './runs.js';
import { createScratchDatabase } from './seed.js';
import { serviceEnvShown, startService } from './service-process.js';
import {
  CONNECTIONS,
  DURATION,
  METRICS_AB,
  NOISY_REST_PERCENT,
  POSTGRES_URL,
  RANGES,
  RESULTS_DIR,
  SEED_RATE,
  SERVICE_NODE_ARGS,
  WARMUP,
  elapsed,
  fmt,
  gitDescription,
  machine,
  say,
} from './settings.js';

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
// Main

/** What loadTestServiceEnv() turns off, and why (one load generator cannot pass them by design). */
const LIMITS_OFF =
  'IP_SEND_LIMIT, IP_VERIFY_LIMIT, IP_REQUEST_LIMIT off (all bench traffic comes from one address); ' +
  'SMS_BUDGET, SMS_BUDGET_PER_COUNTRY, SMS_GUARD_MIN_SENDS off (tens of thousands of codes an hour, most never verified)';

async function main(): Promise<number> {
  const host = machine();
  const git = gitDescription();
  const startedAt = new Date();
  console.log('customer-auth benchmark');
  console.log(`machine: ${host.cpuModel}, ${host.cores} cores, ${host.memoryGb} GB, ${host.platform}; Node ${host.node}`);
  if (git !== undefined) console.log(`code: ${git.commit}${git.dirty ? ' with uncommitted changes in src/' : ''}`);
  console.log(
    `runs: ${CONNECTIONS} connections, ${WARMUP} s warm-up (not counted) then ${DURATION} s measured on the same connections, every request with distinct data`,
  );
  console.log(`config: ${LIMITS_OFF}`);
  console.log('        resend cooldown, per-identifier send cap (OTP_SEND_LIMIT) and guess budget stay on at their defaults');
  console.log('        (every request-otp uses a number no other request used)');
  console.log(
    `note: autocannon runs in this process on the same ${host.cores} cores as the server (and the fake Twilio during request-otp runs);`,
  );
  console.log('      the baseline pays the same, so the ratios are fair; the absolute numbers are lower than on a separate load machine.');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'customer-auth-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const logs: Spawned[] = [];

  // 1. The ceiling.
  const baselineStart = await baselineRun(tmp, 'baseline', 'baseline (bare Fastify)');
  await startPairedBaseline(tmp);
  cleanups.push(() => stopPairedBaseline());

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

  // 2b. What metrics cost request-otp: metrics on against off, alternating (metrics-ab.ts).
  const metricsCost: MetricsCost | undefined = METRICS_AB ? await metricsCostRun(tmp, twilio) : undefined;
  if (!METRICS_AB) benchNotes.push('metrics cost run skipped: BENCH_METRICS_AB=off');

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

  await stopPairedBaseline();
  // 4. The ceiling again: the higher of the two is the run's baseline (noise only ever lowers it).
  const baselineEnd = await baselineRun(tmp, 'baseline.end', 'baseline again (at the end)');
  const baseline = baselineEnd.result.reqPerSec > baselineStart.result.reqPerSec ? baselineEnd : baselineStart;

  // 5. Report.
  for (const row of rows) {
    row.noisy = (row.result.cpuPercent.rest ?? 0) > NOISY_REST_PERCENT;
    row.ratioPct = Math.round((row.result.reqPerSec / baseline.result.reqPerSec) * 1000) / 10;
  }
  const checks = targetChecks();
  if (metricsCost !== undefined) {
    checks.splice(checks.length - 1, 0, {
      what: 'metrics cost <= 5% of request-otp throughput (on against off, alternating)',
      actual: `${fmt(metricsCost.throughputCostPct, 1)}% (CPU per request ${fmt(metricsCost.cpuCostPct, 1)}%)`,
      ok: metricsCost.throughputCostPct <= 5,
    });
  }
  const totalErrors = rows.reduce((sum, row) => sum + row.result.errors + row.warmup.errors + (row.pairedErrors ?? 0), 0) + extraPhases.reduce((sum, p) => sum + p.result.errors, 0);

  console.log('');
  console.log(`customer-auth benchmark, ${startedAt.toISOString()}: ${host.cpuModel}, ${host.cores} cores, Node ${host.node}`);
  console.log(`${CONNECTIONS} connections, ${DURATION} s per run after ${WARMUP} s warm-up; ${LIMITS_OFF}`);
  console.log('');
  console.log(table());
  console.log('');
  console.log('req/s = answers / wall time of the run; p50/p99 over every answer; errors = non-2xx + socket errors/timeouts + wrong bodies');
  console.log('(a verify without an access_token is a wrong body); server CPU % = utime+stime of the server process over the run, % of one core;');
  console.log('peak RSS = VmHWM of the server process (its lifetime peak so far);');
  console.log(`vs baseline = req/s / the higher of the two baseline runs (${fmt(baseline.result.reqPerSec)} req/s);`);
  if (PAIRS === 0) console.log('vs paired baseline: not measured (BENCH_PAIRS=off).');
  else {
    console.log(`vs paired baseline = after the measured run, ${PAIRS} pairs of ${PAIR_SLICE_SECONDS} s slices (each after ${PAIR_WARMUP_SECONDS} s of warm-up on its connections), the row and a bare-Fastify baseline taking turns (ABBA);`);
    console.log('  the median of the pairs\' row / baseline (robust to a machine whose speed drifts within seconds).');
  }
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
  if (metricsCost !== undefined) console.log(['', ...metricsCostLines(metricsCost)].join('\n'));
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
      LIMITS_OFF,
      `autocannon runs in the bench process on the same ${host.cores} cores as the server`,
      ...benchNotes,
    ],
    baselineReqPerSec: baseline.result.reqPerSec,
    baselineRuns: [baselineStart.result.reqPerSec, baselineEnd.result.reqPerSec],
    runs: rows,
    extraPhases,
    metricsCost,
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

