// What answering a request costs a server when the load generator has time to sleep between
// answers, against when it is kept busy: the bare baseline server, first as it is, then with
// a spin of a fixed length added to each request (a slower server on the same sockets and Fastify):
//   npm run bench:wakeup [-- work µs, comma-separated; default 0,50,100,150,250]
// The CPU the server spends per request beyond the synthetic work is its own overhead. On a
// machine where waking a sleeping process is expensive (a small VM: the write that delivers an
// answer over loopback wakes autocannon, costing an inter-processor interrupt), that overhead grows
// as the server gets slower, so a slow route pays a per-answer tax the bare baseline does not:
// the bench's "vs baseline" ratios of slower routes understate them on such a machine.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { baselineRun } from './runs.js';
import { CONNECTIONS, DURATION, fmt, machine } from './settings.js';

const works = (process.argv[2] ?? '0,50,100,150,250').split(',').map(Number);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'customer-auth-wakeup-'));
const host = machine();
const lines: string[] = [];
try {
  for (const workUs of works) {
    const row = await baselineRun(tmp, `work-${workUs}`, `baseline +${workUs} µs of work per request`, { BASELINE_WORK_MICROSECONDS: String(workUs) });
    const { reqPerSec, cpuPercent } = row.result;
    const cpuPerRequest = ((cpuPercent.server ?? 0) / 100 / reqPerSec) * 1e6;
    lines.push(`| ${workUs} | ${fmt(reqPerSec)} | ${fmt(cpuPerRequest)} | ${fmt(cpuPerRequest - workUs)} | ${fmt(cpuPercent.bench ?? 0)} |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${host.cpuModel}, ${host.cores} cores, ${host.platform}; Node ${host.node}; ${CONNECTIONS} connections, ${DURATION} s per run`);
console.log('| work added, µs/request | req/s | server CPU µs/request | overhead beyond the work | autocannon CPU % |');
console.log('|--:|--:|--:|--:|--:|');
for (const line of lines) console.log(line);
