// What collecting Prometheus metrics costs request-otp (issue 11: at most 5% of its throughput),
// measured finely enough to tell. One run of a row against another swings by a third on a 2-core
// machine, far more than the few percent in question; so two services run side by side, the same
// but for METRICS_ENABLED (true and false), each on its own fresh SQLite database with the same
// seeded customers, and login request-otp load alternates between them in short slices, in ABBA
// order, so that whatever the machine does meanwhile falls on both alike. The cost is the median,
// over the pairs of neighbouring slices, of one side against the other: a slice that something else
// on the machine slowed down (one in a few runs loses a third) moves a median of eight very little.
// Two figures come out: req/s, and the server's CPU time per request (the server is the
// bottleneck, so throughput follows it).
import path from 'node:path';
import type { DatabaseConfig } from '../src/config.js';
import type { FakeTwilio } from './fake-twilio-process.js';
import { runLoad, type LoadResult } from './measure.js';
import { extraPhases, reportErrors } from './report.js';
import { NumberRange, requestOtpLoad } from './runs.js';
import { startService, type Service } from './service-process.js';
import { RANGES, SEED_RATE, fmt, positive, say } from './settings.js';

/** Slices per side (an even number, at least 2: ABBA), and each slice's length. */
const SLICES = Math.max(2, 2 * Math.round(positive('BENCH_METRICS_AB_SLICES', 8) / 2));
const SLICE_SECONDS = positive('BENCH_METRICS_AB_SLICE_SECONDS', 3);
const WARMUP_SECONDS = 3;

interface Side {
  label: string;
  service: Service;
  range: NumberRange;
  slices: LoadResult[];
}

export interface MetricsCost {
  slices: number;
  sliceSeconds: number;
  on: { reqPerSec: number; cpuMicrosecondsPerRequest: number; sliceReqPerSec: number[] };
  off: { reqPerSec: number; cpuMicrosecondsPerRequest: number; sliceReqPerSec: number[] };
  /**
   * What metrics cost, the median over neighbouring on/off slice pairs: 100 × (1 − on/off) for
   * throughput, 100 × (on/off − 1) for CPU per request.
   */
  throughputCostPct: number;
  cpuCostPct: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const pct = (value: number): number => Math.round(value * 1000) / 10;

function totals(slices: LoadResult[]): { reqPerSec: number; cpuMicrosecondsPerRequest: number } {
  const responses = slices.reduce((sum, slice) => sum + slice.responses, 0);
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  const cpuSeconds = slices.reduce((sum, slice) => sum + ((slice.cpuPercent.server ?? Number.NaN) / 100) * slice.seconds, 0);
  return { reqPerSec: responses / seconds, cpuMicrosecondsPerRequest: (cpuSeconds / responses) * 1e6 };
}

export async function metricsCostRun(tmp: string, twilio: FakeTwilio): Promise<MetricsCost> {
  const seed = Math.ceil(SEED_RATE * (WARMUP_SECONDS + SLICES * SLICE_SECONDS));
  const sides: Side[] = [];
  try {
    for (const metrics of ['true', 'false'] as const) {
      const dbPath = path.join(tmp, `metrics-${metrics}.db`);
      const dbConfig: DatabaseConfig = { kind: 'sqlite', path: dbPath };
      const range = new NumberRange(RANGES.sqliteLogin, dbConfig);
      await range.ensure(seed, true);
      const name = `service (SQLite, METRICS_ENABLED=${metrics})`;
      const service = await startService(name, 'sqlite', `sqlite:${dbPath}`, dbConfig, twilio, path.join(tmp, `service-metrics-${metrics}.log`), {
        METRICS_ENABLED: metrics,
      });
      sides.push({ label: `metrics ${metrics === 'true' ? 'on' : 'off'}`, service, range, slices: [] });
    }
    // requestOtpLoad already watches the server's and the fake Twilio's CPU.
    const load = (side: Side, seconds: number) => runLoad(requestOtpLoad(side.service, twilio, side.range, 'login', [])(seconds));
    for (const side of sides) {
      say(`metrics cost: ${side.label}: warm-up ${WARMUP_SECONDS} s`);
      const warmup = await load(side, WARMUP_SECONDS);
      reportErrors(`metrics cost ${side.label} warm-up`, warmup);
      extraPhases.push({ what: `metrics cost, ${side.label}, warm-up`, result: warmup });
    }
    say(`metrics cost: ${SLICES} slices of ${SLICE_SECONDS} s per side, alternating (ABBA)`);
    for (let slice = 0; slice < SLICES; slice++) {
      const order = slice % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const result = await load(side, SLICE_SECONDS);
        reportErrors(`metrics cost ${side.label} slice ${slice + 1}`, result);
        extraPhases.push({ what: `metrics cost, ${side.label}, slice ${slice + 1}`, result });
        side.slices.push(result);
      }
    }
    const [on, off] = sides.map((side) => ({ ...totals(side.slices), sliceReqPerSec: side.slices.map((slice) => slice.reqPerSec) })) as [
      MetricsCost['on'],
      MetricsCost['off'],
    ];
    const pairs = sides[0]!.slices.map((slice, index) => [slice, sides[1]!.slices[index]!] as const);
    const cost: MetricsCost = {
      slices: SLICES,
      sliceSeconds: SLICE_SECONDS,
      on,
      off,
      throughputCostPct: pct(1 - median(pairs.map(([a, b]) => a.reqPerSec / b.reqPerSec))),
      cpuCostPct: pct(median(pairs.map(([a, b]) => totals([a]).cpuMicrosecondsPerRequest / totals([b]).cpuMicrosecondsPerRequest)) - 1),
    };
    say(
      `metrics cost: on ${fmt(on.reqPerSec)} req/s (${fmt(on.cpuMicrosecondsPerRequest)} µs CPU/request), ` +
        `off ${fmt(off.reqPerSec)} req/s (${fmt(off.cpuMicrosecondsPerRequest)} µs CPU/request): ` +
        `throughput ${fmt(cost.throughputCostPct, 1)}%, CPU per request ${fmt(cost.cpuCostPct, 1)}%`,
    );
    return cost;
  } finally {
    for (const side of sides) await side.service.proc.stop();
  }
}

/** The lines the report prints under the table. */
export function metricsCostLines(cost: MetricsCost): string[] {
  const line = (label: string, side: MetricsCost['on']) =>
    `| SQLite request-otp (login), ${label} | ${fmt(side.reqPerSec)} | ${fmt(side.cpuMicrosecondsPerRequest)} | ` +
    `${fmt(Math.min(...side.sliceReqPerSec))}-${fmt(Math.max(...side.sliceReqPerSec))} |`;
  return [
    `metrics cost (issue 11): two services, METRICS_ENABLED=true and false, ${cost.slices} alternating ${cost.sliceSeconds} s slices each (ABBA):`,
    '',
    '| run | req/s | server CPU µs/request | slices, req/s |',
    '|:--|--:|--:|--:|',
    line('metrics on', cost.on),
    line('metrics off', cost.off),
    '',
    `metrics cost (median of the ${cost.slices} slice pairs): ${fmt(cost.throughputCostPct, 1)}% of request-otp throughput, ` +
      `${fmt(cost.cpuCostPct, 1)}% more server CPU per request`,
  ];
}
