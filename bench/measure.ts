// One load run with autocannon's programmatic API: every request built on the fly (a distinct body
// or header each time), every answer checked, and the server's CPU measured over the same window.
// With a warm-up, warm-up and measured window are one run on the same connections: the answers of
// the first warmupSeconds are counted apart. Two runs, the second opening 50 new connections the
// moment the first closed its 50, put a burst at the start of the measured window that steady load
// never has (README, Performance: "One run, warm-up included").
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
  /**
   * The server process ("server") whose CPU is measured over the run, and other processes (or groups)
   * worth watching; a function is asked when the measured window starts (PostgreSQL's backends open
   * as load arrives).
   */
  pids?: Pids | (() => Pids);
  /** Answers in the first this many seconds are the warm-up, counted apart (LoadResult.warmup). */
  warmupSeconds?: number;
  /** Awaited when the warm-up ends, before the measured window's CPU is read. */
  atMeasureStart?(): Promise<void>;
}

type Pids = Record<string, number | number[]>;

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
  /** The warm-up of the same run (when warmupSeconds was given). */
  warmup?: LoadResult;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** What one phase of a run (warm-up or measured) saw. */
class Phase {
  latencies: number[] = [];
  statusCodes: Record<string, number> = {};
  errorSamples: string[] = [];
  ok = 0;
  non2xx = 0;
  badBodies = 0;
  socketErrors = 0;
  lastResponseAt = 0;
  cpuBefore = new Map<number, number>();
  benchBefore = process.cpuUsage();
  machineBefore = machineCpuSeconds();
  startedAt = performance.now();

  constructor(readonly pids: Pids) {
    for (const pid of Object.values(pids).flat()) {
      try {
        this.cpuBefore.set(pid, cpuSeconds(pid));
      } catch {
        // gone already: left out
      }
    }
  }

  sample(text: string): void {
    if (this.errorSamples.length < 5) this.errorSamples.push(text.slice(0, 300));
  }

  /** The phase's result, its CPU read now; `timeouts`: autocannon's count for the whole run. */
  finish(endedAt: number, timeouts: number, endedBy: LoadResult['endedBy']): LoadResult {
    const wallSeconds = (endedAt - this.startedAt) / 1000;
    const cpuPercent: Record<string, number> = {};
    for (const [name, group] of Object.entries(this.pids)) {
      let used = 0;
      let seen = 0;
      for (const pid of [group].flat()) {
        const before = this.cpuBefore.get(pid);
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
    const bench = process.cpuUsage(this.benchBefore);
    cpuPercent.bench = round(((bench.user + bench.system) / 1e6 / wallSeconds) * 100, 1);
    cpuPercent.machine = round(((machineCpuSeconds().busy - this.machineBefore.busy) / wallSeconds) * 100, 1);
    const ours = Object.entries(cpuPercent).reduce((sum, [name, value]) => (name === 'machine' ? sum : sum + (value || 0)), 0);
    cpuPercent.rest = round(Math.max(0, cpuPercent.machine - ours), 1);

    const { latencies } = this;
    const sorted = Float64Array.from(latencies).sort();
    const mean = latencies.length === 0 ? Number.NaN : latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
    const seconds = ((this.lastResponseAt || endedAt) - this.startedAt) / 1000;
    if (this.socketErrors > 0) this.sample(`${this.socketErrors} socket errors (${timeouts} timeouts in the whole run)`);
    return {
      responses: latencies.length,
      ok: this.ok,
      seconds: round(seconds, 3),
      reqPerSec: round(latencies.length / seconds, 0),
      latencyMs: {
        mean: round(mean),
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!),
      },
      non2xx: this.non2xx,
      socketErrors: this.socketErrors,
      timeouts,
      badBodies: this.badBodies,
      errors: this.socketErrors + this.non2xx + this.badBodies,
      statusCodes: this.statusCodes,
      errorSamples: this.errorSamples,
      cpuPercent,
      endedBy,
    };
  }
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise<LoadResult>((resolve, reject) => {
    const check = options.check;
    const onOk = options.onOk;
    const pidsNow = (): Pids => (typeof options.pids === 'function' ? options.pids() : (options.pids ?? {}));
    const warmupSeconds = options.warmupSeconds ?? 0;
    const totalSeconds = warmupSeconds + options.durationSeconds;
    const warmup = warmupSeconds > 0 ? new Phase(pidsNow()) : undefined;
    // Until the warm-up ends, answers land in the warm-up phase; then in the measured one.
    let phase: Phase = warmup ?? new Phase(pidsNow());
    let measured: Phase | undefined = warmup === undefined ? phase : undefined;
    let warmupEndedAt = 0;
    let warmupTimer: NodeJS.Timeout | undefined;
    if (warmup !== undefined) {
      warmupTimer = setTimeout(() => {
        warmupEndedAt = performance.now();
        const started = options.atMeasureStart?.() ?? Promise.resolve();
        // Answers that arrive while atMeasureStart runs still count as warm-up.
        void started.then(() => {
          measured = new Phase(pidsNow());
          phase = measured;
        }, reject);
      }, warmupSeconds * 1000);
    }

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
        ...(limited ? { amount: options.maxRequests } : { duration: totalSeconds }),
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
                phase.sample(`${status} ${body}`);
                return;
              }
              if (check !== undefined && !check(body, tag)) {
                phase.badBodies += 1;
                phase.sample(`${status} (unexpected body) ${body}`);
                return;
              }
              phase.ok += 1;
              onOk?.(body, tag);
            },
          },
        ],
      },
      (error, result) => {
        if (stopTimer !== undefined) clearTimeout(stopTimer);
        if (warmupTimer !== undefined) clearTimeout(warmupTimer);
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const endedAt = performance.now();
        const endedEarly = limited && (endedAt - (measured ?? phase).startedAt) / 1000 < options.durationSeconds - 0.2;
        const endedBy = endedEarly ? 'maxRequests' : 'duration';
        // A run that ended within its warm-up (a request cap) measured nothing: its warm-up is all there is.
        const main = measured ?? new Phase(pidsNow());
        // Every error autocannon counted is reported: any it did not announce goes to the measured window.
        const announced = (warmup?.socketErrors ?? 0) + (main === warmup ? 0 : main.socketErrors);
        if (result.errors > announced) main.socketErrors += result.errors - announced;
        const outcome = main.finish(endedAt, result.timeouts, endedBy);
        if (warmup !== undefined) outcome.warmup = warmup.finish(warmupEndedAt || endedAt, 0, 'duration');
        resolve(outcome);
      },
    );

    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
      phase.latencies.push(responseTimeMs);
      phase.statusCodes[status] = (phase.statusCodes[status] ?? 0) + 1;
      if (status < 200 || status > 299) phase.non2xx += 1;
      phase.lastResponseAt = performance.now();
    });
    instance.on('reqError', () => {
      phase.socketErrors += 1;
    });

    // With a request cap autocannon ignores the duration: stop it ourselves when the time is up.
    if (limited) stopTimer = setTimeout(() => instance.stop(), totalSeconds * 1000);
  });
}
