// A local HTTP server that plays Twilio's Messages API closely enough for the service to talk to it
// as it would to the real thing: same path, basic auth, form fields, and Twilio-shaped JSON answers.
// Also runs as its own process for the benchmark (node dist/test/support/fake-twilio.js --port ...),
// which reads codes back over GET /_fake/messages?to=<e164>, or many at once over POST /_fake/codes.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createInbox } from './fake-inbox.js';

/** 'accept-then-hang': takes the message (the customer gets it) but never answers, as a slow Twilio may. */
export type FakeTwilioMode = 'ok' | 'client-error' | 'server-error' | 'hang' | 'accept-then-hang';

export interface FakeTwilioMessage {
  to: string;
  from?: string;
  messagingServiceSid?: string;
  /** The StatusCallback URL the message asked Twilio to report to. */
  statusCallback?: string;
  body: string;
  /** Milliseconds since the epoch, when the fake accepted it. */
  at: number;
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default unbounded (tests count messages); the standalone process caps it. */
  maxMessages?: number;
  /** Default unbounded: numbers whose newest message latestCode() and /_fake/messages can find. */
  maxRecipients?: number;
}

export interface FakeTwilio {
  /** Base URL to use as TWILIO_API_BASE_URL. */
  url: string;
  messages: FakeTwilioMessage[];
  /** Requests that reached the Messages API, whatever the mode made of them. */
  requestCount(): number;
  setMode(mode: FakeTwilioMode): void;
  /** The code in the newest message to this number. */
  latestCode(to: string): string | undefined;
  /** The code in the newest message to this number, waiting for one to arrive if there is none. */
  waitForCode(to: string, timeoutMs?: number): Promise<string>;
  clear(): void;
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MAX_REQUEST_BYTES = 64 * 1024;

interface TwilioError {
  status: number;
  code: number;
  message: string;
}

const ERRORS = {
  authenticate: { status: 401, code: 20003, message: 'Authenticate' },
  notFound: { status: 404, code: 20404, message: 'The requested resource was not found' },
  methodNotAllowed: { status: 405, code: 20004, message: 'Method not allowed' },
  tooLarge: { status: 413, code: 21617, message: 'The request body is too large' },
  missingTo: { status: 400, code: 21604, message: "A 'To' phone number is required." },
  missingBody: { status: 400, code: 21602, message: 'Message body is required.' },
  missingFrom: { status: 400, code: 21603, message: "A 'From' phone number is required." },
  invalidTo: { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." },
  internal: { status: 500, code: 20500, message: 'An internal server error has occurred' },
} satisfies Record<string, TwilioError>;

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

function sendError(response: http.ServerResponse, error: TwilioError): void {
  sendJson(response, error.status, { ...error, more_info: `https://www.twilio.com/docs/errors/${error.code}` });
}

function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sizeBytes = 0;
    request.on('data', (chunk: Buffer) => {
      sizeBytes += chunk.length;
      if (sizeBytes <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(sizeBytes > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function credentialsMatch(header: string | undefined, accountSid: string, authToken: string): boolean {
  if (header === undefined || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  return decoded === `${accountSid}:${authToken}`;
}

function messageResource(accountSid: string, message: FakeTwilioMessage): object {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const created = new Date(message.at).toUTCString().replace('GMT', '+0000');
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: message.body,
    date_created: created,
    date_sent: null,
    date_updated: created,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: message.from ?? null,
    messaging_service_sid: message.messagingServiceSid ?? null,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid,
    // Twilio answers "accepted" when a messaging service still has to pick the sender number.
    status: message.from === undefined ? 'accepted' : 'queued',
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: message.to,
    uri,
  };
}

export async function startFakeTwilio(options: FakeTwilioOptions): Promise<FakeTwilio> {
  const { accountSid, authToken } = options;
  let mode: FakeTwilioMode = 'ok';
  let requests = 0;
  const inbox = createInbox<FakeTwilioMessage>({
    recipients: (message) => [message.to],
    text: (message) => message.body,
    maxMessages: options.maxMessages,
    maxRecipients: options.maxRecipients,
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake-twilio');
    if (url.pathname === '/_fake/messages' && request.method === 'GET') {
      const to = url.searchParams.get('to');
      const newest = to === null ? undefined : inbox.latest(to);
      const messages = to === null ? inbox.messages : newest === undefined ? [] : [newest];
      sendJson(response, 200, { messages });
      return;
    }

    const body = await readBody(request);
    // Bulk read for the benchmark: POST {"to": ["+91...", ...]} answers {"codes": {"+91...": "123456"}}
    // with the code in the newest message to each number (numbers without one are left out).
    if (url.pathname === '/_fake/codes' && request.method === 'POST') {
      let numbers: unknown;
      try {
        numbers = body === undefined ? undefined : (JSON.parse(body) as { to?: unknown }).to;
      } catch {
        numbers = undefined;
      }
      if (!Array.isArray(numbers)) return sendJson(response, 400, { message: 'expected {"to": ["+1...", ...]} under 64 KiB' });
      const codes: Record<string, string> = {};
      for (const to of numbers) {
        if (typeof to !== 'string') continue;
        const code = inbox.latestCode(to);
        if (code !== undefined) codes[to] = code;
      }
      return sendJson(response, 200, { codes });
    }
    requests += 1;
    // Held open until the client gives up or close() destroys the socket.
    if (mode === 'hang') return;
    if (mode === 'server-error') return sendError(response, ERRORS.internal);

    const match = MESSAGES_PATH.exec(url.pathname);
    if (match === null) return sendError(response, ERRORS.notFound);
    if (!credentialsMatch(request.headers.authorization, accountSid, authToken)) return sendError(response, ERRORS.authenticate);
    if (decodeURIComponent(match[1] ?? '') !== accountSid) return sendError(response, ERRORS.notFound);
    if (request.method !== 'POST') return sendError(response, ERRORS.methodNotAllowed);
    if (body === undefined) return sendError(response, ERRORS.tooLarge);

    const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const form = new URLSearchParams(isForm ? body : '');
    const to = form.get('To') ?? '';
    const text = form.get('Body') ?? '';
    const from = form.get('From') ?? undefined;
    const messagingServiceSid = form.get('MessagingServiceSid') ?? undefined;
    if (to === '') return sendError(response, ERRORS.missingTo);
    if (text === '') return sendError(response, ERRORS.missingBody);
    if (from === undefined && messagingServiceSid === undefined) return sendError(response, ERRORS.missingFrom);
    if (mode === 'client-error') return sendError(response, ERRORS.invalidTo);

    const message: FakeTwilioMessage = { to, body: text, at: Date.now() };
    if (from !== undefined) message.from = from;
    if (messagingServiceSid !== undefined) message.messagingServiceSid = messagingServiceSid;
    const statusCallback = form.get('StatusCallback');
    if (statusCallback !== null) message.statusCallback = statusCallback;
    inbox.add(message);
    if (mode === 'accept-then-hang') return;
    sendJson(response, 201, messageResource(accountSid, message));
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendError(response, ERRORS.internal);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    messages: inbox.messages,
    requestCount: () => requests,
    setMode(next) {
      mode = next;
    },
    latestCode: (to) => inbox.latestCode(to),
    waitForCode: (to, timeoutMs = 2000) => inbox.waitForCode(to, timeoutMs),
    clear() {
      inbox.clear();
      requests = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung requests and idle keep-alive sockets would otherwise hold close() (and the process) open.
        server.closeAllConnections();
      });
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'account-sid': { type: 'string' },
      'auth-token': { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env.FAKE_TWILIO_PORT ?? '0');
  const accountSid = values['account-sid'] ?? process.env.FAKE_TWILIO_ACCOUNT_SID;
  const authToken = values['auth-token'] ?? process.env.FAKE_TWILIO_AUTH_TOKEN;
  if (accountSid === undefined || authToken === undefined || !Number.isInteger(port)) {
    console.error('usage: fake-twilio --account-sid AC... --auth-token TOKEN [--port N] (or FAKE_TWILIO_* variables)');
    process.exit(2);
  }
  // Bounded for a benchmark's hundreds of thousands of messages: the newest message per number
  // (what a client reads its code from) and a short tail of the rest.
  const fake = await startFakeTwilio({ accountSid, authToken, port, maxMessages: 1000, maxRecipients: 200_000 });
  process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
  const stop = (): void => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
