// A local SMS gateway that receives the service's webhook (SMS_PROVIDER=webhook) the way an
// operator's receiver should: it reads the raw body, checks the signature with the exported
// verifyWebhookSignature (the README's snippet), and only then accepts the message.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/delivery/webhook-signature.js';
import { createInbox } from './fake-inbox.js';

export type FakeWebhookMode = 'ok' | 'server-error' | 'hang';

export interface FakeWebhookMessage {
  to: string;
  body: string;
  code_length: number;
  purpose: string;
  /** Every top-level field of the JSON, to prove nothing else rides along. */
  fields: string[];
  headers: http.IncomingHttpHeaders;
}

export interface FakeSmsWebhook {
  /** Use as SMS_WEBHOOK_URL. */
  url: string;
  secret: string;
  /** Accepted (correctly signed) messages, oldest first. */
  messages: FakeWebhookMessage[];
  /** Every request that reached the receiver, whatever became of it. */
  requestCount(): number;
  /** Requests refused for a missing, wrong or stale signature. */
  rejectedCount(): number;
  setMode(mode: FakeWebhookMode): void;
  latestCode(to: string): string | undefined;
  clear(): void;
  close(): Promise<void>;
}

export async function startFakeSmsWebhook(secret: string): Promise<FakeSmsWebhook> {
  let mode: FakeWebhookMode = 'ok';
  let requests = 0;
  let rejected = 0;
  const inbox = createInbox<FakeWebhookMessage>({ recipients: (message) => [message.to], text: (message) => message.body });

  const server = http.createServer((request, response) => {
    requests += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // Held open until the client gives up or close() destroys the socket.
      if (mode === 'hang') return;
      if (mode === 'server-error') return answer(response, 500, { error: 'gateway down' });
      const rawBody = Buffer.concat(chunks);
      const signed = verifyWebhookSignature({
        secret,
        rawBody,
        timestamp: header(request, 'x-signature-timestamp'),
        signature: header(request, 'x-signature'),
      });
      if (!signed) {
        rejected += 1;
        return answer(response, 401, { error: 'bad signature' });
      }
      const payload = JSON.parse(rawBody.toString('utf8')) as Omit<FakeWebhookMessage, 'fields' | 'headers'>;
      inbox.add({ ...payload, fields: Object.keys(payload), headers: request.headers });
      answer(response, 202, { accepted: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/sms`,
    secret,
    messages: inbox.messages,
    requestCount: () => requests,
    rejectedCount: () => rejected,
    setMode(next) {
      mode = next;
    },
    latestCode: (to) => inbox.latestCode(to),
    clear() {
      inbox.clear();
      requests = 0;
      rejected = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(response: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}
