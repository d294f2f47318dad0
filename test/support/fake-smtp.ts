// A local SMTP server (smtp-server) that accepts, rejects or stalls mail, so the service's real
// nodemailer transport is tested over a real socket. Plain SMTP: STARTTLS is disabled locally.
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { createInbox } from './fake-inbox.js';

export type FakeSmtpMode = 'ok' | 'reject' | 'hang';

export interface FakeSmtpMessage {
  /** MAIL FROM address. */
  from: string;
  /** RCPT TO addresses. */
  to: string[];
  raw: string;
  subject?: string;
  /** The decoded text part. */
  text: string;
  /** The decoded HTML part, when the mail has one. */
  html?: string;
  /** The top-level content type: multipart/alternative for text plus HTML. */
  contentType: string;
}

export interface FakeSmtp {
  /** e.g. smtp://user:pass@127.0.0.1:PORT, to use as SMTP_URL. */
  url: string;
  messages: FakeSmtpMessage[];
  setMode(mode: FakeSmtpMode): void;
  latestCode(to: string): string | undefined;
  waitForCode(to: string, timeoutMs?: number): Promise<string>;
  clear(): void;
  close(): Promise<void>;
}

function rejection(message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: 550 });
}

function readStream(stream: SMTPServerDataStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / =?UTF-8?B?...?=), as nodemailer writes non-ASCII subjects. */
function decodeWords(value: string): string {
  return value.replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_word, encoding: string, data: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function decodeQuotedPrintable(value: string): string {
  const bytes = value
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

interface MimePart {
  headers: Map<string, string>;
  body: string;
}

function splitPart(raw: string): MimePart {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(part: MimePart): string {
  const encoding = part.headers.get('content-transfer-encoding')?.toLowerCase();
  const decoded =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(part.body)
      : encoding === 'base64'
        ? Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : part.body;
  return decoded.replace(/\r\n/g, '\n');
}

/** The leaf parts of a message, multipart or not, each with its content type. */
function leaves(part: MimePart): Array<{ type: string; content: string }> {
  const type = (part.headers.get('content-type') ?? 'text/plain').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(part.headers.get('content-type') ?? '')?.[1];
  if (!type.startsWith('multipart/') || boundary === undefined) return [{ type, content: decodeBody(part) }];
  const sections = part.body.split(`--${boundary}`).slice(1);
  return sections
    .filter((section) => !section.startsWith('--'))
    .flatMap((section) => leaves(splitPart(section.replace(/^\r?\n/, ''))));
}

/** Enough MIME for the mail the service sends: a text part, and an HTML part beside it. */
function parseMessage(raw: string): { subject?: string; text: string; html?: string; contentType: string } {
  const message = splitPart(raw);
  const parts = leaves(message);
  const text = parts.find((part) => part.type.startsWith('text/plain'))?.content ?? '';
  const html = parts.find((part) => part.type.startsWith('text/html'))?.content;
  const subject = message.headers.get('subject');
  return {
    ...(subject === undefined ? {} : { subject: decodeWords(subject) }),
    text,
    ...(html === undefined ? {} : { html }),
    contentType: (message.headers.get('content-type') ?? 'text/plain').split(';')[0]!.toLowerCase(),
  };
}

export async function startFakeSmtp(options: { user?: string; pass?: string } = {}): Promise<FakeSmtp> {
  const { user, pass } = options;
  const checkAuth = user !== undefined || pass !== undefined;
  let mode: FakeSmtpMode = 'ok';
  const inbox = createInbox<FakeSmtpMessage>({ recipients: (message) => message.to, text: (message) => message.text });
  const sockets = new Set<Socket>();

  const server = new SMTPServer({
    // No TLS locally: without STARTTLS nodemailer speaks plain SMTP and needs no certificate.
    disabledCommands: checkAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !checkAuth,
    allowInsecureAuth: true,
    logger: false,
    // The reverse DNS lookup of 127.0.0.1 costs ~100 ms per session for nothing.
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      if (mode === 'reject') return callback(rejection('Mailbox unavailable'));
      return callback();
    },
    onData(stream, session, callback) {
      readStream(stream).then(
        (raw) => {
          // No answer to DATA: the client waits until it gives up or close() drops the socket.
          if (mode === 'hang') return;
          if (mode === 'reject') return callback(rejection('Message rejected'));
          const mailFrom = session.envelope.mailFrom;
          inbox.add({
            from: mailFrom === false ? '' : mailFrom.address,
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            raw,
            ...parseMessage(raw),
          });
          return callback(null, 'Message accepted');
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = checkAuth ? `${encodeURIComponent(user ?? '')}:${encodeURIComponent(pass ?? '')}@` : '';

  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages: inbox.messages,
    setMode(next) {
      mode = next;
    },
    latestCode: (to) => inbox.latestCode(to),
    waitForCode: (to, timeoutMs = 2000) => inbox.waitForCode(to, timeoutMs),
    clear: () => inbox.clear(),
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // smtp-server otherwise waits 30 s for open sessions (a stalled DATA, a pooled client).
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
