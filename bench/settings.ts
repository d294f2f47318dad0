// The bench's settings (environment, see run.ts), its clock and log line, and the machine it runs on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { distPath } from './processes.js';

export function positive(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

export const DURATION = positive('BENCH_DURATION_SECONDS', 10);
export const WARMUP = positive('BENCH_WARMUP_SECONDS', 3);
export const CONNECTIONS = Math.round(positive('BENCH_CONNECTIONS', 50));
export const SEED_RATE = positive('BENCH_SEED_RATE', 20_000);
/** BENCH_METRICS_AB=off skips the metrics-cost run (metrics-ab.ts). */
export const METRICS_AB = process.env.BENCH_METRICS_AB?.trim() !== 'off';
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres';
// The heap caps `npm start` uses (package.json), then any extra flags.
export const SERVICE_NODE_ARGS = ['--max-old-space-size=128', '--max-semi-space-size=16', ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '')];
/** At most this long generating extra codes for the verify run, when the first batch is short. */
export const TOPUP_MAX_SECONDS = Math.max(2 * DURATION, 5);
/** "rest" CPU (not the server, autocannon, fake Twilio or PostgreSQL) above this marks a run as noisy. */
export const NOISY_REST_PERCENT = 25;
/** Bench customers' national numbers: one range per database and purpose, far apart. */
export const RANGES = { sqliteLogin: 9_000_000_000, sqliteRegister: 9_600_000_000, postgresLogin: 9_100_000_000 };

export const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
export const SERVER_SCRIPT = distPath('../src/server.js');
export const BASELINE_SCRIPT = distPath('./baseline-server.js');

export const benchStarted = Date.now();
export const elapsed = (): string => `${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(3)}s`;
export const say = (line: string): void => console.log(`[${elapsed()}] ${line}`);
export const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';


export function machine() {
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

export function gitDescription(): { commit: string; dirty: boolean } | undefined {
  try {
    const cwd = fileURLToPath(new URL('../../', import.meta.url));
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return undefined;
  }
}

