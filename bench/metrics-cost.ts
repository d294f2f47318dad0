// What Prometheus metrics cost a code request, through the service's own metrics module
// (src/observability/metrics.ts over prom-client), one core, no I/O:
//   node dist/bench/metrics-cost.js [iterations]
// A request-otp with METRICS_ENABLED=true does, beyond what it does without: one latency histogram
// observation (method, route, status) and two delivery counters (requested, delivered by channel,
// provider, calling code). A verify does one histogram observation and one or two counters, /me one
// observation. Measured as this process's CPU time (user + system), as token-cost.ts does; set the
// result against the service's CPU per request in `npm run bench` (server CPU / req/s).
import { createMetrics } from '../src/observability/metrics.js';

const iterations = Number(process.argv[2] ?? 200_000);
const COUNTRIES = ['+91', '+1', '+44', '+49', '+61', '+971'];

function microsecondsPer(work: (index: number) => void): number {
  for (let i = 0; i < Math.min(10_000, iterations); i++) work(i); // warm-up
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i++) work(i);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / iterations;
}

const metrics = createMetrics();
const codeRequest = microsecondsPer((i) => {
  const delivery = { channel: 'phone' as const, provider: 'twilio', destination: COUNTRIES[i % COUNTRIES.length]! };
  metrics.events.codeRequested(delivery);
  metrics.events.codeDelivered(delivery);
  metrics.observeRequest('POST', '/api/v1/auth/customer/login/request-otp', 200, 0.004 + (i % 50) / 1000);
});
const me = microsecondsPer((i) => metrics.observeRequest('GET', '/api/v1/auth/me', 200, 0.001 + (i % 20) / 1000));

console.log(`Node ${process.version}, ${iterations} requests per measurement`);
console.log('| request | metrics, CPU µs/request |');
console.log('|:--|--:|');
console.log(`| request-otp (histogram + 2 counters) | ${codeRequest.toFixed(2)} |`);
console.log(`| GET /me (histogram) | ${me.toFixed(2)} |`);
