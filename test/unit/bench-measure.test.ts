// The bench's load runner (bench/measure.ts): with a warm-up, warm-up and measured window are one
// run on the same connections, and each answer is counted in the phase it arrived in. A local
// server answers 503 until told otherwise, so a wrong answer shows which phase counted it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/measure.js';

let server: Server;
let url: string;
let healthy = false;
const connections = new Set<unknown>();

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    response.end(healthy ? '{"success":true}' : '{"success":false}');
  });
  server.on('connection', (socket) => connections.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('runLoad with a warm-up', () => {
  it('counts the warm-up apart, measures after it on the same connections, and reports the warm-up errors', async () => {
    healthy = false;
    connections.clear();
    let measureStarted = false;
    const result = await runLoad({
      url,
      method: 'GET',
      connections: 4,
      durationSeconds: 1,
      warmupSeconds: 1,
      next: () => ({}),
      check: (body) => body.includes('"success":true'),
      // The server heals when the warm-up ends; answers that arrive while atMeasureStart runs are
      // still warm-up, so the 503s in flight land there and the measured window sees none.
      atMeasureStart: async () => {
        healthy = true;
        await new Promise((resolve) => setTimeout(resolve, 100));
        measureStarted = true;
      },
    });

    expect(measureStarted).toBe(true);
    expect(result.warmup).toBeDefined();
    const warmup = result.warmup!;
    expect(warmup.non2xx).toBeGreaterThan(0);
    expect(warmup.statusCodes['503']).toBe(warmup.non2xx);
    expect(warmup.errors).toBe(warmup.non2xx);
    expect(warmup.ok).toBe(warmup.responses - warmup.non2xx);
    expect(result.errors).toBe(0);
    expect(result.ok).toBe(result.responses);
    expect(result.responses).toBeGreaterThan(0);
    // Req/s over the measured second, not over both.
    expect(result.seconds).toBeGreaterThan(0.8);
    expect(result.seconds).toBeLessThan(1.5);
    // One run: the connections opened for the warm-up served the measured window too.
    expect(connections.size).toBe(4);
  });

  it('without a warm-up counts every answer in the one window', async () => {
    healthy = false;
    const result = await runLoad({ url, method: 'GET', connections: 2, durationSeconds: 1, next: () => ({}) });
    expect(result.warmup).toBeUndefined();
    expect(result.responses).toBeGreaterThan(0);
    expect(result.non2xx).toBe(result.responses);
    expect(result.errors).toBe(result.responses);
  });
});
