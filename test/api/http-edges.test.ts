// What reaches the service below the level of a well-formed request, over raw sockets: requests
// Node's parser refuses (still answered in the JSON envelope), slow clients (cut off in bounded
// time), and unknown routes (logged without their query string).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../support/backends.js';
import { V2, expectError, newPhone } from '../support/flows.js';
import { serviceForBlock, type Service } from '../support/service.js';

/** Small on purpose, so a slow client is cut off within a test's time. */
const REQUEST_TIMEOUT_MS = 1000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** Longer than REQUEST_TIMEOUT_MS: a request may take longer to answer than to arrive. */
const DELIVERY_TIMEOUT_MS = 2500;
/** Node checks deadlines every tenth of the timeout and keeps a kept-alive socket 1 s past its timeout. */
const CUT_OFF_WITHIN_MS = 3500;
/** How long a probe waits for the server to close before it gives up and closes itself. */
const PROBE_LIMIT_MS = 8000;

interface Exchange {
  /** Everything the server sent. */
  received: string;
  /** When the server closed the connection, in ms after connecting; Infinity if it never did. */
  closedAfterMs: number;
}

/**
 * Connects, lets `talk` write (now or slowly), and collects what comes back until the server
 * closes the connection (or PROBE_LIMIT_MS passes).
 */
function exchange(service: Service, talk: (socket: net.Socket) => void): Promise<Exchange> {
  const { port } = new URL(service.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const startedMs = Date.now();
    let received = '';
    let closedByServer = false;
    const giveUp = setTimeout(() => socket.destroy(), PROBE_LIMIT_MS);
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('end', () => (closedByServer = true));
    socket.on('error', () => (closedByServer = true));
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ received, closedAfterMs: closedByServer ? Date.now() - startedMs : Infinity });
    });
    socket.on('connect', () => talk(socket));
  });
}

/** Writes `text` one byte every `everyMs` while the socket is open. */
function trickle(socket: net.Socket, text: string, everyMs: number): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= text.length) return clearInterval(timer);
    socket.write(text[index++]!);
  }, everyMs);
}

/** The status, content type and JSON body of the first response in `received`. */
function firstResponse(received: string): { status: number; contentType: string; body: unknown } {
  const [head = '', rest = ''] = received.split('\r\n\r\n', 2);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
  const contentType = /^content-type: (.*)$/im.exec(head)?.[1] ?? '';
  const length = Number(/^content-length: (\d+)$/im.exec(head)?.[1]);
  const text = rest.slice(0, length);
  return { status, contentType, body: JSON.parse(text) as unknown };
}

function expectEnvelope(received: string, status: number, code: string): void {
  const response = firstResponse(received);
  expectError({ status: response.status, headers: new Headers({ 'content-type': response.contentType }), body: response.body }, status, code);
}

describe.each(backendsUnderTest())('%s', (backend) => {
  const service = serviceForBlock({
    backend,
    env: {
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
    },
  });

  describe('requests Node refuses to parse', () => {
    it('answers headers over 16 KiB with 431 HEADERS_TOO_LARGE in the envelope', async () => {
      const { received } = await exchange(service, (socket) =>
        socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expectEnvelope(received, 431, 'HEADERS_TOO_LARGE');
    });

    it('answers a URL over 16 KiB with 431 HEADERS_TOO_LARGE in the envelope', async () => {
      const { received } = await exchange(service, (socket) => socket.write(`GET /health?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
      expectEnvelope(received, 431, 'HEADERS_TOO_LARGE');
    });

    it.each([
      ['a Content-Length that is not a number', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}'],
      ['two different Content-Lengths', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
      ['Content-Length beside chunked Transfer-Encoding', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}'],
      ['a broken request line', 'THIS IS NOT HTTP\r\n\r\n'],
      ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n'],
    ])('answers %s with 400 MALFORMED_REQUEST in the envelope', async (_description, request) => {
      const { received } = await exchange(service, (socket) => socket.write(request));
      expectEnvelope(received, 400, 'MALFORMED_REQUEST');
    });
  });

  describe.concurrent('slow clients', () => {
    it('closes a connection that never sends a byte, with 408 REQUEST_TIMEOUT', async () => {
      const { received, closedAfterMs } = await exchange(service, () => {});
      expect(closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
      expectEnvelope(received, 408, 'REQUEST_TIMEOUT');
    });

    it('cuts off headers sent a byte at a time (slowloris), although bytes keep arriving, with 408 REQUEST_TIMEOUT', async () => {
      const headers = `GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(500)}\r\n\r\n`;
      const { received, closedAfterMs } = await exchange(service, (socket) => trickle(socket, headers, 50));
      expect(closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
      expectEnvelope(received, 408, 'REQUEST_TIMEOUT');
    });

    it('cuts off a body sent a byte at a time, with 408 REQUEST_TIMEOUT', async () => {
      const body = JSON.stringify({ type: 'email', identifier: `slow-${'x'.repeat(400)}@example.com` });
      const { received, closedAfterMs } = await exchange(service, (socket) => {
        socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
        trickle(socket, body, 50);
      });
      expect(closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
      expectEnvelope(received, 408, 'REQUEST_TIMEOUT');
    });

    it('closes a kept-alive connection left idle after its request', async () => {
      const { received, closedAfterMs } = await exchange(service, (socket) => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(firstResponse(received).status).toBe(200);
      expect(closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
    });
  });

  describe('a request slower to answer than REQUEST_TIMEOUT_MS', () => {
    it('still gets its answer: only the arrival of a request is timed, not its handling', async () => {
      service.twilio.setMode('hang');
      try {
        const startedMs = Date.now();
        const answer = await service.post(V2.register, { type: 'phone', identifier: newPhone().e164 });
        expect(Date.now() - startedMs).toBeGreaterThanOrEqual(DELIVERY_TIMEOUT_MS - 100);
        expectError(answer, 503, 'DELIVERY_FAILED');
      } finally {
        service.twilio.setMode('ok');
      }
    });
  });

  describe('an unknown route', () => {
    it('is answered 404 NOT_FOUND and logged by its path, without the query string', async () => {
      const query = 'otp=246848&token=eyJhbGciOiJIUzI1NiJ9.planted.signature';
      expectError(await service.get(`/api/v1/auth/verify-login?${query}`), 404, 'NOT_FOUND');
      expectError(await service.post(`/api/v1/auth/no-such-route?${query}`, {}), 404, 'NOT_FOUND');
      // The line is written when the answer has been handed to the socket: wait for it.
      await expect.poll(() => service.logs()).toContain('"url":"/api/v1/auth/verify-login"');
      await expect.poll(() => service.logs()).toContain('"url":"/api/v1/auth/no-such-route"');
      const logs = service.logs();
      expect(logs).not.toContain('246848');
      expect(logs).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    });

    it('is logged by at most 200 characters of its path', async () => {
      const path = `/${'p'.repeat(199)}${'q'.repeat(2000)}`;
      expectError(await service.get(path), 404, 'NOT_FOUND');
      await expect.poll(() => service.logs()).toContain(`"url":"/${'p'.repeat(199)}..."`);
      expect(service.logs()).not.toContain('q'.repeat(10));
    });

    it('with a malformed percent-encoding is answered 400 MALFORMED_REQUEST in the envelope, its query string neither echoed nor logged', async () => {
      const answer = await service.get('/api/v1/auth/%zz?otp=135792');
      expectError(answer, 400, 'MALFORMED_REQUEST');
      expect(JSON.stringify(answer.body)).not.toContain('135792');
      expect(service.logs()).not.toContain('135792');
    });
  });
});
