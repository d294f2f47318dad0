// The baseline beside each row, measured in alternating slices. On a machine whose speed drifts
// (this one's bare-Fastify ceiling moved between 14,000 and 26,000 req/s within one bench, and by
// half within ten seconds), a row measured minutes after the baseline runs says little against
// them. So a bare-Fastify server stays up for the whole bench, and after each SQLite row's measured
// run the row and the baseline take turns in short slices (ABBA, as metrics-ab.ts does); the row's
// "vs paired baseline" figure is the median, over neighbouring pairs of slices, of row / baseline.
// A slice the machine slowed down moves a median of several pairs very little. The classic figure
// against the runs at the start and the end stays beside it. Each slice is measured like a row: a
// short warm-up on the same connections first (measure.ts), so that no slice starts with a burst.
import path from 'node:path';
import { runLoad, type LoadOptions, type LoadResult } from './measure.js';
import { freePort, spawnNode, waitForHealthy, type Spawned } from './processes.js';
import { reportErrors } from './report.js';
import { BASELINE_SCRIPT, CONNECTIONS, fmt, positive, say } from './settings.js';

/** Pairs of slices per row (an even number: ABBA; BENCH_PAIRS=off: none), and each slice's length. */
const PAIRS_OFF = process.env.BENCH_PAIRS?.trim() === 'off';
export const PAIRS = PAIRS_OFF ? 0 : Math.max(2, 2 * Math.round(positive('BENCH_PAIRS', 6) / 2));
export const PAIR_SLICE_SECONDS = positive('BENCH_PAIR_SLICE_SECONDS', 2);
/** Each slice's warm-up on its own connections, not counted. */
export const PAIR_WARMUP_SECONDS = positive('BENCH_PAIR_WARMUP_SECONDS', 1);

/** One slice: warm-up then measured window in one run; a wrong answer in either counts as an error. */
async function slice(options: LoadOptions): Promise<LoadResult> {
  const result = await runLoad({ ...options, warmupSeconds: PAIR_WARMUP_SECONDS });
  const warmupErrors = result.warmup?.errors ?? 0;
  if (warmupErrors > 0) {
    result.errors += warmupErrors;
    result.errorSamples.push(...(result.warmup?.errorSamples ?? []));
  }
  delete result.warmup;
  return result;
}

/** The load on a bare-Fastify baseline server (baseline-server.ts) at `url`: POST /echo, each body distinct. */
export function echoLoad(url: string, pid: number): (seconds: number) => LoadOptions {
  let id = 0;
  return (seconds) => ({
    url: `${url}/echo`,
    method: 'POST',
    connections: CONNECTIONS,
    durationSeconds: seconds,
    next: () => ({ body: JSON.stringify({ id: id++ }) }),
    check: (body) => body.includes('"success":true'),
    pids: { server: pid },
  });
}

let server: { proc: Spawned; load: (seconds: number) => LoadOptions } | undefined;

/** Starts the paired baseline server and warms it (not measured). BENCH_PAIRS=off: none. */
export async function startPairedBaseline(tmp: string): Promise<void> {
  if (PAIRS_OFF) return;
  const port = await freePort();
  const proc = spawnNode({
    name: 'paired baseline',
    script: BASELINE_SCRIPT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port) },
    logPath: path.join(tmp, 'baseline-paired.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(proc, `${url}/health`);
  server = { proc, load: echoLoad(url, proc.pid) };
  await baselineSlice(3);
}

export async function stopPairedBaseline(): Promise<void> {
  await server?.proc.stop();
  server = undefined;
}

async function baselineSlice(seconds: number): Promise<number> {
  if (server === undefined) return Number.NaN;
  const result = await slice(server.load(seconds));
  reportErrors('paired baseline slice', result);
  return result.errors === 0 ? result.reqPerSec : Number.NaN;
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The row against the baseline in PAIRS alternating pairs of slices: the median of the pairs'
 * ratios, in percent (undefined without the paired baseline server). Errors in the row's slices
 * count like any other (they are returned for the bench's error total).
 */
export async function pairedRatio(label: string, load: (seconds: number) => LoadOptions): Promise<{ ratioPct: number | undefined; errors: number }> {
  if (server === undefined) return { ratioPct: undefined, errors: 0 };
  const ratios: number[] = [];
  let errors = 0;
  for (let pair = 0; pair < PAIRS; pair++) {
    let row: LoadResult;
    let baseline: number;
    if (pair % 2 === 0) {
      row = await slice(load(PAIR_SLICE_SECONDS));
      baseline = await baselineSlice(PAIR_SLICE_SECONDS);
    } else {
      baseline = await baselineSlice(PAIR_SLICE_SECONDS);
      row = await slice(load(PAIR_SLICE_SECONDS));
    }
    reportErrors(`${label} paired slice ${pair + 1}`, row);
    errors += row.errors;
    ratios.push(row.reqPerSec / baseline);
  }
  const ratioPct = Math.round(median(ratios) * 1000) / 10;
  say(`${label}: ${PAIRS} paired slices of ${PAIR_SLICE_SECONDS} s, row / baseline ${ratios.map((r) => `${fmt(r * 100, 1)}%`).join(' ')}; median ${fmt(ratioPct, 1)}%`);
  return { ratioPct: Number.isFinite(ratioPct) ? ratioPct : undefined, errors };
}
