// What answering a request costs a server when the load generator has time to sleep between
// answers, against when it is kept busy: the bare baseline server, first as it is, then with
// synthetic CPU work added to each request (a slower server on the same sockets and Fastify):
//   npm run build && node dist/bench/wakeup-cost.js [work µs, comma-separated; default 0,50,100,150]
// The CPU the server spends per request beyond the synthetic work is its own overhead. On a
// machine where waking a sleeping process is expensive (a small VM: the write that delivers an
// answer over loopback wakes autocannon, costing an inter-processor interrupt), that overhead grows
// as the server gets slower, so a slow route pays a per-answer tax the bare baseline does not:
// the bench's "vs baseline" ratios of slower routes understate them on such a machine.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { runLoad } from './measure.js';
import { freePort, spawnNode, waitForHealthy } from './processes.js';
import { BASELINE_SCRIPT, CONNECTIONS, DURATION, WARMUP, fmt, machine } from './settings.js';

const works = (process.argv[2] ?? '0,50,100,150').split(',').map(Number);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'customer-auth-wakeup-'));
const host = machine();
console.log(`${host.cpuModel}, ${host.cores} cores, ${host.platform}; Node ${host.node}; ${CONNECTIONS} connections, ${DURATION} s per run`);
console.log('| synthetic work µs/request | req/s | server CPU µs/request | of which overhead (CPU - work) | autocannon CPU % |');
console.log('|--:|--:|--:|--:|--:|');
try {
  for (const workUs of works) {
    const port = await freePort();
    const proc = spawnNode({
      name: `baseline +${workUs} µs`,
      script: BASELINE_SCRIPT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), BASELINE_WORK_MICROSECONDS: String(workUs) },
      logPath: path.join(tmp, `baseline-${workUs}.log`),
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitForHealthy(proc, `${url}/health`);
      let id = 0;
      const load = (seconds: number) => ({
        url: `${url}/echo`,
        method: 'POST' as const,
        connections: CONNECTIONS,
        durationSeconds: seconds,
        next: () => ({ body: JSON.stringify({ id: id++ }) }),
        pids: { server: proc.pid },
      });
      await runLoad(load(WARMUP));
      const result = await runLoad(load(DURATION));
      const cpuPerRequest = ((result.cpuPercent.server ?? 0) / 100 / result.reqPerSec) * 1e6;
      console.log(
        `| ${workUs} | ${fmt(result.reqPerSec)} | ${fmt(cpuPerRequest)} | ${fmt(cpuPerRequest - workUs)} | ${fmt(result.cpuPercent.bench ?? 0)} |`,
      );
    } finally {
      await proc.stop();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
