// Prometheus metrics (prom-client): the Events port counted, HTTP requests timed, process defaults.
// One registry per app (tests run several apps in one process). Every label is bounded: route
// patterns (never URLs), calling codes (never numbers), catalogue codes, fixed outcomes.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryCounts } from '../delivery/delivery-stats.js';
import type { Events } from '../domain/ports.js';

export interface Metrics {
  registry: Registry;
  events: Events;
  /** One finished HTTP request: `route` is the pattern ("/api/v1/auth/login"), or "unmatched". */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

/** Latency buckets in seconds: the service answers in milliseconds; a provider timeout takes seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });

  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code; _count is the request count',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const requestChildren = new Map<string, ReturnType<typeof requests.labels>>();
  const delivery = ['channel', 'provider', 'destination'] as const;
  const codesRequested = counter('otp_codes_requested_total', 'Codes handed to a provider, by channel, provider and destination calling code', delivery);
  const codesDelivered = counter('otp_codes_delivered_total', 'Codes a provider accepted', delivery);
  const codesFailed = counter('otp_codes_failed_total', 'Codes a provider refused or did not answer for in time', delivery);
  const verifications = counter('otp_verifications_total', 'Verifies by outcome (success, invalid, expired, attempts_exceeded, not_found)', [
    'channel',
    'purpose',
    'destination',
    'outcome',
  ]);
  const registrations = counter('registrations_total', 'Accounts created by a verified registration', ['channel']);
  const logins = counter('logins_total', 'Successful logins', ['channel']);
  const refusals = counter('refusals_total', 'Requests refused, by catalogue code (OTP_COOLDOWN, RATE_LIMITED, every abuse limit) and status', [
    'code',
    'status_code',
  ]);
  const refreshes = counter('token_refreshes_total', 'Refresh-token rotations by outcome (success, reuse, invalid)', ['outcome']);

  const events: Events = {
    codeRequested: (d) => codesRequested.inc({ channel: d.channel, provider: d.provider, destination: d.destination }),
    codeDelivered: (d) => codesDelivered.inc({ channel: d.channel, provider: d.provider, destination: d.destination }),
    codeFailed: (d) => codesFailed.inc({ channel: d.channel, provider: d.provider, destination: d.destination }),
    verification: (outcome, c) => verifications.inc({ channel: c.channel, purpose: c.purpose, destination: c.destination, outcome }),
    registration: (c) => registrations.inc({ channel: c.channel }),
    login: (c) => logins.inc({ channel: c.channel }),
    refusal: (code, status) => refusals.inc({ code, status_code: String(status) }),
    refresh: (outcome) => refreshes.inc({ outcome }),
    // An operator's action from the CLI: a separate process, logged rather than counted.
    accountStatusChanged: () => {},
  };

  return {
    registry,
    events,
    observeRequest(method, route, statusCode, seconds) {
      // Each label set's child is looked up once: prom-client would otherwise hash the labels
      // object on every observation. Bounded like the labels themselves (route patterns).
      const key = `${method} ${statusCode} ${route}`;
      let child = requestChildren.get(key);
      if (child === undefined) {
        child = requests.labels({ method, route, status_code: String(statusCode) });
        requestChildren.set(key, child);
      }
      child.observe(seconds);
    },
  };
}

/**
 * SMS segments and Twilio delivery receipts (delivery/delivery-stats.ts keeps the running totals):
 * read at every scrape. Receipts are labelled by status, calling code and Twilio error code.
 */
export function exposeDeliveryCounts(metrics: Metrics, read: () => DeliveryCounts): void {
  const registers = [metrics.registry];
  new Counter({
    name: 'sms_sent_by_segments_total',
    help: 'SMS codes delivered, by the number of segments each one took (what the bill counts)',
    labelNames: ['segments'] as const,
    registers,
    collect() {
      this.reset();
      for (const [segments, count] of Object.entries(read().smsBySegments)) this.inc({ segments }, count);
    },
  });
  new Counter({
    name: 'sms_segments_total',
    help: 'SMS segments sent in all',
    registers,
    collect() {
      this.reset();
      this.inc(read().smsSegments);
    },
  });
  new Counter({
    name: 'sms_delivery_receipts_total',
    help: "Twilio status callbacks by final status (delivered, undelivered, failed), calling code and Twilio's error code",
    labelNames: ['status', 'calling_code', 'error_code'] as const,
    registers,
    collect() {
      this.reset();
      for (const receipt of read().receipts) {
        this.inc({ status: receipt.status, calling_code: receipt.callingCode, error_code: receipt.errorCode ?? 'none' }, receipt.count);
      }
    },
  });
}
