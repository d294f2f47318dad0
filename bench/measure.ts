// One load run with autocannon's programmatic API: every request built on the fly (a distinct body
// or header each time), every answer checked, and the server's CPU measured over the same window.
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, machineCpuSeconds } from './processes.js';

export interface Outgoing {
  body?: string;
  headers?: Record<string, string>;
  /** Handed back with the answer (e.g. the phone number the request was for). */
  tag?: unknown;
}

export interface LoadOptions {
  /** Full URL of the route. */
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  durationSeconds: number;
  /** At most this many requests (e.g. the codes available); the run ends early when they are used. */
  maxRequests?: number;
  /** The next request; called once per request sent. */
  next(): Outgoing;
  /** Whether a 2xx answer's body is right; a wrong one counts as an error. Default: any 2xx is right. */
  check?(body: string, tag: unknown): boolean;
  /** Every 2xx answer whose body passed check(). */
  onOk?(body: string, tag: unknown): void;
  /** The server process ("server") whose CPU is measured over the run, and other processes (or groups) worth watching. */
  pids?: Record<string, number | number[]>;
}

export interface LoadResult {
  /** Answers received (any status). */
  responses: number;
  ok: number;
  /** Wall time from the start to the last answer. */
  seconds: number;
  reqPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  /** Socket errors and timeouts as autocannon counts them (timeouts are included in it). */
  socketErrors: number;
  timeouts: number;
  badBodies: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** A few of the wrong answers, to say what went wrong. */
  errorSamples: string[];
  /**
   * CPU % of one core over the run, per process in pids, plus "bench" (this process: autocannon),
   * "machine" (every core together: 200% is a 2-core machine flat out) and "rest" (the machine less
   * those processes: the kernel's loopback networking, and anything else running at the same time).
   */
  cpuPercent: Record<string, number>;
  endedBy: 'duration' | 'maxRequests';
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise<LoadResult>((resolve, reject) => {
    const latencies: number[] = [];
    const statusCodes: Record<string, number> = {};
    const errorSamples: string[] = [];
    let badBodies = 0;
    let ok = 0;
    let lastResponseAt = 0;
    const check = options.check;
    const onOk = options.onOk;
    const pids = options.pids ?? {};

    const cpuBefore = new Map<number, number>();
    for (const pid of Object.values(pids).flat()) {
      try {
        cpuBefore.set(pid, cpuSeconds(pid));
      } catch {
        // gone already: left out
      }
    }
    const benchBefore = process.cpuUsage();
    const machineBefore = machineCpuSeconds();
    const startedAt = performance.now();

    const sample = (text: string): void => {
      if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
    };

    const limited = options.maxRequests !== undefined;
    if (limited && options.maxRequests! < options.connections) {
      reject(new Error(`only ${options.maxRequests} requests available for ${options.connections} connections`));
      return;
    }

    let stopTimer: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: options.url,
        method: options.method,
        connections: options.connections,
        timeout: 10,
        // Samples every 100 ms so that a stop() takes effect within 100 ms.
        sampleInt: 100,
        ...(limited ? { amount: options.maxRequests } : { duration: options.durationSeconds }),
        headers: options.method === 'POST' ? { 'content-type': 'application/json' } : {},
        requests: [
          {
            setupRequest(request, context) {
              const outgoing = options.next();
              (context as { tag?: unknown }).tag = outgoing.tag;
              if (outgoing.body !== undefined) request.body = outgoing.body;
              if (outgoing.headers !== undefined) request.headers = { ...request.headers, ...outgoing.headers };
              return request;
            },
            onResponse(status, body, context) {
              const tag = (context as { tag?: unknown }).tag;
              if (status < 200 || status > 299) {
                sample(`${status} ${body}`);
                return;
              }
              if (check !== undefined && !check(body, tag)) {
                badBodies += 1;
                sample(`${status} (unexpected body) ${body}`);
                return;
              }
              ok += 1;
              onOk?.(body, tag);
            },
          },
        ],
      },
      (error, result) => {
        if (stopTimer !== undefined) clearTimeout(stopTimer);
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const endedAt = performance.now();
        const cpuPercent: Record<string, number> = {};
        const wallSeconds = (endedAt - startedAt) / 1000;
        for (const [name, group] of Object.entries(pids)) {
          let used = 0;
          let seen = 0;
          for (const pid of [group].flat()) {
            const before = cpuBefore.get(pid);
            if (before === undefined) continue;
            try {
              used += cpuSeconds(pid) - before;
              seen += 1;
            } catch {
              // exited during the run: its share is unknown
            }
          }
          cpuPercent[name] = seen === 0 ? Number.NaN : round((used / wallSeconds) * 100, 1);
        }
        const bench = process.cpuUsage(benchBefore);
        cpuPercent.bench = round(((bench.user + bench.system) / 1e6 / wallSeconds) * 100, 1);
        const machineAfter = machineCpuSeconds();
        cpuPercent.machine = round(((machineAfter.busy - machineBefore.busy) / wallSeconds) * 100, 1);
        const ours = Object.entries(cpuPercent).reduce((sum, [name, value]) => (name === 'machine' ? sum : sum + (value || 0)), 0);
        cpuPercent.rest = round(Math.max(0, cpuPercent.machine - ours), 1);

        const sorted = Float64Array.from(latencies).sort();
        const mean = latencies.length === 0 ? Number.NaN : latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
        const seconds = ((lastResponseAt || endedAt) - startedAt) / 1000;
        for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
          statusCodes[code] = (stats as { count: number }).count;
        }
        const socketErrors = result.errors;
        const errors = socketErrors + result.non2xx + badBodies;
        if (socketErrors > 0) sample(`${socketErrors} socket errors (${result.timeouts} timeouts)`);
        resolve({
          responses: latencies.length,
          ok,
          seconds: round(seconds, 3),
          reqPerSec: round(latencies.length / seconds, 0),
          latencyMs: {
            mean: round(mean),
            p50: round(percentile(sorted, 50)),
            p90: round(percentile(sorted, 90)),
            p99: round(percentile(sorted, 99)),
            max: round(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!),
          },
          non2xx: result.non2xx,
          socketErrors,
          timeouts: result.timeouts,
          badBodies,
          errors,
          statusCodes,
          errorSamples,
          cpuPercent,
          endedBy: limited && seconds < options.durationSeconds - 0.2 ? 'maxRequests' : 'duration',
        });
      },
    );

    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      latencies.push(responseTimeMs);
      lastResponseAt = performance.now();
    });

    // With a request cap autocannon ignores the duration: stop it ourselves when the time is up.
    if (limited) stopTimer = setTimeout(() => instance.stop(), options.durationSeconds * 1000);
  });
}
